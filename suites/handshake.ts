import { reject, rejectBoth, ACCEPT_BOTH, type ScenarioTemplate } from './define.js';
import type { AlertName } from '../core/alerts.js';
import type { HandshakeStep, ServerPolicy, Severity, TlsVersion } from '../core/scenario.js';

/** A wire-client scenario: one handshake message altered by a named mutation. */
function mutated(
  name: string,
  title: string,
  description: string,
  spec: readonly string[],
  alerts: readonly AlertName[],
  step: HandshakeStep,
  severity: ScenarioTemplate['severity'],
  options: {
    fixture?: string;
    tls?: readonly TlsVersion[];
    alertsByTls?: Partial<Record<TlsVersion, readonly AlertName[]>>;
  } = {},
): ScenarioTemplate {
  const both = rejectBoth(alerts, step);
  const expect = options.alertsByTls
    ? {
        require: { ...both.require, alertsByTls: options.alertsByTls },
        optional: { ...both.optional, alertsByTls: options.alertsByTls },
      }
    : both;
  return {
    name,
    title,
    description,
    spec,
    importance: 'high',
    severity,
    fixture: options.fixture ?? 'valid',
    expect,
    requires: ['wire-client'],
    ...(options.tls ? { tls: options.tls } : {}),
    wire: { mutation: name },
  };
}

/**
 * A malformed client flight that amounts to "no certificate": accepting it under `require` lets an unauthenticated
 * client in; under `optional` the client is only ever unauthenticated.
 */
const REQUIRED_ONLY: Partial<Record<ServerPolicy, Severity>> = { require: 'security', optional: 'protocol' };

