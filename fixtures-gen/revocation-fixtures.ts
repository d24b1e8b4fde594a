/**
 * Revocation when something goes wrong (issue 13): client fixtures whose OCSP URL makes the fixtures' responder fail
 * in one way each, and the alternative CRL bundles (`crl/variants/<name>.crl.pem`) with the fixtures they are judged
 * on. Every variant changes only the CRLs of a CA dedicated to it, so a server configured with a variant judges every
 * other fixture exactly as with the standard bundle.
 */
import { AsnConvert } from '@peculiar/asn1-schema';
import * as asn1X509 from '@peculiar/asn1-x509';
import type { AlertName } from '../core/alerts.js';
import type { CrlVariantName, OcspFailureMode } from '../core/manifest.js';
import { DAY, type CaHandle, type PkiBuilder } from './builder.js';
import type { BuildContext, BuiltFixture, FixtureSpec } from './spec.js';
import { OCSP_MODE_TEXT, OCSP_MODES, ocspModeUrl } from './ocsp-modes.js';
import { generateKey } from './profiles.js';
import { x509 } from './x509.js';

/** Alerts a server may send when it refuses a client over its certificate's revocation state. */
const REVOCATION_ALERTS: readonly AlertName[] = [
  'certificate_unknown',
  'bad_certificate',
  'certificate_revoked',
  'handshake_failure',
  'access_denied',
];
const REVOKED_ALERTS: readonly AlertName[] = ['certificate_revoked', 'bad_certificate', 'certificate_unknown'];

/** The CA whose CRL the `expired`, `wrong-key`, `missing-level` and `delta` bundles change. */
export const CRL_VARIANT_CA = 'crl-variant-ca';
/** The CA without cRLSign whose own CRL only the `no-crl-sign` bundle carries. */
export const NO_CRL_SIGN_CA = 'no-crl-sign-ca';

async function leafUnder(
  ctx: BuildContext,
  id: string,
  issuer: CaHandle,
  extra: { ocspUrl?: string } = {},
): Promise<BuiltFixture> {
  const key = await sharedKey(ctx);
  const leaf = await ctx.b.leaf({ id, issuer, key, ...extra });
  // The CA certificates below the root, leaf's issuer first (what chainAbove in fixtures.ts gives).
  const rest: x509.X509Certificate[] = [];
  for (let c: CaHandle | undefined = issuer; c?.parent; c = c.parent) rest.push(c.cert);
  return { leaf, key, leafKind: key.kind, rest, issuer: issuer.id };
}

/**
 * One key for every leaf of this module (each certificate has its own serial and URL): twelve more RSA keys made a
 * generation seconds slower, and none of these fixtures is about its key.
 */
const keys = new WeakMap<BuildContext, ReturnType<BuildContext['key']>>();
function sharedKey(ctx: BuildContext): ReturnType<BuildContext['key']> {
  let key = keys.get(ctx);
  if (!key) keys.set(ctx, (key = ctx.key()));
  return key;
}

/** The dedicated CAs are made once per generation, whichever of their fixtures builds first. */
const dedicated = new WeakMap<BuildContext, Map<string, Promise<CaHandle>>>();
function dedicatedCa(ctx: BuildContext, id: string): Promise<CaHandle> {
  let byId = dedicated.get(ctx);
  if (!byId) dedicated.set(ctx, (byId = new Map()));
  let ca = byId.get(id);
  if (!ca) {
    ca =
      id === NO_CRL_SIGN_CA
        ? ctx.ca({
            id,
            description:
              'Intermediate whose keyUsage lacks cRLSign (keyCertSign and digitalSignature only): it may not sign CRLs (RFC 5280 §4.2.1.3). Its CRL is only in the no-crl-sign bundle.',
            parent: ctx.root,
            keyUsage: x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.digitalSignature,
            // NOTE: not published in the standard bundle: only the no-crl-sign variant carries its (invalid) CRL.
            inTrustedHierarchy: false,
          })
        : ctx.ca({
            id,
            description:
              'Intermediate dedicated to the alternative CRL bundles: each variant changes only its CRL (expired, signed by another key, missing, or a delta).',
            parent: ctx.root,
          });
    byId.set(id, ca);
  }
  return ca;
}

