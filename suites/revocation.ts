import type { AlertName } from '../core/alerts.js';
import type { CrlVariantName, OcspFailureMode } from '../core/manifest.js';
import { rejectBoth, type ScenarioTemplate } from './define.js';

const REVOKED = ['certificate_revoked', 'bad_certificate', 'certificate_unknown'] as const;
/** A refusal over a revocation state that could not be established (no RFC alert is specific to it). */
const UNDETERMINED: readonly AlertName[] = [
  'certificate_unknown',
  'bad_certificate',
  'certificate_revoked',
  'handshake_failure',
  'access_denied',
];

/** The policy words of a failure the RFCs leave to the server: refuse (hard-fail) or let through (soft-fail). */
const failPolicy = (what: string) => ({
  rejected: `hard-fail: refused the client when ${what}`,
  accepted: `soft-fail: accepted the client when ${what}`,
});

/** A scenario of one OCSP responder failure mode (fixture `ocsp-<mode>`, fixtures-gen/ocsp-modes.ts). */
function ocspMode(
  mode: OcspFailureMode,
  title: string,
  description: string,
  spec: readonly string[],
  advisory?: string,
): ScenarioTemplate {
  return {
    name: `ocsp-${mode}`,
    severity: advisory ? 'advisory' : 'security',
    title,
    description,
    spec,
    importance: advisory ? 'medium' : 'high',
    fixture: `ocsp-${mode}`,
    expect: rejectBoth(UNDETERMINED),
    requires: ['ocsp'],
    ...(advisory ? { policyFinding: failPolicy(advisory) } : {}),
  };
}

/** A scenario run against the server configured with an alternative CRL bundle (`crl/variants/<variant>.crl.pem`). */
function crlVariant(
  variant: CrlVariantName,
  fixture: string,
  title: string,
  description: string,
  spec: readonly string[],
  advisory?: { rejected: string; accepted: string },
): ScenarioTemplate {
  return {
    name: `crl-${variant}`,
    severity: advisory ? 'advisory' : 'security',
    title,
    description,
    spec,
    importance: advisory ? 'medium' : 'high',
    fixture,
    expect: rejectBoth(fixture === 'crl-variant-revoked' ? [...REVOKED, 'handshake_failure'] : UNDETERMINED),
    requires: ['crl'],
    crlVariant: variant,
    ...(advisory ? { policyFinding: advisory } : {}),
  };
}

