import { rejectBoth, type ScenarioTemplate } from './define.js';

/** Algorithm strength and signature validity. */
export const crypto: readonly ScenarioTemplate[] = [
  {
    name: 'weak-rsa-1024',
    severity: 'security',
    title: 'RSA-1024 client key',
    description: 'An 80-bit-security key; below OpenSSL security level 2 and every current policy.',
    spec: ['RFC 8446 §4.4.2.4', 'NIST SP 800-131A'],
    importance: 'high',
    fixture: 'weak-rsa-1024',
    expect: rejectBoth(['bad_certificate', 'insufficient_security', 'certificate_unknown']),
  },
  {
    name: 'sha1-signature',
    severity: 'security',
    title: 'SHA-1 signed client certificate',
    description: 'The issuer signed the leaf with ecdsa-with-SHA1, which is broken for collision resistance.',
    spec: ['RFC 9155'],
    importance: 'medium',
    fixture: 'sha1-signature',
    expect: rejectBoth(['bad_certificate', 'certificate_unknown']),
  },
  {
    name: 'bad-issuer-signature',
    severity: 'security',
    title: 'Leaf whose issuer signature does not verify',
    description:
      "One bit of the intermediate's signature is flipped. bad_certificate is the RFC alert; OpenSSL sends " +
      'decrypt_error, mbedTLS unknown_ca.',
    spec: ['RFC 5280 §6.1.3 (a)(1)', 'RFC 8446 §6.2'],
    importance: 'high',
    fixture: 'bad-issuer-signature',
    expect: rejectBoth(['bad_certificate', 'decrypt_error', 'unknown_ca', 'certificate_unknown']),
  },
];
