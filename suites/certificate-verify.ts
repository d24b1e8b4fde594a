import type { AlertName } from '../core/alerts.js';
import type { HandshakeStep, ServerPolicy, Severity } from '../core/scenario.js';
import { ACCEPT_BOTH, rejectBoth, type ScenarioTemplate } from './define.js';

/**
 * CertificateVerify binding and framing (issue 13): the client proves possession of the certified key with a
 * signature whose label (SignatureScheme) must fit the key's type and say exactly how it was made, in a message framed
 * as the protocol says. Each scenario alters one message of the wire client's flight (wire/mutations.ts); node:tls
 * cannot send any of them. The positive control of each is the same fixture sent unaltered by the same client.
 *
 * Fixtures are pinned to a key type (`valid-rsa-2048`, `valid-ecdsa-p256`) where the defect is about one, so the
 * scenario means the same whatever `--key-profile` the set was made with; framing defects use `valid`.
 */

/** Alerts for a label that does not fit the key: RFC 8446 §4.4.3 / RFC 5246 §7.4.8 name no alert; OpenSSL sends illegal_parameter. */
const WRONG_LABEL: readonly AlertName[] = [
  'illegal_parameter',
  'decrypt_error',
  'handshake_failure',
  'bad_certificate',
];
/** A signature that does not verify (RFC 8446 §4.4.3: decrypt_error). */
const BAD_SIGNATURE: readonly AlertName[] = ['decrypt_error', 'decode_error', 'illegal_parameter'];
/** A scheme the server must not accept (not offered, or forbidden): OpenSSL 3.0 answers handshake_failure in TLS 1.2. */
const FORBIDDEN_SCHEME: readonly AlertName[] = ['illegal_parameter', 'handshake_failure', 'decrypt_error'];
/** A malformed or out-of-order message (RFC 8446 §6.2). */
const MALFORMED: readonly AlertName[] = ['decode_error', 'illegal_parameter', 'decrypt_error'];
const OUT_OF_ORDER: readonly AlertName[] = ['unexpected_message', 'decode_error'];

/**
 * A malformed client flight that amounts to "no certificate": accepting it under `require` lets an unauthenticated
 * client in; under `optional` the client is only ever unauthenticated.
 */
const REQUIRED_ONLY: Partial<Record<ServerPolicy, Severity>> = { require: 'security', optional: 'protocol' };

/** One scenario: the mutation `wire`, sent with `fixture`. */
function altered(
  name: string,
  options: {
    readonly mutation: string;
    readonly title: string;
    readonly description: string;
    readonly spec: readonly string[];
    readonly alerts: readonly AlertName[];
    readonly severity: ScenarioTemplate['severity'];
    readonly fixture?: string;
    readonly step?: HandshakeStep;
  },
): ScenarioTemplate {
  return {
    name,
    title: options.title,
    description: options.description,
    spec: options.spec,
    importance: 'high',
    severity: options.severity,
    fixture: options.fixture ?? 'valid',
    expect: rejectBoth(options.alerts, options.step ?? 'certificate-verify'),
    requires: ['wire-client'],
    wire: { mutation: options.mutation },
  };
}

const CV_SPEC = ['RFC 8446 §4.4.3', 'RFC 5246 §7.4.8'];
const SCHEME_SPEC = ['RFC 8446 §4.2.3', 'RFC 8446 §4.4.3', 'RFC 5246 §7.4.1.4.1'];
const LEGACY_SPEC = ['RFC 9155 §2', 'RFC 8446 §4.2.3', 'RFC 8446 §4.4.3', 'RFC 5246 §7.4.8'];

