import type { Severity } from '../core/scenario.js';
import { ACCEPT_BOTH, type ScenarioTemplate } from './define.js';

/**
 * What the server asks for (issue 13): its CertificateRequest, observed by the wire client while the valid client
 * authenticates (engine/procedures/certificate-request.ts). Each scenario checks one property of the request and
 * reports the observed values in words (the findings of Sessions and identity); the valid client must be accepted as
 * always. A property the RFCs require is `protocol`; one they leave to the server's configuration is `advisory`.
 */

/** One check of the CertificateRequest. */
function asked(
  check: string,
  title: string,
  description: string,
  spec: readonly string[],
  severity: Severity,
  tls?: ScenarioTemplate['tls'],
): ScenarioTemplate {
  return {
    name: check,
    title,
    description,
    spec,
    importance: 'medium',
    severity,
    fixture: 'valid',
    expect: ACCEPT_BOTH,
    requires: ['wire-client'],
    ...(tls ? { tls } : {}),
    procedure: { name: 'certificate-request', params: { check } },
  };
}

/** Observations of the server's CertificateRequest. */
export const certificateRequest: readonly ScenarioTemplate[] = [
  asked(
    'signature-algorithms',
    'The CertificateRequest offers no MD5 or SHA-1 signature scheme',
    'The signature algorithms a server lists are those it will accept in the client’s CertificateVerify. RFC 9155 ' +
      '§2: "Servers MUST NOT include MD5 and SHA-1 in CertificateRequest messages" (TLS 1.2); in TLS 1.3 neither is ' +
      'defined for handshake signatures (RFC 8446 §4.2.3), and a server offering them invites a SLOTH-style ' +
      'transcript collision. The finding lists every scheme offered.',
    ['RFC 9155 §2', 'RFC 8446 §4.2.3', 'RFC 8446 §4.3.2', 'RFC 5246 §7.4.4'],
    'protocol',
  ),
  asked(
    'certificate-authorities',
    'The CertificateRequest names the trust anchor the server was configured with',
    'certificate_authorities (an extension in TLS 1.3, RFC 8446 §4.2.4; a field in TLS 1.2, RFC 5246 §7.4.4) tells ' +
      'the client which CAs the server accepts, so a client holding several certificates picks the right one. ' +
      'Sending none is allowed, and names other than the configured anchors are the server’s choice: advisory. The ' +
      'finding lists the names sent.',
    ['RFC 8446 §4.2.4', 'RFC 5246 §7.4.4'],
    'advisory',
  ),
  asked(
    'ca-list-size',
    'The CertificateRequest’s CA list is no larger than the configured trust anchors',
    'A server that sends its whole trust store (a system CA bundle) in certificate_authorities makes a ' +
      'CertificateRequest of tens of kilobytes that some clients refuse, and tells every client which CAs it trusts. ' +
      'The finding gives the number of names and their encoded size beside the number of configured anchors.',
    ['RFC 8446 §4.2.4', 'RFC 5246 §7.4.4'],
    'advisory',
  ),
  asked(
    'certificate-types',
    'TLS 1.2 certificate_types offers the valid client’s key type',
    'RFC 5246 §7.4.4: the client’s certificate MUST be of a type listed in certificate_types (rsa_sign for RSA, ' +
      'ecdsa_sign for ECDSA and EdDSA keys, RFC 8422 §5.5). A list without the type of the key the server is meant ' +
      'to accept stops a compliant client from sending its certificate. The finding lists the types and any obsolete ' +
      'fixed-DH ones.',
    ['RFC 5246 §7.4.4', 'RFC 8422 §5.5'],
    'protocol',
    ['1.2'],
  ),
];