/** Revocation when something goes wrong (issue 13): the responder fails, or the CRLs the server holds are bad. */
const failures: readonly ScenarioTemplate[] = [
  ocspMode(
    'try-later',
    'OCSP responder answers tryLater',
    'The responder answers the OCSPResponseStatus tryLater (RFC 6960 §2.3): no status at all. Refusing the client ' +
      '(hard-fail) or letting it through (soft-fail) is the server’s policy; the report says which it is.',
    ['RFC 6960 §2.3'],
    'the responder answered tryLater',
  ),
  ocspMode(
    'unknown',
    'OCSP responder answers unknown',
    'A signed, current response with certStatus unknown (RFC 6960 §2.2): the responder does not know the ' +
      'certificate. Nothing says it is good; refusing or letting it through is the server’s policy.',
    ['RFC 6960 §2.2'],
    'the responder answered unknown',
  ),
  ocspMode(
    'unauthorized',
    'OCSP responder answers unauthorized',
    'The responder answers the OCSPResponseStatus unauthorized (RFC 6960 §2.3): it will not answer for this ' +
      'certificate. No status; refusing or letting it through is the server’s policy.',
    ['RFC 6960 §2.3'],
    'the responder answered unauthorized',
  ),
  ocspMode(
    'wrong-signer',
    "OCSP 'good' signed by a key that is neither the CA's nor a delegated responder's",
    "A current 'good' whose responderID names the CA but whose signature is made by another key: a forgery. " +
      'RFC 6960 §3.2 makes the client verify the signature against the CA or a delegated responder it certified; a ' +
      'server that accepts the client on it takes an attacker’s word for the certificate’s status.',
    ['RFC 6960 §3.2', 'RFC 6960 §4.2.2.2'],
  ),
  ocspMode(
    'other-serial',
    "OCSP 'good' for another serial number",
    "A current, correctly signed 'good' whose CertID names another serial than the one asked about: it says " +
      'nothing about this certificate (RFC 6960 §3.2 item 1: the response must identify the certificate in the ' +
      'request). Accepting the client on it is accepting an unanswered status as good.',
    ['RFC 6960 §3.2', 'RFC 6960 §4.1.1'],
  ),
  ocspMode(
    'stale',
    "Stale OCSP 'good' (nextUpdate a day ago)",
    "A correctly signed 'good' whose nextUpdate passed a day ago: RFC 6960 §3.2 item 5 (and RFC 5019 §4) make " +
      'the client reject a response whose nextUpdate is in the past; a replayed old response is how a revoked ' +
      'certificate would get through.',
    ['RFC 6960 §3.2', 'RFC 5019 §4'],
  ),
  ocspMode(
    'future',
    "OCSP 'good' whose thisUpdate is a day ahead",
    "A correctly signed 'good' whose thisUpdate lies a day in the future: RFC 6960 §3.2 item 4 requires the " +
      'time the status was known to be sufficiently recent, and a response from the future is not.',
    ['RFC 6960 §3.2'],
  ),
  ocspMode(
    'no-answer',
    'OCSP responder never answers',
    'The responder reads the request and never answers. The server must decide within the probe timeout (a client ' +
      'kept waiting is not a decision); refusing (hard-fail) or letting it through (soft-fail) once its own OCSP ' +
      'timeout passes is its policy.',
    ['RFC 6960 §2.3', 'RFC 5019 §6'],
    'the responder never answered',
  ),
  ocspMode(
    'refused',
    'OCSP URL where nothing listens',
    'The certificate’s OCSP URL is http://127.0.0.1:1/ocsp/refused, where nothing listens (a server configured ' +
      'with a fixed responder URL meets a reset connection instead). Refusing or letting the client through is the ' +
      'server’s policy.',
    ['RFC 6960 §2.3', 'RFC 5280 §4.2.2.1'],
    'the responder could not be reached',
  ),
  crlVariant(
    'expired',
    'crl-variant-revoked',
    'Expired CRL (nextUpdate 30 days ago) that predates the revocation',
    "The server holds, for the leaf's issuer, a CRL whose nextUpdate passed 30 days ago and which does not list the " +
      'leaf (it was revoked later). RFC 5280 §6.3.3 (a) makes a relying party obtain a current CRL; taking the ' +
      'stale one as current lets a revoked certificate in.',
    ['RFC 5280 §6.3.3', 'RFC 5280 §5.1.2.5'],
  ),
  crlVariant(
    'wrong-key',
    'crl-variant-revoked',
    'CRL signed by the wrong key',
    "The leaf's issuer's CRL names that CA (issuer and authorityKeyIdentifier) and omits the revoked leaf, but is " +
      'signed by another key. RFC 5280 §6.3.3 (f)–(g) require the CRL signature to verify with the issuer’s key; a ' +
      'server that does not check it trusts a forged CRL.',
    ['RFC 5280 §6.3.3', 'RFC 5280 §5.1.1.3'],
  ),
  crlVariant(
    'no-crl-sign',
    'crl-issuer-no-crl-sign',
    'CRL from an issuer without cRLSign',
    "The leaf's issuing CA lacks cRLSign in its keyUsage, and its CRL (which lists nothing) is signed by it. RFC " +
      '5280 §4.2.1.3 and §6.3.3 (f) forbid using a CRL from an issuer not allowed to sign CRLs, so the revocation ' +
      'state is undetermined; accepting the client takes an unauthorised CRL for an answer.',
    ['RFC 5280 §4.2.1.3', 'RFC 5280 §6.3.3'],
  ),
  crlVariant(
    'missing-level',
    'crl-variant-good',
    'CRL bundle missing one CA level',
    "The server's CRLs lack the one of the leaf's issuing CA: the leaf's revocation state cannot be determined " +
      '(RFC 5280 §6.3.3 ends UNDETERMINED). Refusing (hard-fail) or letting the client through (soft-fail) is the ' +
      'server’s policy.',
    ['RFC 5280 §6.3.3'],
    failPolicy("the issuing CA's CRL was missing"),
  ),
  crlVariant(
    'delta',
    'crl-variant-revoked',
    'Delta CRL naming the revoked certificate',
    "The issuing CA's complete CRL (cRLNumber 1, with freshestCRL) omits the leaf; a delta CRL (deltaCRLIndicator 1) " +
      'lists it (keyCompromise). A relying party that uses deltas (RFC 5280 §5.2.4, §6.3.3 (b)) refuses it; using ' +
      'them is an option the RFC leaves to the relying party, so the report says which it does.',
    ['RFC 5280 §5.2.4', 'RFC 5280 §6.3.3'],
    {
      rejected: 'delta CRLs honoured: refused the client a delta CRL revokes',
      accepted: 'delta CRLs ignored: accepted the client a delta CRL revokes',
    },
  ),
];

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
  ...failures,
];
