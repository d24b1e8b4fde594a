import { ACCEPT_BOTH, rejectBoth, type ScenarioTemplate } from './define.js';

const PURPOSE = ['unsupported_certificate', 'bad_certificate', 'certificate_unknown'] as const;

/** Key usage and extended key usage. */
export const purpose: readonly ScenarioTemplate[] = [
  {
    name: 'eku-server-auth-only',
    severity: 'security',
    title: 'EKU serverAuth only',
    description: 'extendedKeyUsage without clientAuth: the key is not certified for TLS client authentication.',
    spec: ['RFC 5280 §4.2.1.12'],
    importance: 'high',
    fixture: 'eku-server-auth-only',
    expect: rejectBoth(PURPOSE),
  },
  {
    name: 'eku-code-signing-only',
    severity: 'security',
    title: 'EKU codeSigning only',
    description: 'extendedKeyUsage is codeSigning alone.',
    spec: ['RFC 5280 §4.2.1.12'],
    importance: 'medium',
    fixture: 'eku-code-signing-only',
    expect: rejectBoth(PURPOSE),
  },
  {
    name: 'no-eku',
    severity: 'protocol',
    title: 'No EKU extension',
    description: 'Without extendedKeyUsage the key is not restricted, so it may authenticate a client.',
    spec: ['RFC 5280 §4.2.1.12'],
    importance: 'medium',
    fixture: 'no-eku',
    expect: ACCEPT_BOTH,
  },
  {
    name: 'eku-any',
    severity: 'protocol',
    title: 'EKU anyExtendedKeyUsage',
    description:
      'anyExtendedKeyUsage alone. RFC 5280 allows it for any purpose but lets applications that require a specific ' +
      'purpose reject it (OpenSSL does), so both decisions conform.',
    spec: ['RFC 5280 §4.2.1.12'],
    importance: 'low',
    fixture: 'eku-any',
    expect: {
      require: { decision: 'accept', alerts: PURPOSE, eitherDecision: true },
      optional: { decision: 'accept', alerts: PURPOSE, eitherDecision: true },
    },
  },
  {
    name: 'ku-no-digital-signature',
    severity: 'security',
    title: 'keyUsage without digitalSignature',
    description: 'keyUsage keyEncipherment only: the key may not sign, so its CertificateVerify must not be accepted.',
    spec: ['RFC 5280 §4.2.1.3', 'RFC 8446 §4.4.2.2'],
    importance: 'medium',
    fixture: 'ku-no-digital-signature',
    expect: rejectBoth(PURPOSE),
  },
];
