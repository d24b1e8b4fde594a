/**
 * The built-in server's resumption shapes (issue 12): session state shared between listeners (one session cache for
 * TLS 1.2 session IDs, one set of ticket keys for TLS 1.2 tickets and TLS 1.3 PSKs, one session id context), and an
 * SNI front that hands each connection to the listener of the name its ClientHello asks for — a virtual-host pair on
 * one port, as a web server's `server_name` blocks are.
 */
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import type tls from 'node:tls';
import { listenOn } from '../core/listen.js';

/** Session state several node:tls servers share. */
export interface SharedSessions {
  /** Options every sharing server is created with (ticket keys, session id context). */
  readonly tlsOptions: Pick<tls.TlsOptions, 'ticketKeys' | 'sessionIdContext'>;
  /** Makes `server` store and look up TLS 1.2 sessions by ID in the shared cache. */
  attach(server: tls.Server): void;
}

/** At most this many sessions are kept (oldest dropped first). */
const CACHE_SIZE = 1000;

/** One session cache, ticket key set and session id context for every server {@link SharedSessions.attach}ed. */
export function sharedSessions(): SharedSessions {
  const cache = new Map<string, Buffer>();
  const ticketKeys = randomBytes(48);
  return {
    // NOTE: OpenSSL resumes a session only under the session id context it was made in: one context for all the
    // listeners is what lets a session made on one be offered to another (the misconfiguration the scenarios test).
    tlsOptions: { ticketKeys, sessionIdContext: 'mtls-harness-builtin' },
    attach(server) {
      server.on('newSession', (id: Buffer, data: Buffer, done: () => void) => {
        cache.set(id.toString('hex'), data);
        if (cache.size > CACHE_SIZE) cache.delete(cache.keys().next().value!);
        done();
      });
      server.on('resumeSession', (id: Buffer, done: (err: Error | null, data: Buffer | null) => void) => {
        done(null, cache.get(id.toString('hex')) ?? null);
      });
    },
  };
}

/**
 * The server_name of a TLS ClientHello at the start of `data` (RFC 6066 §3): the name, `null` when the hello is
 * complete and names none (or is not a ClientHello), `undefined` when more bytes are needed.
 */
export function clientHelloServerName(data: Buffer): string | null | undefined {
  if (data.length < 5) return undefined;
  if (data[0] !== 22) return null;
  const recordEnd = 5 + data.readUInt16BE(3);
  if (data.length < recordEnd) return undefined;
  // NOTE: a ClientHello split over several records is legal but rare; the first record must hold the extensions.
  let p = 5;
  if (data[p] !== 1) return null;
  const helloEnd = Math.min(recordEnd, p + 4 + data.readUIntBE(p + 1, 3));
  p += 4 + 2 + 32;
  const skip = (lengthBytes: number): boolean => {
    if (p + lengthBytes > helloEnd) return false;
    p += lengthBytes + data.readUIntBE(p, lengthBytes);
    return p <= helloEnd;
  };
  if (!skip(1) || !skip(2) || !skip(1)) return null;
  if (p + 2 > helloEnd) return null;
  const extensionsEnd = Math.min(helloEnd, p + 2 + data.readUInt16BE(p));
  p += 2;
  while (p + 4 <= extensionsEnd) {
    const type = data.readUInt16BE(p);
    const length = data.readUInt16BE(p + 2);
    const body = p + 4;
    if (type === 0 && body + 5 <= extensionsEnd && data[body + 2] === 0) {
      const nameLength = data.readUInt16BE(body + 3);
      return data.subarray(body + 5, Math.min(body + 5 + nameLength, extensionsEnd)).toString('latin1');
    }
    p = body + length;
  }
  return null;
}

/**
 * Listens on host:port and hands each connection to the TLS server `route` picks for the server_name of its
 * ClientHello (null: no name). The bytes read to find the name are put back before the hand-over.
 */
export async function startSniFront(
  host: string,
  port: number,
  route: (servername: string | null) => tls.Server,
  log: (line: string) => void,
): Promise<net.Server> {
  const front = net.createServer({ pauseOnConnect: true }, (socket) => {
    let seen = Buffer.alloc(0);
    socket.on('error', () => socket.destroy());
    const onReadable = () => {
      let chunk: Buffer | null;
      while ((chunk = socket.read() as Buffer | null) !== null) seen = Buffer.concat([seen, chunk]);
      const name = seen.length > 16_384 + 5 ? null : clientHelloServerName(seen);
      if (name === undefined) return;
      socket.off('readable', onReadable);
      socket.unshift(seen);
      route(name).emit('connection', socket);
    };
    socket.on('readable', onReadable);
  });
  await listenOn(front, host, port, 'the SNI front');
  front.on('error', (err) => log(`SNI front: ${err.message}`));
  return front;
}
