/**
 * One wire-level probe: connect, run a conversation, and turn whatever happened into an Observation.
 *
 * Step attribution (the `step` of the Observation), in order:
 * 1. Failure before any client message after ClientHello was sent: 'client-hello' (the server judged the hello),
 *    or 'tcp-connect' when the connection never opened.
 * 2. An alert after our client flight, by what the alert means:
 *    - decrypt_error → 'certificate-verify' when we sent one, else 'client-finished';
 *    - bad_certificate, unsupported_certificate, certificate_revoked/expired/unknown, unknown_ca, access_denied,
 *      certificate_required, and handshake_failure after an empty or absent Certificate → 'client-certificate';
 *    - unexpected_message, decode_error, illegal_parameter, unsupported_extension, and every other alert →
 *      the deviation step of the mutation when one is active (the message that was altered, omitted or out of
 *      order), else the last handshake message we sent.
 *    TLS 1.3 sends Certificate+CertificateVerify+Finished as one flight and TLS 1.2 sends
 *    Certificate..Finished as one flight, so the alert's meaning is the only evidence of which message the server
 *    judged.
 * 3. A close or reset without alert after our flight: the mutation's step, else 'client-certificate' when we sent a
 *    Certificate (a server that drops the connection after our flight judged the certificate), else the last
 *    message we sent.
 * 4. A timeout: 'application-data' when the handshake completed (the server never answered our data), else as 3.
 * alertTiming is 'post-handshake' when the client already saw the handshake complete (TLS 1.3: server Finished
 * verified and our Finished sent; TLS 1.2: server Finished verified, and in an abbreviated handshake our Finished
 * sent too), else 'handshake'.
 *
 * Resumption (`resumeFrom`): a TLS 1.3 ticket is offered as a psk_dhe_ke PSK; a TLS 1.2 session by its ticket
 * (RFC 5077, with a fresh session ID) or else its session ID (RFC 5246 §7.3), never when it lacks the extended master
 * secret (RFC 7627 §5.3). `WireResult.resumed` says whether the server took it; a resumed handshake carries no client
 * Certificate, which the Observation's `detail` states, since the server then relies on the identity authenticated
 * when the session was established.
 */
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { alertName, ALERTS, type AlertName } from '../core/alerts.js';
import { httpStatusOf, REJECTING_HTTP_STATUSES } from '../core/http.js';
import type { Observation } from '../core/result.js';
import type { HandshakeStep, TlsVersion } from '../core/scenario.js';
import { concat, toHex } from './bytes.js';
import { AlertLevel, schemeName as schemeNameOf } from './constants.js';
import { Connection, ConnectFailed, PeerClosed, WireTimeout } from './connection.js';
import type { Step } from './conversation.js';
import { pemCertificatesToDer } from './crypto.js';
import { stepOf, type ClientConfig, type ClientFault, type ClientState, type ScriptedClient } from './flight.js';
import { conversationFor, findMutation, type Mutation } from './mutations.js';
import { RecordFramingError } from './record.js';
import { AlertReceived, Session, WireFailure, type TranscriptEntry } from './session.js';
import { isTls12Session, Tls12Client, type Tls12Session } from './tls12.js';
import { Tls13Client, type Tls13Ticket } from './tls13.js';

