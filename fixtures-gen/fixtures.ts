import type { AlertName } from '../core/alerts.js';
import { createHash, createPublicKey, generateKeyPairSync, KeyObject } from 'node:crypto';
import { DAY, nodeSign, type CaHandle } from './builder.js';
import { x509 } from './x509.js';
import { standard, validProfile, type FixtureSpec } from './spec.js';
import { CHAIN_FIXTURES } from './fixtures-chain.js';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import * as asn1X509 from '@peculiar/asn1-x509';
import { REVOCATION_FAILURE_FIXTURES } from './revocation-fixtures.js';

/** Alert sets shared by families of defects (RFC 8446 §6.2 semantics first, then what OpenSSL/mbedTLS send). */
const A = {
  untrusted: ['unknown_ca', 'bad_certificate', 'certificate_unknown'],
  expired: ['certificate_expired', 'bad_certificate', 'certificate_unknown'],
  revoked: ['certificate_revoked', 'bad_certificate', 'certificate_unknown'],
  purpose: ['unsupported_certificate', 'bad_certificate', 'certificate_unknown'],
  bad: ['bad_certificate', 'certificate_unknown'],
} as const satisfies Record<string, readonly AlertName[]>;

/** The default fixture set, in manifest order. */
export const FIXTURES: readonly FixtureSpec[] = [
  {
    id: 'valid',
    description:
      'Valid client certificate (clientAuth EKU, digitalSignature) from the intermediate; chain leaf + intermediate.',
    decision: 'accept',
    alerts: [],
    opensslVerifyError: 0,
    build: (ctx) => standard(ctx, 'valid'),
  },
  ...(['ecdsa-p256', 'ecdsa-p384', 'rsa-2048', 'rsa-pss-2048', 'ed25519'] as const).map(validProfile),
  {
    id: 'valid-rsassa-pss',
    description:
      'Valid client certificate whose public key is RSASSA-PSS (id-RSASSA-PSS, RFC 4055 §1.2), not rsaEncryption: TLS ' +
      'names its signatures rsa_pss_pss_* (RFC 8446 §4.2.3). Issued by the intermediate; chain leaf + intermediate.',
    decision: 'accept',
    alerts: [],
    opensslVerifyError: 0,
    build: async (ctx) => {
      // NOTE: WebCrypto cannot hold an id-RSASSA-PSS key: issue with an RSA placeholder, then put the PSS key in.
      const placeholder = await standard(ctx, 'valid-rsassa-pss', { kind: 'rsa-2048' });
      // NOTE: encoded by the generation, not exported from the new keys (a Node 20 deadlock: wire-engine/crypto.ts).
      const pss = generateKeyPairSync('rsa-pss', {
        modulusLength: 2048,
        publicKeyEncoding: { type: 'spki', format: 'der' },
        privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      });
      return {
        ...placeholder,
        leaf: withSubjectKey(
          placeholder.leaf,
          createPublicKey({ key: pss.publicKey, format: 'der', type: 'spki' }),
          ctx.intermediate,
        ),
        key: { kind: 'rsassa-pss-2048' as const, privatePem: pss.privateKey },
        leafKind: 'rsassa-pss-2048' as const,
      };
    },
  },
  {
    id: 'expired',
    description: 'notAfter is 30 days before the clock (RFC 5280 §4.1.2.5).',
    decision: 'reject',
    alerts: A.expired,
    opensslVerifyError: 10,
    build: (ctx) => standard(ctx, 'expired', { notBefore: ctx.b.at(-400 * DAY), notAfter: ctx.b.at(-30 * DAY) }),
  },
  {
    id: 'expired-one-second',
    description: 'notAfter is one second before the clock: the first instant the certificate is expired.',
    decision: 'reject',
    alerts: A.expired,
    opensslVerifyError: 10,
    build: (ctx) => standard(ctx, 'expired-one-second', { notBefore: ctx.b.at(-30 * DAY), notAfter: ctx.b.at(-1000) }),
  },
  {
    id: 'valid-until-clock',
    description:
      'notAfter equals the clock exactly. RFC 5280 §4.1.2.5 makes the validity period inclusive, so it is still valid at ' +
      'the clock; a live server only sees it at the clock if its own clock is pinned there. OpenSSL 3.0 treats ' +
      'notAfter == now as expired (X509_cmp_time counts equality as earlier), so openssl verify reports 10: a known deviation.',
    decision: 'accept',
    alerts: [],
    opensslVerifyError: 10,
    requires: ['pinned-clock'],
    build: (ctx) => standard(ctx, 'valid-until-clock', { notBefore: ctx.b.at(-30 * DAY), notAfter: ctx.b.at(0) }),
  },
  {
    id: 'not-yet-valid',
    description: 'notBefore is 30 days after the clock. OpenSSL sends bad_certificate, mbedTLS certificate_unknown.',
    decision: 'reject',
    alerts: A.expired,
    opensslVerifyError: 9,
    build: (ctx) => standard(ctx, 'not-yet-valid', { notBefore: ctx.b.at(30 * DAY), notAfter: ctx.b.at(400 * DAY) }),
  },
  {
    id: 'expired-intermediate',
    description: 'The leaf is valid but its issuing intermediate expired 30 days before the clock.',
    decision: 'reject',
    alerts: [...A.expired, 'unknown_ca'],
    opensslVerifyError: 10,
    async build(ctx) {
      const ca = await ctx.ca({
        id: 'expired-intermediate',
        description: 'Intermediate that expired 30 days before the clock.',
        parent: ctx.root,
        notBefore: ctx.b.at(-400 * DAY),
        notAfter: ctx.b.at(-30 * DAY),
      });
      return standard(ctx, 'expired-intermediate', { issuer: ca, notBefore: ctx.b.at(-60 * DAY) });
    },
  },
  {
    id: 'unknown-ca',
    description: 'Issued by an unrelated root the server does not trust; chain is the leaf alone.',
    decision: 'reject',
    alerts: A.untrusted,
    opensslVerifyError: 20,
    async build(ctx) {
      const unknown = await ctx.ca({
        id: 'unknown-root',
        description: 'Unrelated root CA, never given to servers as a trust anchor.',
        inTrustedHierarchy: false,
      });
      const built = await standard(ctx, 'unknown-ca', { issuer: unknown });
      return { ...built, rest: [] };
    },
  },
  {
    id: 'self-signed',
    description: 'Self-signed leaf (cA=false) that is not in the trust store.',
    decision: 'reject',
    alerts: A.untrusted,
    opensslVerifyError: 18,
    async build(ctx) {
      const key = await ctx.key();
      const leaf = await ctx.b.selfSignedLeaf('self-signed', key);
      return { leaf, key, leafKind: key.kind, rest: [], issuer: 'self' };
    },
  },
  {
    id: 'missing-intermediate',
    description: 'Valid leaf sent without its intermediate; the server only holds the root, so no path can be built.',
    decision: 'reject',
    alerts: A.untrusted,
    opensslVerifyError: 20,
    async build(ctx) {
      return { ...(await standard(ctx, 'missing-intermediate')), rest: [] };
    },
  },
  {
    id: 'revoked',
    description: "Listed on the intermediate's CRL (keyCompromise) and answered revoked by the OCSP responder.",
    decision: 'reject',
    alerts: A.revoked,
    opensslVerifyError: 23,
    ocsp: 'revoked',
    async build(ctx) {
      const built = await standard(ctx, 'revoked');
      ctx.revoke(ctx.intermediate, built.leaf.serialNumber, x509.X509CrlReason.keyCompromise);
      return built;
    },
  },
  {
    id: 'revoked-ocsp-only',
    description:
      "Answered revoked by the OCSP responder but absent from the CRL: only a server that checks OCSP can catch it. openssl verify uses the CRLs only, so it reports 0; 'openssl ocsp' reports revoked.",
    decision: 'reject',
    alerts: A.revoked,
    opensslVerifyError: 0,
    requires: ['ocsp'],
    ocsp: 'revoked',
    build: (ctx) => standard(ctx, 'revoked-ocsp-only'),
  },
  {
    id: 'revoked-intermediate',
    description: "The leaf is valid but its intermediate is on the root's CRL (cACompromise).",
    decision: 'reject',
    alerts: A.revoked,
    opensslVerifyError: 23,
    async build(ctx) {
      const ca = await ctx.ca({
        id: 'revoked-intermediate',
        description: "Intermediate listed on the root's CRL.",
        parent: ctx.root,
      });
      ctx.revoke(ctx.root, ca.cert.serialNumber, x509.X509CrlReason.cACompromise);
      return standard(ctx, 'revoked-intermediate', { issuer: ca });
    },
  },
  {
    id: 'eku-server-auth-only',
    description:
      'extendedKeyUsage lists only serverAuth, so the key may not authenticate a TLS client (RFC 5280 §4.2.1.12).',
    decision: 'reject',
    alerts: A.purpose,
    opensslVerifyError: 26,
    build: (ctx) => standard(ctx, 'eku-server-auth-only', { eku: [x509.ExtendedKeyUsage.serverAuth] }),
  },
  {
    id: 'eku-code-signing-only',
    description: 'extendedKeyUsage lists only codeSigning.',
    decision: 'reject',
    alerts: A.purpose,
    opensslVerifyError: 26,
    build: (ctx) => standard(ctx, 'eku-code-signing-only', { eku: [x509.ExtendedKeyUsage.codeSigning] }),
  },
  {
    id: 'no-eku',
    description: 'No extendedKeyUsage extension at all: no restriction, so valid for client authentication.',
    decision: 'accept',
    alerts: [],
    opensslVerifyError: 0,
    build: (ctx) => standard(ctx, 'no-eku', { eku: null }),
  },
  {
    id: 'eku-any',
    description:
      'extendedKeyUsage is anyExtendedKeyUsage alone. RFC 5280 §4.2.1.12 makes it valid for any purpose, but lets ' +
      'applications that need a specific purpose reject it; OpenSSL rejects it for sslclient.',
    decision: 'accept',
    alerts: [],
    opensslVerifyError: 26,
    build: (ctx) => standard(ctx, 'eku-any', { eku: ['2.5.29.37.0'] }),
  },
  {
    id: 'ku-no-digital-signature',
    description: 'keyUsage is keyEncipherment only: the key may not sign, so it cannot produce a CertificateVerify.',
    decision: 'reject',
    alerts: A.purpose,
    opensslVerifyError: 26,
    build: (ctx) => standard(ctx, 'ku-no-digital-signature', { keyUsage: x509.KeyUsageFlags.keyEncipherment }),
  },
  {
    id: 'intermediate-not-ca',
    description: 'The issuing intermediate has basicConstraints cA=false, so it may not issue certificates.',
    decision: 'reject',
    alerts: A.untrusted,
    opensslVerifyError: 79,
    async build(ctx) {
      const ca = await ctx.ca({
        id: 'not-ca-intermediate',
        description: 'Intermediate with basicConstraints cA=false.',
        parent: ctx.root,
        basicConstraints: { ca: false },
      });
      return standard(ctx, 'intermediate-not-ca', { issuer: ca });
    },
  },
  {
    id: 'intermediate-no-basic-constraints',
    description: 'The issuing intermediate has no basicConstraints extension (RFC 5280 §4.2.1.9 requires it for CAs).',
    decision: 'reject',
    alerts: A.untrusted,
    opensslVerifyError: 79,
    async build(ctx) {
      const ca = await ctx.ca({
        id: 'no-bc-intermediate',
        description: 'Intermediate without basicConstraints.',
        parent: ctx.root,
        basicConstraints: null,
      });
      return standard(ctx, 'intermediate-no-basic-constraints', { issuer: ca });
    },
  },
  {
    id: 'pathlen-exceeded',
    description: 'root → CA with pathLenConstraint 0 → sub-CA → leaf: the sub-CA violates the path length constraint.',
    decision: 'reject',
    alerts: A.untrusted,
    opensslVerifyError: 25,
    async build(ctx) {
      const top = await ctx.ca({
        id: 'pathlen0-intermediate',
        description: 'Intermediate with pathLenConstraint 0.',
        parent: ctx.root,
        basicConstraints: { ca: true, pathLen: 0 },
      });
      const sub = await ctx.ca({ id: 'pathlen-sub', description: 'Sub-CA below the pathLen 0 CA.', parent: top });
      return standard(ctx, 'pathlen-exceeded', { issuer: sub });
    },
  },
  {
    id: 'weak-rsa-1024',
    description: 'Leaf key is RSA-1024 (80-bit security); rejected at OpenSSL security level 2 (EE key too small).',
    decision: 'reject',
    alerts: [...A.bad, 'insufficient_security'],
    opensslVerifyError: 66,
    build: (ctx) => standard(ctx, 'weak-rsa-1024', { kind: 'rsa-1024' }),
  },
  {
    id: 'sha1-signature',
    description:
      'Leaf signed with ecdsa-with-SHA1 by a dedicated, otherwise valid ECDSA CA; SHA-1 signatures are below every OpenSSL 3 security level.',
    decision: 'reject',
    alerts: A.bad,
    opensslVerifyError: 68,
    async build(ctx) {
      const ca = await ctx.ca({
        id: 'sha1-issuer',
        description: 'ECDSA P-256 intermediate that signs its leaf with SHA-1.',
        parent: ctx.root,
        key: await ctx.key('ecdsa-p256'),
      });
      return standard(ctx, 'sha1-signature', { issuer: ca, hash: 'SHA-1' });
    },
  },
  {
    id: 'bad-issuer-signature',
    description: "One bit of the intermediate's signature over the leaf is flipped, so it does not verify.",
    decision: 'reject',
    alerts: ['bad_certificate', 'decrypt_error', 'unknown_ca', 'certificate_unknown'],
    opensslVerifyError: 7,
    async build(ctx) {
      const built = await standard(ctx, 'bad-issuer-signature');
      return { ...built, leaf: ctx.b.brokenSignature(built.leaf) };
    },
  },
  {
    id: 'unknown-critical-extension',
    description: 'The leaf carries a private extension (1.3.6.1.4.1.59999.1) marked critical (RFC 5280 §4.2).',
    decision: 'reject',
    alerts: ['unsupported_certificate', 'certificate_unknown', 'bad_certificate'],
    opensslVerifyError: 34,
    build: (ctx) =>
      standard(ctx, 'unknown-critical-extension', {
        extensions: [new x509.Extension('1.3.6.1.4.1.59999.1', true, new Uint8Array([0x05, 0x00]))],
      }),
  },
  {
    id: 'name-constraints-violation',
    description:
      'The intermediate permits only dNSName permitted.mtls-harness.test; the leaf SAN is <id>.clients.mtls-harness.test.',
    decision: 'reject',
    alerts: A.bad,
    opensslVerifyError: 47,
    async build(ctx) {
      const nc = new asn1X509.NameConstraints({
        permittedSubtrees: new asn1X509.GeneralSubtrees([
          new asn1X509.GeneralSubtree({ base: new asn1X509.GeneralName({ dNSName: 'permitted.mtls-harness.test' }) }),
        ]),
      });
      const ca = await ctx.ca({
        id: 'name-constrained-intermediate',
        description: 'Intermediate with permitted dNSName subtree permitted.mtls-harness.test.',
        parent: ctx.root,
        extensions: [new x509.Extension(asn1X509.id_ce_nameConstraints, true, AsnConvert.serialize(nc))],
      });
      return standard(ctx, 'name-constraints-violation', { issuer: ca });
    },
  },
  {
    id: 'x509-v1-leaf',
    description:
      'X.509 version 1 leaf (no extensions). RFC 5280 §4.1.2.1 still allows v1 end-entity certificates and OpenSSL accepts them; strict profiles (CA/Browser Forum, webpki) reject them.',
    decision: 'reject',
    alerts: ['unsupported_certificate', 'bad_certificate', 'certificate_unknown'],
    opensslVerifyError: 0,
    async build(ctx) {
      const built = await standard(ctx, 'x509-v1-leaf');
      return { ...built, leaf: await ctx.b.asVersion1(built.leaf, ctx.intermediate) };
    },
  },
  {
    id: 'v1-intermediate',
    description: 'The intermediate is an X.509 v1 certificate, which cannot carry basicConstraints, so it is not a CA.',
    decision: 'reject',
    alerts: A.untrusted,
    opensslVerifyError: 79,
    async build(ctx) {
      const v3 = await ctx.ca({ id: 'v1-intermediate', description: 'X.509 v1 intermediate.', parent: ctx.root });
      const v1: CaHandle = { ...v3, cert: await ctx.b.asVersion1(v3.cert, ctx.root) };
      ctx.replaceCa(v1);
      return standard(ctx, 'v1-intermediate', { issuer: v1 });
    },
  },
  {
    id: 'chain-reversed',
    description:
      'root → intermediate → sub-intermediate → leaf, sent as leaf, intermediate, sub-intermediate: the issuers arrive in reverse order, which RFC 8446 §4.4.2 tells servers to tolerate.',
    decision: 'accept',
    alerts: [],
    opensslVerifyError: 0,
    async build(ctx) {
      const sub = await ctx.ca({
        id: 'sub-intermediate',
        description: 'Sub-CA below the intermediate.',
        parent: ctx.intermediate,
      });
      const built = await standard(ctx, 'chain-reversed', { issuer: sub });
      return { ...built, rest: [...built.rest].reverse() };
    },
  },
  {
    id: 'chain-extra-cert',
    description: 'Valid chain followed by an unrelated self-signed CA certificate, which a server must ignore.',
    decision: 'accept',
    alerts: [],
    opensslVerifyError: 0,
    async build(ctx) {
      const extra = await ctx.ca({
        id: 'unrelated-root',
        description: 'Unrelated self-signed CA sent as an extra certificate.',
        inTrustedHierarchy: false,
      });
      const built = await standard(ctx, 'chain-extra-cert');
      return { ...built, rest: [...built.rest, extra.cert] };
    },
  },
  {
    id: 'mismatched-key',
    description:
      'A valid certificate shipped with a different private key: the CertificateVerify cannot verify against the certificate. openssl verify judges only the chain (null); node:tls refuses to load the pair, so only a client that signs with the foreign key can send it.',
    decision: 'reject',
    alerts: ['decrypt_error'],
    opensslVerifyError: null,
    requires: ['foreign-key-signing'],
    async build(ctx) {
      const key = await ctx.key();
      const built = await standard(ctx, 'mismatched-key', { key });
      return { ...built, key: await ctx.key(key.kind) };
    },
  },
  {
    id: 'identity-not-allowed',
    description:
      'Valid chain whose subject is not on the identity allow-list (manifest.identityAllowList): a server with an identity policy rejects it after validation.',
    decision: 'reject',
    alerts: ['access_denied', 'handshake_failure', 'certificate_unknown', 'bad_certificate'],
    opensslVerifyError: 0,
    requires: ['identity-policy'],
    build: (ctx) => standard(ctx, 'identity-not-allowed', { commonName: 'mtls-harness intruder identity-not-allowed' }),
  },
  {
    id: 'dn-injection',
    description:
      'Valid client certificate whose subject common name (a UTF8String, 56 characters) is ' +
      '`dn-injection",CN=admin+O=x/CN=admin/OU=` CR LF `X-Injected: yes`: a quote, `,` `=` `+` `/`, a second `CN=` ' +
      'in both the RFC 4514 (`,CN=admin+`) and the slash (`/CN=admin/`) syntax, and a line break followed by a header ' +
      'line. Nothing in RFC 5280 forbids any of it; a proxy that hands the subject to an application in a header ' +
      'must escape it so that it cannot be read as CN=admin, nor split into a second header.',
    decision: 'accept',
    alerts: [],
    opensslVerifyError: 0,
    async build(ctx) {
      const built = await standard(ctx, 'dn-injection');
      return { ...built, leaf: withCommonName(built.leaf, DN_INJECTION_CN, ctx.intermediate) };
    },
  },
  // Issue 13: chain structure and keys (fixtures-chain.ts).
  ...CHAIN_FIXTURES,
  ...REVOCATION_FAILURE_FIXTURES,
];

