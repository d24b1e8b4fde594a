import { constants, createHash, KeyObject, sign } from 'node:crypto';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import * as asn1X509 from '@peculiar/asn1-x509';
import type { KeyKind } from '../core/manifest.js';
import { signingAlgorithm, type KeyPair } from './profiles.js';
import { x509 } from './x509.js';

/** One day in milliseconds. */
export const DAY = 86_400_000;

/** A client leaf's usual subjectAltName: a DNS name and a SPIFFE URI, both derived from the fixture id. */
export function defaultSan(id: string): x509.JsonGeneralName[] {
  return [
    { type: 'dns', value: `${id}.clients.mtls-harness.test` },
    { type: 'url', value: `spiffe://mtls-harness.test/client/${id}` },
  ];
}

/** A CA the builder issued (or imported): its certificate, key and position in the hierarchy. */
export interface CaHandle {
  readonly id: string;
  readonly description: string;
  readonly cert: x509.X509Certificate;
  readonly key: KeyPair;
  /** The CA above this one; undefined for a root. */
  readonly parent: CaHandle | undefined;
  /** True when this CA chains to the trusted root (its CRL is then published). */
  readonly inTrustedHierarchy: boolean;
  /** The certificate and key came from --ca-cert/--ca-key (written into the set as given, the key as PKCS#8). */
  readonly imported: boolean;
  /** A second trust anchor beside the root (written into trust.pem after it), e.g. the expired root. */
  readonly trustAnchor?: boolean;
}

/** Options for a CA certificate. Every option has a valid default, so a CA states only what is wrong with it. */
export interface CaOptions {
  readonly id: string;
  readonly description: string;
  /** Issuing CA; default: self-signed root. */
  readonly parent?: CaHandle;
  readonly key: KeyPair;
  /** Default: clock − 30 days. */
  readonly notBefore?: Date;
  /** Default: clock + 10 years. */
  readonly notAfter?: Date;
  /** basicConstraints; default `{ ca: true }` (critical, no pathLen). `null` omits the extension. */
  readonly basicConstraints?: { ca: boolean; pathLen?: number } | null;
  /** keyUsage flags; default keyCertSign | cRLSign | digitalSignature (critical). */
  readonly keyUsage?: number;
  /** Extra extensions, e.g. nameConstraints. */
  readonly extensions?: readonly x509.Extension[];
  /** Default true for CAs chaining to the trusted root. */
  readonly inTrustedHierarchy?: boolean;
  /**
   * A self-signed CA servers are given as a trust anchor beside the root (trust.pem); default false. Implies
   * `inTrustedHierarchy` (its CRL is published).
   */
  readonly trustAnchor?: boolean;
}

/** Options for a leaf certificate; defaults make a valid TLS client certificate. */
export interface LeafOptions {
  /** Fixture id; used for the subject, SAN and serial. */
  readonly id: string;
  readonly issuer: CaHandle;
  /** The certified key. */
  readonly key: KeyPair;
  /** Default: clock − 1 day. */
  readonly notBefore?: Date;
  /** Default: clock + 365 days. */
  readonly notAfter?: Date;
  /** extendedKeyUsage OIDs; default [clientAuth]. `null` omits the extension. */
  readonly eku?: readonly string[] | null;
  /** keyUsage flags; default digitalSignature (critical). */
  readonly keyUsage?: number;
  /** Subject common name; default `mtls-harness client <id>`. */
  readonly commonName?: string;
  /** Extra extensions. */
  readonly extensions?: readonly x509.Extension[];
  /** subjectAltName entries; default DNS `<id>.clients.mtls-harness.test` and a SPIFFE URI. */
  readonly san?: readonly x509.JsonGeneralName[];
  /** Hash the issuer signs with; default the issuer's profile hash. */
  readonly hash?: 'SHA-1';
  /** OCSP URL written into authorityInfoAccess; default the builder's (the fixtures' responder). */
  readonly ocspUrl?: string;
}