/** Options of one wire probe. */
export interface WireProbeOptions {
  readonly host: string;
  readonly port: number;
  /** SNI and the name the server certificate must match (default: host). */
  readonly servername?: string;
  readonly tls: TlsVersion;
  /** Root(s) to verify the server chain against (PEM bundle). */
  readonly trustPem: string;
  /** The client certificate_list, leaf first (PEM bundle); absent sends an empty Certificate when asked. */
  readonly chainPem?: string;
  /** The key that signs CertificateVerify; never checked against the certificate. */
  readonly keyPem?: string;
  /** One of WIRE_MUTATIONS; default none. */
  readonly mutation?: string;
  /** Bound on the whole probe (default 5000 ms). */
  readonly timeoutMs?: number;
  /** Read the answer as HTTP: a rejecting status (400/401/403/495/496) is `rejected-http`, not acceptance. */
  readonly http?: boolean;
  /** Application data sent after the handshake (default `GET / HTTP/1.0\r\n\r\n`). */
  readonly appData?: Uint8Array;
  /** Conversation override (advanced: a custom script instead of default+mutation). */
  readonly conversation?: readonly Step[];
  /** Cipher suites to offer (default: all we implement for the version). */
  readonly cipherSuites?: readonly number[];
  /**
   * Resume an earlier session: a TLS 1.3 ticket (an earlier WireResult.ticket, offered in psk_dhe_ke mode) or a
   * TLS 1.2 session (an earlier WireResult.tls12Session, offered by ticket or session ID). It must match `tls`.
   */
  readonly resumeFrom?: Tls13Ticket | Tls12Session;
  /** A deliberate client defect (tests of the harness's controls only). */
  readonly fault?: ClientFault;
  /** Told of every transcript entry as it happens (a live view of the conversation). */
  readonly onTranscript?: (entry: TranscriptEntry) => void;
}

/** The certificate request the server sent, decoded. */
export interface WireCertificateRequest {
  /** certificate_request_context as hex ('' in TLS 1.2). */
  readonly context: string;
  readonly signatureAlgorithms: string[];
  /** Distinguished names, e.g. `CN=root, O=Example`. */
  readonly certificateAuthorities: string[];
}

/** Result of one wire probe. */
export interface WireResult {
  readonly observation: Observation;
  readonly transcript: TranscriptEntry[];
  readonly certificateRequest?: WireCertificateRequest;
  /** TLS 1.3: the first NewSessionTicket received, ready for {@link WireProbeOptions.resumeFrom}. */
  readonly ticket?: Tls13Ticket;
  /**
   * TLS 1.2: the session established (or resumed) once the server Finished verified, when the server gave a way back
   * to it (a session ID or a ticket); ready for {@link WireProbeOptions.resumeFrom}.
   */
  readonly tls12Session?: Tls12Session;
  /**
   * True when the server resumed the offered session (TLS 1.3 PSK accepted, TLS 1.2 abbreviated handshake): no client
   * Certificate was sent, the server relied on the identity authenticated when the session was established.
   */
  readonly resumed: boolean;
}

const DEFAULT_APP_DATA = new TextEncoder().encode('GET / HTTP/1.0\r\n\r\n');

const CERTIFICATE_ALERTS = new Set<number>([
  ALERTS.bad_certificate,
  ALERTS.unsupported_certificate,
  ALERTS.certificate_revoked,
  ALERTS.certificate_expired,
  ALERTS.certificate_unknown,
  ALERTS.unknown_ca,
  ALERTS.access_denied,
  ALERTS.certificate_required,
]);

function lastHandshakeStep(state: ClientState): HandshakeStep {
  const last = [...state.sent]
    .reverse()
    .find((s) => s.message !== 'change-cipher-spec' && s.message !== 'application-data');
  return last ? stepOf(last.message) : 'client-hello';
}

function flightSent(state: ClientState): boolean {
  return state.sent.some((s) => s.message !== 'application-data');
}

/** The step of an alert, per the rules in this module's comment. */
export function stepForAlert(code: number, state: ClientState, mutation: Mutation | undefined): HandshakeStep {
  if (!flightSent(state)) return 'client-hello';
  const sentCv = state.sent.some((s) => s.message === 'certificate-verify');
  if (code === ALERTS.decrypt_error) return sentCv ? 'certificate-verify' : 'client-finished';
  const cert = [...state.sent].reverse().find((s) => s.message === 'certificate');
  if (CERTIFICATE_ALERTS.has(code)) return 'client-certificate';
  if (code === ALERTS.handshake_failure && (!cert || (cert.entries ?? 0) === 0)) return 'client-certificate';
  return mutation?.step ?? lastHandshakeStep(state);
}

function stepForClose(state: ClientState, mutation: Mutation | undefined): HandshakeStep {
  if (!flightSent(state)) return state.serverHelloSeen ? 'server-hello' : 'client-hello';
  if (mutation) return mutation.step;
  if (state.sent.some((s) => s.message === 'certificate')) return 'client-certificate';
  return lastHandshakeStep(state);
}