/**
 * The common name of the `dn-injection` fixture: every character a DN syntax gives a meaning to, and a second CN in
 * the RFC 4514 and the OpenSSL one-line syntax (`admin`, another subject), then CR LF and a header line.
 */
export const DN_INJECTION_CN = 'dn-injection",CN=admin+O=x/CN=admin/OU=\r\nX-Injected: yes';

/** id-at-commonName (X.520). */
const COMMON_NAME_OID = '2.5.4.3';

/**
 * `cert` with its subject common name replaced by `commonName` as a UTF8String, re-signed by `issuer`. The builder
 * takes subjects as RFC 4514 strings, which cannot carry a value like {@link DN_INJECTION_CN}; the ASN.1 is edited
 * instead, and the issuer's signature made again over it (same algorithm identifier).
 */
function withCommonName(cert: x509.X509Certificate, commonName: string, issuer: CaHandle): x509.X509Certificate {
  const asn = AsnConvert.parse(cert.rawData, asn1X509.Certificate);
  for (const rdn of asn.tbsCertificate.subject) {
    for (const atv of rdn) {
      if (atv.type === COMMON_NAME_OID) atv.value = new asn1X509.AttributeValue({ utf8String: commonName });
    }
  }
  const tbs = Buffer.from(AsnConvert.serialize(asn.tbsCertificate));
  const value = nodeSign(issuer.key.kind, tbs, KeyObject.from(issuer.key.privateKey));
  asn.signatureValue = value.buffer.slice(value.byteOffset, value.byteOffset + value.byteLength) as ArrayBuffer;
  return new x509.X509Certificate(AsnConvert.serialize(asn));
}

