import { ACCEPT, type ScenarioTemplate } from './define.js';
import type { AlertName } from '../core/alerts.js';
import type { Expectation, Feature, Severity, TlsVersion } from '../core/scenario.js';

/**
 * Session resumption (issue 12): a resumed handshake carries no client Certificate — the server relies on the identity
 * authenticated when the session was made (RFC 8446 §2.2, §4.6.1; RFC 5246 §7.3; RFC 5077 §3.4). What the scenarios
 * ask is whether that reliance is sound:
 *
 * - `resume-cross-sni` and `resume-optional-to-require` (security): a session made where no certificate was required
 *   (a server name without client authentication, an `optional` endpoint), offered where one is. Resuming it lets a
 *   client without a certificate in; the server must run a full handshake with a CertificateRequest (RFC 8446
 *   §4.2.11: the PSK's original context), or refuse — the class of nginx's CVE-2014-3616 and envoy#47219;
 * - `resume-after-revocation` and `resume-after-expiry` (advisory): the certificate the session was made with has
 *   since been revoked (the OCSP responder now answers `revoked`) or expired. No RFC requires a server to check again
 *   on resumption, so these are findings ("resumption honours revocation: no"), never gating (apisix#9525,
 *   CVE-2025-68121, BoGo's CertificateVerificationDoesNotFailOnResume);
 * - `resume-no-certificate` (the positive control): a session made with the valid certificate, resumed: it must be
 *   served, as the original identity.
 *
 * Each runs per mechanism: TLS 1.2 by session ID (the client offers no ticket) or by ticket, TLS 1.3 by PSK; the last
 * id component is the scenario's name (`require::resumption::ticket::resume-cross-sni`). The procedure
 * (engine/procedures/resume.ts) proves whether the server resumed (an abbreviated handshake or an accepted PSK,
 * checked by the server's Finished) and says which.
 */

/** What a server that requires a certificate answers a client without one (RFC 8446 §4.4.2.4, RFC 5246 §7.4.6). */
const NO_CERTIFICATE: Expectation = {
  decision: 'reject',
  alerts: ['certificate_required', 'handshake_failure', 'bad_certificate', 'access_denied'],
  alertsByTls: {
    '1.3': ['certificate_required', 'handshake_failure', 'bad_certificate', 'access_denied'],
    '1.2': ['handshake_failure', 'bad_certificate', 'access_denied'],
  },
};

const REVOKED: readonly AlertName[] = ['certificate_revoked', 'bad_certificate', 'certificate_unknown'];
const EXPIRED: readonly AlertName[] = ['certificate_expired', 'bad_certificate', 'certificate_unknown'];

/** The three ways of resuming, and the TLS version of each. */
const MECHANISMS: readonly { readonly name: 'session-id' | 'ticket' | 'psk'; readonly tls: TlsVersion }[] = [
  { name: 'session-id', tls: '1.2' },
  { name: 'ticket', tls: '1.2' },
  { name: 'psk', tls: '1.3' },
];

const SPEC_OF: Readonly<Record<(typeof MECHANISMS)[number]['name'], readonly string[]>> = {
  'session-id': ['RFC 5246 §7.3', 'RFC 5246 §7.4.1.2'],
  ticket: ['RFC 5077 §3.4', 'RFC 5077 §4'],
  psk: ['RFC 8446 §2.2', 'RFC 8446 §4.2.11', 'RFC 8446 §4.6.1'],
};

/** One resumption case, before it is bound to a mechanism. */
interface ResumptionCase {
  readonly name: string;
  readonly title: string;
  readonly description: string;
  readonly severity: Severity;
  readonly fixture: string | null;
  readonly expect: Expectation;
  readonly needs: readonly Feature[];
  readonly spec: readonly string[];
}

