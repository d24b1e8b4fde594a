import { spawn, type ChildProcess } from 'node:child_process';
import { constants } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import type { Manifest } from '../../core/manifest.js';
import { generateFixtures } from '../../fixtures-gen/generate.js';

/** Fixture PKI materialised into a temp dir. */
export interface Pki {
  readonly dir: string;
  readonly manifest: Manifest;
  read(relative: string): string;
  file(relative: string): string;
  /** chain/key PEM of a client fixture. */
  client(id: string): { chainPem: string; keyPem: string; certPem: string };
  cleanup(): void;
}

/** Generates a subset of the fixtures for one key profile. */
export async function makePki(keyProfile: string, only: readonly string[]): Promise<Pki> {
  const dir = mkdtempSync(path.join(tmpdir(), `wire-${keyProfile}-`));
  const manifest = await generateFixtures({ out: dir, keyProfile, only });
  const read = (rel: string): string => readFileSync(path.join(dir, rel), 'utf8');
  return {
    dir,
    manifest,
    read,
    file: (rel) => path.join(dir, rel),
    client(id) {
      const f = manifest.fixtures.find((x) => x.id === id);
      if (!f) throw new Error(`no fixture ${id}`);
      return { chainPem: read(f.chain), keyPem: read(f.key), certPem: read(f.cert) };
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A running test server. */
export interface TestServer {
  readonly port: number;
  /** Key-log lines the server emitted (node servers only). */
  readonly keylog: string[];
  close(): Promise<void>;
}

/**
 * A node:tls echo server requiring (or not requesting) client certificates. `sessions` picks TLS 1.2 resumption:
 * 'tickets' (node's default, RFC 5077), 'session-ids' (no tickets; a Map-backed cache through the newSession and
 * resumeSession events, since node has no built-in server cache) or 'none' (no tickets, no cache). `reused` records
 * `isSessionReused()` of each accepted connection, in order.
 */
export async function nodeServer(
  pki: Pki,
  opts: {
    requestCert?: boolean;
    minVersion?: tls.SecureVersion;
    maxVersion?: tls.SecureVersion;
    ecdhCurve?: string;
    crl?: boolean;
    ciphers?: string;
    sessions?: 'tickets' | 'session-ids' | 'none';
  } = {},
): Promise<TestServer & { reused: boolean[] }> {
  const keylog: string[] = [];
  const reused: boolean[] = [];
  const sessions = opts.sessions ?? 'tickets';
  const requestCert = opts.requestCert ?? true;
  const server = tls.createServer({
    key: pki.read(pki.manifest.server.key),
    cert: pki.read(pki.manifest.server.chain),
    ca: pki.read('trust.pem'),
    requestCert,
    rejectUnauthorized: requestCert,
    minVersion: opts.minVersion ?? 'TLSv1.2',
    maxVersion: opts.maxVersion ?? 'TLSv1.3',
    ...(opts.ecdhCurve ? { ecdhCurve: opts.ecdhCurve } : {}),
    ...(opts.ciphers ? { ciphers: opts.ciphers } : {}),
    ...(sessions !== 'tickets' ? { secureOptions: constants.SSL_OP_NO_TICKET } : {}),
    // One entry per CRL: node:tls loads only the first CRL of a PEM string.
    ...(opts.crl
      ? {
          crl: pki.read(pki.manifest.crl.bundle).match(/-----BEGIN X509 CRL-----[\s\S]*?-----END X509 CRL-----/g) ?? [],
        }
      : {}),
  });
  server.on('keylog', (line) => keylog.push(line.toString('latin1').trim()));
  if (sessions === 'session-ids') {
    const cache = new Map<string, Buffer>();
    server.on('newSession', (id: Buffer, data: Buffer, done: () => void) => {
      cache.set(id.toString('hex'), data);
      done();
    });
    server.on('resumeSession', (id: Buffer, done: (err: Error | null, data: Buffer | null) => void) =>
      done(null, cache.get(id.toString('hex')) ?? null),
    );
  }
  server.on('secureConnection', (s) => {
    reused.push(s.isSessionReused());
    s.on('data', (d: Buffer) => s.write(d));
    s.on('error', () => undefined);
  });
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return { port, keylog, reused, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** A free TCP port (bind to 0, then release). */
export async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

/**
 * `openssl s_server -verify_return_error`, serving -www or driven through stdin (interactive); killed by PID on close.
 * `clientAuth`: 'require' asks for a certificate in the handshake and refuses none (`-Verify 3`); 'when-asked' asks
 * only when told to (the interactive `c` and `R` commands: TLS 1.3 post-handshake authentication, TLS 1.2
 * renegotiation), verifying what comes against the same roots.
 */
export async function opensslServer(
  pki: Pki,
  extra: readonly string[] = [],
  mode: '-www' | 'interactive' = '-www',
  clientAuth: 'require' | 'when-asked' = 'require',
): Promise<TestServer & { proc: ChildProcess; output(): string }> {
  let lastOutput = '';
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const args = [
      's_server',
      '-accept',
      `127.0.0.1:${port}`,
      '-cert',
      pki.file(pki.manifest.server.cert),
      '-key',
      pki.file(pki.manifest.server.key),
      '-cert_chain',
      pki.file(pki.manifest.server.chain),
      '-CAfile',
      pki.file('trust.pem'),
      ...(clientAuth === 'require' ? ['-Verify', '3'] : []),
      '-verify_return_error',
      ...(mode === '-www' ? ['-www'] : []),
      ...extra,
    ];
    const proc = spawn('openssl', args, { stdio: [mode === '-www' ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    proc.stdin?.on('error', () => {}); // a write after s_server exited is not a test failure
    let output = '';
    const ready = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 5000);
      const onData = (d: Buffer): void => {
        output += d.toString();
        if (output.includes('ACCEPT')) {
          clearTimeout(timer);
          resolve(true);
        }
      };
      proc.stdout!.on('data', onData);
      proc.stderr!.on('data', (d: Buffer) => (output += d.toString()));
      proc.once('exit', () => {
        clearTimeout(timer);
        resolve(false);
      });
    });
    if (ready) {
      return {
        port,
        proc,
        output: () => output,
        keylog: [],
        close: async () => {
          if (proc.exitCode === null) {
            const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
            process.kill(proc.pid!, 'SIGTERM');
            await exited;
          }
        },
      };
    }
    if (proc.exitCode === null) process.kill(proc.pid!, 'SIGKILL');
    lastOutput = output;
  }
  throw new Error(`openssl s_server did not start: ${lastOutput}`);
}

/** What a node:tls client decides against a server: accepted only when data came back. */
export async function nodeClientDecision(
  port: number,
  pki: Pki,
  fixture: string,
  version: '1.2' | '1.3',
): Promise<'accept' | 'reject'> {
  const c = pki.client(fixture);
  return new Promise((resolve) => {
    const v: tls.SecureVersion = version === '1.3' ? 'TLSv1.3' : 'TLSv1.2';
    const socket = tls.connect({
      host: '127.0.0.1',
      port,
      servername: 'localhost',
      ca: pki.read('trust.pem'),
      cert: c.chainPem,
      key: c.keyPem,
      minVersion: v,
      maxVersion: v,
    });
    let done = false;
    const finish = (d: 'accept' | 'reject'): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(d);
    };
    const timer = setTimeout(() => finish('reject'), 4000);
    socket.on('secureConnect', () => socket.write('GET / HTTP/1.0\r\n\r\n'));
    socket.on('data', () => finish('accept'));
    socket.on('error', () => finish('reject'));
    socket.on('close', () => finish('reject'));
  });
}

/** Resolves once `condition` holds (polled every 20 ms); rejects after `timeoutMs` with `what` in the message. */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error(`not seen in time: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A raw TCP server with a custom behaviour per connection. */
export async function rawServer(onConnection: (socket: net.Socket) => void): Promise<TestServer> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined);
    s.on('close', () => sockets.delete(s));
    onConnection(s);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    keylog: [],
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