/** Options of {@link PkiBuilder.crl}; the defaults give the CA's current, complete CRL. */
export interface CrlOptions {
  /** Default: clock − 1 day. */
  readonly thisUpdate?: Date;
  /** Default: clock + 365 days. */
  readonly nextUpdate?: Date;
  /** cRLNumber; default 1. */
  readonly number?: number;
  /** Makes it a delta CRL (RFC 5280 §5.2.4) of the complete CRL with this cRLNumber. */
  readonly deltaOf?: number;
  /** Signs with this key instead of the CA's (the authorityKeyIdentifier still names the CA's key). */
  readonly signingKey?: KeyPair;
  /** Extra CRL extensions (e.g. freshestCRL on a complete CRL that has deltas). */
  readonly extensions?: readonly x509.Extension[];
}

/** Subject DN suffix shared by every generated certificate. */
export const ORG = 'O=mtls-harness test PKI';

/**
 * Fluent PKI builder with valid defaults and an explicit clock. Serial numbers are derived from the clock and the
 * certificate's role, so the same clock always yields the same serials and subjects.
 */
export class PkiBuilder {
  readonly clock: Date;
  readonly ocspUrl: string;
  readonly crlUrl: string;

  constructor(clock: Date, urls: { ocspUrl: string; crlUrl: string }) {
    this.clock = clock;
    this.ocspUrl = urls.ocspUrl;
    this.crlUrl = urls.crlUrl;
  }

  /** clock + `ms` milliseconds. */
  at(ms: number): Date {
    return new Date(this.clock.getTime() + ms);
  }

  /** A deterministic positive 16-byte serial (hex) for `role`. */
  serial(role: string): string {
    const digest = createHash('sha256').update(`mtls-harness|${this.clock.toISOString()}|${role}`).digest();
    const bytes = digest.subarray(0, 16);
    // NOTE: RFC 5280 §4.1.2.2 wants a positive INTEGER; keep the top bit clear and the first byte non-zero.
    bytes[0] = ((bytes[0] ?? 0) & 0x7f) | 0x10;
    return bytes.toString('hex');
  }

  private readonly keyIds = new WeakMap<CryptoKey, Promise<string>>();

  /** SHA-1 of the subjectPublicKey (RFC 5280 §4.2.1.2 method 1), computed once per key. */
  private keyId(key: KeyPair): Promise<string> {
    let id = this.keyIds.get(key.publicKey);
    if (!id) {
      id = x509.SubjectKeyIdentifierExtension.create(key.publicKey).then((ext) => ext.keyId);
      this.keyIds.set(key.publicKey, id);
    }
    return id;
  }

  private async commonExtensions(
    issuerKey: KeyPair | undefined,
    subjectKey: KeyPair,
    issuerId: string | undefined,
    ocspUrl = this.ocspUrl,
  ) {
    const ext: x509.Extension[] = [new x509.SubjectKeyIdentifierExtension(await this.keyId(subjectKey))];
    if (issuerKey) ext.push(new x509.AuthorityKeyIdentifierExtension(await this.keyId(issuerKey)));
    if (issuerId) {
      ext.push(new x509.CRLDistributionPointsExtension([`${this.crlUrl}/${issuerId}.crl`]));
      ext.push(new x509.AuthorityInfoAccessExtension({ ocsp: [ocspUrl] }));
    }
    return ext;
  }

