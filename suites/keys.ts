import { eitherBoth, rejectBoth, type ScenarioTemplate } from './define.js';

/** The client's public key itself (issue 13). */
export const keys: readonly ScenarioTemplate[] = [
  {
    name: 'ec-point-not-on-curve',
    severity: 'security',
    title: 'EC public key whose point is not on the curve',
    description:
      'The leaf certifies a P-256 point that is not on the curve. A server must refuse a public key it cannot ' +
      'validate (RFC 5480 §2.2, SEC 1 §3.2.2.1) rather than verify a CertificateVerify against it; node:tls cannot ' +
      'load such a pair, the wire client sends it and signs with the private key the point came from.',
    spec: ['RFC 5480 §2.2', 'RFC 8446 §4.4.2.4'],
    importance: 'medium',
    fixture: 'ec-point-not-on-curve',
    expect: rejectBoth([
      'bad_certificate',
      'decode_error',
      'illegal_parameter',
      'unsupported_certificate',
      'certificate_unknown',
      'decrypt_error',
    ]),
    requires: ['foreign-key-signing'],
    wire: {},
  },
  {
    name: 'unsupported-curve',
    severity: 'advisory',
    title: 'Client key on an unsupported curve (secp256k1)',
    description:
      'A valid chain whose leaf key is on secp256k1. TLS 1.3 has no signature scheme for it (RFC 8446 §4.2.3), so ' +
      'only TLS 1.2 runs it; a server may support the curve or refuse it (RFC 8422 deprecated it): either decision ' +
      'conforms, the finding says which.',
    spec: ['RFC 8422 §5.1.1', 'RFC 8446 §4.2.3'],
    importance: 'low',
    fixture: 'unsupported-curve',
    expect: eitherBoth(['illegal_parameter', 'handshake_failure', 'bad_certificate', 'unsupported_certificate']),
    tls: ['1.2'],
  },
];