/** Handshake-message scenarios that need our wire-level client (node:tls cannot send them). */
export const handshake: readonly ScenarioTemplate[] = [
  {
    name: 'certificate-request',
    severity: 'protocol',
    title: 'The server sends a CertificateRequest naming the fixture root (or no CA)',
    description:
      'A server that authenticates clients must send CertificateRequest; its certificate_authorities list (RFC 8446 ' +
      '§4.2.4, RFC 5246 §7.4.4) should include the configured root, or be empty by configuration. The valid client ' +
      'must then be accepted.',
    spec: ['RFC 8446 §4.3.2', 'RFC 8446 §4.2.4', 'RFC 5246 §7.4.4'],
    importance: 'medium',
    fixture: 'valid',
    expect: ACCEPT_BOTH,
    requires: ['wire-client'],
    wire: { certificateRequest: true },
  },
  mutated(
    'cv-bitflip',
    'CertificateVerify signature with one bit flipped',
    'The signature no longer verifies over the transcript: the client has not proven possession (RFC 8446 §4.4.3).',
    ['RFC 8446 §4.4.3', 'RFC 5246 §7.4.8'],
    ['decrypt_error'],
    'certificate-verify',
    'security',
  ),
  mutated(
    'cv-empty-signature',
    'CertificateVerify with an empty signature',
    'A zero-length signature cannot verify; decrypt_error (or decode_error for a length the parser refuses).',
    ['RFC 8446 §4.4.3'],
    ['decrypt_error', 'decode_error'],
    'certificate-verify',
    'security',
  ),
  mutated(
    'cv-scheme-not-offered',
    'CertificateVerify with a signature scheme the server did not offer',
    'The scheme is not in the CertificateRequest signature_algorithms: RFC 8446 §4.4.3 requires illegal_parameter. ' +
      'OpenSSL answers handshake_failure in TLS 1.2.',
    ['RFC 8446 §4.4.3', 'RFC 5246 §7.4.8'],
    ['illegal_parameter', 'handshake_failure', 'decrypt_error'],
    'certificate-verify',
    'protocol',
  ),
  mutated(
    'cv-rsa-pkcs1-in-tls13',
    'rsa_pkcs1 CertificateVerify in TLS 1.3',
    'RSASSA-PKCS1-v1_5 schemes are not allowed for CertificateVerify in TLS 1.3 (RFC 8446 §4.2.3).',
    ['RFC 8446 §4.2.3', 'RFC 8446 §4.4.3'],
    ['illegal_parameter', 'decrypt_error'],
    'certificate-verify',
    'protocol',
    { fixture: 'valid-rsa-2048', tls: ['1.3'] },
  ),
  mutated(
    'omit-certificate-verify',
    'Certificate sent, CertificateVerify omitted',
    'A client that sent a non-empty Certificate must prove possession; the next message out of order is unexpected.',
    ['RFC 8446 §4.4.3', 'RFC 5246 §7.4.8'],
    ['unexpected_message'],
    'certificate-verify',
    'security',
  ),
  mutated(
    'omit-certificate',
    'Certificate omitted in TLS 1.2',
    'When the server requested a certificate, the client must send a Certificate message (possibly empty) before ClientKeyExchange.',
    ['RFC 5246 §7.4.6'],
    ['unexpected_message', 'handshake_failure'],
    'client-certificate',
    REQUIRED_ONLY,
    { tls: ['1.2'] },
  ),
  mutated(
    'empty-certificate-trailing-bytes',
    'Empty Certificate with trailing bytes',
    'The certificate_list length says empty but bytes follow: a malformed message (decode_error).',
    ['RFC 8446 §4.4.2', 'RFC 8446 §6.2'],
    ['decode_error'],
    'client-certificate',
    REQUIRED_ONLY,
  ),
  mutated(
    'garbage-leaf-der',
    'Unparseable leaf certificate DER',
    'The first entry is not a DER certificate: decode_error or bad_certificate.',
    ['RFC 8446 §4.4.2', 'RFC 5280 §4.1'],
    ['decode_error', 'bad_certificate'],
    'client-certificate',
    'security',
  ),
  mutated(
    'zero-length-entry',
    'A zero-length certificate entry',
    'A valid leaf followed by an empty entry: entries must be non-empty ASN.1 certificates (decode_error).',
    ['RFC 8446 §4.4.2'],
    ['decode_error', 'bad_certificate'],
    'client-certificate',
    'protocol',
  ),
  mutated(
    'bad-certificate-list-length',
    'Inconsistent certificate_list length',
    'The certificate_list length does not match its entries: decode_error.',
    ['RFC 8446 §4.4.2', 'RFC 8446 §6.2'],
    ['decode_error'],
    'client-certificate',
    'protocol',
  ),
  mutated(
    'double-certificate',
    'Two Certificate messages',
    'A second Certificate message where CertificateVerify is due is out of order: unexpected_message.',
    ['RFC 8446 §4.4', 'RFC 5246 §7.4'],
    ['unexpected_message'],
    'client-certificate',
    'protocol',
  ),
  {
    name: 'unsolicited-certificate',
    severity: 'protocol',
    title: 'A client Certificate the server never asked for',
    description:
      'The server sent no CertificateRequest (client authentication off), yet the client sends Certificate and ' +
      'CertificateVerify. A client may only send them in response to a request (RFC 8446 §4.4.2, RFC 5246 §7.4.6): ' +
      'the server must abort with unexpected_message rather than quietly treat the client as authenticated.',
    spec: ['RFC 8446 §4.4.2', 'RFC 5246 §7.4.6', 'RFC 8446 §6.2'],
    importance: 'medium',
    fixture: 'valid',
    expect: { none: reject(['unexpected_message'], 'client-certificate') },
    requires: ['wire-client'],
    wire: { mutation: 'unsolicited-certificate' },
  },
  mutated(
    'unrequested-cert-entry-extension',
    'Unrequested extension in a TLS 1.3 CertificateEntry',
    'Client CertificateEntry extensions must correspond to CertificateRequest extensions (RFC 8446 §4.4.2); an ' +
      'unsolicited extension is answered with unsupported_extension (RFC 8446 §4.2).',
    ['RFC 8446 §4.4.2', 'RFC 8446 §4.2'],
    ['unsupported_extension', 'illegal_parameter'],
    'client-certificate',
    'protocol',
    { tls: ['1.3'] },
  ),
];
