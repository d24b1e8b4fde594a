import net from 'node:net';
import tls from 'node:tls';
import { alertFromNodeError } from '../core/alerts.js';
import { httpStatusOf, REJECTING_HTTP_STATUSES } from '../core/http.js';
import { SERVER_UNTRUSTED_CODES } from '../core/node-tls-errors.js';
import type { WireSession } from './wire-engine/client.js';

/**
 * A resumable session as the client holds it. `kind` tells what the server handed out, which is what a refused
 * resumption is blamed on: a stateless `ticket`, a TLS 1.2 session `id` (server-side cache), or a `stateful-ticket`
 * (a TLS 1.3 ticket that is only a 32-byte key into the server's cache, as OpenSSL sends with SSL_OP_NO_TICKET).
 */
export interface HeldSession {
  readonly data: Buffer;
  readonly kind: 'ticket' | 'id' | 'stateful-ticket';
  /** The wire engine's session state (its secrets); absent for node:tls sessions. */
  readonly wire?: WireSession;
}

/** Where and how to make one handshake. The context is prebuilt: never one per connection. */
export interface HandshakeParams {
  readonly host: string;
  readonly port: number;
  /** SNI and the name the server certificate is checked against; undefined for an IP literal (no SNI). */
  readonly servername: string | undefined;
  readonly checkName: string;
  readonly context: tls.SecureContext;
  readonly tls13: boolean;
  readonly timeoutMs: number;
  /** How acceptance is proven after the handshake (see {@link proofRequest}). */
  readonly proof: 'http' | 'raw';
  /** What is written after the handshake: {@link proofRequest}'s bytes, built once. */
  readonly request: Buffer;
  /** Sockets closed gracefully but not gone yet; destroyed at teardown. */
  readonly lingering: Set<tls.TLSSocket>;
  /**
   * HTTP per request (`--new-handshake-per-request`): acceptance is proven by the whole response (its Content-Length
   * read, or the server's close after `Connection: close`), not by its status line alone.
   */
  readonly wholeResponse?: boolean;
}

/**
 * The request written after every handshake to make the server prove acceptance: an HTTP GET for targets that speak
 * HTTP (its status decides), a line for raw targets (any data back proves acceptance).
 */
export function proofRequest(proof: 'http' | 'raw', host: string, path = '/'): Buffer {
  return Buffer.from(
    proof === 'http'
      ? `GET ${path} HTTP/1.1\r\nHost: ${host}\r\nUser-Agent: mtls-harness-load\r\nConnection: close\r\n\r\n`
      : 'mtls-harness ping\n',
    'latin1',
  );
}

/**
 * What one handshake came to:
 * - `accepted`: the server proved acceptance (application data came back; with an HTTP target a status that is not a
 *   refusal);
 * - `rejected`: the server refused the client (`cls`: `alert:<name>`, `http:<status>`, `closed`, `reset`), during the
 *   handshake or after the client saw it complete;
 * - `error`: anything else (`cls`: `timeout`, `refused`, `server-untrusted`, `closed`/`reset` before the server said
 *   anything, `protocol-version`, `other:<code>`).
 */
export interface HandshakeOutcome {
  readonly result: 'accepted' | 'rejected' | 'error';
  /** `performance.now()` when the outcome was known: the proof, the refusal or the error. */
  readonly doneAt: number;
  /** Whether the client saw its handshake complete (`secureConnect`) before the outcome. */
  readonly handshakeCompleted: boolean;
  /** `isSessionReused()` at `secureConnect` (false when the handshake did not complete). */
  readonly reused: boolean;
  /** A session to resume later, when one was asked for and arrived (accepted handshakes only). */
  readonly session: HeldSession | undefined;
  /** The refusal mechanism or the error class (see above); absent when accepted. */
  readonly cls?: string;
  /** The HTTP status of the answer, when the proof was an HTTP answer. */
  readonly status?: number;
}

/**
 * Classes a failed connection: `alert:<name>` (a TLS alert from the server), `refused`, `reset`, `closed` (closed
 * during the handshake without an alert), `timeout`, `server-untrusted`, or `other:<code>`.
 */
