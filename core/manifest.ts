import { X509Certificate } from 'node:crypto';
import { readFileSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import type { AlertName } from './alerts.js';
import { HarnessError } from './errors.js';
import { committedSchema, schemaErrors } from './json-schema.js';

/**
 * Key and signature profiles fixtures-gen can issue. `rsa-1024` is only used for the weak-key fixture,
 * `rsassa-pss-2048` (an RSASSA-PSS public key, id-RSASSA-PSS, RFC 4055) only for the `valid-rsassa-pss` leaf.
 */
export const KEY_PROFILES = ['ecdsa-p256', 'ecdsa-p384', 'rsa-2048', 'rsa-pss-2048', 'ed25519'] as const;
/** A selectable key profile. */
export type KeyProfile = (typeof KEY_PROFILES)[number];
/**
 * Every key kind that can appear in a manifest: the profiles, `rsa-1024` (weak-key fixture), `rsassa-pss-2048` (an id-RSASSA-PSS key), the larger valid
 * profiles of issue 13 that only leaves use (`rsa-3072`, `rsa-4096`, `ecdsa-p521`, `ed448`) and `ecdsa-secp256k1`
 * (a curve TLS servers do not support; the unsupported-curve fixture).
 */
export type KeyKind =
  KeyProfile | 'rsa-1024' | 'rsassa-pss-2048' | 'rsa-3072' | 'rsa-4096' | 'ecdsa-p521' | 'ed448' | 'ecdsa-secp256k1';

/** The version of the manifest contract; bumped only on an incompatible change. */
export const MANIFEST_SCHEMA_VERSION = 1;

/**
 * What the fixtures' OCSP responder does for a mode fixture (issue 13), named by the last path segment of the OCSP
 * URL in its authorityInfoAccess (fixtures-gen/ocsp-modes.ts describes each).
 */
export const OCSP_FAILURE_MODES = [
  'try-later',
  'unknown',
  'unauthorized',
  'wrong-signer',
  'other-serial',
  'stale',
  'future',
  'no-answer',
  'refused',
] as const;
/** One OCSP responder failure mode. */
export type OcspFailureMode = (typeof OCSP_FAILURE_MODES)[number];

/** The alternative CRL bundles a fixture set carries (issue 13), by `--crl-variant` name. */
export const CRL_VARIANTS = ['expired', 'wrong-key', 'no-crl-sign', 'missing-level', 'delta'] as const;
/** One alternative CRL bundle. */
export type CrlVariantName = (typeof CRL_VARIANTS)[number];

/**
 * An alternative CRL bundle: the set's CRL bundle with the CRLs of one dedicated CA changed, so a server configured
 * with it judges every other fixture as with the standard bundle.
 */
export interface ManifestCrlVariant {
  readonly id: CrlVariantName;
  readonly description: string;
  /** PEM bundle (label `X509 CRL`), one CRL per CA level, relative to the manifest. */
  readonly bundle: string;
  /**
   * The fixture whose verdict the bundle changes and the error number the manifest's `opensslVerify.command` reports
   * for it with `-CRLfile` naming this bundle and `-use_deltas` added.
   */
  readonly verify: { readonly fixture: string; readonly opensslVerifyError: number };
}

/** What a strict server is expected to do with a client fixture. */
export interface FixtureExpectation {
  /** accept: the handshake completes and the client is authenticated; reject: the server refuses it. */
  readonly decision: 'accept' | 'reject';
  /** TLS alert names a correct server may send when rejecting; empty for accept. */
  readonly alerts: readonly AlertName[];
  /**
   * The error number `openssl verify` reports for the chain (see {@link Manifest.opensslVerify}), 0 when it accepts,
   * null when openssl verify cannot judge the defect (the description says why).
   */
  readonly opensslVerifyError: number | null;
}

/** Conditions under which a fixture's expectation holds. */
export type FixtureRequirement =
  /** The server checks the client's identity against an allow-list (manifest.identityAllowList). */
  | 'identity-policy'
  /** The server checks OCSP for client certificates. */
  | 'ocsp'
  /** The client must sign CertificateVerify with a key other than the certificate's (node:tls cannot). */
  | 'foreign-key-signing'
  /** The server's clock must equal the manifest clock (boundary fixtures). */
  | 'pinned-clock';

/** One CA certificate in the fixture PKI. */
export interface ManifestCa {
  readonly id: string;
  readonly description: string;
  /** Path of the certificate (PEM), relative to the manifest. */
  readonly cert: string;
  /**
   * Path of the private key (PKCS#8 PEM, mode 0600), inside the set like every path; an imported CA's key is copied
   * in too (`ca/root.key.pem`). Optional: a CA without one cannot sign OCSP answers or load identities.
   */
  readonly key?: string;
  /** Id of the issuing CA; null for a self-signed root. */
  readonly issuer: string | null;
  /** True for the trust anchor servers are configured with. */
  readonly trusted: boolean;
  readonly serial: string;
  readonly subject: string;
  readonly notBefore: string;
  readonly notAfter: string;
  /** The CRL this CA issues (PEM with label `X509 CRL`, and DER); absent for CAs outside the trusted hierarchy. */
  readonly crl?: { readonly pem: string; readonly der: string; readonly revokedSerials: readonly string[] };
}

/** One client-certificate fixture. */
export interface ManifestFixture {
  /** Stable kebab-case id, e.g. `expired`. */
  readonly id: string;
  readonly description: string;
  /** The leaf certificate alone (PEM). */
  readonly cert: string;
  /** The private key the client presents (PKCS#8 PEM, mode 0600). For `mismatched-key` it is not the cert's key. */
  readonly key: string;
  /** The certificate_list the client sends: leaf first, then whatever the fixture adds (PEM bundle). */
  readonly chain: string;
  readonly serial: string;
  readonly subject: string;
  /** Id of the CA that issued the leaf (or `self` for a self-signed leaf). */
  readonly issuer: string;
  readonly keyKind: KeyKind;
  readonly notBefore: string;
  readonly notAfter: string;
  /** What the loopback OCSP responder answers for this serial. */
  readonly ocsp: {
    /** The status a working responder answers (for a mode fixture, what the failure stands in front of). */
    readonly status: 'good' | 'revoked' | 'unknown';
    readonly reason?: string;
    readonly revokedAt?: string;
    /** A responder failure mode: what the responder does instead of answering `status` (issue 13). */
    readonly mode?: OcspFailureMode;
    /** The OCSP URL in the certificate's authorityInfoAccess, when it is not `manifest.ocsp.url`. */
    readonly url?: string;
  };
  /** Conditions the expectation depends on; a target lacking one cannot judge the fixture. */
  readonly requires: readonly FixtureRequirement[];
  readonly expect: FixtureExpectation;
}

/** The contract every later part reads; committed as JSON Schema in `schemas/manifest.schema.json`. */
export interface Manifest {
  readonly schemaVersion: typeof MANIFEST_SCHEMA_VERSION;
  readonly generator: { readonly name: 'mtls-harness'; readonly version: string };
  /** The instant every validity period and expectation is computed against (ISO-8601, whole seconds, UTC). */
  readonly clock: string;
  readonly keyProfile: KeyProfile;
  /** True when the root came from --ca-cert/--ca-key. */
  readonly importedCa: boolean;
  /** Trust anchors for servers (PEM bundle of the trusted root). */
  readonly trust: string;
  readonly cas: readonly ManifestCa[];
  readonly crl: {
    /** Every CRL of the trusted hierarchy, one PEM bundle (servers need one per CA level). */
    readonly bundle: string;
    /** Base URL written into CRL distribution points (`<base>/<ca-id>.crl`). */
    readonly url: string;
  };
  readonly ocsp: { readonly url: string };
  readonly server: {
    readonly cert: string;
    readonly key: string;
    /** Server certificate followed by its intermediate. */
    readonly chain: string;
    readonly names: readonly string[];
  };
  /** Subject common names an identity-checking server should allow. */
  readonly identityAllowList: readonly string[];
  /** Alternative CRL bundles (issue 13); absent in sets generated before them. */
  readonly crlVariants?: readonly ManifestCrlVariant[];
  /** How `expect.opensslVerifyError` was computed, with `{cert}`, `{untrusted}` placeholders. */
  readonly opensslVerify: { readonly command: string };
  readonly fixtures: readonly ManifestFixture[];
}

/** A manifest with the directory it was read from, for resolving relative paths. */
export interface FixtureSet {
  readonly dir: string;
  readonly manifest: Manifest;
  /** Absolute path of a manifest-relative path; throws MTLS_ERR_MANIFEST_PATH when it would leave the directory. */
  resolve(relative: string): string;
  /** A manifest-relative file as UTF-8 text; throws MTLS_ERR_FILE_MISSING naming the file when it cannot be read. */
  read(relative: string): string;
  /** The fixture with this id; throws MTLS_ERR_MANIFEST_INVALID if absent. */
  fixture(id: string): ManifestFixture;
}

/**
 * Why a manifest path is not a plain relative path inside the fixtures directory (absolute, or climbing out with
 * `..`), or undefined when it is one. Links are checked by {@link loadManifest}, which can look at the disk.
 */
export function pathProblem(relative: string): string | undefined {
  if (relative === '') return 'is empty';
  if (relative.includes('\0')) return 'contains a NUL byte';
  if (path.isAbsolute(relative) || path.win32.isAbsolute(relative)) return 'is absolute';
  const normal = path.normalize(relative);
  if (normal === '..' || normal.startsWith(`..${path.sep}`)) return 'climbs out of the fixtures directory with ..';
  if (normal === '.') return 'names the fixtures directory itself';
  return undefined;
}

/** Wraps a parsed manifest and its directory. Every path is resolved inside the directory, or refused. */
export function fixtureSet(dir: string, manifest: Manifest): FixtureSet {
  const abs = path.resolve(dir);
  const byId = new Map(manifest.fixtures.map((f) => [f.id, f]));
  const resolve = (relative: string): string => {
    const problem = pathProblem(relative);
    if (problem) throw new HarnessError('MTLS_ERR_MANIFEST_PATH', `manifest path '${relative}' in '${abs}' ${problem}`);
    return path.resolve(abs, relative);
  };
  return {
    dir: abs,
    manifest,
    resolve,
    read(relative) {
      const file = resolve(relative);
      try {
        return readFileSync(file, 'utf8');
      } catch (cause) {
        throw new HarnessError('MTLS_ERR_FILE_MISSING', `fixtures file '${file}' named by the manifest is missing`, {
          cause,
        });
      }
    },
    fixture(id) {
      const found = byId.get(id);
      if (!found) throw new HarnessError('MTLS_ERR_MANIFEST_INVALID', `manifest in '${abs}' has no fixture '${id}'`);
      return found;
    },
  };
}

/** Every field of a manifest that names a file: `[field, path]`, fields named as in the schema. */
export function manifestFiles(m: Manifest): [field: string, file: string][] {
  const files: [string, string][] = [
    ['trust', m.trust],
    ['crl.bundle', m.crl.bundle],
    ['server.cert', m.server.cert],
    ['server.key', m.server.key],
    ['server.chain', m.server.chain],
  ];
  m.cas.forEach((ca, i) => {
    files.push([`cas[${i}].cert`, ca.cert]);
    if (ca.key !== undefined) files.push([`cas[${i}].key`, ca.key]);
    if (ca.crl) files.push([`cas[${i}].crl.pem`, ca.crl.pem], [`cas[${i}].crl.der`, ca.crl.der]);
  });
  m.fixtures.forEach((f, i) => {
    files.push([`fixtures[${i}].cert`, f.cert], [`fixtures[${i}].key`, f.key], [`fixtures[${i}].chain`, f.chain]);
  });
  (m.crlVariants ?? []).forEach((v, i) => files.push([`crlVariants[${i}].bundle`, v.bundle]));
  return files;
}

/** An ISO-8601 instant as the generator writes it: UTC, whole or fractional seconds, `Z`. */
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/;

/** True for an ISO-8601 UTC instant (`2026-01-01T00:00:00Z`) that names a real calendar time. */
export function isInstant(value: string): boolean {
  if (!INSTANT.test(value)) return false;
  const t = Date.parse(value);
  // NOTE: Date.parse rolls 2026-02-30 over to 2 March; a real instant prints back as itself.
  return !Number.isNaN(t) && new Date(t).toISOString().slice(0, 19) === value.slice(0, 19);
}

function httpUrlProblem(value: string): string | undefined {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' ? undefined : 'is not an http:// URL';
  } catch {
    return 'is not a URL';
  }
}