/** CertificateVerify whose label, hash or parameters do not bind the signature to the certified key. */
export const certificateVerify: readonly ScenarioTemplate[] = [
  altered('ecdsa-label-on-rsa-key', {
    mutation: 'cv-ecdsa-label-on-rsa-key',
    title: 'CertificateVerify from an RSA key labelled ecdsa_secp256r1_sha256',
    description:
      'The certified key is RSA (rsaEncryption); the signature is its own valid RSA-PSS signature, but the label says ' +
      'ECDSA. The scheme must be one the certified key can produce (RFC 8446 §4.2.3, §4.4.2.2): a server that ' +
      'verifies with the key’s type and ignores the label accepts a message it could not have parsed as labelled. ' +
      'OpenSSL answers illegal_parameter.',
    spec: SCHEME_SPEC,
    alerts: WRONG_LABEL,
    severity: 'protocol',
    fixture: 'valid-rsa-2048',
  }),
  altered('ed25519-label-on-ecdsa-key', {
    mutation: 'cv-ed25519-label-on-ecdsa-key',
    title: 'CertificateVerify from an ECDSA key labelled ed25519',
    description:
      'The certified key is ECDSA P-256; its own valid ECDSA signature is labelled ed25519. The label does not fit ' +
      'the key type (RFC 8446 §4.2.3): illegal_parameter (OpenSSL), or decrypt_error from a server that tried to ' +
      'verify as labelled.',
    spec: SCHEME_SPEC,
    alerts: WRONG_LABEL,
    severity: 'protocol',
    fixture: 'valid-ecdsa-p256',
  }),
  altered('pss-pss-label-on-rsae-key', {
    mutation: 'cv-pss-pss-label-on-rsae-key',
    title: 'CertificateVerify from an rsaEncryption key labelled rsa_pss_pss_sha256',
    description:
      'The RSA-PSS signature is valid for the certified rsaEncryption key, but rsa_pss_pss_* is for keys whose ' +
      'certificate carries the RSASSA-PSS OID (RFC 8446 §4.2.3: "If the public key is carried in an X.509 ' +
      'certificate, it MUST use the RSASSA-PSS OID"); rsaEncryption keys sign as rsa_pss_rsae_*. OpenSSL answers ' +
      'illegal_parameter.',
    spec: SCHEME_SPEC,
    alerts: WRONG_LABEL,
    severity: 'protocol',
    fixture: 'valid-rsa-2048',
  }),
  {
    name: 'valid-rsassa-pss',
    title: 'Valid client whose key is RSASSA-PSS (id-RSASSA-PSS), signing rsa_pss_pss_sha256',
    description:
      'The certificate carries an RSASSA-PSS public key (RFC 4055), not rsaEncryption; TLS 1.2 and 1.3 sign with it ' +
      'as rsa_pss_pss_* (RFC 8446 §4.2.3), which a server offering those schemes must accept. Rejecting it lets nobody ' +
      'in: protocol. Support for such keys is optional (RFC 8446 §9.1 mandates only rsa_pss_rsae_sha256): a server ' +
      'without it is recorded as a skip. Also the positive control of rsae-label-on-pss-key.',
    spec: ['RFC 8446 §4.2.3', 'RFC 4055 §1.2', 'RFC 8446 §4.4.3'],
    importance: 'medium',
    severity: 'protocol',
    fixture: 'valid-rsassa-pss',
    expect: ACCEPT_BOTH,
  },
  altered('rsae-label-on-pss-key', {
    mutation: 'cv-rsae-label-on-pss-key',
    title: 'CertificateVerify from an RSASSA-PSS key labelled rsa_pss_rsae_sha256',
    description:
      'The reverse of pss-pss-label-on-rsae-key: the certified key is RSASSA-PSS (id-RSASSA-PSS) and its valid PSS ' +
      'signature is labelled rsa_pss_rsae_sha256, the label for rsaEncryption keys (RFC 8446 §4.2.3). OpenSSL answers ' +
      'illegal_parameter.',
    spec: SCHEME_SPEC,
    alerts: WRONG_LABEL,
    severity: 'protocol',
    fixture: 'valid-rsassa-pss',
  }),
  altered('hash-mismatch', {
    mutation: 'cv-hash-mismatch',
    title: 'CertificateVerify signed over SHA-384, labelled ecdsa_secp256r1_sha256',
    description:
      'The label names SHA-256, the signature was made over a SHA-384 digest of the content: verified as labelled it ' +
      'fails (decrypt_error, RFC 8446 §4.4.3). A server that accepts it did not verify the signature the label ' +
      'describes.',
    spec: CV_SPEC,
    alerts: BAD_SIGNATURE,
    severity: 'security',
    fixture: 'valid-ecdsa-p256',
  }),
  altered('pss-wrong-salt', {
    mutation: 'cv-pss-wrong-salt',
    title: 'RSA-PSS CertificateVerify with the largest salt instead of the digest length',
    description:
      'RFC 8446 §4.2.3: "The length of the Salt MUST be equal to the length of the output of the digest algorithm." ' +
      'The signature uses the maximum salt (OpenSSL’s own default when signing with PSS outside TLS); a verifier that ' +
      'auto-detects the salt length accepts it. Possession is still proven: a protocol failure.',
    spec: ['RFC 8446 §4.2.3', 'RFC 8017 §9.1'],
    alerts: BAD_SIGNATURE,
    severity: 'protocol',
    fixture: 'valid-rsa-2048',
  }),
  altered('ecdsa-sha1', {
    mutation: 'cv-ecdsa-sha1',
    title: 'CertificateVerify with ecdsa_sha1',
    description:
      'A genuine SHA-1 ECDSA signature. TLS 1.3 does not define SHA-1 schemes for handshake signatures (RFC 8446 ' +
      '§4.2.3); in TLS 1.2 RFC 9155 forbids them, and a server must not have offered them. SHA-1 chosen-prefix ' +
      'collisions are practical, so a transcript collision (SLOTH) can replay a signature: security. OpenSSL 3.0 ' +
      'answers handshake_failure in TLS 1.2, illegal_parameter in TLS 1.3.',
    spec: LEGACY_SPEC,
    alerts: FORBIDDEN_SCHEME,
    severity: 'security',
    fixture: 'valid-ecdsa-p256',
  }),
  altered('ecdsa-md5', {
    mutation: 'cv-ecdsa-md5',
    title: 'CertificateVerify with ECDSA over MD5 (0x0103)',
    description:
      'A genuine ECDSA signature over an MD5 digest. MD5 is forbidden in TLS 1.2 signatures (RFC 9155) and has no ' +
      'TLS 1.3 scheme; MD5 transcript collisions made client impersonation practical (SLOTH, CVE-2015-7575).',
    spec: LEGACY_SPEC,
    alerts: FORBIDDEN_SCHEME,
    severity: 'security',
    fixture: 'valid-ecdsa-p256',
  }),
  altered('rsa-pkcs1-sha1', {
    mutation: 'cv-rsa-pkcs1-sha1',
    title: 'CertificateVerify with rsa_pkcs1_sha1',
    description:
      'A genuine RSA PKCS#1 v1.5 SHA-1 signature: forbidden by RFC 9155 in TLS 1.2 and undefined for TLS 1.3 ' +
      'handshake signatures (RFC 8446 §4.2.3). OpenSSL 3.0 answers handshake_failure in TLS 1.2.',
    spec: LEGACY_SPEC,
    alerts: FORBIDDEN_SCHEME,
    severity: 'security',
    fixture: 'valid-rsa-2048',
  }),
  altered('rsa-pkcs1-md5', {
    mutation: 'cv-rsa-pkcs1-md5',
    title: 'CertificateVerify with RSA PKCS#1 v1.5 over MD5 (0x0101)',
    description:
      'The SLOTH case (CVE-2015-7575): an RSA-MD5 CertificateVerify let a man in the middle impersonate a client ' +
      'through a transcript collision. Forbidden by RFC 9155; no TLS 1.3 scheme.',
    spec: LEGACY_SPEC,
    alerts: FORBIDDEN_SCHEME,
    severity: 'security',
    fixture: 'valid-rsa-2048',
  }),
  altered('truncated-signature', {
    mutation: 'cv-truncated-signature',
    title: 'CertificateVerify signature missing its last byte',
    description:
      'The signature loses its last byte and its length field says so: it cannot verify (decrypt_error, RFC 8446 ' +
      '§4.4.3). Accepting it means the signature was not checked.',
    spec: CV_SPEC,
    alerts: BAD_SIGNATURE,
    severity: 'security',
  }),
  altered('padded-signature', {
    mutation: 'cv-padded-signature',
    title: 'CertificateVerify signature followed by a zero byte',
    description:
      'A valid signature with one zero byte appended inside its length: not the encoding the scheme defines (an ' +
      'ECDSA DER SEQUENCE with trailing data, an RSA signature longer than the modulus). OpenSSL rejects it with ' +
      'decrypt_error; accepting it is signature malleability, not a way in.',
    spec: ['RFC 8446 §4.4.3', 'RFC 8017 §8.2.2', 'RFC 8446 §4.2.3'],
    alerts: BAD_SIGNATURE,
    severity: 'protocol',
  }),
  altered('trailing-bytes', {
    mutation: 'cv-trailing-bytes',
    title: 'CertificateVerify with bytes after the signature',
    description:
      'The message length covers three bytes after the signature vector: a malformed message (decode_error, RFC ' +
      '8446 §6.2).',
    spec: ['RFC 8446 §4.4.3', 'RFC 8446 §6.2', 'RFC 5246 §7.4.8'],
    alerts: MALFORMED,
    severity: 'protocol',
  }),
  altered('wrong-handshake-type', {
    mutation: 'cv-wrong-handshake-type',
    title: 'CertificateVerify framed as a Certificate message',
    description:
      'The CertificateVerify body arrives with handshake type certificate(11): no CertificateVerify is ever received, ' +
      'so possession is not proven, and a second Certificate is out of order (unexpected_message, RFC 8446 §6.2).',
    spec: ['RFC 8446 §4.4', 'RFC 8446 §6.2', 'RFC 5246 §7.4'],
    alerts: OUT_OF_ORDER,
    severity: 'security',
  }),
  altered('sent-twice', {
    mutation: 'cv-twice',
    title: 'CertificateVerify sent twice',
    description:
      'A second CertificateVerify where Finished (TLS 1.3) or ChangeCipherSpec (TLS 1.2) is due is out of order: ' +
      'unexpected_message (RFC 8446 §6.2).',
    spec: ['RFC 8446 §4.4', 'RFC 8446 §6.2', 'RFC 5246 §7.4'],
    alerts: OUT_OF_ORDER,
    severity: 'protocol',
  }),
  altered('certificate-wrong-handshake-type', {
    mutation: 'certificate-wrong-handshake-type',
    title: 'Certificate framed as a CertificateVerify message',
    description:
      'The client Certificate arrives with handshake type certificate_verify(15), before any Certificate: out of ' +
      'order (unexpected_message). A server that reads it as the Certificate it expects parses by position, not type.',
    spec: ['RFC 8446 §4.4', 'RFC 8446 §6.2', 'RFC 5246 §7.4'],
    alerts: OUT_OF_ORDER,
    severity: REQUIRED_ONLY,
    step: 'client-certificate',
  }),
];
