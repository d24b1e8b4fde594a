import { createHash } from 'node:crypto';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import * as asn1X509 from '@peculiar/asn1-x509';
import type { AlertName } from '../core/alerts.js';
import { DAY, defaultSan, type CaHandle } from './builder.js';
import { standard, validProfile, type BuildContext, type BuiltFixture, type FixtureSpec } from './spec.js';
import { generateNodeLeafKey, type WebCryptoKind } from './profiles.js';
import { x509 } from './x509.js';

/*
 * Issue 13, chain structure and keys: the material of every fixture below. What a server is expected to do with it
 * is written once, in suites/ (chain.ts, structure.ts, keys.ts, profiles.ts); the decision and alerts here are the
 * strict reading, for the manifest and `openssl verify`.
 */

const UNTRUSTED: readonly AlertName[] = ['unknown_ca', 'bad_certificate', 'certificate_unknown'];
const PURPOSE: readonly AlertName[] = ['unsupported_certificate', 'bad_certificate', 'certificate_unknown'];
const MALFORMED: readonly AlertName[] = [
  'bad_certificate',
  'decode_error',
  'unsupported_certificate',
  'certificate_unknown',
  'unknown_ca',
];
const NAME_CONSTRAINTS: readonly AlertName[] = ['bad_certificate', 'certificate_unknown'];

/** The DER value of one extension, for an extension built from an @peculiar/asn1-x509 value. */
function ext(oid: string, critical: boolean, value: object): x509.Extension {
  return new x509.Extension(oid, critical, AsnConvert.serialize(value));
}

/** Replaces the value of extension `oid` in `tbs` (it must be there). */
function setExtension(tbs: asn1X509.TBSCertificate, oid: string, value: object): void {
  const found = (tbs.extensions ?? []).find((e) => e.extnID === oid);
  if (!found) throw new Error(`fixtures-gen: no extension ${oid} to replace`);
  found.extnValue = new OctetString(AsnConvert.serialize(value));
}

/** A deterministic byte string for `role` (so AKIs and serials depend on the clock only). */
function bytesFor(ctx: BuildContext, role: string, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let filled = 0;
  for (let i = 0; filled < length; i++) {
    const d = createHash('sha256').update(`mtls-harness|${ctx.b.clock.toISOString()}|${role}|${i}`).digest();
    out.set(d.subarray(0, Math.min(d.length, length - filled)), filled);
    filled += d.length;
  }
  return out;
}

/** An intermediate under the root that carries the given name constraints (critical, RFC 5280 §4.2.1.10). */
function constrainedCa(
  ctx: BuildContext,
  id: string,
  description: string,
  nc: { permitted?: asn1X509.GeneralName[]; excluded?: asn1X509.GeneralName[] },
): Promise<CaHandle> {
  const subtrees = (names: asn1X509.GeneralName[]) =>
    new asn1X509.GeneralSubtrees(names.map((base) => new asn1X509.GeneralSubtree({ base })));
  const value = new asn1X509.NameConstraints({
    ...(nc.permitted ? { permittedSubtrees: subtrees(nc.permitted) } : {}),
    ...(nc.excluded ? { excludedSubtrees: subtrees(nc.excluded) } : {}),
  });
  return ctx.ca({
    id,
    description,
    parent: ctx.root,
    extensions: [ext(asn1X509.id_ce_nameConstraints, true, value)],
  });
}

/** `n` CAs, each issued by the one before, the first by `top`; keys of `kind` (default the profile). */
async function ladder(
  ctx: BuildContext,
  prefix: string,
  n: number,
  top: CaHandle,
  kind?: WebCryptoKind,
): Promise<CaHandle> {
  let ca = top;
  for (let i = 1; i <= n; i++) {
    ca = await ctx.ca({
      id: `${prefix}-${String(i).padStart(2, '0')}`,
      description: `CA ${i} of ${n} in the ${prefix} ladder below ${top.id}.`,
      parent: ca,
      ...(kind ? { key: await ctx.key(kind) } : {}),
    });
  }
  return ca;
}

/** A valid leaf whose certified key is made with node:crypto (Ed448, secp256k1), signed by the intermediate. */
async function nodeKeyLeaf(ctx: BuildContext, id: string, kind: 'ed448' | 'ecdsa-secp256k1'): Promise<BuiltFixture> {
  const key = generateNodeLeafKey(kind);
  const placeholder = await standard(ctx, id, { kind: 'ecdsa-p256' });
  const leaf = await ctx.b.withSubjectKey(placeholder.leaf, key.spki, ctx.intermediate);
  return { ...placeholder, leaf, key, leafKind: kind };
}

