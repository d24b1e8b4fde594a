import { ACCEPT, reject, type ScenarioTemplate } from './define.js';
import type { AlertName } from '../core/alerts.js';
import type { Feature, ProcedureRef, Severity } from '../core/scenario.js';

/**
 * Client authentication after the handshake, for one location (issue 12): the server's virtual host asks for no
 * certificate in the handshake, and one path requires it, as Apache's `SSLVerifyClient require` inside `<Location>`
 * does. When the request for that path arrives the server asks: TLS 1.3 post-handshake authentication (a
 * CertificateRequest after the handshake, RFC 8446 §4.6.2, only to a client that offered post_handshake_auth,
 * §4.2.6), or in TLS 1.2 a renegotiation (HelloRequest, then a full handshake inside the connection that carries a
 * CertificateRequest, RFC 5246 §7.4.1.1, bound to the first one by RFC 5746). The client plays a browser: it sends its
 * request right after the handshake and answers the server's later request with the scenario's identity.
 *
 * Policy: these scenarios exist once, under `optional`. The site as a whole does not require a certificate (that is
 * what `optional` says of a server: a client without one is served), and one location does; under `require` every
 * connection already carries a certificate and nothing is asked after the handshake. The target serves the shape on
 * its protected location (StartedTarget.protectedLocation): Apache renders it as a second virtual host with
 * `SSLVerifyClient none`, since a handshake-level `optional` makes Apache refuse TLS 1.3 post-handshake
 * authentication outright (see targets/process/apache.ts).
 *
 * The decision comes at step `post-handshake` (an alert after the answer) or later (an HTTP refusal): a refusal
 * before it, or one from a server that never asked, is not a decision about the identity.
 */

/** Alerts for a certificate a verifying server refuses, by what is wrong with it (RFC 8446 §6.2). */
const EXPIRED: readonly AlertName[] = ['certificate_expired', 'bad_certificate', 'certificate_unknown'];
const UNKNOWN_CA: readonly AlertName[] = ['unknown_ca', 'bad_certificate', 'certificate_unknown'];

/** What a scenario needs: the wire client (it alone answers after the handshake) and the server's shape. */
const NEEDS: readonly Feature[] = ['wire-client', 'per-location-auth'];

const PHA_SPEC = ['RFC 8446 §4.6.2', 'RFC 8446 §4.2.6', 'RFC 8446 §4.4.2.4'];
const RENEG_SPEC = ['RFC 5246 §7.4.1.1', 'RFC 5746 §3.5', 'RFC 5246 §7.4.6'];

/** One scenario of the topic. */
function late(
  name: string,
  title: string,
  description: string,
  options: {
    readonly fixture: string | null;
    readonly procedure: ProcedureRef;
    readonly severity: Severity;
    readonly accept?: boolean;
    readonly alerts?: readonly AlertName[];
    readonly spec: readonly string[];
    readonly extraNeeds?: readonly Feature[];
  },
): ScenarioTemplate {
  return {
    name,
    title,
    description,
    spec: options.spec,
    importance: 'high',
    severity: options.severity,
    fixture: options.fixture,
    expect: { optional: options.accept ? ACCEPT : reject(options.alerts ?? [], 'post-handshake') },
    requires: [...NEEDS, ...(options.extraNeeds ?? [])],
    tls: options.procedure.name === 'post-handshake-auth' ? ['1.3'] : ['1.2'],
    procedure: options.procedure,
  };
}

const PHA = (answer: 'identity' | 'not-offered'): ProcedureRef => ({ name: 'post-handshake-auth', params: { answer } });
const RENEG = (answer: 'identity' | 'refuse'): ProcedureRef => ({ name: 'renegotiation', params: { answer } });

