import { readFileSync } from 'node:fs';
import http from 'node:http';
import type net from 'node:net';
import tls from 'node:tls';
import type { FixtureSet } from '../../core/manifest.js';
import type { StartedTarget } from '../../targets/target.js';

/**
 * What a {@link startDecidingServer} does with one connection once its TLS handshake is done:
 * - `answer`: reads the request and answers `HTTP/1.1 200` (a proof of acceptance);
 * - `forbid`: reads the request and answers `HTTP/1.1 403` (a refusal at the HTTP layer, as nginx does);
 * - `close`: closes at once, without reading or answering (how node:tls and many servers refuse after a TLS 1.3
 *   handshake the client already saw complete);
 * - `hang`: never answers and never closes (until the server stops).
 */
export type Decision = 'answer' | 'forbid' | 'close' | 'hang';

/** What the server knows about one connection when it decides. */
export interface ConnectionInfo {
  /** 0 for the first connection whose handshake completed, then 1, 2, … in the order the handshakes completed. */
  readonly index: number;
  /** `isSessionReused()` on the server side. */
  readonly reused: boolean;
  /** Whether the client certificate verified against the fixtures' trust (only false with `rejectUnauthorized: false`). */
  readonly authorized: boolean;
  /** The protocol the server negotiated (`TLSv1.2`, `TLSv1.3`). */
  readonly protocol: string | null;
}

/** A started test server plus the server's own count of what it did: an independent record to check load against. */
export interface DecidingServer extends StartedTarget {
  readonly counts: Readonly<Record<Decision, number>>;
}

/** The fixtures' server identity and trust for a node:tls server that asks for a client certificate. */
function serverOptions(fx: FixtureSet): tls.TlsOptions {
  const read = (rel: string) => readFileSync(fx.resolve(rel), 'utf8');
  return {
    key: read(fx.manifest.server.key),
    cert: read(fx.manifest.server.chain),
    ca: read(fx.manifest.trust),
    requestCert: true,
    noDelay: true,
  };
}

async function listen(server: net.Server, sockets: Set<net.Socket>): Promise<{ port: number; stop(): Promise<void> }> {
  server.on('connection', (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const s of sockets) s.destroy();
    });
  };
  return { port, stop };
}

function target(name: string, port: number, stop: () => Promise<void>): StartedTarget {
  return {
    name,
    policy: 'require',
    endpoint: { host: '127.0.0.1', port },
    servername: 'localhost',
    capabilities: new Set(),
    probe: 'http',
    logs: () => '',
    stop,
    [Symbol.asyncDispose]: stop,
  };
}

/**
 * A node:tls mTLS server (TLS 1.2 and 1.3, session tickets on) that decides per connection, after the handshake, what
 * to do with the client (see {@link Decision}), and counts its decisions. With `rejectUnauthorized` (the default)
 * node:tls itself drops a client whose certificate does not verify, before `decide` is asked.
 */
export async function startDecidingServer(
  fx: FixtureSet,
  decide: (c: ConnectionInfo) => Decision,
  options: { rejectUnauthorized?: boolean } = {},
): Promise<DecidingServer> {
  const counts: Record<Decision, number> = { answer: 0, forbid: 0, close: 0, hang: 0 };
  let index = 0;
  const server = tls.createServer(
    { ...serverOptions(fx), rejectUnauthorized: options.rejectUnauthorized ?? true },
    (socket) => {
      socket.on('error', () => {});
      const decision = decide({
        index: index++,
        reused: socket.isSessionReused(),
        authorized: socket.authorized,
        protocol: socket.getProtocol(),
      });
      counts[decision]++;
      if (decision === 'hang') return;
      if (decision === 'close') {
        // Drain and close with close_notify (as the built-in server refuses), never an answer.
        socket.resume();
        socket.end();
        return;
      }
      let request = '';
      const onData = (chunk: Buffer) => {
        request += chunk.toString('latin1');
        if (!request.includes('\n')) return; // the request line (or the raw probe's line) is in
        socket.off('data', onData);
        socket.resume();
        const body = decision === 'answer' ? 'ok\n' : 'forbidden\n';
        socket.end(
          `HTTP/1.1 ${decision === 'answer' ? '200 OK' : '403 Forbidden'}\r\ncontent-type: text/plain\r\n` +
            `content-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`,
        );
      };
      socket.on('data', onData);
    },
  );
  server.on('tlsClientError', () => {});
  const { port, stop } = await listen(server, new Set());
  return { ...target('deciding-node', port, stop), counts };
}

/** A started HTTPS test server plus its own count of the statuses it answered. */
export interface CountingHttpsServer extends StartedTarget {
  readonly statuses: Readonly<Record<number, number>>;
}

/**
 * An HTTPS (node:http over node:tls, keep-alive) mTLS server whose answer to each request is `status(n)`, where n
 * counts the requests on that connection from 1. It counts the statuses it sent.
 */
export async function startHttpsServer(
  fx: FixtureSet,
  status: (nthOnConnection: number) => number,
): Promise<CountingHttpsServer> {
  const statuses: Record<number, number> = {};
  const perSocket = new WeakMap<net.Socket, number>();
  const app = http.createServer((req, res) => {
    const n = (perSocket.get(req.socket) ?? 0) + 1;
    perSocket.set(req.socket, n);
    const code = status(n);
    statuses[code] = (statuses[code] ?? 0) + 1;
    res.writeHead(code, { 'content-type': 'text/plain' });
    res.end(code === 200 ? 'ok\n' : 'forbidden\n');
  });
  const server = tls.createServer({ ...serverOptions(fx), rejectUnauthorized: true }, (socket) => {
    socket.on('error', () => {});
    app.emit('connection', socket);
  });
  server.on('tlsClientError', () => {});
  const { port, stop: stopTls } = await listen(server, new Set());
  const stop = async () => {
    app.closeAllConnections();
    await stopTls();
  };
  return { ...target('counting-https-node', port, stop), statuses };
}