  /** Issues a CA certificate (a self-signed root when `parent` is absent). */
  async ca(options: CaOptions): Promise<CaHandle> {
    const parent = options.parent;
    const bc = options.basicConstraints === undefined ? { ca: true } : options.basicConstraints;
    const ext: x509.Extension[] = [];
    if (bc) ext.push(new x509.BasicConstraintsExtension(bc.ca, bc.pathLen, true));
    const ku =
      options.keyUsage ??
      x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature;
    ext.push(new x509.KeyUsagesExtension(ku, true));
    ext.push(...(await this.commonExtensions(parent?.key, options.key, parent?.id)));
    ext.push(...(options.extensions ?? []));
    const subject = `CN=mtls-harness ${options.id} CA, ${ORG}`;
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: this.serial(`ca:${options.id}`),
      subject,
      issuer: parent ? parent.cert.subject : subject,
      notBefore: options.notBefore ?? this.at(-30 * DAY),
      notAfter: options.notAfter ?? this.at(3650 * DAY),
      publicKey: options.key.publicKey,
      signingKey: (parent?.key ?? options.key).privateKey,
      signingAlgorithm: signingAlgorithm((parent?.key ?? options.key).kind),
      extensions: ext,
    });
    return {
      id: options.id,
      description: options.description,
      cert,
      key: options.key,
      parent,
      inTrustedHierarchy:
        options.trustAnchor === true || (options.inTrustedHierarchy ?? (parent ? parent.inTrustedHierarchy : true)),
      imported: false,
      ...(options.trustAnchor && !parent ? { trustAnchor: true } : {}),
    };
  }

  /** Issues a leaf certificate. */
  async leaf(options: LeafOptions): Promise<x509.X509Certificate> {
    const ext: x509.Extension[] = [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(options.keyUsage ?? x509.KeyUsageFlags.digitalSignature, true),
    ];
    const eku = options.eku === undefined ? [x509.ExtendedKeyUsage.clientAuth] : options.eku;
    if (eku) ext.push(new x509.ExtendedKeyUsageExtension([...eku], false));
    ext.push(new x509.SubjectAlternativeNameExtension(options.san ? [...options.san] : defaultSan(options.id)));
    ext.push(...(await this.commonExtensions(options.issuer.key, options.key, options.issuer.id, options.ocspUrl)));
    ext.push(...(options.extensions ?? []));
    const signing = { ...signingAlgorithm(options.issuer.key.kind), ...(options.hash ? { hash: options.hash } : {}) };
    return x509.X509CertificateGenerator.create({
      serialNumber: this.serial(`leaf:${options.id}`),
      subject: `CN=${options.commonName ?? `mtls-harness client ${options.id}`}, ${ORG}`,
      issuer: options.issuer.cert.subject,
      notBefore: options.notBefore ?? this.at(-DAY),
      notAfter: options.notAfter ?? this.at(365 * DAY),
      publicKey: options.key.publicKey,
      signingKey: options.issuer.key.privateKey,
      signingAlgorithm: signing,
      extensions: ext,
    });
  }

  /** A self-signed leaf (no CA bit): a client certificate nobody vouches for. */
  async selfSignedLeaf(id: string, key: KeyPair): Promise<x509.X509Certificate> {
    const subject = `CN=mtls-harness client ${id}, ${ORG}`;
    return x509.X509CertificateGenerator.create({
      serialNumber: this.serial(`leaf:${id}`),
      subject,
      issuer: subject,
      notBefore: this.at(-DAY),
      notAfter: this.at(365 * DAY),
      publicKey: key.publicKey,
      signingKey: key.privateKey,
      signingAlgorithm: signingAlgorithm(key.kind),
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth]),
        new x509.SubjectKeyIdentifierExtension(await this.keyId(key)),
      ],
    });
  }

  /**
   * Re-signs `cert` as an X.509 v1 certificate: version field absent and no extensions (RFC 5280 §4.1.2.1).
   */
  async asVersion1(cert: x509.X509Certificate, issuer: CaHandle): Promise<x509.X509Certificate> {
    const asn = AsnConvert.parse(cert.rawData, asn1X509.Certificate);
    asn.tbsCertificate.version = asn1X509.Version.v1;
    asn.tbsCertificate.extensions = undefined;
    return this.resign(asn, issuer);
  }

  /**
   * `cert` with its TBSCertificate changed by `edit`, signed again by `issuer` (the outer signatureAlgorithm stays as
   * the generator wrote it, so an edit of `tbs.signature` makes the two differ).
   */
  async reissue(
    cert: x509.X509Certificate,
    issuer: CaHandle,
    edit: (tbs: asn1X509.TBSCertificate) => void,
  ): Promise<x509.X509Certificate> {
    const asn = AsnConvert.parse(cert.rawData, asn1X509.Certificate);
    edit(asn.tbsCertificate);
    return this.resign(asn, issuer);
  }

  /**
   * `cert` certifying another public key (a DER SubjectPublicKeyInfo, which need not be one WebCrypto can import:
   * Ed448, secp256k1, an EC point off its curve), with its subjectKeyIdentifier recomputed, signed again by `issuer`.
   */
  withSubjectKey(cert: x509.X509Certificate, spki: Uint8Array, issuer: CaHandle): Promise<x509.X509Certificate> {
    const info = AsnConvert.parse(spki, asn1X509.SubjectPublicKeyInfo);
    const keyId = createHash('sha1').update(new Uint8Array(info.subjectPublicKey)).digest();
    return this.reissue(cert, issuer, (tbs) => {
      tbs.subjectPublicKeyInfo = info;
      for (const ext of tbs.extensions ?? []) {
        if (ext.extnID === asn1X509.id_ce_subjectKeyIdentifier) {
          const ski = new asn1X509.SubjectKeyIdentifier(new Uint8Array(keyId));
          ext.extnValue = new OctetString(AsnConvert.serialize(ski));
        }
      }
    });
  }

  private async resign(asn: asn1X509.Certificate, issuer: CaHandle): Promise<x509.X509Certificate> {
    // The algorithm identifier stays as the generator wrote it; only the signature over the new TBS changes.
    const tbs = Buffer.from(AsnConvert.serialize(asn.tbsCertificate));
    const key = KeyObject.from(issuer.key.privateKey);
    const value = nodeSign(issuer.key.kind, tbs, key);
    asn.signatureValue = value.buffer.slice(value.byteOffset, value.byteOffset + value.byteLength) as ArrayBuffer;
    return new x509.X509Certificate(AsnConvert.serialize(asn));
  }

  /** Returns `cert` with one bit of its issuer signature flipped, so the signature no longer verifies. */
  brokenSignature(cert: x509.X509Certificate): x509.X509Certificate {
    const asn = AsnConvert.parse(cert.rawData, asn1X509.Certificate);
    const sig = new Uint8Array(asn.signatureValue.slice(0));
    // NOTE: flip a bit inside the last integer, away from DER length octets, so the signature still parses.
    const at = sig.length - 2;
    sig[at] = (sig[at] ?? 0) ^ 0x01;
    asn.signatureValue = sig.buffer;
    return new x509.X509Certificate(AsnConvert.serialize(asn));
  }

  /** Issues `ca`'s CRL at the clock, listing `revoked` serials (see {@link CrlOptions} for the other kinds). */
  async crl(
    ca: CaHandle,
    revoked: readonly { serial: string; reason: x509.X509CrlReason; at: Date }[],
    options: CrlOptions = {},
  ): Promise<x509.X509Crl> {
    const crlNumber = new asn1X509.CRLNumber(options.number ?? 1);
    const signer = options.signingKey ?? ca.key;
    return x509.X509CrlGenerator.create({
      issuer: ca.cert.subject,
      thisUpdate: options.thisUpdate ?? this.at(-DAY),
      // NOTE: as long as the leaves, so a fixture set stays usable by live servers for the year it is valid.
      nextUpdate: options.nextUpdate ?? this.at(365 * DAY),
      signingKey: signer.privateKey,
      signingAlgorithm: signingAlgorithm(signer.kind),
      entries: revoked.map((r) => ({ serialNumber: r.serial, revocationDate: r.at, reason: r.reason })),
      extensions: [
        new x509.AuthorityKeyIdentifierExtension(await this.keyId(ca.key)),
        new x509.Extension(asn1X509.id_ce_cRLNumber, false, AsnConvert.serialize(crlNumber)),
        // NOTE: RFC 5280 §5.2.4: deltaCRLIndicator is critical and names the cRLNumber of the complete CRL it updates.
        ...(options.deltaOf === undefined
          ? []
          : [
              new x509.Extension(
                asn1X509.id_ce_deltaCRLIndicator,
                true,
                AsnConvert.serialize(new asn1X509.BaseCRLNumber(options.deltaOf)),
              ),
            ]),
        ...(options.extensions ?? []),
      ],
    });
  }
}

/** Signs `data` the way certificates issued by a key of `kind` are signed, with DER-encoded ECDSA signatures. */
export function nodeSign(kind: KeyKind, data: Buffer, key: KeyObject): Buffer {
  switch (kind) {
    case 'ed25519':
      return sign(null, data, key);
    case 'ecdsa-p384':
      return sign('sha384', data, { key, dsaEncoding: 'der' });
    case 'ecdsa-p521':
      return sign('sha512', data, { key, dsaEncoding: 'der' });
    case 'rsa-pss-2048':
      return sign('sha256', data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 });
    default:
      return sign('sha256', data, { key, dsaEncoding: 'der' });
  }
}