function describeRequest(state: ClientState): WireCertificateRequest | undefined {
  const cr = state.certificateRequest;
  if (!cr) return undefined;
  return {
    context: toHex(cr.context),
    signatureAlgorithms: cr.signatureAlgorithms.map((s) => schemeNameOf(s)),
    certificateAuthorities: [...cr.certificateAuthorities],
  };
}

/**
 * Runs one probe. Never throws and never hangs: every path ends in an Observation within `timeoutMs` (plus the
 * time to build keys), and the socket is destroyed on every path.
 */
export async function wireProbe(opts: WireProbeOptions): Promise<WireResult> {
  const startedAt = Date.now();
  const deadline = startedAt + (opts.timeoutMs ?? 5000);
  const transcript: TranscriptEntry[] = [];
  const base = { probe: 'wire' as const, backend: 'wire' as const };
  const error = (
    kind: NonNullable<Observation['error']>['kind'],
    message: string,
    step: HandshakeStep | null = null,
  ): WireResult => ({
    observation: { ...base, outcome: 'error', step, handshakeCompleted: false, error: { kind, message } },
    transcript,
    resumed: false,
  });

  let mutation: Mutation | undefined;
  if (opts.mutation) {
    mutation = findMutation(opts.mutation);
    if (!mutation) return error('client-setup', `unknown wire mutation '${opts.mutation}'`);
    if (!mutation.tls.includes(opts.tls))
      return error('client-setup', `mutation '${mutation.name}' does not apply to TLS ${opts.tls}`);
  }
  const resume12 = opts.resumeFrom && isTls12Session(opts.resumeFrom) ? opts.resumeFrom : undefined;
  const resume13 = opts.resumeFrom && !isTls12Session(opts.resumeFrom) ? opts.resumeFrom : undefined;
  if ((resume12 && opts.tls !== '1.2') || (resume13 && opts.tls !== '1.3'))
    return error(
      'client-setup',
      `resumeFrom holds a TLS ${resume12 ? '1.2 session' : '1.3 ticket'}, which cannot resume a TLS ${opts.tls} handshake`,
    );
  let config: ClientConfig;
  try {
    let key: KeyObject | undefined;
    if (opts.keyPem) key = createPrivateKey(opts.keyPem);
    config = {
      servername: opts.servername ?? opts.host,
      trustPem: opts.trustPem,
      chain: opts.chainPem ? pemCertificatesToDer(opts.chainPem) : [],
      key,
      appData: opts.appData ?? DEFAULT_APP_DATA,
      ...(opts.fault ? { fault: opts.fault } : {}),
    };
  } catch (err) {
    return error('client-setup', `cannot load the client certificate or key: ${(err as Error).message}`);
  }

  let conn: Connection;
  try {
    conn = await Connection.connect(opts.host, opts.port, deadline);
  } catch (err) {
    if (err instanceof WireTimeout) {
      return {
        observation: {
          ...base,
          outcome: 'timeout',
          step: 'tcp-connect',
          handshakeCompleted: false,
          detail: err.message,
        },
        transcript,
        resumed: false,
      };
    }
    const code = err instanceof ConnectFailed ? err.code : undefined;
    return error(
      code === 'ENOTFOUND' || code === 'EAI_AGAIN' ? 'dns' : 'refused',
      (err as Error).message,
      'tcp-connect',
    );
  }

  const session = new Session(conn, opts.tls, startedAt, opts.onTranscript);
  const client: ScriptedClient =
    opts.tls === '1.3'
      ? new Tls13Client(session, config, opts.cipherSuites, resume13)
      : new Tls12Client(session, config, opts.cipherSuites, resume12);
  const steps = opts.conversation ?? conversationFor(opts.tls, mutation);
  let observation: Observation;
  try {
    let inFlight = false;
    for (const step of steps) {
      const sending = 'send' in step;
      if (sending && !inFlight) {
        // NOTE: a server that answered our last flight with a fatal alert and closed must have that alert read
        // before we write again: writing into its reset makes node destroy the socket with the alert unread.
        await conn.settle();
        if (conn.peerGone) {
          for (;;) {
            // An answer the server sent before it closed (an HTTP refusal, say) is the decision: keep it.
            const got = await session.next();
            if (got.kind === 'application-data') {
              const before = client.state.appDataReceived;
              client.state.appDataReceived = before ? concat(before, got.data) : got.data;
            }
          }
        }
        // A flight leaves in one write, as a TLS stack sends it, so the server cannot answer part of it while we
        // are still signing the rest.
        conn.cork();
      } else if (!sending && inFlight) {
        conn.uncork();
      }
      inFlight = sending;
      await client.run(step);
    }
    if (inFlight) conn.uncork();
    observation = finish(client.state, mutation, base, opts.http);
    // NOTE: RFC 5246 §7.2.1, RFC 8446 §6.1 — end with close_notify: OpenSSL servers drop a session from their cache
    // when the connection ends without it, which would leave nothing to resume by session ID.
    if (client.state.handshakeCompleted) session.sendAlert(ALERTS.close_notify, AlertLevel.warning);
  } catch (err) {
    observation = classify(err, client.state, session, mutation, base, opts.http);
  } finally {
    conn.destroy();
  }
  observation = {
    ...observation,
    transport: {
      serverRecords: conn.records,
      truncatedRecord: conn.partialRecordBytes > 0,
      clientFlightSent: client.state.sent.some((s) => s.message !== 'change-cipher-spec'),
    },
  };
  transcript.push(...session.transcript);
  const certificateRequest = describeRequest(client.state);
  const ticket = client instanceof Tls13Client ? client.tickets[0] : undefined;
  const tls12Session = client instanceof Tls12Client ? client.establishedSession : undefined;
  const note = resumptionNote(client, mutation);
  if (note) observation = { ...observation, detail: observation.detail ? `${observation.detail}; ${note}` : note };
  return {
    observation,
    transcript,
    ...(certificateRequest ? { certificateRequest } : {}),
    ...(ticket ? { ticket } : {}),
    ...(tls12Session ? { tls12Session } : {}),
    resumed: client.state.resumed,
  };
}

