/**
 * What the server asks for (issue 13): observations of its CertificateRequest (RFC 8446 §4.3.2, RFC 5246 §7.4.4),
 * each judged as the scenario's severity says. The wire client connects once per policy and TLS version with the
 * valid identity (ProcedureContext.once), records the CertificateRequest and answers it; every `certificate-request`
 * scenario reads the same observation and checks one property (`params.check`):
 *
 * - `signature-algorithms`: no MD5 or SHA-1 scheme offered (RFC 9155 §2 for TLS 1.2, RFC 8446 §4.2.3 for TLS 1.3);
 * - `certificate-authorities`: the CA names are present and name the trust anchor the server was configured with
 *   (the fixture set's trusted root);
 * - `ca-list-size`: the CA list names no more CAs than the server was configured to trust (a system store sent
 *   whole is the usual cause of a CertificateRequest too large for some clients);
 * - `certificate-types` (TLS 1.2): the list offers the type of the valid client's key, and no obsolete fixed-DH type.
 *
 * The decision is the valid client's: an application-data round trip proves acceptance, as for any scenario that
 * must be accepted. The property checked is proven by the bytes the client received; a broken rule fails the
 * scenario (ProcedureOutcome.violation) whatever the decision. A server that sent no CertificateRequest is reported
 * in words and fails the check: there was nothing asked for.
 */
import { X509Certificate } from 'node:crypto';
import type { TlsVersion } from '../../core/scenario.js';
import { schemeCode, type WireCertificateRequest, type WireResult } from '../../wire/index.js';
import { mechanism } from '../classify.js';
import { assess } from '../evidence.js';
import { registerProcedure, type ProcedureContext, type ProcedureOutcome, type ProcedureSkip } from './index.js';

/** The properties a `certificate-request` scenario checks. */
export type CertificateRequestCheck =
  'signature-algorithms' | 'certificate-authorities' | 'ca-list-size' | 'certificate-types';

const CHECKS: readonly CertificateRequestCheck[] = [
  'signature-algorithms',
  'certificate-authorities',
  'ca-list-size',
  'certificate-types',
];

/** What one check concluded: the observed values in words, and the rule broken, if any. */
export interface CheckResult {
  readonly finding: string;
  readonly violation?: string;
}

/** The hash of a signature scheme code point when it is MD5 or SHA-1 (TLS 1.2 HashAlgorithm md5(1), sha1(2)). */
function legacyHash(name: string): 'MD5' | 'SHA-1' | undefined {
  const code = schemeCode(name);
  if (code === undefined) return undefined;
  // NOTE: RFC 5246 §7.4.1.4.1 — the high byte is the hash, the low byte the signature (anonymous 0, rsa 1, dsa 2,
  // ecdsa 3); TLS 1.3 code points with a high byte of 1 or 2 are the same legacy pairs.
  const hash = code >> 8;
  const sig = code & 0xff;
  if (sig > 3) return undefined;
  return hash === 1 ? 'MD5' : hash === 2 ? 'SHA-1' : undefined;
}

/** Case- and space-insensitive form of a distinguished name, as the CertificateRequest check compares them. */
function normDn(dn: string): string {
  return dn.replace(/\s+/g, '').toLowerCase();
}

