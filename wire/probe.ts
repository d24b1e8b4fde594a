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
 * After the handshake (`postHandshakeAuth`, TLS 1.3; `renegotiation`, TLS 1.2): once the server asked for an identity
 * after the handshake (a post-handshake CertificateRequest, answered or refused for want of post_handshake_auth, or a
 * HelloRequest, renegotiated, refused or ignored), every alert, close, timeout or failure is attributed to
 * 'post-handshake' (alertTiming 'post-handshake'): the server decided about the identity it asked for then. The detail says what was asked and answered; WireResult.postHandshakeAuth and
 * WireResult.renegotiation hold it as data, the latter with the step of the renegotiated handshake that the alert
 * concerns (by rule 2 above). An HTTP refusal stays 'application-data' and acceptance still needs application data.
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
import { AlertLevel, certificateTypeName, schemeName as schemeNameOf } from './constants.js';
import { Connection, ConnectFailed, PeerClosed, WireTimeout } from './connection.js';
import { postHandshakeAuthConversation, renegotiationConversation, type Step } from './conversation.js';
import { pemCertificatesToDer } from './crypto.js';
import {
  stepOf,
  type ClientConfig,
  type ClientFault,
  type ClientState,
  type LateAuthentication,
  type RenegotiationAnswer,
  type RenegotiationInfoChoice,
  type ScriptedClient,
  type SentMessage,
} from './flight.js';
import type { CertificateRequest } from './messages.js';
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
  /** Read the answer as HTTP: a rejecting status (400/401/403/421/495/496) is `rejected-http`, not acceptance. */
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
  /**
   * TLS 1.2: offer RFC 5077 session tickets (default true). False sends no SessionTicket extension, so the server can
   * only resume by session ID (a session given in `resumeFrom` is then offered by its ID, never its ticket).
   */
  readonly sessionTickets?: boolean;
  /** A deliberate client defect (tests of the harness's controls only). */
  readonly fault?: ClientFault;
  /** Told of every transcript entry as it happens (a live view of the conversation). */
  readonly onTranscript?: (entry: TranscriptEntry) => void;
  /**
   * TLS 1.3 post-handshake client authentication (RFC 8446 §4.2.6, §4.6.2): offer it, and answer each
   * CertificateRequest the server sends after the handshake. Absent: not offered, and such a request is refused with
   * unexpected_message.
   */
  readonly postHandshakeAuth?: WirePostHandshakeAuthOptions;
  /**
   * TLS 1.2 renegotiation (RFC 5246 §7.4.1.1, RFC 5746): what to do when the server sends a HelloRequest. Absent: the
   * request is ignored.
   */
  readonly renegotiation?: WireRenegotiationOptions;
}

/**
 * The identity presented after the handshake. Not inherited from the probe's chainPem/keyPem: the handshake and the
 * later request are separate decisions (a client may send no certificate in one and a certificate in the other).
 */
export interface WireLateIdentity {
  /** The certificate_list, leaf first (PEM bundle); absent answers with an empty Certificate. */
  readonly chainPem?: string;
  /** The key that signs CertificateVerify; never checked against the certificate. */
  readonly keyPem?: string;
  /** One of WIRE_MUTATIONS, applied to the messages of the answer; default none. */
  readonly mutation?: string;
}

/** TLS 1.3 post-handshake authentication: whether to offer it, and the identity to answer with. */
export interface WirePostHandshakeAuthOptions extends WireLateIdentity {
  /** Send the post_handshake_auth extension (default true); false sends a ClientHello without it. */
  readonly offer?: boolean;
}

/** TLS 1.2 renegotiation: the answer to a HelloRequest, and the identity of a renegotiated handshake. */
export interface WireRenegotiationOptions extends WireLateIdentity {
  /**
   * `accept`: a full handshake inside the connection, with the identity given here, when the server signalled secure
   * renegotiation (RFC 5746; otherwise the client refuses and says why); `refuse`: a no_renegotiation warning alert;
   * `ignore`: nothing (RFC 5246 §7.4.1.1 allows it).
   */
  readonly answer: RenegotiationAnswer;
  /**
   * The renegotiated ClientHello's renegotiation_info (default `correct`: the previous client_verify_data, RFC 5746
   * §3.5). The others are negative tests a server must refuse: one bit of it flipped, empty, or no extension at all.
   */
  readonly renegotiationInfo?: RenegotiationInfoChoice;
}