/** A leaf whose serialNumber field is replaced by `serial` (two's complement, as DER writes it). */
async function withSerial(ctx: BuildContext, id: string, serial: Uint8Array): Promise<BuiltFixture> {
  const built = await standard(ctx, id);
  const leaf = await ctx.b.reissue(built.leaf, ctx.intermediate, (tbs) => {
    tbs.serialNumber = serial.slice().buffer;
  });
  return { ...built, leaf };
}

/** Chain structure and key fixtures (issue 13), in manifest order. */
export const CHAIN_FIXTURES: readonly FixtureSpec[] = [
  // --- The leaf claims to be, or to act as, a CA.
  {
    id: 'leaf-ca-true',
    description:
      'Client leaf with basicConstraints cA=TRUE (keyUsage digitalSignature only, EKU clientAuth). RFC 5280 ' +
      'validation only looks at cA on the certificates above the leaf, so OpenSSL accepts it; the CA/Browser Forum ' +
      'and webpki profiles forbid a CA certificate as an end entity.',
    decision: 'reject',
    alerts: PURPOSE,
    opensslVerifyError: 0,
    async build(ctx) {
      const built = await standard(ctx, 'leaf-ca-true');
      const leaf = await ctx.b.reissue(built.leaf, ctx.intermediate, (tbs) =>
        setExtension(tbs, asn1X509.id_ce_basicConstraints, new asn1X509.BasicConstraints({ cA: true })),
      );
      return { ...built, leaf };
    },
  },
  {
    id: 'leaf-key-cert-sign',
    description:
      'Client leaf with cA=FALSE whose keyUsage asserts keyCertSign beside digitalSignature. RFC 5280 §4.2.1.9 says a ' +
      'CA must not issue that, but path validation (§6.1) does not check it and OpenSSL 3.0 (without -x509_strict) ' +
      'accepts it.',
    decision: 'reject',
    alerts: PURPOSE,
    opensslVerifyError: 0,
    build: (ctx) =>
      standard(ctx, 'leaf-key-cert-sign', {
        keyUsage: x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyCertSign,
      }),
  },
  // --- What the intermediate may do.
  {
    id: 'intermediate-no-key-cert-sign',
    description:
      'The issuing intermediate has keyUsage digitalSignature | cRLSign, without keyCertSign, so its key may not ' +
      'verify certificate signatures (RFC 5280 §4.2.1.3, §6.1.4 (n)).',
    decision: 'reject',
    alerts: UNTRUSTED,
    opensslVerifyError: 79,
    async build(ctx) {
      const ca = await ctx.ca({
        id: 'no-key-cert-sign-intermediate',
        description: 'Intermediate whose keyUsage lacks keyCertSign.',
        parent: ctx.root,
        keyUsage: x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.cRLSign,
      });
      return standard(ctx, 'intermediate-no-key-cert-sign', { issuer: ca });
    },
  },
  {
    id: 'intermediate-eku-server-auth-only',
    description:
      'The issuing intermediate carries extendedKeyUsage serverAuth only (the shape public CA hierarchies take from ' +
      '2026), the leaf clientAuth. RFC 5280 defines EKU for the end entity only; OpenSSL, Go and NSS also require ' +
      'every CA on the path to allow the purpose.',
    decision: 'reject',
    alerts: PURPOSE,
    opensslVerifyError: 26,
    async build(ctx) {
      const ca = await ctx.ca({
        id: 'server-auth-only-intermediate',
        description: 'Intermediate restricted to extendedKeyUsage serverAuth.',
        parent: ctx.root,
        extensions: [new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth], false)],
      });
      return standard(ctx, 'intermediate-eku-server-auth-only', { issuer: ca });
    },
  },
  {
    id: 'intermediate-unknown-critical-extension',
    description:
      'The issuing intermediate carries a private extension (1.3.6.1.4.1.59999.2) marked critical (RFC 5280 §4.2).',
    decision: 'reject',
    alerts: ['unsupported_certificate', 'certificate_unknown', 'bad_certificate', 'unknown_ca'],
    opensslVerifyError: 34,
    async build(ctx) {
      const ca = await ctx.ca({
        id: 'unknown-critical-intermediate',
        description: 'Intermediate with an unknown critical extension.',
        parent: ctx.root,
        extensions: [new x509.Extension('1.3.6.1.4.1.59999.2', true, new Uint8Array([0x05, 0x00]))],
      });
      return standard(ctx, 'intermediate-unknown-critical-extension', { issuer: ca });
    },
  },
  {
    id: 'expired-root',
    description:
      'A second trust anchor in trust.pem (expired-root) expired 30 days before the clock; leaf and intermediate ' +
      'below it are in date. RFC 5280 §6.1 takes a trust anchor as a name and a key and leaves its validity to the ' +
      'relying party; OpenSSL and Go reject.',
    decision: 'reject',
    alerts: ['certificate_expired', 'unknown_ca', 'bad_certificate', 'certificate_unknown'],
    opensslVerifyError: 10,
    async build(ctx) {
      const root = await ctx.ca({
        id: 'expired-root',
        description: 'Second trust anchor, expired 30 days before the clock.',
        trustAnchor: true,
        notBefore: ctx.b.at(-400 * DAY),
        notAfter: ctx.b.at(-30 * DAY),
      });
      const ca = await ctx.ca({
        id: 'expired-root-intermediate',
        description: 'In-date intermediate below the expired root.',
        parent: root,
      });
      return standard(ctx, 'expired-root', { issuer: ca });
    },
  },
  {
    id: 'aki-mismatch',
    description:
      "The leaf's authorityKeyIdentifier names a key identifier that is not the intermediate's subjectKeyIdentifier; " +
      'name and signature match the intermediate. RFC 5280 makes the AKI a path-building hint (§4.2.1.1), so a ' +
      'validator may find the issuer by name and accept (Go); OpenSSL takes the mismatch as "not the issuer".',
    decision: 'reject',
    alerts: UNTRUSTED,
    opensslVerifyError: 20,
    async build(ctx) {
      const built = await standard(ctx, 'aki-mismatch');
      const keyIdentifier = new asn1X509.KeyIdentifier(bytesFor(ctx, 'aki-mismatch', 20));
      const leaf = await ctx.b.reissue(built.leaf, ctx.intermediate, (tbs) =>
        setExtension(
          tbs,
          asn1X509.id_ce_authorityKeyIdentifier,
          new asn1X509.AuthorityKeyIdentifier({ keyIdentifier }),
        ),
      );
      return { ...built, leaf };
    },
  },
  // --- Encoding a CA must not issue.
  {
    id: 'duplicate-extension',
    description:
      'The leaf carries subjectAltName twice (the same names both times). RFC 5280 §4.2: a certificate MUST NOT ' +
      'include more than one instance of an extension.',
    decision: 'reject',
    alerts: MALFORMED,
    opensslVerifyError: 20,
    build: (ctx) =>
      standard(ctx, 'duplicate-extension', {
        extensions: [new x509.SubjectAlternativeNameExtension(defaultSan('duplicate-extension'))],
      }),
  },
  {
    id: 'signature-algorithm-mismatch',
    description:
      'The leaf is signed with ecdsa-with-SHA256 (the outer signatureAlgorithm) by a dedicated ECDSA P-256 ' +
      'intermediate, but its TBSCertificate names ecdsa-with-SHA384. The signature verifies under the outer ' +
      'algorithm; RFC 5280 §4.1.1.2 requires both fields to be the same.',
    decision: 'reject',
    alerts: ['bad_certificate', 'decrypt_error', 'certificate_unknown', 'unknown_ca'],
    opensslVerifyError: 7,
    async build(ctx) {
      const ca = await ctx.ca({
        id: 'sigalg-mismatch-issuer',
        description: 'ECDSA P-256 intermediate that signs the signature-algorithm-mismatch leaf.',
        parent: ctx.root,
        key: await ctx.key('ecdsa-p256'),
      });
      const built = await standard(ctx, 'signature-algorithm-mismatch', { issuer: ca });
      const leaf = await ctx.b.reissue(built.leaf, ca, (tbs) => {
        tbs.signature = new asn1X509.AlgorithmIdentifier({ algorithm: '1.2.840.10045.4.3.3' });
      });
      return { ...built, leaf };
    },
  },
  {
    id: 'serial-zero',
    description:
      'The leaf serialNumber is 0. RFC 5280 §4.1.2.2: the serial MUST be a positive integer, and certificate users ' +
      'SHOULD gracefully handle non-conforming serials: accepting and refusing both conform.',
    decision: 'accept',
    alerts: [],
    opensslVerifyError: 0,
    build: (ctx) => withSerial(ctx, 'serial-zero', new Uint8Array([0])),
  },
  {
    id: 'serial-negative',
    description:
      'The leaf serialNumber is a negative 16-octet integer (top bit set). RFC 5280 §4.1.2.2 forbids it for CAs and ' +
      'asks certificate users to handle it gracefully: accepting and refusing both conform.',
    decision: 'accept',
    alerts: [],
    opensslVerifyError: 0,
    async build(ctx) {
      const serial = bytesFor(ctx, 'serial-negative', 16);
      // NOTE: first octet 0x80..0xBF: negative, and never 0xFF, which before an octet with its top bit set is
      // non-minimal DER (X.690 §8.3.2) that OpenSSL refuses to parse ("illegal padding"): the fixture would then test
      // the encoding, not the sign, and no client could even load it.
      serial[0] = 0x80 | ((serial[0] ?? 0) & 0x3f);
      return withSerial(ctx, 'serial-negative', serial);
    },
  },
  {
    id: 'serial-too-long',
    description:
      'The leaf serialNumber is 21 octets, a positive integer. RFC 5280 §4.1.2.2: conforming CAs MUST NOT use more ' +
      'than 20 octets, certificate users SHOULD handle longer ones gracefully: accepting and refusing both conform.',
    decision: 'accept',
    alerts: [],
    opensslVerifyError: 0,
    async build(ctx) {
      const serial = bytesFor(ctx, 'serial-too-long', 21);
      serial[0] = ((serial[0] ?? 0) & 0x7f) | 0x10;
      return withSerial(ctx, 'serial-too-long', serial);
    },
  },
  // --- Name constraints (RFC 5280 §4.2.1.10), each on its own intermediate.
  {
    id: 'nc-excluded-dns',
    description:
      'The intermediate excludes the dNSName subtree clients.mtls-harness.test; the leaf SAN is ' +
      'nc-excluded-dns.clients.mtls-harness.test, inside it.',
    decision: 'reject',
    alerts: NAME_CONSTRAINTS,
    opensslVerifyError: 48,
    async build(ctx) {
      const ca = await constrainedCa(ctx, 'nc-excluded-dns-intermediate', 'Excludes DNS clients.mtls-harness.test.', {
        excluded: [new asn1X509.GeneralName({ dNSName: 'clients.mtls-harness.test' })],
      });
      return standard(ctx, 'nc-excluded-dns', { issuer: ca });
    },
  },
  {
    id: 'nc-email-violation',
    description:
      'The intermediate permits only rfc822Name mailboxes at permitted.mtls-harness.test; the leaf SAN carries the ' +
      'mailbox client@clients.mtls-harness.test (besides its DNS name and URI, which are not constrained).',
    decision: 'reject',
    alerts: NAME_CONSTRAINTS,
    opensslVerifyError: 47,
    async build(ctx) {
      const ca = await constrainedCa(
        ctx,
        'nc-email-intermediate',
        'Permits rfc822Name mailboxes at permitted.mtls-harness.test only.',
        { permitted: [new asn1X509.GeneralName({ rfc822Name: 'permitted.mtls-harness.test' })] },
      );
      return standard(ctx, 'nc-email-violation', {
        issuer: ca,
        san: [...defaultSan('nc-email-violation'), { type: 'email', value: 'client@clients.mtls-harness.test' }],
      });
    },
  },
  {
    id: 'nc-directory-name-violation',
    description:
      'The intermediate permits only the directoryName subtree O=mtls-harness permitted; the leaf subject ' +
      '(CN=…, O=mtls-harness test PKI) lies outside it.',
    decision: 'reject',
    alerts: NAME_CONSTRAINTS,
    opensslVerifyError: 47,
    async build(ctx) {
      const directoryName = AsnConvert.parse(new x509.Name('O=mtls-harness permitted').toArrayBuffer(), asn1X509.Name);
      const ca = await constrainedCa(
        ctx,
        'nc-directory-name-intermediate',
        'Permits the directoryName subtree O=mtls-harness permitted only.',
        { permitted: [new asn1X509.GeneralName({ directoryName })] },
      );
      return standard(ctx, 'nc-directory-name-violation', { issuer: ca });
    },
  },
  {
    id: 'nc-ip-violation',
    description:
      'The intermediate permits only iPAddress 10.0.0.0/8; the leaf SAN carries IP address 192.0.2.10 (besides its ' +
      'DNS name and URI, which are not constrained).',
    decision: 'reject',
    alerts: NAME_CONSTRAINTS,
    opensslVerifyError: 47,
    async build(ctx) {
      const ca = await constrainedCa(ctx, 'nc-ip-intermediate', 'Permits iPAddress 10.0.0.0/8 only.', {
        permitted: [new asn1X509.GeneralName({ iPAddress: '10.0.0.0/8' })],
      });
      return standard(ctx, 'nc-ip-violation', {
        issuer: ca,
        san: [...defaultSan('nc-ip-violation'), { type: 'ip', value: '192.0.2.10' }],
      });
    },
  },
  {
    id: 'nc-uri-violation',
    description:
      'The intermediate permits only URIs whose host is permitted.mtls-harness.test (a SPIFFE trust domain); the ' +
      'leaf SAN URI is spiffe://mtls-harness.test/client/nc-uri-violation, another trust domain.',
    decision: 'reject',
    alerts: NAME_CONSTRAINTS,
    opensslVerifyError: 47,
    async build(ctx) {
      const ca = await constrainedCa(
        ctx,
        'nc-uri-intermediate',
        'Permits URIs with host permitted.mtls-harness.test only.',
        { permitted: [new asn1X509.GeneralName({ uniformResourceIdentifier: 'permitted.mtls-harness.test' })] },
      );
      return standard(ctx, 'nc-uri-violation', { issuer: ca });
    },
  },
  {
    id: 'nc-satisfied',
    description:
      'The intermediate permits dNSName clients.mtls-harness.test, URI host mtls-harness.test, rfc822Name ' +
      'clients.mtls-harness.test and iPAddress 10.0.0.0/8, and excludes dNSName excluded.clients.mtls-harness.test; ' +
      'the leaf DNS name, SPIFFE URI and mailbox lie inside, so the chain is valid (the twin of the nc-* violations).',
    decision: 'accept',
    alerts: [],
    opensslVerifyError: 0,
    async build(ctx) {
      const ca = await constrainedCa(
        ctx,
        'nc-satisfied-intermediate',
        'Name constraints the nc-satisfied leaf meets.',
        {
          permitted: [
            new asn1X509.GeneralName({ dNSName: 'clients.mtls-harness.test' }),
            new asn1X509.GeneralName({ uniformResourceIdentifier: 'mtls-harness.test' }),
            new asn1X509.GeneralName({ rfc822Name: 'clients.mtls-harness.test' }),
            new asn1X509.GeneralName({ iPAddress: '10.0.0.0/8' }),
          ],
          excluded: [new asn1X509.GeneralName({ dNSName: 'excluded.clients.mtls-harness.test' })],
        },
      );
      return standard(ctx, 'nc-satisfied', {
        issuer: ca,
        san: [...defaultSan('nc-satisfied'), { type: 'email', value: 'client@clients.mtls-harness.test' }],
      });
    },
  },
  // --- Policy.
  {
    id: 'require-explicit-policy',
    description:
      'The intermediate carries policyConstraints requireExplicitPolicy=0 (critical); no certificate on the path has ' +
      'certificatePolicies, so RFC 5280 §6.1.5 (g) leaves an empty valid_policy_tree with explicit_policy 0: the ' +
      'path is invalid. OpenSSL processes policies only when asked (-policy_check), so openssl verify accepts.',
    decision: 'reject',
    alerts: ['bad_certificate', 'certificate_unknown', 'unknown_ca'],
    opensslVerifyError: 0,
    async build(ctx) {
      const value = new asn1X509.PolicyConstraints({ requireExplicitPolicy: new Uint8Array([0]).buffer });
      const ca = await ctx.ca({
        id: 'require-explicit-policy-intermediate',
        description: 'Intermediate with policyConstraints requireExplicitPolicy=0.',
        parent: ctx.root,
        extensions: [ext(asn1X509.id_ce_policyConstraints, true, value)],
      });
      return standard(ctx, 'require-explicit-policy', { issuer: ca });
    },
  },
  // --- Length and shape of the path.
  {
    id: 'chain-five-levels',
    description:
      'A valid path of five certificates: root → three intermediates → leaf; the client sends the leaf and the ' +
      'three intermediates. Within every verify depth the harness configures (5 intermediate CAs).',
    decision: 'accept',
    alerts: [],
    opensslVerifyError: 0,
    async build(ctx) {
      const ca = await ladder(ctx, 'five-level', 3, ctx.root);
      return standard(ctx, 'chain-five-levels', { issuer: ca });
    },
  },
  {
    id: 'chain-over-depth-limit',
    description:
      'A valid path with six intermediate CAs (root → six intermediates → leaf), one more than the verify depth of 5 ' +
      'the harness configures and declares (feature verify-depth). openssl verify at its default depth (100) accepts ' +
      "it (0); with -verify_depth 5 it reports 22 (certificate chain too long), the servers' own answer.",
    decision: 'reject',
    alerts: UNTRUSTED,
    opensslVerifyError: 0,
    async build(ctx) {
      const ca = await ladder(ctx, 'depth', 6, ctx.root);
      return standard(ctx, 'chain-over-depth-limit', { issuer: ca });
    },
  },
  {
    id: 'chain-fifty-intermediates',
    description:
      'A valid path with 50 intermediate CAs (ECDSA P-256), so the client sends 51 certificates. No RFC bounds the ' +
      'length: a server may accept it or refuse it by its depth limit, but must answer within the probe timeout.',
    decision: 'accept',
    alerts: [],
    opensslVerifyError: 0,
    async build(ctx) {
      const ca = await ladder(ctx, 'long-chain', 50, ctx.root, 'ecdsa-p256');
      return standard(ctx, 'chain-fifty-intermediates', { issuer: ca });
    },
  },
  {
    id: 'chain-cycle',
    description:
      'Two CAs that certify each other (cycle-a is issued by cycle-b, cycle-b by cycle-a) and neither chains to the ' +
      'root; the leaf is issued by cycle-a and sent with both. A path builder must stop, and answer within the probe ' +
      'timeout, with "no trusted path".',
    decision: 'reject',
    alerts: UNTRUSTED,
    opensslVerifyError: 20,
    async build(ctx) {
      const keyA = await ctx.key('ecdsa-p256');
      const keyB = await ctx.key('ecdsa-p256');
      // A self-signed cycle-a exists only to issue cycle-b; the set holds the cycle-a that cycle-b issued.
      const seed = await ctx.b.ca({ id: 'cycle-a', description: 'seed', key: keyA, inTrustedHierarchy: false });
      const b = await ctx.ca({
        id: 'cycle-b',
        description: 'CA issued by cycle-a, and issuer of cycle-a.',
        parent: seed,
        key: keyB,
        inTrustedHierarchy: false,
      });
      const a = await ctx.ca({
        id: 'cycle-a',
        description: 'CA issued by cycle-b, and issuer of cycle-b (a cycle).',
        parent: b,
        key: keyA,
        inTrustedHierarchy: false,
      });
      const built = await standard(ctx, 'chain-cycle', { issuer: a });
      return { ...built, rest: [a.cert, b.cert] };
    },
  },
  // --- Keys.
  {
    id: 'ec-point-not-on-curve',
    description:
      "The leaf certifies a P-256 public key whose point is not on the curve (one bit of Y flipped). The client's " +
      'private key is the one the point came from; node:tls refuses to load the pair, so the wire client sends it.',
    decision: 'reject',
    alerts: ['bad_certificate', 'decode_error', 'illegal_parameter', 'unsupported_certificate', 'certificate_unknown'],
    opensslVerifyError: 66,
    requires: ['foreign-key-signing'],
    async build(ctx) {
      const built = await standard(ctx, 'ec-point-not-on-curve', { kind: 'ecdsa-p256' });
      const spki = new Uint8Array(built.leaf.publicKey.rawData.slice(0));
      spki[spki.length - 1] = (spki[spki.length - 1] ?? 0) ^ 0x01;
      return { ...built, leaf: await ctx.b.withSubjectKey(built.leaf, spki, ctx.intermediate) };
    },
  },
  {
    id: 'unsupported-curve',
    description:
      'Valid client certificate whose key is on secp256k1, a curve TLS 1.3 has no signature scheme for and servers ' +
      'rarely list (RFC 8422 deprecated it for TLS 1.2). A server may refuse it or accept it in TLS 1.2.',
    decision: 'reject',
    alerts: ['illegal_parameter', 'handshake_failure', 'bad_certificate', 'unsupported_certificate', 'decrypt_error'],
    opensslVerifyError: 0,
    build: (ctx) => nodeKeyLeaf(ctx, 'unsupported-curve', 'ecdsa-secp256k1'),
  },
  ...(['rsa-3072', 'rsa-4096', 'ecdsa-p521'] as const).map(validProfile),
  {
    id: 'valid-ed448',
    description:
      'Valid client certificate with an Ed448 key, issued by the intermediate; the chain is leaf + intermediate.',
    decision: 'accept',
    alerts: [],
    opensslVerifyError: 0,
    build: (ctx) => nodeKeyLeaf(ctx, 'valid-ed448', 'ed448'),
  },
];
