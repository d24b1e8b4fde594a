import type { Expectation } from '../core/scenario.js';
import { ACCEPT_BOTH, eitherBoth, rejectBoth, type ScenarioTemplate } from './define.js';

const UNTRUSTED = ['unknown_ca', 'bad_certificate', 'certificate_unknown'] as const;
const PURPOSE = ['unsupported_certificate', 'bad_certificate', 'certificate_unknown', 'unknown_ca'] as const;
const NAME_CONSTRAINTS = ['bad_certificate', 'certificate_unknown'] as const;

/** The same expectation under both policies, marked as a bounded-time check. */
function bounded(e: { require: Expectation; optional: Expectation }): { require: Expectation; optional: Expectation } {
  return { require: { ...e.require, boundedTime: true }, optional: { ...e.optional, boundedTime: true } };
}

/** A name-constraint violation (issue 13): each name form on its own intermediate. */
function nameConstraint(name: string, title: string, description: string): ScenarioTemplate {
  return {
    name,
    severity: 'security',
    title,
    description,
    spec: ['RFC 5280 §4.2.1.10', 'RFC 5280 §6.1.3 (b)'],
    importance: 'medium',
    fixture: name,
    expect: rejectBoth(NAME_CONSTRAINTS),
  };
}

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
  // Issue 13: chain structure.
  {
    name: 'intermediate-no-key-cert-sign',
    severity: 'security',
    title: 'Intermediate whose keyUsage lacks keyCertSign',
    description:
      'The intermediate has keyUsage digitalSignature | cRLSign: its key may not verify certificate signatures, so ' +
      'it cannot be the issuer on a valid path.',
    spec: ['RFC 5280 §4.2.1.3', 'RFC 5280 §6.1.4 (n)'],
    importance: 'high',
    fixture: 'intermediate-no-key-cert-sign',
    expect: rejectBoth([...UNTRUSTED, 'unsupported_certificate']),
  },
  {
    name: 'intermediate-eku-server-auth-only',
    severity: 'advisory',
    title: 'Intermediate restricted to EKU serverAuth',
    description:
      'The intermediate carries extendedKeyUsage serverAuth only, as public CA hierarchies do from 2026; the leaf ' +
      'says clientAuth. RFC 5280 defines EKU for the end entity, so refusing rests on the nesting rule OpenSSL, Go ' +
      'and NSS apply (every CA on the path must allow the purpose): a finding, not a gate.',
    spec: ['RFC 5280 §4.2.1.12'],
    importance: 'medium',
    fixture: 'intermediate-eku-server-auth-only',
    expect: rejectBoth(PURPOSE),
  },
  {
    name: 'intermediate-unknown-critical-extension',
    severity: 'security',
    title: 'Unknown critical extension in the intermediate',
    description:
      'The intermediate carries an extension the validator cannot know, marked critical: the certificate must be ' +
      'rejected wherever it stands on the path (RFC 5280 §4.2).',
    spec: ['RFC 5280 §4.2', 'RFC 5280 §6.1.4 (o)'],
    importance: 'medium',
    fixture: 'intermediate-unknown-critical-extension',
    expect: rejectBoth(['unsupported_certificate', 'certificate_unknown', 'bad_certificate', 'unknown_ca']),
  },
  {
    name: 'expired-root',
    severity: 'advisory',
    title: 'Trust anchor expired',
    description:
      'The chain ends at a second trust anchor of the server (trust.pem) that expired 30 days ago. RFC 5280 §6.1 ' +
      'takes a trust anchor as a name and a key, leaving its validity to the relying party; OpenSSL and Go refuse ' +
      'it. A server that accepts is reported, not gated.',
    spec: ['RFC 5280 §6.1.1 (d)', 'RFC 5937'],
    importance: 'medium',
    fixture: 'expired-root',
    expect: rejectBoth(['certificate_expired', 'unknown_ca', 'bad_certificate', 'certificate_unknown']),
  },
  {
    name: 'aki-mismatch',
    severity: 'protocol',
    title: "Leaf AKI does not match the issuer's SKI",
    description:
      "The leaf's authorityKeyIdentifier is not the intermediate's subjectKeyIdentifier, while the issuer name and " +
      'the signature are right. The AKI only helps path building (RFC 5280 §4.2.1.1): finding the issuer by name ' +
      'and accepting (Go) conforms, and so does taking the mismatch as "not the issuer" (OpenSSL).',
    spec: ['RFC 5280 §4.2.1.1', 'RFC 5280 §4.2.1.2'],
    importance: 'low',
    fixture: 'aki-mismatch',
    expect: eitherBoth(UNTRUSTED),
  },
  nameConstraint(
    'nc-excluded-dns',
    'Leaf DNS name inside an excluded subtree',
    'The intermediate excludes dNSName clients.mtls-harness.test and the leaf SAN lies inside it: an excluded ' +
      'subtree wins over any permission.',
  ),
  nameConstraint(
    'nc-email-violation',
    'Leaf mailbox outside the permitted rfc822Name subtree',
    'The intermediate permits mailboxes at permitted.mtls-harness.test only; the leaf SAN carries ' +
      'client@clients.mtls-harness.test.',
  ),
  nameConstraint(
    'nc-directory-name-violation',
    'Leaf subject outside the permitted directoryName subtree',
    'The intermediate permits the directoryName subtree O=mtls-harness permitted only; the leaf subject is not in it.',
  ),
  nameConstraint(
    'nc-ip-violation',
    'Leaf IP address outside the permitted iPAddress range',
    'The intermediate permits iPAddress 10.0.0.0/8 only; the leaf SAN carries 192.0.2.10.',
  ),
  nameConstraint(
    'nc-uri-violation',
    'Leaf SPIFFE ID outside the permitted URI host',
    'The intermediate permits URIs whose host is permitted.mtls-harness.test only (one SPIFFE trust domain); the ' +
      'leaf SPIFFE ID is in the trust domain mtls-harness.test.',
  ),
  {
    name: 'nc-satisfied',
    severity: 'protocol',
    title: 'Leaf names inside every name constraint',
    description:
      'The intermediate permits the leaf DNS name, URI host and mailbox domain (and an IP range the leaf does not ' +
      'use) and excludes another DNS subtree: a valid chain. The twin of the nc-* violations: a server that refuses ' +
      'every name-constrained chain fails here.',
    spec: ['RFC 5280 §4.2.1.10', 'RFC 5280 §6.1.3 (b)'],
    importance: 'medium',
    fixture: 'nc-satisfied',
    expect: ACCEPT_BOTH,
  },
  {
    name: 'require-explicit-policy',
    severity: 'protocol',
    title: 'requireExplicitPolicy with no policy on the path',
    description:
      'The intermediate sets policyConstraints requireExplicitPolicy=0 and no certificate names a policy: RFC 5280 ' +
      'policy processing ends with explicit_policy 0 and no valid policy tree, so the path is invalid. Many TLS ' +
      'stacks skip policy processing (OpenSSL without -policy_check).',
    spec: ['RFC 5280 §4.2.1.11', 'RFC 5280 §6.1.5 (g)'],
    importance: 'low',
    fixture: 'require-explicit-policy',
    expect: rejectBoth(['bad_certificate', 'certificate_unknown', 'unknown_ca']),
  },
  {
    name: 'chain-five-levels',
    severity: 'protocol',
    title: 'Valid chain of five levels',
    description:
      'root → three intermediates → leaf, all valid: within any reasonable depth limit, so the server must accept.',
    spec: ['RFC 5280 §6.1', 'RFC 8446 §4.4.2'],
    importance: 'medium',
    fixture: 'chain-five-levels',
    expect: ACCEPT_BOTH,
  },
  {
    name: 'chain-over-depth-limit',
    severity: 'protocol',
    title: 'Valid chain one intermediate over the declared depth limit',
    description:
      'Six intermediate CAs, one more than the verify depth (5) the server declares: a server must apply the limit ' +
      'it is configured with. Needs the verify-depth feature.',
    spec: ['RFC 5280 §6.1', 'RFC 8446 §4.4.2'],
    importance: 'low',
    fixture: 'chain-over-depth-limit',
    expect: rejectBoth(UNTRUSTED),
    requires: ['verify-depth'],
  },
  {
    name: 'chain-fifty-intermediates',
    severity: 'protocol',
    title: 'Client chain of 51 certificates (bounded time)',
    description:
      'A valid path with 50 intermediates. No RFC bounds a chain, so accepting it or refusing it by a depth limit ' +
      'both conform; the verdict is a bounded-time check: the server must answer within the probe timeout.',
    spec: ['RFC 8446 §4.4.2', 'RFC 5280 §6.1'],
    importance: 'medium',
    fixture: 'chain-fifty-intermediates',
    expect: bounded(eitherBoth(UNTRUSTED)),
  },
  {
    name: 'chain-cycle',
    severity: 'security',
    title: 'Client chain with a cycle (bounded time)',
    description:
      'Two CAs certify each other and neither reaches the trust anchor: a path builder that follows issuers ' +
      'without a visited set loops. The server must refuse, within the probe timeout.',
    spec: ['RFC 5280 §6.1', 'RFC 4158 §2.4.2'],
    importance: 'medium',
    fixture: 'chain-cycle',
    expect: bounded(rejectBoth(UNTRUSTED)),
  },
];