/** What the Observation says about resumption: offered or not, taken or not, and that no Certificate was sent. */
function resumptionNote(client: ScriptedClient, mutation: Mutation | undefined): string | undefined {
  const tls12 = client instanceof Tls12Client;
  const offer = tls12 ? client.offer : client instanceof Tls13Client && client.offeredPsk ? 'psk' : undefined;
  if (offer === 'not-offered-no-ems')
    return 'TLS 1.2 session not offered for resumption: it lacks the extended master secret (RFC 7627 §5.3)';
  if (offer === 'not-offered-no-id')
    return 'TLS 1.2 session not offered for resumption: it has neither a session ID nor a ticket';
  if (!offer || !client.state.serverHelloSeen) return undefined;
  const how = tls12 ? `TLS 1.2 session (${offer})` : 'TLS 1.3 PSK';
  if (!client.state.resumed) return `resumption of the ${how} offered; the server chose a full handshake`;
  const skipped =
    tls12 && mutation && ['client-certificate', 'client-key-exchange', 'certificate-verify'].includes(mutation.step)
      ? `; mutation '${mutation.name}' not applied, its message has no place in a resumed handshake`
      : '';
  return (
    `resumed ${how}: ${tls12 ? 'abbreviated handshake, ' : ''}no client Certificate sent, the server relied on ` +
    `the identity authenticated when the session was established${skipped}`
  );
}

function common(state: ClientState): Pick<Observation, 'handshakeCompleted' | 'protocol'> {
  return { handshakeCompleted: state.handshakeCompleted, ...(state.protocol ? { protocol: state.protocol } : {}) };
}

