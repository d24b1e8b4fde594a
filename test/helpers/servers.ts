import http from 'node:http';
import net from 'node:net';

/** A loopback server for tests, closed by `close()`. */
export interface TestServer {
  readonly port: number;
  close(): Promise<void>;
}

async function listen(server: net.Server): Promise<TestServer> {
  const sockets = new Set<net.Socket>();
  server.on('connection', (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
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

/** Accepts TCP connections and never answers: a hanging target. */
export function blackHole(): Promise<TestServer> {
  return listen(net.createServer(() => {}));
}

/** Accepts TCP connections and resets each one at once. */
export function resetter(): Promise<TestServer> {
  return listen(net.createServer((s) => s.resetAndDestroy()));
}

/** A plaintext HTTP server where a TLS server was expected. */
export function plaintextHttp(): Promise<TestServer> {
  return listen(http.createServer((_req, res) => res.end('hello\n')));
}

/** A port nothing listens on (bound then released). */
export async function closedPort(): Promise<number> {
  const s = await listen(net.createServer());
  await s.close();
  return s.port;
}
