import { ACCEPT_BOTH, rejectBoth, type ScenarioTemplate } from './define.js';

const UNTRUSTED = ['unknown_ca', 'bad_certificate', 'certificate_unknown'] as const;

/** Path building and CA constraints. */
export const chain: readonly ScenarioTemplate[] = [
  {
    name: 'missing-intermediate',
    severity: 'security',
    title: 'Leaf sent without its intermediate',
    description:
      'The server holds only the root; without the intermediate in the client Certificate message no path can be built.',
    spec: ['RFC 8446 §4.4.2', 'RFC 5280 §6.1'],
    importance: 'high',
    fixture: 'missing-intermediate',
    expect: rejectBoth(UNTRUSTED),
  },
  {
    name: 'chain-reversed',
    severity: 'protocol',
    title: 'Chain with the CA certificates in reverse order',
    description:
      'leaf, intermediate, sub-intermediate: RFC 8446 §4.4.2 tells servers to tolerate any order after the leaf (and ' +
      'RFC 5246 implementations commonly did), so a valid path must still be found.',
    spec: ['RFC 8446 §4.4.2'],
    importance: 'medium',
    fixture: 'chain-reversed',
    expect: ACCEPT_BOTH,
  },
  {
    name: 'chain-extra-cert',
    severity: 'protocol',
    title: 'Chain with an unrelated extra certificate',
    description: 'An unrelated self-signed CA after the valid chain must be ignored; identity is the leaf alone.',
    spec: ['RFC 8446 §4.4.2'],
    importance: 'medium',
    fixture: 'chain-extra-cert',
    expect: ACCEPT_BOTH,
  },
  {
    name: 'intermediate-not-ca',
    severity: 'security',
    title: 'Intermediate with cA=false',
    description: 'basicConstraints cA=false forbids the intermediate to issue certificates (RFC 5280 §4.2.1.9).',
    spec: ['RFC 5280 §4.2.1.9', 'RFC 5280 §6.1.4 (k)'],
    importance: 'high',
    fixture: 'intermediate-not-ca',
    expect: rejectBoth(UNTRUSTED),
  },
  {
    name: 'intermediate-no-basic-constraints',
    severity: 'security',
    title: 'Intermediate without basicConstraints',
    description:
      'A v3 CA certificate must carry basicConstraints with cA=true; without it the intermediate is not a CA.',
    spec: ['RFC 5280 §4.2.1.9', 'RFC 5280 §6.1.4 (k)'],
    importance: 'high',
    fixture: 'intermediate-no-basic-constraints',
    expect: rejectBoth(UNTRUSTED),
  },
  {
    name: 'v1-intermediate',
    severity: 'security',
    title: 'X.509 v1 intermediate',
    description: 'A version 1 certificate cannot carry basicConstraints, so it cannot act as an intermediate CA.',
    spec: ['RFC 5280 §6.1.4 (k)'],
    importance: 'medium',
    fixture: 'v1-intermediate',
    expect: rejectBoth(UNTRUSTED),
  },
  {
    name: 'pathlen-exceeded',
    severity: 'security',
    title: 'pathLenConstraint exceeded',
    description: 'root → CA(pathLen 0) → sub-CA → leaf: the sub-CA breaks the pathLenConstraint of its issuer.',
    spec: ['RFC 5280 §4.2.1.9', 'RFC 5280 §6.1.4 (l)'],
    importance: 'high',
    fixture: 'pathlen-exceeded',
    expect: rejectBoth(UNTRUSTED),
  },
  {
    name: 'name-constraints-violation',
    severity: 'security',
    title: 'Name constraints violated',
    description: 'The intermediate permits only permitted.mtls-harness.test; the leaf SAN dNSName lies outside it.',
    spec: ['RFC 5280 §4.2.1.10', 'RFC 5280 §6.1.3 (b)'],
    importance: 'medium',
    fixture: 'name-constraints-violation',
    expect: rejectBoth(['bad_certificate', 'certificate_unknown']),
  },
];
