import { rejectBoth, type ScenarioTemplate } from './define.js';

/** Proof of possession of the private key (CertificateVerify). */
export const possession: readonly ScenarioTemplate[] = [
  {
    name: 'mismatched-key',
    severity: 'security',
    title: 'CertificateVerify signed by a key other than the certificate’s',
    description:
      'The client presents a valid certificate but signs CertificateVerify with another key: it does not possess the ' +
      'certified key. The server must abort with decrypt_error when the signature fails (RFC 8446 §4.4.3). node:tls ' +
      'cannot send this; the wire client can.',
    spec: ['RFC 8446 §4.4.3', 'RFC 5246 §7.4.8'],
    importance: 'high',
    fixture: 'mismatched-key',
    expect: rejectBoth(['decrypt_error'], 'certificate-verify'),
    requires: ['foreign-key-signing'],
    // The fixture's key is the foreign one: the wire client signs CertificateVerify with it as shipped.
    wire: {},
  },
];