function finish(
  state: ClientState,
  mutation: Mutation | undefined,
  base: { probe: 'wire'; backend: 'wire' },
  http = false,
): Observation {
  // NOTE: an HTTP refusal is a refusal in raw mode too; only http mode reports the status of an acceptance.
  const status = state.appDataReceived ? httpStatusOf(state.appDataReceived) : undefined;
  if (status !== undefined && REJECTING_HTTP_STATUSES.has(status)) {
    return { ...base, ...common(state), outcome: 'rejected-http', step: 'application-data', httpStatus: status };
  }
  if (state.appDataReceived) {
    return {
      ...base,
      ...common(state),
      outcome: 'accepted',
      step: 'application-data',
      ...(http && status !== undefined ? { httpStatus: status } : {}),
      detail: `${state.appDataReceived.length} bytes of application data received`,
    };
  }
  // A custom conversation may end without expecting data: nothing proves acceptance.
  return {
    ...base,
    ...common(state),
    outcome: 'timeout',
    step: mutation?.step ?? null,
    detail: 'conversation ended without application data from the server',
  };
}

function classify(
  err: unknown,
  state: ClientState,
  session: Session,
  mutation: Mutation | undefined,
  base: { probe: 'wire'; backend: 'wire' },
  http = false,
): Observation {
  const timing = state.handshakeCompleted ? 'post-handshake' : 'handshake';
  // NOTE: application data that came back before the connection ended is the server's answer, whatever ended it.
  if (state.appDataReceived && (err instanceof AlertReceived || err instanceof PeerClosed)) {
    const answered = finish(state, mutation, base, http);
    return { ...answered, detail: `${answered.detail ?? ''}; then ${err.message}`.replace(/^; /, '') };
  }
  if (err instanceof AlertReceived) {
    const name: AlertName | 'unknown' = alertName(err.code) ?? 'unknown';
    if (err.code === ALERTS.close_notify) {
      return {
        ...base,
        ...common(state),
        outcome: 'closed',
        alert: { name, code: err.code },
        alertTiming: timing,
        step: stepForClose(state, mutation),
        detail: 'close_notify',
      };
    }
    if (err.code === ALERTS.protocol_version && !state.serverHelloSeen) {
      return {
        ...base,
        ...common(state),
        outcome: 'error',
        alert: { name, code: err.code },
        step: 'client-hello',
        error: { kind: 'protocol-version', message: err.message },
      };
    }
    return {
      ...base,
      ...common(state),
      outcome: 'rejected-alert',
      alert: { name, code: err.code },
      alertTiming: timing,
      step: stepForAlert(err.code, state, mutation),
      detail: err.message,
    };
  }
  if (err instanceof PeerClosed) {
    if (!session.sawTls && !state.serverHelloSeen && session.conn.received === 0 && !flightSent(state)) {
      // Closed before a single byte: the endpoint does not speak TLS (or refused this hello without an alert).
      return {
        ...base,
        ...common(state),
        outcome: err.how,
        step: 'client-hello',
        detail: `${err.message} before any TLS record`,
      };
    }
    return { ...base, ...common(state), outcome: err.how, step: stepForClose(state, mutation), detail: err.message };
  }
  if (err instanceof WireTimeout) {
    return {
      ...base,
      ...common(state),
      outcome: 'timeout',
      step: state.handshakeCompleted ? 'application-data' : flightSent(state) ? stepForClose(state, mutation) : null,
      detail: err.message,
    };
  }
  if (err instanceof RecordFramingError) {
    const printable = Buffer.from(err.firstBytes)
      .toString('latin1')
      .replace(/[^\x20-\x7e]/g, '.');
    trySendAlert(session, session.sawTls ? ALERTS.record_overflow : ALERTS.decode_error);
    return {
      ...base,
      ...common(state),
      outcome: 'error',
      step: state.serverHelloSeen ? 'server-hello' : 'client-hello',
      error: { kind: 'not-tls', message: `${err.message}; first bytes: ${toHex(err.firstBytes)} "${printable}"` },
    };
  }
  if (err instanceof WireFailure) {
    if (err.alert) trySendAlert(session, ALERTS[err.alert]);
    return {
      ...base,
      ...common(state),
      outcome: 'error',
      step: state.serverHelloSeen ? 'server-hello' : 'client-hello',
      error: { kind: err.kind, message: err.message },
    };
  }
  trySendAlert(session, ALERTS.internal_error);
  const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return { ...base, ...common(state), outcome: 'error', step: null, error: { kind: 'internal', message } };
}

function trySendAlert(session: Session, code: number): void {
  try {
    session.sendAlert(code);
  } catch {
    // best effort
  }
}