const ocspModeFixture = (mode: OcspFailureMode): FixtureSpec => ({
  id: `ocsp-${mode}`,
  description:
    `Valid client certificate (on no CRL) whose authorityInfoAccess OCSP URL ends in /${mode}: ${OCSP_MODE_TEXT[mode]}. ` +
    'A server that checks OCSP and fails closed refuses it; openssl verify uses the CRLs only, so it reports 0.',
  decision: 'reject',
  alerts: REVOCATION_ALERTS,
  opensslVerifyError: 0,
  requires: ['ocsp'],
  ocspMode: mode,
  build: (ctx) => leafUnder(ctx, `ocsp-${mode}`, ctx.intermediate, { ocspUrl: ocspModeUrl(ctx.b.ocspUrl, mode) }),
});

/** The fixtures of issue 13's revocation failure modes, in manifest order. */
export const REVOCATION_FAILURE_FIXTURES: readonly FixtureSpec[] = [
  ...OCSP_MODES.map(ocspModeFixture),
  {
    id: 'crl-variant-revoked',
    description:
      `Issued by ${CRL_VARIANT_CA} and on its standard CRL (keyCompromise). The expired, wrong-key and delta bundles replace that CRL by one that ` +
      'does not list it (expired; signed by another key; a complete CRL without it plus a delta CRL that lists it). ' +
      'The OCSP responder answers good for it, so a server that checks OCSP as well decides on its CRLs alone.',
    decision: 'reject',
    alerts: REVOKED_ALERTS,
    opensslVerifyError: 23,
    async build(ctx) {
      const built = await leafUnder(ctx, 'crl-variant-revoked', await dedicatedCa(ctx, CRL_VARIANT_CA));
      ctx.revoke(await dedicatedCa(ctx, CRL_VARIANT_CA), built.leaf.serialNumber, x509.X509CrlReason.keyCompromise);
      return built;
    },
  },
  {
    id: 'crl-variant-good',
    description: `Valid client certificate issued by ${CRL_VARIANT_CA}; the missing-level bundle lacks that CA's CRL.`,
    decision: 'accept',
    alerts: [],
    opensslVerifyError: 0,
    build: async (ctx) => leafUnder(ctx, 'crl-variant-good', await dedicatedCa(ctx, CRL_VARIANT_CA)),
  },
  {
    id: 'crl-issuer-no-crl-sign',
    description:
      `Valid client certificate issued by ${NO_CRL_SIGN_CA}, whose keyUsage lacks cRLSign. The standard bundle has no CRL for that CA ` +
      '(openssl verify: 3, unable to get certificate CRL); the no-crl-sign bundle adds an empty CRL it signed itself (35).',
    decision: 'reject',
    alerts: REVOCATION_ALERTS,
    opensslVerifyError: 3,
    build: async (ctx) => leafUnder(ctx, 'crl-issuer-no-crl-sign', await dedicatedCa(ctx, NO_CRL_SIGN_CA)),
  },
];

/** A freshestCRL extension (RFC 5280 §5.2.6) naming one URL. */
function freshestCrl(url: string): x509.Extension {
  const value = new asn1X509.FreshestCRL([
    new asn1X509.DistributionPoint({
      distributionPoint: new asn1X509.DistributionPointName({
        fullName: [new asn1X509.GeneralName({ uniformResourceIdentifier: url })],
      }),
    }),
  ]);
  return new x509.Extension(asn1X509.id_ce_freshestCRL, false, AsnConvert.serialize(value));
}

/** One CRL of a bundle. */
export interface BundleCrl {
  readonly caId: string;
  readonly crl: x509.X509Crl;
}

/** An alternative CRL bundle, built in memory. */
export interface BuiltCrlVariant {
  readonly id: CrlVariantName;
  readonly description: string;
  readonly crls: readonly BundleCrl[];
  readonly verify: { readonly fixture: string; readonly opensslVerifyError: number };
}