/** The certificate request the server sent, decoded. */
export interface WireCertificateRequest {
  /** certificate_request_context as hex ('' in TLS 1.2). */
  readonly context: string;
  readonly signatureAlgorithms: string[];
  /** Distinguished names, e.g. `CN=root, O=Example`. */
  readonly certificateAuthorities: string[];
  /** Total length in bytes of the encoded distinguished names (the CA list's size on the wire, length fields aside). */
  readonly certificateAuthoritiesBytes: number;
  /** TLS 1.2 certificate_types by name (RFC 5246 §7.4.4, RFC 8422 §5.5), e.g. `ecdsa_sign`; absent in TLS 1.3. */
  readonly certificateTypes?: string[];
}

/** A TLS 1.3 post-handshake authentication exchange: the server's request and the client's answer. */
export interface WirePostHandshakeAuthExchange {
  readonly request: WireCertificateRequest;
  /** The answer, in order (Certificate with its entry count, CertificateVerify, Finished), with any mutation. */
  readonly sent: readonly SentMessage[];
}

/** What happened to TLS 1.3 post-handshake authentication. */
export interface WirePostHandshakeAuthResult {
  /** The ClientHello carried post_handshake_auth. */
  readonly offered: boolean;
  /** Each post-handshake CertificateRequest answered, in order; empty when the server asked for nothing. */
  readonly exchanges: readonly WirePostHandshakeAuthExchange[];
}

/** What happened to TLS 1.2 renegotiation. */
export interface WireRenegotiationResult {
  /** The server signalled secure renegotiation (renegotiation_info in the initial ServerHello, RFC 5746 §3.6). */
  readonly secureRenegotiation: boolean;
  /** HelloRequests received. */
  readonly helloRequests: number;
  /** What the client did with the last HelloRequest; absent when none came. */
  readonly answer?: 'renegotiated' | 'refused' | 'ignored';
  /** Why the client refused although told to accept. */
  readonly reason?: string;
  /** Messages the renegotiated handshake sent after its ClientHello, in order. */
  readonly sent: readonly SentMessage[];
  /** The renegotiated handshake's CertificateRequest, when the server asked for a certificate. */
  readonly certificateRequest?: WireCertificateRequest;
  /** The renegotiated handshake completed: the server's Finished verified. */
  readonly completed: boolean;
  /** The step of the renegotiated handshake the server's alert concerns, by the rules of a handshake. */
  readonly step?: HandshakeStep;
  /**
   * The server sent application data while the renegotiation waited for its ServerHello: it answered the request
   * without the renegotiated handshake (and so without any certificate it asked for).
   */
  readonly answeredBeforeServerHello?: boolean;
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
  /** The application data the server sent (e.g. its HTTP answer), when any came. */
  readonly response?: Uint8Array;
  /** TLS 1.3, when {@link WireProbeOptions.postHandshakeAuth} was given. */
  readonly postHandshakeAuth?: WirePostHandshakeAuthResult;
  /** TLS 1.2, when {@link WireProbeOptions.renegotiation} was given or the server sent a HelloRequest. */
  readonly renegotiation?: WireRenegotiationResult;
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
  return state.certificateRequest ? describe(state.certificateRequest) : undefined;
}