export function classifyError(err: unknown): string {
  const alert = alertFromNodeError(err);
  if (alert) return `alert:${alert.name === 'unknown' ? alert.code : alert.name}`;
  const e = err as NodeJS.ErrnoException | undefined;
  const code = e?.code ?? '';
  if (code === 'ECONNREFUSED') return 'refused';
  if (code === 'ECONNRESET' && /before secure TLS connection/.test(e?.message ?? '')) return 'closed';
  if (code === 'ECONNRESET' || code === 'EPIPE') return 'reset';
  if (code === 'ETIMEDOUT') return 'timeout';
  if (SERVER_UNTRUSTED_CODES.has(code)) return 'server-untrusted';
  return `other:${code || 'error'}`;
}

/** protocol_version: the server does not speak the TLS version asked for, which says nothing about the client. */
const PROTOCOL_VERSION_ALERT = 70;

/**
 * Makes one mTLS handshake with node:tls, proves the server's acceptance, and reports it through `done` (callbacks,
 * not promises: this is the hot path).
 *
 * After `secureConnect` it writes `p.request` and counts the handshake as accepted only when application data comes
 * back (with `proof: 'http'`, a status outside REJECTING_HTTP_STATUSES). NOTE: in TLS 1.3 the client's handshake
 * completes before the server has judged its certificate (RFC 8446 §4.4.2.4): the server's refusal (an alert, a close,
 * a reset, or an HTTP 403 from a server like nginx, in TLS 1.2 too) arrives after `secureConnect` (issue 9).
 *
 * With `session` it offers that session for resumption. With `wantSessionMs > 0` it keeps an accepted connection until
 * a resumable session is available: at once for TLS 1.2 (`getSession()`), and for TLS 1.3 until the first
 * `'session'` event, because TLS 1.3 tickets only arrive after the handshake (nodejs tls docs), bounded by
 * `wantSessionMs` after the proof (then `session` is undefined: no ticket received). The socket is then closed with
 * close_notify, since OpenSSL drops a server-cached session whose connection was not shut down cleanly.
 */