/** `3 names` / `1 name`. */
function count(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? '' : 's'}`;
}

/** The signature algorithms offered: no MD5 or SHA-1 (pure; exported for unit tests). */
export function checkSignatureAlgorithms(cr: WireCertificateRequest, tls: TlsVersion): CheckResult {
  const legacy = cr.signatureAlgorithms.filter((s) => legacyHash(s) !== undefined);
  const offered = `signature_algorithms offers ${count(cr.signatureAlgorithms.length, 'scheme')}: ${cr.signatureAlgorithms.join(', ')}`;
  if (legacy.length === 0) return { finding: `${offered}; no MD5 or SHA-1 scheme` };
  const rule =
    tls === '1.2'
      ? 'RFC 9155 §2: servers MUST NOT include MD5 and SHA-1 in CertificateRequest messages'
      : 'RFC 8446 §4.2.3: MD5 and SHA-1 schemes are not defined for TLS 1.3 handshake signatures';
  return {
    finding: `${offered}; MD5/SHA-1 among them: ${legacy.join(', ')}`,
    violation: `the CertificateRequest offers ${legacy.join(', ')} (${rule})`,
  };
}

/** The CA names: present and naming the configured trust anchors (pure; exported for unit tests). */
export function checkCertificateAuthorities(
  cr: WireCertificateRequest,
  tls: TlsVersion,
  anchors: readonly string[],
): CheckResult {
  const field = tls === '1.2' ? 'certificate_authorities' : 'the certificate_authorities extension';
  const names = cr.certificateAuthorities;
  if (names.length === 0)
    return {
      finding: `${field} names no CA: a client holding several certificates is not told which one the server trusts`,
      violation: `the CertificateRequest names no CA; the server was configured with ${anchors.join('; ')}`,
    };
  const sent = new Set(names.map(normDn));
  const missing = anchors.filter((a) => !sent.has(normDn(a)));
  const extra = names.filter((n) => !anchors.some((a) => normDn(a) === normDn(n)));
  const listed = `${field} names ${count(names.length, 'CA')}: ${names.join('; ')}`;
  if (missing.length === 0 && extra.length === 0)
    return { finding: `${listed}; equal to the configured trust anchor${anchors.length === 1 ? '' : 's'}` };
  const parts = [
    ...(missing.length ? [`the configured anchor ${missing.join('; ')} is not among them`] : []),
    ...(extra.length ? [`${count(extra.length, 'name')} the server was not configured to trust`] : []),
  ];
  return {
    finding: `${listed}; ${parts.join(', ')}`,
    violation: `the CA names are not the configured trust anchors: ${parts.join(', ')}`,
  };
}

/** The size of the CA list: no more names than configured anchors (pure; exported for unit tests). */
export function checkCaListSize(cr: WireCertificateRequest, anchors: readonly string[]): CheckResult {
  const n = cr.certificateAuthorities.length;
  const size = `the CA list holds ${count(n, 'name')} (${cr.certificateAuthoritiesBytes} bytes of encoded names); the server was configured with ${count(anchors.length, 'trust anchor')}`;
  if (n <= anchors.length) return { finding: size };
  return {
    finding: size,
    violation: `the CA list names ${n - anchors.length} more CA${n - anchors.length === 1 ? '' : 's'} than the server was configured to trust`,
  };
}

/** The TLS 1.2 certificate types a key needs (RFC 5246 §7.4.4; RFC 8422 §5.5: ecdsa_sign also covers EdDSA keys). */
function typeFor(keyType: string | undefined): string | undefined {
  if (keyType === 'rsa' || keyType === 'rsa-pss') return 'rsa_sign';
  if (keyType === 'ec' || keyType === 'ed25519' || keyType === 'ed448') return 'ecdsa_sign';
  return undefined;
}

/** Fixed-(EC)DH types: clients authenticate with a static key exchange that TLS 1.2 with ECDHE never uses. */
const OBSOLETE_TYPES = new Set([
  'rsa_fixed_dh',
  'dss_fixed_dh',
  'rsa_ephemeral_dh',
  'dss_ephemeral_dh',
  'fortezza_dms',
]);

/** TLS 1.2 certificate_types: the valid client's key type offered (pure; exported for unit tests). */
export function checkCertificateTypes(cr: WireCertificateRequest, clientKeyType: string | undefined): CheckResult {
  const types = cr.certificateTypes ?? [];
  const listed = types.length ? `certificate_types: ${types.join(', ')}` : 'certificate_types is empty';
  const needed = typeFor(clientKeyType);
  const obsolete = types.filter((t) => OBSOLETE_TYPES.has(t));
  const notes = obsolete.length ? `; obsolete: ${obsolete.join(', ')}` : '';
  if (needed && !types.includes(needed))
    return {
      finding: `${listed}${notes}; the valid client's ${clientKeyType} key needs ${needed}`,
      violation: `certificate_types lacks ${needed}, the type of the valid client's ${clientKeyType} key (RFC 5246 §7.4.4: a client's certificate MUST be of a listed type)`,
    };
  return {
    finding: `${listed}${notes}${needed ? `; includes ${needed} for the valid client's ${clientKeyType} key` : ''}`,
  };
}

/** Runs one `certificate-request` scenario. */
async function certificateRequest(ctx: ProcedureContext): Promise<ProcedureOutcome | ProcedureSkip> {
  const scenario = ctx.scenario;
  const check = scenario.procedure?.params?.['check'] as CertificateRequestCheck | undefined;
  if (!check || !CHECKS.includes(check))
    throw new Error(`scenario ${scenario.id}: procedure 'certificate-request' has no check '${String(check)}'`);
  if (check === 'certificate-types' && ctx.tls !== '1.2')
    return { skip: { kind: 'client', detail: 'certificate_types exists in TLS 1.2 only (RFC 5246 §7.4.4)' } };
  const fixture = ctx.fixtures.fixture(scenario.fixture ?? 'valid');
  // NOTE: one connection per policy, version and path serves every check: they read the same CertificateRequest.
  const result: WireResult = await ctx.once(
    `certificate-request|${scenario.policy}|${ctx.tls}|${ctx.servername}|${ctx.mode}|${fixture.id}`,
    () => ctx.wire({ chainPem: ctx.read(fixture.chain), keyPem: ctx.read(fixture.key) }),
  );
  const observation = assess('wire', result.observation, 'client-certificate', ctx.tls);
  const cr = result.certificateRequest;
  if (!cr) {
    return {
      observations: [observation],
      controls: [],
      finding: `the server sent no CertificateRequest (${mechanism(result.observation)})`,
      violation: 'the server sent no CertificateRequest, so it asked for nothing',
    };
  }
  const anchors = ctx.fixtures.manifest.cas.filter((c) => c.trusted).map((c) => c.subject);
  let judged: CheckResult;
  switch (check) {
    case 'signature-algorithms':
      judged = checkSignatureAlgorithms(cr, ctx.tls);
      break;
    case 'certificate-authorities':
      judged = checkCertificateAuthorities(cr, ctx.tls, anchors);
      break;
    case 'ca-list-size':
      judged = checkCaListSize(cr, anchors);
      break;
    case 'certificate-types': {
      const keyType = new X509Certificate(ctx.read(fixture.cert)).publicKey.asymmetricKeyType;
      judged = checkCertificateTypes(cr, keyType);
      break;
    }
  }
  return { observations: [observation], controls: [], ...judged };
}

registerProcedure('certificate-request', certificateRequest);
