import { rejectBoth, type ScenarioTemplate } from './define.js';

const REVOKED = ['certificate_revoked', 'bad_certificate', 'certificate_unknown'] as const;

/** Revocation by CRL and OCSP. */
export const revocation: readonly ScenarioTemplate[] = [
  {
    name: 'revoked-crl',
    severity: 'security',
    title: "Client certificate on the issuer's CRL",
    description:
      "The leaf's serial is on the intermediate's CRL (keyCompromise); a server checking CRLs must refuse it.",
    spec: ['RFC 5280 §5', 'RFC 5280 §6.3'],
    importance: 'high',
    fixture: 'revoked',
    expect: rejectBoth(REVOKED),
    requires: ['crl'],
  },
  {
    name: 'revoked-ocsp',
    severity: 'security',
    title: 'Client certificate revoked per OCSP only',
    description:
      'The OCSP responder answers revoked but the CRL does not list it, so only a server that checks OCSP for client ' +
      'certificates catches it.',
    spec: ['RFC 6960 §2.2'],
    importance: 'high',
    fixture: 'revoked-ocsp-only',
    expect: rejectBoth(REVOKED),
    requires: ['ocsp'],
  },
  {
    name: 'revoked-intermediate',
    severity: 'security',
    title: "Intermediate on the root's CRL",
    description:
      'The intermediate is revoked by the root (cACompromise): revocation must be checked for every CA on the path.',
    spec: ['RFC 5280 §6.3'],
    importance: 'high',
    fixture: 'revoked-intermediate',
    expect: rejectBoth(REVOKED),
    requires: ['crl'],
  },
];
