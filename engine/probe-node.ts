import net from 'node:net';
import tls from 'node:tls';
import { alertFromNodeError } from '../core/alerts.js';
import { SERVER_UNTRUSTED_CODES } from '../core/node-tls-errors.js';
import { httpStatusOf, REJECTING_HTTP_STATUSES } from '../core/http.js';
import type { Observation, UnrelatedError } from '../core/result.js';
import type { HandshakeStep, TlsVersion } from '../core/scenario.js';
import { RecordTap } from './record-tap.js';

/** Where and how to probe. */
export interface NodeProbeOptions {
  readonly host: string;
  readonly port: number;
  /** SNI and the name the server certificate is checked against (default localhost). */
  readonly servername?: string;
  readonly tls: TlsVersion;
  /** Prebuilt context carrying the client chain/key (or none) and the trust root; its min/max version is `tls`. */
  readonly secureContext: tls.SecureContext;
  /** raw: any application data back proves acceptance; http: a GET whose status line is read. */
  readonly mode: 'raw' | 'http';
  readonly timeoutMs: number;
  /** HTTP path for mode http (default /). */
  readonly path?: string;
  /** Extra request header lines for mode http, in order (a proxy-identity scenario's forged identity). */
  readonly headers?: readonly (readonly [string, string])[];
}

const NOT_TLS = new Set([
  'ERR_SSL_WRONG_VERSION_NUMBER',
  'ERR_SSL_PACKET_LENGTH_TOO_LONG',
  'ERR_SSL_UNKNOWN_PROTOCOL',
  'ERR_SSL_RECORD_LAYER_FAILURE',
  'ERR_SSL_HTTP_REQUEST',
]);

/**
 * One mTLS connection with node:tls, classified into an {@link Observation}. Acceptance is proven only by an
 * application-data round trip: a TLS 1.3 server rejects a client certificate after the client has already seen its
 * handshake complete (RFC 8446 §4.4.2.4), so `secureConnect` alone proves nothing.
 */