function describe(cr: CertificateRequest): WireCertificateRequest {
  return {
    context: toHex(cr.context),
    signatureAlgorithms: cr.signatureAlgorithms.map((s) => schemeNameOf(s)),
    certificateAuthorities: [...cr.certificateAuthorities],
    certificateAuthoritiesBytes: cr.certificateAuthoritiesBytes ?? 0,
    ...(cr.certificateTypes ? { certificateTypes: cr.certificateTypes.map(certificateTypeName) } : {}),
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
  if (opts.postHandshakeAuth && opts.tls !== '1.3')
    return error('client-setup', 'postHandshakeAuth is TLS 1.3 only (TLS 1.2 asks for a certificate by renegotiation)');
  if (opts.renegotiation && opts.tls !== '1.2')
    return error('client-setup', 'renegotiation is TLS 1.2 only (TLS 1.3 has none: RFC 8446 §4.1.2)');
  if (opts.renegotiation && !RENEGOTIATION_ANSWERS.includes(opts.renegotiation.answer))
    return error(
      'client-setup',
      `renegotiation.answer '${String(opts.renegotiation.answer)}' is not one of ${RENEGOTIATION_ANSWERS.join(', ')}`,
    );
  if (opts.renegotiation?.renegotiationInfo && !RENEGOTIATION_INFO.includes(opts.renegotiation.renegotiationInfo))
    return error(
      'client-setup',
      `renegotiation.renegotiationInfo '${String(opts.renegotiation.renegotiationInfo)}' is not one of ${RENEGOTIATION_INFO.join(', ')}`,
    );
  const late = opts.postHandshakeAuth ?? opts.renegotiation;
  let lateMutation: Mutation | undefined;
  if (late?.mutation) {
    const what = opts.postHandshakeAuth ? 'postHandshakeAuth' : 'renegotiation';
    lateMutation = findMutation(late.mutation);
    if (!lateMutation) return error('client-setup', `unknown wire mutation '${late.mutation}' in ${what}`);
    if (!lateMutation.tls.includes(opts.tls))
      return error('client-setup', `mutation '${lateMutation.name}' in ${what} does not apply to TLS ${opts.tls}`);
  }
  const given12 = opts.resumeFrom && isTls12Session(opts.resumeFrom) ? opts.resumeFrom : undefined;
  // NOTE: without the SessionTicket extension a ticket cannot be offered: the session goes by its ID alone.
  const resume12 =
    given12 && opts.sessionTickets === false
      ? { ...given12, ticket: undefined, ticketLifetimeSeconds: undefined }
      : given12;
  const resume13 = opts.resumeFrom && !isTls12Session(opts.resumeFrom) ? opts.resumeFrom : undefined;
  if ((resume12 && opts.tls !== '1.2') || (resume13 && opts.tls !== '1.3'))
    return error(
      'client-setup',
      `resumeFrom holds a TLS ${resume12 ? '1.2 session' : '1.3 ticket'}, which cannot resume a TLS ${opts.tls} handshake`,
    );
  const offerPha = opts.postHandshakeAuth !== undefined && opts.postHandshakeAuth.offer !== false;
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
      ...(opts.sessionTickets === false ? { sessionTickets: false } : {}),
      ...(opts.fault ? { fault: opts.fault } : {}),
      ...(offerPha
        ? {
            postHandshakeAuth: lateIdentity(
              opts.postHandshakeAuth!,
              postHandshakeAuthConversation(),
              lateMutation,
              opts.tls,
            ),
          }
        : {}),
      ...(opts.renegotiation
        ? {
            renegotiation: {
              ...lateIdentity(opts.renegotiation, renegotiationConversation(), lateMutation, opts.tls),
              answer: opts.renegotiation.answer,
              renegotiationInfo: opts.renegotiation.renegotiationInfo ?? 'correct',
            },
          }
        : {}),
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
  observation = afterHandshake(observation, client.state, opts.postHandshakeAuth !== undefined, offerPha);
  const postHandshakeAuth =
    opts.postHandshakeAuth || client.state.postHandshakeAuth.length
      ? {
          offered: offerPha,
          exchanges: client.state.postHandshakeAuth.map((e) => ({ request: describe(e.request), sent: [...e.sent] })),
        }
      : undefined;
  const renegotiation =
    client instanceof Tls12Client && (opts.renegotiation || client.state.renegotiation)
      ? renegotiationResult(client, observation, lateMutation)
      : undefined;
  return {
    observation,
    transcript,
    ...(certificateRequest ? { certificateRequest } : {}),
    ...(ticket ? { ticket } : {}),
    ...(tls12Session ? { tls12Session } : {}),
    resumed: client.state.resumed,
    ...(client.state.appDataReceived ? { response: client.state.appDataReceived } : {}),
    ...(postHandshakeAuth ? { postHandshakeAuth } : {}),
    ...(renegotiation ? { renegotiation } : {}),
  };
}

const RENEGOTIATION_ANSWERS: readonly RenegotiationAnswer[] = ['accept', 'refuse', 'ignore'];
const RENEGOTIATION_INFO: readonly RenegotiationInfoChoice[] = ['correct', 'wrong-verify-data', 'empty', 'absent'];

/** The identity and steps of an answer after the handshake. Throws when the PEM does not load. */
function lateIdentity(
  opts: WireLateIdentity,
  steps: readonly Step[],
  mutation: Mutation | undefined,
  tls: TlsVersion,
): LateAuthentication {
  return {
    chain: opts.chainPem ? pemCertificatesToDer(opts.chainPem) : [],
    key: opts.keyPem ? createPrivateKey(opts.keyPem) : undefined,
    steps: mutation ? mutation.apply(steps, tls) : [...steps],
  };
}

/** Names a sent message for a detail line: `Certificate (2 entries)`, `CertificateVerify [cv-foreign-key]`. */
function sentName(s: SentMessage): string {
  const names: Record<SentMessage['message'], string> = {
    'client-hello': 'ClientHello',
    certificate: 'Certificate',
    'client-key-exchange': 'ClientKeyExchange',
    'certificate-verify': 'CertificateVerify',
    'change-cipher-spec': 'ChangeCipherSpec',
    finished: 'Finished',
    'application-data': 'ApplicationData',
  };
  const entries = s.entries !== undefined ? ` (${s.entries} ${s.entries === 1 ? 'entry' : 'entries'})` : '';
  return `${names[s.message]}${entries}${s.mutation ? ` [${s.mutation}]` : ''}`;
}

/**
 * Applies the rules for decisions after the handshake (see this module's comment): once the server asked for an
 * identity after the handshake, a rejection, close, timeout or failure is attributed to 'post-handshake', and the
 * detail says what was asked and answered.
 */
function afterHandshake(
  observation: Observation,
  state: ClientState,
  phaRequested: boolean,
  phaOffered: boolean,
): Observation {
  const notes: string[] = [];
  for (const e of state.postHandshakeAuth) {
    const context = toHex(e.request.context);
    notes.push(
      e.sent.length
        ? `post-handshake CertificateRequest (context ${context || 'empty'}) answered with ${e.sent.map(sentName).join(', ')}`
        : `post-handshake CertificateRequest (context ${context || 'empty'}) received although post_handshake_auth was not offered`,
    );
  }
  if (phaRequested && state.postHandshakeAuth.length === 0)
    notes.push(
      phaOffered
        ? 'post_handshake_auth offered; the server sent no CertificateRequest after the handshake'
        : 'post_handshake_auth not offered; the server sent no CertificateRequest after the handshake',
    );
  const reneg = state.renegotiation;
  if (reneg) {
    const what =
      reneg.answer === 'renegotiated'
        ? `renegotiated (${[...(reneg.handshake?.sent ?? [])].map(sentName).join(', ') || 'ClientHello only'}; ${reneg.handshake?.serverFinishedVerified ? 'completed' : reneg.answeredBeforeServerHello ? 'not completed: the server sent application data before its ServerHello' : 'not completed'})`
        : reneg.answer === 'refused'
          ? `refused with a no_renegotiation warning${reneg.reason ? `: ${reneg.reason}` : ''}`
          : 'ignored';
    notes.push(`${reneg.helloRequests} HelloRequest${reneg.helloRequests === 1 ? '' : 's'} received, ${what}`);
  }
  if (notes.length === 0) return observation;
  const detail = [observation.detail, ...notes].filter(Boolean).join('; ');
  const asked = state.postHandshakeAuth.length > 0 || reneg !== undefined;
  if (!asked || observation.outcome === 'accepted' || observation.outcome === 'rejected-http')
    return { ...observation, detail };
  return {
    ...observation,
    step: 'post-handshake',
    ...(observation.alert ? { alertTiming: 'post-handshake' as const } : {}),
    detail,
  };
}

/** The renegotiation summary of a TLS 1.2 client. */
function renegotiationResult(
  client: Tls12Client,
  observation: Observation,
  mutation: Mutation | undefined,
): WireRenegotiationResult {
  const record = client.state.renegotiation;
  const handshake = record?.handshake;
  return {
    secureRenegotiation: client.serverSupportsSecureRenegotiation,
    helloRequests: record?.helloRequests ?? 0,
    ...(record?.answer ? { answer: record.answer } : {}),
    ...(record?.reason ? { reason: record.reason } : {}),
    sent: handshake ? [...handshake.sent] : [],
    ...(handshake?.certificateRequest ? { certificateRequest: describe(handshake.certificateRequest) } : {}),
    completed: handshake?.serverFinishedVerified ?? false,
    ...(record?.answeredBeforeServerHello ? { answeredBeforeServerHello: true } : {}),
    ...(handshake && observation.alert && observation.alert.code !== ALERTS.close_notify
      ? { step: stepForAlert(observation.alert.code, handshake, mutation) }
      : {}),
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