/** The checks the JSON Schema cannot express: instants, URLs, unique ids, CA references. First problem or undefined. */
function semanticProblem(m: Manifest): string | undefined {
  if (!isInstant(m.clock)) return `clock: '${m.clock}' is not an ISO-8601 UTC instant`;
  for (const [field, url] of [
    ['ocsp.url', m.ocsp.url],
    ['crl.url', m.crl.url],
  ] as const) {
    const problem = httpUrlProblem(url);
    if (problem) return `${field}: '${url}' ${problem}`;
  }
  const caIds = new Set<string>();
  for (const [i, ca] of m.cas.entries()) {
    if (caIds.has(ca.id)) return `cas[${i}].id: '${ca.id}' is used twice`;
    caIds.add(ca.id);
    for (const key of ['notBefore', 'notAfter'] as const)
      if (!isInstant(ca[key])) return `cas[${i}].${key}: '${ca[key]}' is not an ISO-8601 UTC instant`;
  }
  for (const [i, ca] of m.cas.entries()) {
    if (ca.issuer !== null && !caIds.has(ca.issuer)) return `cas[${i}].issuer: no CA '${ca.issuer}' in cas`;
  }
  const fixtureIds = new Set<string>();
  for (const [i, f] of m.fixtures.entries()) {
    if (fixtureIds.has(f.id)) return `fixtures[${i}].id: '${f.id}' is used twice`;
    fixtureIds.add(f.id);
    for (const key of ['notBefore', 'notAfter'] as const)
      if (!isInstant(f[key])) return `fixtures[${i}].${key}: '${f[key]}' is not an ISO-8601 UTC instant`;
    if (f.issuer !== 'self' && !caIds.has(f.issuer)) return `fixtures[${i}].issuer: no CA '${f.issuer}' in cas`;
    if (f.ocsp.url !== undefined) {
      const problem = httpUrlProblem(f.ocsp.url);
      if (problem) return `fixtures[${i}].ocsp.url: '${f.ocsp.url}' ${problem}`;
    }
  }
  const variantIds = new Set<string>();
  for (const [i, v] of (m.crlVariants ?? []).entries()) {
    if (variantIds.has(v.id)) return `crlVariants[${i}].id: '${v.id}' is used twice`;
    variantIds.add(v.id);
    if (!fixtureIds.has(v.verify.fixture)) return `crlVariants[${i}].verify.fixture: no fixture '${v.verify.fixture}'`;
  }
  return undefined;
}