/**
 * Builds the five alternative bundles from the standard CRLs (`standard`, one per CA in bundle order) and the CAs,
 * or none when the set lacks their dedicated CAs (`--only` without their fixtures).
 */
export async function buildCrlVariants(
  b: PkiBuilder,
  cas: readonly CaHandle[],
  standard: readonly BundleCrl[],
): Promise<BuiltCrlVariant[]> {
  const variantCa = cas.find((c) => c.id === CRL_VARIANT_CA);
  const noSign = cas.find((c) => c.id === NO_CRL_SIGN_CA);
  const out: BuiltCrlVariant[] = [];
  const replacing = (crls: readonly x509.X509Crl[]): BundleCrl[] =>
    standard.flatMap((c) => (c.caId === CRL_VARIANT_CA ? crls.map((crl) => ({ caId: CRL_VARIANT_CA, crl })) : [c]));
  if (variantCa) {
    const foreign = await generateKey(variantCa.key.kind);
    out.push(
      {
        id: 'expired',
        description: `${CRL_VARIANT_CA}'s CRL is one whose nextUpdate passed 30 days before the clock, issued before crl-variant-revoked was revoked (it lists nothing): a server must not take it as current (RFC 5280 §6.3.3).`,
        crls: replacing([await b.crl(variantCa, [], { thisUpdate: b.at(-60 * DAY), nextUpdate: b.at(-30 * DAY) })]),
        verify: { fixture: 'crl-variant-revoked', opensslVerifyError: 12 },
      },
      {
        id: 'wrong-key',
        description: `${CRL_VARIANT_CA}'s CRL lists nothing and names that CA as issuer (name and authorityKeyIdentifier) but is signed by another key: a forgery (RFC 5280 §6.3.3 (f)).`,
        crls: replacing([await b.crl(variantCa, [], { signingKey: foreign })]),
        verify: { fixture: 'crl-variant-revoked', opensslVerifyError: 8 },
      },
      {
        id: 'missing-level',
        description: `The bundle lacks ${CRL_VARIANT_CA}'s CRL: the revocation state of the certificates that CA issued cannot be determined.`,
        crls: standard.filter((c) => c.caId !== CRL_VARIANT_CA),
        verify: { fixture: 'crl-variant-good', opensslVerifyError: 3 },
      },
      {
        id: 'delta',
        description: `${CRL_VARIANT_CA}'s complete CRL (cRLNumber 1) lists nothing; a delta CRL (cRLNumber 2, deltaCRLIndicator 1) lists crl-variant-revoked (keyCompromise). A server that uses delta CRLs refuses it (RFC 5280 §5.2.4).`,
        crls: replacing([
          // NOTE: RFC 5280 §5.2.6: freshestCRL on the complete CRL says where its deltas are; OpenSSL looks for
          // deltas only when the certificate or the complete CRL carries it.
          await b.crl(variantCa, [], {
            number: 1,
            extensions: [freshestCrl(`${b.crlUrl}/${CRL_VARIANT_CA}.delta.crl`)],
          }),
          await b.crl(
            variantCa,
            [
              {
                serial: b.serial('leaf:crl-variant-revoked'),
                reason: x509.X509CrlReason.keyCompromise,
                at: b.at(-DAY),
              },
            ],
            { number: 2, deltaOf: 1 },
          ),
        ]),
        verify: { fixture: 'crl-variant-revoked', opensslVerifyError: 23 },
      },
    );
  }
  if (noSign) {
    out.push({
      id: 'no-crl-sign',
      description: `Adds an empty CRL signed by ${NO_CRL_SIGN_CA}, whose keyUsage lacks cRLSign: the CA may not sign CRLs (RFC 5280 §4.2.1.3, §6.3.3 (f)), so that CRL says nothing.`,
      crls: [...standard, { caId: NO_CRL_SIGN_CA, crl: await b.crl(noSign, []) }],
      verify: { fixture: 'crl-issuer-no-crl-sign', opensslVerifyError: 35 },
    });
  }
  return out;
}