/**
 * `cert` certifying `publicKey` instead of its own key (SubjectPublicKeyInfo and subjectKeyIdentifier replaced),
 * re-signed by `issuer` with the same algorithm identifier.
 */
function withSubjectKey(cert: x509.X509Certificate, publicKey: KeyObject, issuer: CaHandle): x509.X509Certificate {
  const asn = AsnConvert.parse(cert.rawData, asn1X509.Certificate);
  const spki = AsnConvert.parse(publicKey.export({ type: 'spki', format: 'der' }), asn1X509.SubjectPublicKeyInfo);
  asn.tbsCertificate.subjectPublicKeyInfo = spki;
  // NOTE: RFC 5280 §4.2.1.2 method (1): the SHA-1 of the subjectPublicKey BIT STRING's value.
  const keyId = createHash('sha1').update(Buffer.from(spki.subjectPublicKey)).digest();
  for (const ext of asn.tbsCertificate.extensions ?? []) {
    if (ext.extnID === asn1X509.id_ce_subjectKeyIdentifier) {
      ext.extnValue = new OctetString(AsnConvert.serialize(new asn1X509.SubjectKeyIdentifier(keyId)));
    }
  }
  const tbs = Buffer.from(AsnConvert.serialize(asn.tbsCertificate));
  const value = nodeSign(issuer.key.kind, tbs, KeyObject.from(issuer.key.privateKey));
  asn.signatureValue = value.buffer.slice(value.byteOffset, value.byteOffset + value.byteLength) as ArrayBuffer;
  return new x509.X509Certificate(AsnConvert.serialize(asn));
}
