import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { AlertName } from './alerts.js';
import { HarnessError } from './errors.js';

/** Key and signature profiles fixtures-gen can issue. `rsa-1024` is only used for the weak-key fixture. */
export const KEY_PROFILES = ['ecdsa-p256', 'ecdsa-p384', 'rsa-2048', 'rsa-pss-2048', 'ed25519'] as const;
/** A selectable key profile. */
export type KeyProfile = (typeof KEY_PROFILES)[number];
/** Every key kind that can appear in a manifest. */
export type KeyKind = KeyProfile | 'rsa-1024';

/** The version of the manifest contract; bumped only on an incompatible change. */
export const MANIFEST_SCHEMA_VERSION = 1;

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
  /** Path of the private key (PKCS#8 PEM, mode 0600); absent for an imported CA whose key is not copied. */
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
    readonly status: 'good' | 'revoked' | 'unknown';
    readonly reason?: string;
    readonly revokedAt?: string;
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
  /** How `expect.opensslVerifyError` was computed, with `{cert}`, `{untrusted}` placeholders. */
  readonly opensslVerify: { readonly command: string };
  readonly fixtures: readonly ManifestFixture[];
}

/** A manifest with the directory it was read from, for resolving relative paths. */
export interface FixtureSet {
  readonly dir: string;
  readonly manifest: Manifest;
  /** Absolute path of a manifest-relative path. */
  resolve(relative: string): string;
  /** A manifest-relative file as UTF-8 text; throws MTLS_ERR_FILE_MISSING naming the file when it cannot be read. */
  read(relative: string): string;
  /** The fixture with this id; throws MTLS_ERR_MANIFEST_INVALID if absent. */
  fixture(id: string): ManifestFixture;
}

/** Wraps a parsed manifest and its directory. */
export function fixtureSet(dir: string, manifest: Manifest): FixtureSet {
  const abs = path.resolve(dir);
  const byId = new Map(manifest.fixtures.map((f) => [f.id, f]));
  return {
    dir: abs,
    manifest,
    resolve: (relative) => path.resolve(abs, relative),
    read(relative) {
      const file = path.resolve(abs, relative);
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

/**
 * Reads `<dir>/manifest.json`. Throws MTLS_ERR_FIXTURES_MISSING when absent and MTLS_ERR_MANIFEST_INVALID when it is
 * not a schemaVersion 1 manifest.
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
  if (!m || typeof m !== 'object' || m.schemaVersion !== MANIFEST_SCHEMA_VERSION) {
    throw new HarnessError(
      'MTLS_ERR_MANIFEST_INVALID',
      `'${file}' has schemaVersion ${JSON.stringify(m?.schemaVersion)}, expected ${MANIFEST_SCHEMA_VERSION}`,
    );
  }
  if (!Array.isArray(m.fixtures) || !Array.isArray(m.cas) || typeof m.trust !== 'string' || !m.server || !m.crl) {
    throw new HarnessError(
      'MTLS_ERR_MANIFEST_INVALID',
      `'${file}' lacks one of the fields fixtures, cas, trust, server, crl`,
    );
  }
  return fixtureSet(dir, m as Manifest);
}