export function probeNode(options: NodeProbeOptions): Promise<Observation> {
  return new Promise<Observation>((resolve) => {
    let handshakeCompleted = false;
    let settled = false;
    let received = Buffer.alloc(0);
    let protocol: string | undefined;
    const raw = net.connect({ host: options.host, port: options.port, noDelay: true });
    // NOTE: the tap reads the record layer both ways: evidence (was a whole server record ever received, did the
    // client's certificate flight leave before the decision) that OpenSSL's error codes do not carry.
    const tap = new RecordTap(raw);
    const socket = tls.connect({
      socket: tap,
      servername: isIp(options.servername ?? 'localhost') ? undefined : (options.servername ?? 'localhost'),
      secureContext: options.secureContext,
      rejectUnauthorized: true,
      checkServerIdentity: (_host, cert) => tls.checkServerIdentity(options.servername ?? 'localhost', cert),
    });

    const finish = (obs: Omit<Observation, 'handshakeCompleted' | 'probe'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      raw.destroy();
      resolve({
        ...obs,
        handshakeCompleted,
        probe: options.mode === 'http' ? 'http' : 'node',
        backend: 'node',
        transport: tap.facts(),
        ...(protocol ? { protocol } : {}),
      });
    };
    const unrelated = (kind: UnrelatedError, message: string, step: HandshakeStep | null = null) =>
      finish({ outcome: 'error', step, error: { kind, message } });
    // NOTE: a close before the server said anything is not a decision about the client certificate.
    const serverSpoke = () => tap.serverBytes > 0;
    // NOTE: node:tls cannot see which message the server reacted to; decrypt_error can only answer CertificateVerify,
    // every other decision about a client is taken on its Certificate (the wire probe pins steps exactly). A decision
    // that came before the client's certificate flight left was taken on the hellos.
    const decisionStep = (alertCode?: number): HandshakeStep => {
      const facts = tap.facts();
      if (!facts.clientFlightSent) return facts.serverRecords > 0 ? 'server-hello' : 'client-hello';
      return alertCode === 51 ? 'certificate-verify' : 'client-certificate';
    };

    const timer = setTimeout(() => {
      if (!serverSpoke())
        return unrelated('not-tls', `no answer to the ClientHello within ${options.timeoutMs} ms`, 'client-hello');
      finish({
        outcome: 'timeout',
        step: handshakeCompleted ? 'application-data' : null,
        detail: `no decision within ${options.timeoutMs} ms`,
      });
    }, options.timeoutMs);

    socket.on('secureConnect', () => {
      handshakeCompleted = true;
      protocol = socket.getProtocol() ?? undefined;
      const request =
        options.mode === 'http'
          ? `GET ${options.path ?? '/'} HTTP/1.1\r\nHost: ${options.servername ?? 'localhost'}\r\n${(options.headers ?? []).map(([k, v]) => `${k}: ${v}\r\n`).join('')}Connection: close\r\n\r\n`
          : 'mtls-harness ping\n';
      socket.write(request);
    });
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const status = httpStatusOf(received);
      if (options.mode === 'raw') {
        // NOTE: a raw-mode server that answers with an HTTP refusal refused the client all the same.
        if (status !== undefined && REJECTING_HTTP_STATUSES.has(status))
          return finish({ outcome: 'rejected-http', step: 'application-data', httpStatus: status });
        if (received.length < 12 && /^HTTP\/\d/.test(received.toString('latin1'))) return; // wait for the status
        finish({ outcome: 'accepted', step: null });
        return;
      }
      const text = received.toString('latin1');
      if (status !== undefined) {
        if (REJECTING_HTTP_STATUSES.has(status)) {
          finish({ outcome: 'rejected-http', step: 'application-data', httpStatus: status });
        } else {
          finish({ outcome: 'accepted', step: null, httpStatus: status });
        }
      } else if (received.length > 64 || text.includes('\n')) {
        // Not HTTP, but application data came back: the round trip proves acceptance all the same.
        finish({ outcome: 'accepted', step: null, detail: `non-HTTP answer ${JSON.stringify(text.slice(0, 40))}` });
      }
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      const code = err.code ?? '';
      const alert = alertFromNodeError(err);
      if (alert) {
        if (alert.code === 70)
          return unrelated(
            'protocol-version',
            `server sent protocol_version: it does not speak TLS ${options.tls}`,
            'server-hello',
          );
        return finish({
          outcome: 'rejected-alert',
          alert,
          alertTiming: handshakeCompleted ? 'post-handshake' : 'handshake',
          step: decisionStep(alert.code),
          detail: code,
        });
      }
      if (code === 'ECONNREFUSED')
        return unrelated('refused', `connection refused by ${options.host}:${options.port}`, 'tcp-connect');
      if (code === 'ENOTFOUND' || code === 'EAI_AGAIN')
        return unrelated('dns', `cannot resolve ${options.host}`, 'tcp-connect');
      if (SERVER_UNTRUSTED_CODES.has(code))
        return unrelated('server-untrusted', `server certificate rejected by the client: ${code}`, 'server-hello');
      if (NOT_TLS.has(code)) return unrelated('not-tls', `the target does not speak TLS (${code})`, 'client-hello');
      if (
        code === 'ERR_SSL_UNSUPPORTED_PROTOCOL' ||
        code === 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION' ||
        code === 'ERR_SSL_NO_PROTOCOLS_AVAILABLE'
      ) {
        return unrelated('protocol-version', `TLS ${options.tls} not negotiated (${code})`, 'server-hello');
      }
      if (!serverSpoke())
        return unrelated(
          'not-tls',
          `connection ended before the server answered the ClientHello (${code || err.message})`,
          'client-hello',
        );
      if (code === 'ECONNRESET' && /disconnected before secure TLS connection/.test(err.message)) {
        return finish({
          outcome: tap.wasReset ? 'reset' : 'closed',
          step: decisionStep(),
          detail: `${tap.wasReset ? 'reset' : 'closed'} during the handshake without an alert`,
        });
      }
      if (code === 'ECONNRESET' || code === 'EPIPE')
        return finish({ outcome: 'reset', step: decisionStep(), detail: code });
      if (code.startsWith('ERR_SSL_') || code.startsWith('ERR_OSSL_')) {
        return unrelated(
          'internal',
          `TLS failure unrelated to an alert: ${code}: ${err.message.split('\n')[0]}`,
          handshakeCompleted ? 'application-data' : 'server-hello',
        );
      }
      unrelated('internal', `${code || 'error'}: ${err.message.split('\n')[0]}`);
    });
    socket.on('close', () => {
      if (settled) return;
      if (!serverSpoke())
        return unrelated('not-tls', 'connection closed before the server answered the ClientHello', 'client-hello');
      if (received.length > 0) {
        const status = httpStatusOf(received);
        if (status !== undefined && REJECTING_HTTP_STATUSES.has(status))
          return finish({ outcome: 'rejected-http', step: 'application-data', httpStatus: status });
        return finish({
          outcome: 'accepted',
          step: null,
          detail: `short answer ${JSON.stringify(received.toString('latin1').slice(0, 40))}`,
        });
      }
      const how = tap.wasReset ? 'reset' : 'closed';
      finish({
        outcome: how,
        step: decisionStep(),
        detail: handshakeCompleted
          ? `${how} after the handshake without an alert`
          : `${how} during the handshake without an alert`,
      });
    });
    raw.on('error', () => {
      // surfaced through the TLS socket's 'error'
    });
  });
}

function isIp(name: string): boolean {
  return net.isIP(name) !== 0;
}

/** Builds the client context for one fixture and TLS version: permissive security level so weak fixtures can be sent. */
export function clientContext(options: {
  readonly tls: TlsVersion;
  readonly trustPem: string;
  readonly chainPem?: string;
  readonly keyPem?: string;
  /** Groups (`ecdhCurve`), suites (`ciphers`, `ciphersuites`) and `sigalgs`, when asked for (load --groups …). */
  readonly tlsOptions?: Pick<tls.SecureContextOptions, 'ecdhCurve' | 'ciphers' | 'sigalgs'>;
}): tls.SecureContext {
  const version = options.tls === '1.3' ? 'TLSv1.3' : 'TLSv1.2';
  return tls.createSecureContext({
    ca: options.trustPem,
    ...(options.chainPem && options.keyPem ? { cert: options.chainPem, key: options.keyPem } : {}),
    minVersion: version,
    maxVersion: version,
    // NOTE: the client must be able to *send* RSA-1024 and SHA-1 fixtures; judging them is the server's job.
    ciphers: 'DEFAULT:@SECLEVEL=0',
    ...options.tlsOptions,
  });
}