export function handshake(
  p: HandshakeParams,
  session: Buffer | undefined,
  wantSessionMs: number,
  done: (outcome: HandshakeOutcome) => void,
): void {
  let settled = false;
  let connected = false;
  let proven = false;
  let reused = false;
  let provenAt = 0;
  let received: Buffer | undefined;
  let status: number | undefined;
  let held: HeldSession | undefined;
  let ticketTimer: NodeJS.Timeout | undefined;
  // NOTE: tls.connect does not pass `noDelay` on to the TCP socket it creates, so the socket is made here: without it
  // Nagle holds back the client's second flight (Certificate, CertificateVerify, Finished).
  const raw = net.connect({ host: p.host, port: p.port, noDelay: true });
  raw.on('error', () => {}); // surfaced by the TLS socket
  const socket = tls.connect({
    socket: raw,
    servername: p.servername,
    secureContext: p.context,
    session,
    rejectUnauthorized: true,
    ...(p.servername === undefined
      ? { checkServerIdentity: (_h: string, cert: tls.PeerCertificate) => tls.checkServerIdentity(p.checkName, cert) }
      : {}),
  });
  leafOnlyForIdentityCheck(socket);
  const timer = setTimeout(() => settle('error', 'timeout'), p.timeoutMs);
  // NOTE: a close or reset before the server sent a single byte is no decision about the client certificate (an
  // overloaded listener, a port that is not TLS): an error, not a refusal.
  const serverSpoke = () => raw.bytesRead > 0;

  function finish(): void {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    if (ticketTimer) clearTimeout(ticketTimer);
    if (!socket.destroyed) p.lingering.add(socket);
    socket.resume();
    socket.end();
    // Bounded linger after close_notify: a server that never closes does not keep the socket forever. (Set only now:
    // an idle timeout during the handshake would race the handshake timeout and pass a timeout off as a close.)
    socket.setTimeout(Math.max(1000, p.timeoutMs), () => socket.destroy());
    done({
      result: 'accepted',
      doneAt: provenAt,
      handshakeCompleted: true,
      reused,
      session: held,
      ...(status !== undefined ? { status } : {}),
    });
  }
  function settle(result: 'rejected' | 'error', cls: string): void {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    if (ticketTimer) clearTimeout(ticketTimer);
    socket.destroy();
    raw.destroy();
    done({ result, doneAt: performance.now(), handshakeCompleted: connected, reused, session: undefined, cls });
  }
  function prove(closed = false): void {
    proven = true;
    provenAt = performance.now();
    received = undefined;
    // From here only the wait for a ticket is bounded (by wantSessionMs): the handshake is no longer timing out.
    clearTimeout(timer);
    if (!closed && wantSessionMs > 0 && p.tls13 && !held) {
      ticketTimer = setTimeout(finish, wantSessionMs);
      return;
    }
    finish();
  }

  if (wantSessionMs > 0 && p.tls13) {
    socket.on('session', (data: Buffer) => {
      if (held) return;
      const ticket = socket.getTLSTicket();
      // NOTE: OpenSSL's stateful TLS 1.3 tickets (SSL_OP_NO_TICKET) are the 32-byte session id; stateless ones are
      // an encrypted session state of hundreds of bytes.
      held = { data, kind: ticket && ticket.length > 32 ? 'ticket' : 'stateful-ticket' };
      if (proven) finish();
    });
  }
  socket.once('secureConnect', () => {
    connected = true;
    reused = socket.isSessionReused();
    if (wantSessionMs > 0 && !p.tls13) {
      const s = socket.getSession();
      if (s) held = { data: s, kind: socket.getTLSTicket() ? 'ticket' : 'id' };
    }
    socket.write(p.request);
  });
  socket.on('data', (chunk: Buffer) => {
    if (proven || settled) return;
    if (p.proof === 'raw') return prove();
    received = received ? Buffer.concat([received, chunk]) : chunk;
    status = httpStatusOf(received);
    if (status !== undefined) {
      if (REJECTING_HTTP_STATUSES.has(status)) return settle('rejected', `http:${status}`);
      if (p.wholeResponse && !responseComplete(received)) return;
      return prove();
    }
    // Not HTTP, but application data came back: the round trip proves acceptance all the same (as the engine probe).
    if (received.length > 64 || received.includes(0x0a)) prove();
  });
  socket.on('error', (err) => {
    if (settled) return;
    if (proven) return finish();
    // A whole response cut short by a reset after its status line is still an answer (as at a close, below).
    if (p.wholeResponse && status !== undefined) return prove(true);
    const cls = classifyError(err);
    if (cls.startsWith('alert:')) {
      if (alertFromNodeError(err)?.code === PROTOCOL_VERSION_ALERT) return settle('error', 'protocol-version');
      return settle('rejected', cls);
    }
    if ((cls === 'closed' || cls === 'reset') && (connected || serverSpoke())) return settle('rejected', cls);
    settle('error', cls);
  });
  socket.on('close', () => {
    p.lingering.delete(socket);
    if (settled) return;
    // A close after the proof while waiting for a ticket: the acceptance stands, no ticket came.
    if (proven) return finish();
    // A short answer cut by the close is still an answer (as the engine probe counts it).
    if (received && received.length > 0) {
      status = httpStatusOf(received);
      if (status !== undefined && REJECTING_HTTP_STATUSES.has(status)) return settle('rejected', `http:${status}`);
      return prove(true);
    }
    settle(connected || serverSpoke() ? 'rejected' : 'error', 'closed');
  });
}

/**
 * Whether an HTTP/1.1 response is complete by its Content-Length (head and body received). Without one (chunked, or
 * a body to the close) it is complete only at the close, which the close handler sees.
 */
function responseComplete(received: Buffer): boolean {
  const end = received.indexOf('\r\n\r\n');
  if (end < 0) return false;
  const head = received.subarray(0, end).toString('latin1');
  const length = /\r\ncontent-length:[ \t]*(\d+)/i.exec(head)?.[1];
  if (length === undefined) return false;
  return received.length >= end + 4 + Number(length);
}

/**
 * node:tls translates the whole peer chain into JS objects (`getPeerCertificate(true)`, about 0.6 ms here) on every
 * full handshake only to hand it to `checkServerIdentity`, which reads nothing but the leaf's subject and
 * subjectAltName. For that one call the socket answers with the leaf alone (`getPeerCertificate(false)`, about
 * 0.1 ms). OpenSSL still verifies the chain of every connection (rejectUnauthorized) and node's checkServerIdentity
 * still checks the name every time.
 */
function leafOnlyForIdentityCheck(socket: tls.TLSSocket): void {
  const original = socket.getPeerCertificate;
  socket.getPeerCertificate = (() => {
    socket.getPeerCertificate = original; // one use: node's identity check in onConnectSecure
    return original.call(socket, false);
  }) as tls.TLSSocket['getPeerCertificate'];
}