const CASES: readonly ResumptionCase[] = [
  {
    name: 'resume-no-certificate',
    title: 'A session made with a valid certificate is resumed, as the original identity',
    description:
      'The positive control of the topic: a session made with the valid identity is resumed, and the client sends ' +
      'no certificate. The server must serve it, and where its answer names the identity, name the original one. A ' +
      'server that never resumes is not wrong, but then proves nothing about resumption: the scenario is skipped.',
    severity: 'protocol',
    fixture: 'valid',
    expect: ACCEPT,
    needs: [],
    spec: ['RFC 8446 §4.6.1', 'RFC 5246 §7.3'],
  },
  {
    name: 'resume-cross-sni',
    title: 'A session from a server name without client authentication is not resumed on one that requires it',
    description:
      'The session is made without a certificate on a server name that asks for none, served beside the name under ' +
      'test with a shared session cache and ticket keys; the client offers it to the name that requires a ' +
      'certificate. The server must run a full handshake with a CertificateRequest (the client then has no ' +
      'certificate to send) or refuse: resuming and serving lets a client without a certificate in (nginx ' +
      'CVE-2014-3616, envoy#47219).',
    severity: 'security',
    fixture: null,
    expect: NO_CERTIFICATE,
    needs: ['sni-no-auth'],
    spec: ['RFC 6066 §3', 'RFC 8446 §4.2.11', 'CVE-2014-3616'],
  },
  {
    name: 'resume-optional-to-require',
    title: 'A session made without a certificate on an optional endpoint is not resumed on a require endpoint',
    description:
      'The session is made without a certificate on an endpoint with the optional policy that shares ticket keys ' +
      '(and the session cache) with the endpoint under test, which requires one; the client offers it there. The ' +
      'server must run a full handshake with a CertificateRequest or refuse: resuming and serving lets a client ' +
      'without a certificate in.',
    severity: 'security',
    fixture: null,
    expect: NO_CERTIFICATE,
    needs: ['shared-sessions'],
    spec: ['RFC 8446 §4.2.11', 'RFC 5077 §4'],
  },
  {
    name: 'resume-after-revocation',
    title: 'Resumption honours revocation: a session of a certificate revoked since is not resumed',
    description:
      'The session is made with a valid client certificate issued for the run, which the OCSP responder the server ' +
      'asks answers good; the responder then answers revoked for it (through its loopback-only control), and the ' +
      'client resumes. No RFC requires a check on resumption, so this is advisory: a server that resumes and serves ' +
      'reports "resumption honours revocation: no". Refusing the session (a full handshake then judges the revoked ' +
      'certificate) or the request honours it.',
    severity: 'advisory',
    fixture: 'valid',
    expect: { decision: 'reject', alerts: REVOKED },
    needs: ['ocsp', 'ocsp-control'],
    spec: ['RFC 6960 §2.2', 'RFC 8446 §4.6.1', 'apache/apisix#9525'],
  },
  {
    name: 'resume-after-expiry',
    title: 'Resumption honours expiry: a session of a certificate expired since is not resumed',
    description:
      'The session is made with a client certificate issued for the run and valid for a few seconds; the client ' +
      'resumes once it has expired. No RFC requires a check on resumption, so this is advisory: a server that ' +
      'resumes and serves reports "resumption honours expiry: no" (apisix#9525, CVE-2025-68121, BoGo ' +
      'CertificateVerificationDoesNotFailOnResume).',
    severity: 'advisory',
    fixture: 'valid',
    expect: { decision: 'reject', alerts: EXPIRED },
    needs: [],
    spec: ['RFC 5280 §4.1.2.5', 'RFC 8446 §4.6.1', 'CVE-2025-68121'],
  },
];

/** The resumption topic: every case under every mechanism, under the require policy. */
export const resumption: readonly ScenarioTemplate[] = CASES.flatMap((c) =>
  MECHANISMS.map((m): ScenarioTemplate => ({
    name: `${m.name}::${c.name}`,
    title: `${c.title} (${m.name === 'psk' ? 'TLS 1.3 PSK' : `TLS 1.2 ${m.name === 'ticket' ? 'ticket' : 'session ID'}`})`,
    description: c.description,
    spec: [...c.spec, ...SPEC_OF[m.name]],
    importance: 'high',
    severity: c.severity,
    fixture: c.fixture,
    expect: { require: c.expect },
    requires: ['wire-client', 'resumption', ...c.needs],
    tls: [m.tls],
    procedure: { name: 'resume', params: { mechanism: m.name, case: c.name } },
  })),
);
