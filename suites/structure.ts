import { eitherBoth, rejectBoth, type ScenarioTemplate } from './define.js';

const PURPOSE = ['unsupported_certificate', 'bad_certificate', 'certificate_unknown'] as const;
const MALFORMED = [
  'bad_certificate',
  'decode_error',
  'unsupported_certificate',
  'certificate_unknown',
  'unknown_ca',
] as const;

/** A serial number a CA must not issue, which certificate users should handle gracefully either way. */
function serial(name: string, title: string, what: string): ScenarioTemplate {
  return {
    name,
    // NOTE: RFC 5280 §4.1.2.2 binds CAs, and asks certificate users to be prepared for non-conforming serials.
    severity: 'advisory',
    title,
    description: `${what} RFC 5280 §4.1.2.2 forbids it to CAs and asks certificate users to handle it gracefully: accepting and refusing both conform; the finding says which the server does.`,
    spec: ['RFC 5280 §4.1.2.2'],
    importance: 'low',
    fixture: name,
    expect: eitherBoth(['bad_certificate', 'decode_error', 'certificate_unknown']),
  };
}

/** Fields and extensions of the client certificate a CA must not issue (issue 13). */
export const structure: readonly ScenarioTemplate[] = [
  {
    name: 'leaf-ca-true',
    severity: 'protocol',
    title: 'Client leaf with basicConstraints cA=TRUE',
    description:
      'The end-entity certificate says it is a CA. RFC 5280 path validation checks cA only on the certificates ' +
      'above the leaf, so accepting conforms (OpenSSL does); the CA/Browser Forum and webpki profiles refuse a CA ' +
      'certificate as an end entity.',
    spec: ['RFC 5280 §4.2.1.9', 'RFC 5280 §6.1'],
    importance: 'low',
    fixture: 'leaf-ca-true',
    expect: eitherBoth(PURPOSE),
  },
  {
    name: 'leaf-key-cert-sign',
    severity: 'protocol',
    title: 'Client leaf with keyUsage keyCertSign and cA=FALSE',
    description:
      'RFC 5280 §4.2.1.9 says keyCertSign must not be asserted without cA, a rule for the issuing CA that path ' +
      'validation does not check: accepting conforms (OpenSSL 3.0 does unless -x509_strict), refusing too.',
    spec: ['RFC 5280 §4.2.1.3', 'RFC 5280 §4.2.1.9'],
    importance: 'low',
    fixture: 'leaf-key-cert-sign',
    expect: eitherBoth(PURPOSE),
  },
  {
    name: 'duplicate-extension',
    severity: 'protocol',
    title: 'Client leaf with a duplicated extension',
    description:
      'subjectAltName appears twice. RFC 5280 §4.2: a certificate MUST NOT include more than one instance of an ' +
      'extension; which copy a parser reads is undefined, so a strict server refuses the certificate.',
    spec: ['RFC 5280 §4.2'],
    importance: 'medium',
    fixture: 'duplicate-extension',
    expect: rejectBoth(MALFORMED),
  },
  {
    name: 'signature-algorithm-mismatch',
    severity: 'protocol',
    title: 'Outer and inner signature algorithms differ',
    description:
      'TBSCertificate.signature says ecdsa-with-SHA384, the outer signatureAlgorithm (which the signature verifies ' +
      'under) ecdsa-with-SHA256. RFC 5280 §4.1.1.2 requires both to be the same.',
    spec: ['RFC 5280 §4.1.1.2', 'RFC 5280 §4.1.2.3'],
    importance: 'medium',
    fixture: 'signature-algorithm-mismatch',
    expect: rejectBoth(['bad_certificate', 'decrypt_error', 'certificate_unknown', 'unknown_ca']),
  },
  serial('serial-zero', 'Client leaf with serial number 0', 'The leaf serialNumber is 0.'),
  serial('serial-negative', 'Client leaf with a negative serial number', 'The leaf serialNumber is negative.'),
  serial(
    'serial-too-long',
    'Client leaf with a 21-octet serial number',
    'The leaf serialNumber is 21 octets long (the limit is 20).',
  ),
];