/**
 * Checks that every file the manifest names is inside the fixtures directory once links are followed, and exists.
 *
 * @throws HarnessError MTLS_ERR_MANIFEST_PATH (absolute, `..`, or a link out), MTLS_ERR_FILE_MISSING (absent).
 */
function checkFiles(dir: string, file: string, m: Manifest): void {
  let realDir: string;
  try {
    realDir = realpathSync(dir);
  } catch (cause) {
    throw new HarnessError('MTLS_ERR_FIXTURES_MISSING', `cannot resolve the fixtures directory '${dir}'`, { cause });
  }
  for (const [field, relative] of manifestFiles(m)) {
    const problem = pathProblem(relative);
    if (problem)
      throw new HarnessError('MTLS_ERR_MANIFEST_PATH', `'${file}' field ${field}: path '${relative}' ${problem}`);
    let real: string;
    try {
      real = realpathSync(path.resolve(dir, relative));
    } catch (cause) {
      const code = (cause as NodeJS.ErrnoException).code ?? 'unreadable';
      throw new HarnessError(
        'MTLS_ERR_FILE_MISSING',
        `'${file}' field ${field}: file '${relative}' is missing (${code})`,
        { cause },
      );
    }
    // NOTE: a link inside the set may point anywhere; what it names is read, copied into servers' temp directories
    // and, for a chain, sent to a possibly remote target. Only files inside the directory may be named.
    if (real !== realDir && !real.startsWith(realDir + path.sep)) {
      throw new HarnessError(
        'MTLS_ERR_MANIFEST_PATH',
        `'${file}' field ${field}: '${relative}' leads out of the fixtures directory through a link (to '${real}')`,
      );
    }
    if (!statSync(real).isFile())
      throw new HarnessError('MTLS_ERR_FILE_MISSING', `'${file}' field ${field}: '${relative}' is not a file`);
  }
}

