import net from 'node:net';
import tls from 'node:tls';
import { alertFromNodeError } from '../core/alerts.js';
import { SERVER_UNTRUSTED_CODES } from '../core/node-tls-errors.js';

/**
 * A resumable session as the client holds it. `kind` tells what the server handed out, which is what a refused
 * resumption is blamed on: a stateless `ticket`, a TLS 1.2 session `id` (server-side cache), or a `stateful-ticket`
 * (a TLS 1.3 ticket that is only a 32-byte key into the server's cache, as OpenSSL sends with SSL_OP_NO_TICKET).
 */
export interface HeldSession {
  readonly data: Buffer;
  readonly kind: 'ticket' | 'id' | 'stateful-ticket';
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
  /** Sockets closed gracefully but not gone yet; destroyed at teardown. */
  readonly lingering: Set<tls.TLSSocket>;
}

/** What one handshake came to. */
export interface HandshakeOutcome {
  readonly ok: boolean;
  /** `performance.now()` when the client saw the handshake complete (`secureConnect`). */
  readonly doneAt: number;
  /** `isSessionReused()` at `secureConnect`. */
  readonly reused: boolean;
  /** A session to resume later, when one was asked for and arrived. */
  readonly session: HeldSession | undefined;
  /** The failure class (see {@link classifyError}) when not ok. */
  readonly error?: string;
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

/**
 * Makes one mTLS handshake with node:tls and reports it through `done` (callbacks, not promises: this is the hot
 * path). With `session` it offers that session for resumption. With `wantSessionMs > 0` it keeps the connection
 * until a resumable session is available: at once for TLS 1.2 (`getSession()`), and for TLS 1.3 until the first
 * `'session'` event, because TLS 1.3 tickets only arrive after the handshake (nodejs tls docs), bounded by
 * `wantSessionMs` (then `session` is undefined: no ticket received). The socket is then closed with close_notify,
 * since OpenSSL drops a server-cached session whose connection was not shut down cleanly.
 */
export function handshake(
  p: HandshakeParams,
  session: Buffer | undefined,
  wantSessionMs: number,
  done: (outcome: HandshakeOutcome) => void,
): void {
  let settled = false;
  let connected = false;
  let reused = false;
  let doneAt = 0;
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
  const timer = setTimeout(() => fail('timeout'), p.timeoutMs);

  function finish(): void {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    if (ticketTimer) clearTimeout(ticketTimer);
    p.lingering.add(socket);
    socket.resume();
    socket.end();
    done({ ok: true, doneAt, reused, session: held });
  }
  function fail(error: string): void {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    if (ticketTimer) clearTimeout(ticketTimer);
    socket.destroy();
    raw.destroy();
    done({ ok: false, doneAt: performance.now(), reused: false, session: undefined, error });
  }

  if (wantSessionMs > 0 && p.tls13) {
    socket.on('session', (data: Buffer) => {
      if (held) return;
      const ticket = socket.getTLSTicket();
      // NOTE: OpenSSL's stateful TLS 1.3 tickets (SSL_OP_NO_TICKET) are the 32-byte session id; stateless ones are
      // an encrypted session state of hundreds of bytes.
      held = { data, kind: ticket && ticket.length > 32 ? 'ticket' : 'stateful-ticket' };
      if (connected) finish();
    });
  }
  socket.once('secureConnect', () => {
    connected = true;
    doneAt = performance.now();
    reused = socket.isSessionReused();
    if (wantSessionMs > 0 && !p.tls13) {
      const s = socket.getSession();
      if (s) held = { data: s, kind: socket.getTLSTicket() ? 'ticket' : 'id' };
    }
    if (wantSessionMs > 0 && p.tls13 && !held) {
      ticketTimer = setTimeout(finish, wantSessionMs);
      return;
    }
    finish();
  });
  socket.on('error', (err) => {
    if (!settled) fail(classifyError(err));
  });
  socket.on('close', () => {
    p.lingering.delete(socket);
    // A close after the handshake while waiting for a ticket: the handshake stands, no ticket came.
    if (!settled) {
      if (connected) finish();
      else fail('closed');
    }
  });
  // Bounded linger after close_notify: a server that never closes does not keep the socket forever.
  socket.setTimeout(Math.max(1000, p.timeoutMs), () => socket.destroy());
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