/** TLS 1.3 post-handshake authentication and TLS 1.2 renegotiation for a protected location. */
export const postHandshake: readonly ScenarioTemplate[] = [
  late(
    'pha-valid',
    'TLS 1.3: a valid certificate answering a post-handshake CertificateRequest is accepted',
    'The client offers post_handshake_auth, requests the protected path right after the handshake, and answers the ' +
      'CertificateRequest that follows with the valid identity (Certificate, CertificateVerify, Finished under the ' +
      'application traffic keys, RFC 8446 §4.6.2): the server must serve the resource. Also the positive control of ' +
      'the other post-handshake scenarios.',
    { fixture: 'valid', procedure: PHA('identity'), severity: 'protocol', accept: true, spec: PHA_SPEC },
  ),
  late(
    'pha-expired',
    'TLS 1.3: an expired certificate in post-handshake authentication is refused',
    'A certificate presented after the handshake is validated like one in the handshake (RFC 8446 §4.4.2.4, RFC 5280 ' +
      '§4.1.2.5): a server that serves the protected resource lets an expired identity in.',
    { fixture: 'expired', procedure: PHA('identity'), severity: 'security', alerts: EXPIRED, spec: PHA_SPEC },
  ),
  late(
    'pha-unknown-ca',
    'TLS 1.3: a certificate from an untrusted CA in post-handshake authentication is refused',
    'The chain does not reach the configured root: the server must abort (unknown_ca, RFC 8446 §6.2) rather than ' +
      'serve the protected resource.',
    { fixture: 'unknown-ca', procedure: PHA('identity'), severity: 'security', alerts: UNKNOWN_CA, spec: PHA_SPEC },
  ),
  late(
    'pha-mismatched-key',
    'TLS 1.3: a post-handshake CertificateVerify signed by another key is refused',
    'The valid certificate is sent, but its CertificateVerify is signed with a key the certificate does not certify: ' +
      'the client has not proven possession, and the signature over the post-handshake transcript fails ' +
      '(decrypt_error, RFC 8446 §4.4.3).',
    {
      fixture: 'mismatched-key',
      procedure: PHA('identity'),
      severity: 'security',
      alerts: ['decrypt_error'],
      spec: [...PHA_SPEC, 'RFC 8446 §4.4.3'],
      extraNeeds: ['foreign-key-signing'],
    },
  ),
  late(
    'pha-no-certificate',
    'TLS 1.3: an empty Certificate answering a post-handshake CertificateRequest is refused',
    'The client answers with an empty Certificate and its Finished: the location requires a certificate, so the ' +
      'server must abort with certificate_required (RFC 8446 §4.4.2.4, §6.2) or refuse the resource.',
    {
      fixture: null,
      procedure: PHA('identity'),
      severity: 'security',
      alerts: ['certificate_required'],
      spec: PHA_SPEC,
    },
  ),
  late(
    'pha-not-offered',
    'TLS 1.3: a client that did not offer post_handshake_auth is not asked, and is refused the protected resource',
    'Without the post_handshake_auth extension the server must not send a CertificateRequest after the handshake ' +
      '(RFC 8446 §4.2.6, §4.6.2), so it cannot authenticate the client: it must refuse the protected resource (an ' +
      'HTTP refusal, or certificate_required). Serving it lets an unauthenticated client in; a CertificateRequest ' +
      'sent all the same is a failure too.',
    {
      fixture: null,
      procedure: PHA('not-offered'),
      severity: 'security',
      alerts: ['certificate_required', 'access_denied'],
      spec: PHA_SPEC,
    },
  ),
  late(
    'reneg-valid',
    'TLS 1.2: a valid certificate in the renegotiation the server asks for is accepted',
    'The client requests the protected path right after the handshake, answers the HelloRequest with a secure ' +
      'renegotiation (RFC 5746) and sends the valid identity when the renegotiated handshake asks: the server must ' +
      'serve the resource. Also the positive control of the other renegotiation scenarios.',
    { fixture: 'valid', procedure: RENEG('identity'), severity: 'protocol', accept: true, spec: RENEG_SPEC },
  ),
  late(
    'reneg-expired',
    'TLS 1.2: an expired certificate in the renegotiated handshake is refused',
    'The renegotiated handshake validates the client certificate like an initial one (RFC 5246 §7.4.6, RFC 5280 ' +
      '§4.1.2.5): serving the protected resource lets an expired identity in.',
    { fixture: 'expired', procedure: RENEG('identity'), severity: 'security', alerts: EXPIRED, spec: RENEG_SPEC },
  ),
  late(
    'reneg-unknown-ca',
    'TLS 1.2: a certificate from an untrusted CA in the renegotiated handshake is refused',
    'The chain does not reach the configured root: the server must abort the renegotiated handshake (unknown_ca) ' +
      'rather than serve the protected resource.',
    { fixture: 'unknown-ca', procedure: RENEG('identity'), severity: 'security', alerts: UNKNOWN_CA, spec: RENEG_SPEC },
  ),
  late(
    'reneg-refused',
    'TLS 1.2: a client that refuses the renegotiation is refused the protected resource',
    'The client answers the HelloRequest with a no_renegotiation warning (RFC 5246 §7.2.2): the server cannot ' +
      'authenticate it, so it must refuse the protected resource (handshake_failure, as OpenSSL sends, or an HTTP ' +
      'refusal). Serving it lets an unauthenticated client in.',
    {
      fixture: null,
      procedure: RENEG('refuse'),
      severity: 'security',
      alerts: ['handshake_failure', 'access_denied'],
      spec: [...RENEG_SPEC, 'RFC 5246 §7.2.2'],
    },
  ),
];
