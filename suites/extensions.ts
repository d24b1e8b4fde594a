import { rejectBoth, type ScenarioTemplate } from './define.js';

/** Certificate format and extensions. */
export const extensions: readonly ScenarioTemplate[] = [
  {
    name: 'unknown-critical-extension',
    severity: 'security',
    title: 'Unknown critical extension in the leaf',
    description:
      'A validator must reject a certificate with a critical extension it does not recognise (RFC 5280 §4.2).',
    spec: ['RFC 5280 §4.2'],
    importance: 'medium',
    fixture: 'unknown-critical-extension',
    expect: rejectBoth(['unsupported_certificate', 'certificate_unknown', 'bad_certificate']),
  },
  {
    name: 'x509-v1-leaf',
    severity: 'protocol',
    title: 'X.509 v1 client certificate',
    description:
      'Version 1 end-entity certificates are still legal under RFC 5280 and OpenSSL accepts them; strict profiles ' +
      'reject them. Both decisions conform; the observation shows which the server takes.',
    spec: ['RFC 5280 §4.1.2.1'],
    importance: 'low',
    fixture: 'x509-v1-leaf',
    expect: {
      require: {
        decision: 'reject',
        alerts: ['unsupported_certificate', 'bad_certificate', 'certificate_unknown'],
        eitherDecision: true,
      },
      optional: {
        decision: 'reject',
        alerts: ['unsupported_certificate', 'bad_certificate', 'certificate_unknown'],
        eitherDecision: true,
      },
    },
  },
];
