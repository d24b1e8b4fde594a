import { readFileSync } from 'node:fs';
import type net from 'node:net';
import tls from 'node:tls';
import type { FixtureSet } from '../../core/manifest.js';

/**
 * What a hostile server does with one connection:
 * - at accept (plain TCP): `drop` closes it before any TLS byte;
 * - after the handshake: `accept` answers HTTP 200 whatever the certificate, `refuse` answers HTTP 403, `reset`
 *   resets the connection, `close` closes it without a word.
 */
export interface HostileBehaviour {
  /** Called for each TCP connection (n counts from 0); `drop` closes it at once. */
  readonly atAccept?: (n: number) => 'drop' | 'continue';
  /** Called once the handshake completed. */
  readonly afterHandshake: (socket: tls.TLSSocket, n: number) => 'accept' | 'refuse' | 'reset' | 'close';
  /** Refuse every ClientHello (an SNI failure: unrelated to any certificate). */
  readonly refuseHello?: boolean;
}

/** A running hostile server on 127.0.0.1. */
export interface HostileServer {
  readonly port: number;
  close(): Promise<void>;
}

/**
 * A TLS server configured from the fixtures (their server certificate, their root, client certificates requested but
 * never verified) whose decisions are made by `behaviour`: the kind of server that makes a naive harness report a
 * pass, used to show that ours never does.
 */
export async function startHostileServer(fx: FixtureSet, behaviour: HostileBehaviour): Promise<HostileServer> {
  const read = (p: string) => readFileSync(fx.resolve(p), 'utf8');
  const server = tls.createServer({
    key: read(fx.manifest.server.key),
    cert: read(fx.manifest.server.chain),
    ca: read(fx.manifest.trust),
    requestCert: true,
    rejectUnauthorized: false,
    ...(behaviour.refuseHello
      ? {
          SNICallback: (_name: string, cb: (err: Error | null, ctx?: tls.SecureContext) => void) => cb(new Error('no')),
        }
      : {}),
  });
  const sockets = new Set<net.Socket>();
  // NOTE: a TLS socket cannot be reset itself (resetAndDestroy needs a TCP handle): find its TCP socket by port.
  const rawByPort = new Map<number, net.Socket>();
  let accepted = 0;
  let secured = 0;
  // NOTE: a listener on 'connection' runs before the TLS layer reads anything, so a drop happens before any byte.
  server.prependListener('connection', (raw: net.Socket) => {
    sockets.add(raw);
    if (raw.remotePort !== undefined) rawByPort.set(raw.remotePort, raw);
    raw.on('close', () => {
      sockets.delete(raw);
      if (raw.remotePort !== undefined) rawByPort.delete(raw.remotePort);
    });
    raw.on('error', () => {});
    if (behaviour.atAccept?.(accepted++) === 'drop') raw.destroy();
  });
  server.on('tlsClientError', () => {});
  server.on('secureConnection', (socket: tls.TLSSocket) => {
    socket.on('error', () => {});
    const action = behaviour.afterHandshake(socket, secured++);
    if (action === 'reset') {
      const raw = socket.remotePort === undefined ? undefined : rawByPort.get(socket.remotePort);
      if (!raw) throw new Error('hostile server: no TCP socket to reset');
      raw.resetAndDestroy();
      return;
    }
    if (action === 'close') return socket.destroy();
    const status = action === 'accept' ? '200 OK' : '403 Forbidden';
    socket.once('data', () =>
      socket.end(
        `HTTP/1.1 ${status}\r\ncontent-type: text/plain\r\ncontent-length: 3\r\nconnection: close\r\n\r\nok\n`,
      ),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/**
 * True for a connection from an OpenSSL client (node:tls, s_client): OpenSSL offers Ed448 signatures, our wire
 * client does not. Lets a server break one client implementation and let the other in.
 */
export function fromOpenSsl(socket: tls.TLSSocket): boolean {
  return socket.getSharedSigalgs().includes('Ed448+UNDEF');
}