/** Checks that the trust anchor file holds at least one certificate, every one of them parseable. */
function checkTrust(fx: FixtureSet, file: string): void {
  const text = fx.read(fx.manifest.trust);
  const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) {
    throw new HarnessError(
      'MTLS_ERR_PEM_MALFORMED',
      `'${file}' field trust: '${fx.manifest.trust}' holds no PEM certificate (a trust anchor file must name the root)`,
    );
  }
  blocks.forEach((block, i) => {
    try {
      new X509Certificate(block);
    } catch (cause) {
      throw new HarnessError(
        'MTLS_ERR_PEM_MALFORMED',
        `'${file}' field trust: certificate ${i + 1} of '${fx.manifest.trust}' is malformed`,
        { cause },
      );
    }
  });
}

/**
 * Reads `<dir>/manifest.json` and validates all of it before anything uses it: its JSON Schema
 * (`schemas/manifest.schema.json`), what the schema cannot say (instants, URLs, unique ids, CA references), every
 * path confined to the directory (relative, no `..` out, no link out) and present, and a trust anchor file with a
 * certificate in it.
 *
 * @throws HarnessError MTLS_ERR_FIXTURES_MISSING when there is no manifest, MTLS_ERR_MANIFEST_INVALID when it is
 *   not a valid schemaVersion 1 manifest (naming the field), MTLS_ERR_MANIFEST_PATH when a path leaves the
 *   directory, MTLS_ERR_FILE_MISSING when a named file is absent, MTLS_ERR_PEM_MALFORMED when the trust anchor file
 *   holds no certificate.
 */
