import { rejectBoth, type ScenarioTemplate } from './define.js';

const UNTRUSTED = ['unknown_ca', 'bad_certificate', 'certificate_unknown'] as const;

/** Trust anchors. */
export const trust: readonly ScenarioTemplate[] = [
  {
    name: 'unknown-ca',
    severity: 'security',
    title: 'Client certificate from an unknown CA',
    description:
      'Issued by an unrelated root the server was not configured with: no path to a trust anchor, unknown_ca.',
    spec: ['RFC 5280 §6.1', 'RFC 8446 §6.2'],
    importance: 'high',
    fixture: 'unknown-ca',
    expect: rejectBoth(UNTRUSTED),
  },
  {
    name: 'self-signed',
    severity: 'security',
    title: 'Self-signed client certificate',
    description: 'A self-signed leaf is its own issuer and is not a trust anchor of the server.',
    spec: ['RFC 5280 §6.1'],
    importance: 'high',
    fixture: 'self-signed',
    expect: rejectBoth(UNTRUSTED),
  },
];
