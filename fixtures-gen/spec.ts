/**
 * What a fixture is (its spec and build step) and the helpers every fixture topic builds with. Its own module so the
 * topic modules (fixtures-chain.ts, revocation-fixtures.ts) and fixtures.ts, which lists them all, import it without
 * importing one another: no import cycle, so nothing is called while a cycle is half loaded.
 */
import type { AlertName } from '../core/alerts.js';
import type { FixtureRequirement, KeyKind, KeyProfile, OcspFailureMode } from '../core/manifest.js';
import type { CaHandle, CaOptions, PkiBuilder } from './builder.js';
import type { KeyPair, WebCryptoKind } from './profiles.js';
import type { x509 } from './x509.js';

/** What a fixture's build step hands back. */
export interface BuiltFixture {
  readonly leaf: x509.X509Certificate;
  /** The key the client presents (for `mismatched-key`, not the certificate's): its kind and PKCS#8 PEM. */
  readonly key: { readonly kind: KeyKind; readonly privatePem: string };
  /** The key kind the certificate certifies. */
  readonly leafKind: KeyKind;
  /** Certificates sent after the leaf, in order. */
  readonly rest: readonly x509.X509Certificate[];
  /** Id of the issuing CA, or `self`. */
  readonly issuer: string;
}

/** Services the build steps share: the builder, the standard hierarchy, keys and revocation bookkeeping. */
export interface BuildContext {
  readonly b: PkiBuilder;
  readonly profile: KeyProfile;
  readonly root: CaHandle;
  readonly intermediate: CaHandle;
  /** A fresh key of `kind` (default: the profile). */
  key(kind?: WebCryptoKind): Promise<KeyPair>;
  /** Issues and registers an extra CA. */
  ca(options: Omit<CaOptions, 'key'> & { key?: KeyPair }): Promise<CaHandle>;
  /** Replaces a registered CA's certificate (e.g. with a re-encoded one). */
  replaceCa(ca: CaHandle): void;
  /** Puts `serial` on `ca`'s CRL. */
  revoke(ca: CaHandle, serial: string, reason: x509.X509CrlReason): void;
}

/** A named client fixture: what is wrong with it, what a strict server does, and how to build it. */
export interface FixtureSpec {
  readonly id: string;
  readonly description: string;
  readonly decision: 'accept' | 'reject';
  /** Acceptable alerts, the RFC's own alert first. */
  readonly alerts: readonly AlertName[];
  readonly opensslVerifyError: number | null;
  readonly requires?: readonly FixtureRequirement[];
  /** OCSP answer for the leaf; default good. */
  readonly ocsp?: 'revoked';
  /** The responder failure mode the leaf's OCSP URL names (fixtures-gen/ocsp-modes.ts). */
  readonly ocspMode?: OcspFailureMode;
  build(ctx: BuildContext): Promise<BuiltFixture>;
}

/** Issues a leaf with the standard defaults under the standard intermediate. */
export async function standard(
  ctx: BuildContext,
  id: string,
  opts: { kind?: WebCryptoKind; issuer?: CaHandle } & Partial<Parameters<PkiBuilder['leaf']>[0]> = {},
): Promise<BuiltFixture> {
  const issuer = opts.issuer ?? ctx.intermediate;
  const key = opts.key ?? (await ctx.key(opts.kind));
  const leaf = await ctx.b.leaf({ ...opts, id, issuer, key });
  return { leaf, key, leafKind: key.kind, rest: chainAbove(issuer), issuer: issuer.id };
}

/** The CA certificates a client sends above a leaf issued by `ca` (every CA below the root). */
export function chainAbove(ca: CaHandle): x509.X509Certificate[] {
  const out: x509.X509Certificate[] = [];
  for (let c: CaHandle | undefined = ca; c?.parent; c = c.parent) out.push(c.cert);
  return out;
}

/** A valid leaf of `kind` from the intermediate (chain leaf + intermediate). */
export const validProfile = (kind: WebCryptoKind): FixtureSpec => ({
  id: `valid-${kind}`,
  description: `Valid client certificate with a ${kind} key, issued by the intermediate; the chain is leaf + intermediate.`,
  decision: 'accept',
  alerts: [],
  opensslVerifyError: 0,
  build: (ctx) => standard(ctx, `valid-${kind}`, { kind }),
});