export function loadManifest(dir: string): FixtureSet {
  const file = path.join(dir, 'manifest.json');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new HarnessError(
      'MTLS_ERR_FIXTURES_MISSING',
      `no fixtures at '${dir}': cannot read manifest.json (generate them with: mtls-harness fixtures --out ${dir})`,
      { cause },
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new HarnessError('MTLS_ERR_MANIFEST_INVALID', `'${file}' is not valid JSON`, { cause });
  }
  const m = parsed as Partial<Manifest> | null;
  if (!m || typeof m !== 'object' || Array.isArray(m) || m.schemaVersion !== MANIFEST_SCHEMA_VERSION) {
    throw new HarnessError(
      'MTLS_ERR_MANIFEST_INVALID',
      `'${file}' has schemaVersion ${JSON.stringify(m?.schemaVersion)}, expected ${MANIFEST_SCHEMA_VERSION}`,
    );
  }
  const errors = schemaErrors(committedSchema('manifest'), m);
  if (errors.length > 0) {
    throw new HarnessError(
      'MTLS_ERR_MANIFEST_INVALID',
      `'${file}' breaks schemas/manifest.schema.json: ${errors[0]}${errors.length > 1 ? ` (and ${errors.length - 1} more)` : ''}`,
    );
  }
  const manifest = m as Manifest;
  const problem = semanticProblem(manifest);
  if (problem) throw new HarnessError('MTLS_ERR_MANIFEST_INVALID', `'${file}' field ${problem}`);
  checkFiles(dir, file, manifest);
  const fx = fixtureSet(dir, manifest);
  checkTrust(fx, file);
  return fx;
}
