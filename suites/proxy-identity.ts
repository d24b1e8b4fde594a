import type { Expectation } from '../core/scenario.js';
import type { ScenarioTemplate } from './define.js';

/**
 * The application behind a TLS-terminating proxy must not believe an identity the proxy did not verify. A refusal
 * here is the proxy's: it replaces (or removes) what the client claimed, or refuses the client; what the echo backend
 * received is the evidence, so no TLS alert is expected of a proxy that forwards correctly.
 */
const FORGED_IDENTITY_REFUSED: Expectation = {
  decision: 'reject',
  alerts: ['access_denied', 'bad_certificate', 'certificate_unknown'],
};

const SPEC = ['RFC 9440 §4', 'CVE-2026-46579', 'projectcontour/contour#6586', 'openziti/ziti#4422'];

/** Identity propagation through a reverse proxy (issue 12): what the application behind it is told. */
export const proxyIdentity: readonly ScenarioTemplate[] = [
  {
    name: 'spoofed-identity-no-certificate',
    severity: 'security',
    title: 'Forged identity headers without a certificate reach the application',
    description:
      'Under the optional policy a client sends no certificate but the headers a proxy uses to pass on a verified ' +
      'identity: X-SSL-Client-Verify: SUCCESS, X-SSL-Client-S-DN, X-Client-Cert and X-Forwarded-Client-Cert claiming ' +
      'another valid client. A proxy must overwrite each with its own value (NONE, empty) or remove it; an ' +
      'application that receives one as sent believes an identity nobody proved (CVE-2026-46579, contour#6586).',
    spec: SPEC,
    importance: 'high',
    fixture: null,
    expect: { optional: FORGED_IDENTITY_REFUSED },
    requires: ['proxy-identity'],
    procedure: { name: 'proxy-identity', params: { check: 'spoofed-no-certificate', claims: 'valid-rsa-2048' } },
  },
  {
    name: 'spoofed-identity-other-certificate',
    severity: 'security',
    title: 'A valid client claiming another identity in headers',
    description:
      "A valid client (certificate A) sends identity headers claiming client B (valid-rsa-2048's subject, " +
      'certificate and hash). The application must see A only: B anywhere in what the proxy forwards lets any ' +
      'authenticated client act as any other (openziti/ziti#4422).',
    spec: SPEC,
    importance: 'high',
    fixture: 'valid',
    expect: { require: FORGED_IDENTITY_REFUSED, optional: FORGED_IDENTITY_REFUSED },
    requires: ['proxy-identity'],
    procedure: { name: 'proxy-identity', params: { check: 'spoofed-other-certificate', claims: 'valid-rsa-2048' } },
  },
  {
    name: 'failed-verification-forwarded',
    severity: 'security',
    title: 'A certificate that failed verification is passed on as a success',
    description:
      'Under the optional policy a client sends a certificate from an unknown CA. The proxy may refuse it or forward ' +
      'the request with the failure (FAILED:…, NONE, a non-zero verify code); the application must never see a ' +
      "success, nor the certificate's identity without anything saying it failed.",
    spec: ['RFC 9440 §4', 'RFC 8446 §4.4.2.4', 'RFC 5280 §6.1'],
    importance: 'high',
    fixture: 'unknown-ca',
    expect: { optional: { decision: 'reject', alerts: ['unknown_ca', 'bad_certificate', 'certificate_unknown'] } },
    requires: ['proxy-identity'],
    procedure: { name: 'proxy-identity', params: { check: 'failed-verification' } },
  },
  {
    name: 'dn-injection',
    severity: 'security',
    title: 'A hostile subject reaches the application as exactly one subject',
    description:
      'A valid client whose subject CN holds a quote, `,` `=` `+` `/`, a second CN (`,CN=admin+`, `/CN=admin/`) and ' +
      'CR/LF followed by a header line. Every header that carries the subject as text must read back, in its own ' +
      'syntax (RFC 4514, the one-line /CN= form, a Forwarded remote_user), as exactly that CN: read as CN=admin, as ' +
      'two CNs, or split into a second header line (RFC 9110 §5.5 forbids CR/LF in a field value), it names another ' +
      'subject than the one the proxy verified.',
    spec: ['RFC 4514 §2.4', 'RFC 9110 §5.5', 'RFC 9440 §4'],
    importance: 'high',
    fixture: 'dn-injection',
    expect: { require: FORGED_IDENTITY_REFUSED, optional: FORGED_IDENTITY_REFUSED },
    requires: ['proxy-identity'],
    procedure: { name: 'proxy-identity', params: { check: 'dn-injection' } },
  },
];
