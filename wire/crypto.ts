/**
 * Public-key operations on node:crypto: (EC)DHE key shares (RFC 8446 §4.2.8, RFC 8422), signature schemes
 * (RFC 8446 §4.2.3) and verification of the server's chain against the trust roots.
 */
import {
  constants,
  createECDH,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  sign as nodeSign,
  verify as nodeVerify,
  X509Certificate,
  type KeyObject,
} from 'node:crypto';
import type { AlertName } from '../core/alerts.js';
import { concat, DecodeError, fromHex } from './bytes.js';
import { NamedGroup, SignatureScheme } from './constants.js';

const X25519_SPKI_PREFIX = fromHex('302a300506032b656e032100');
const X25519_PKCS8_PREFIX = fromHex('302e020100300506032b656e04220420');

/** An ephemeral key share. */
export interface KeyExchange {
  readonly group: number;
  readonly publicKey: Uint8Array;
  /** The shared secret with the peer's share; throws DecodeError on an invalid share. */
  computeSecret(peer: Uint8Array): Uint8Array;
}

// NOTE: the public key is encoded by the generation itself, not exported from the key afterwards: on Node 20 an export
// holds the key's mutex while it allocates, and a garbage collection there that frees the finished generation job
// (whose destructor takes the same mutex) deadlocks the process (seen in a load run; load/wire-engine/crypto.ts).
function newX25519(): KeyExchange {
  // (@types/node has no overload for a public key encoded and a private KeyObject: the shape node returns is named.)
  const pair = generateKeyPairSync('x25519', {
    publicKeyEncoding: { format: 'der', type: 'spki' },
  } as object) as unknown as { privateKey: KeyObject; publicKey: Buffer };
  return x25519Share(pair.privateKey, pair.publicKey);
}

/** The share of an X25519 private key whose SubjectPublicKeyInfo is `spki`. */
function x25519Share(privateKey: KeyObject, spki: Buffer): KeyExchange {
  return {
    group: NamedGroup.x25519,
    publicKey: new Uint8Array(spki.subarray(spki.length - 32)),
    computeSecret(peer) {
      if (peer.length !== 32) throw new DecodeError(`x25519 share of ${peer.length} bytes`);
      const publicKey = createPublicKey({
        key: Buffer.from(concat(X25519_SPKI_PREFIX, peer)),
        format: 'der',
        type: 'spki',
      });
      const shared = new Uint8Array(diffieHellman({ privateKey, publicKey }));
      // NOTE: RFC 8446 §7.4.2 — an all-zero X25519 output means a low-order point: abort.
      if (shared.every((b) => b === 0)) throw new DecodeError('x25519 shared secret is all zero');
      return shared;
    },
  };
}

/** A fresh key share for a named group we support; throws for others. */
export function newKeyExchange(group: number): KeyExchange {
  if (group === NamedGroup.x25519) return newX25519();
  const curve =
    group === NamedGroup.secp256r1
      ? 'prime256v1'
      : group === NamedGroup.secp384r1
        ? 'secp384r1'
        : group === NamedGroup.secp521r1
          ? 'secp521r1'
          : undefined;
  if (!curve) throw new DecodeError(`unsupported group 0x${group.toString(16)}`);
  const ecdh = createECDH(curve);
  const publicKey = new Uint8Array(ecdh.generateKeys());
  return {
    group,
    publicKey,
    computeSecret(peer) {
      // NOTE: RFC 8446 §4.2.8.2 — only the uncompressed point format is allowed; OpenSSL checks it is on the curve.
      if (peer[0] !== 4) throw new DecodeError('EC share is not an uncompressed point');
      try {
        return new Uint8Array(ecdh.computeSecret(peer));
      } catch (err) {
        throw new DecodeError(`invalid EC share: ${err instanceof Error ? err.message : String(err)}`);
      }
    },
  };
}

/** An X25519 share from a raw private key (for test vectors). */
export function x25519FromPrivate(raw: Uint8Array): KeyExchange {
  const privateKey = createPrivateKey({
    key: Buffer.from(concat(X25519_PKCS8_PREFIX, raw)),
    format: 'der',
    type: 'pkcs8',
  });
  return x25519Share(privateKey, createPublicKey(privateKey).export({ format: 'der', type: 'spki' }));
}

/** Hash and padding of a signature scheme; undefined for schemes we cannot produce. */
interface SchemeSpec {
  readonly hash: 'md5' | 'sha1' | 'sha256' | 'sha384' | 'sha512' | null;
  readonly kind: 'ecdsa' | 'rsa-pkcs1' | 'rsa-pss' | 'ed25519' | 'ed448';
  /** TLS 1.3 binds ECDSA schemes to a curve. */
  readonly curve?: string;
}

const SCHEMES: Record<number, SchemeSpec> = {
  [SignatureScheme.rsa_pkcs1_md5]: { hash: 'md5', kind: 'rsa-pkcs1' },
  [SignatureScheme.ecdsa_md5]: { hash: 'md5', kind: 'ecdsa' },
  [SignatureScheme.rsa_pkcs1_sha1]: { hash: 'sha1', kind: 'rsa-pkcs1' },
  [SignatureScheme.ecdsa_sha1]: { hash: 'sha1', kind: 'ecdsa' },
  [SignatureScheme.rsa_pkcs1_sha256]: { hash: 'sha256', kind: 'rsa-pkcs1' },
  [SignatureScheme.rsa_pkcs1_sha384]: { hash: 'sha384', kind: 'rsa-pkcs1' },
  [SignatureScheme.rsa_pkcs1_sha512]: { hash: 'sha512', kind: 'rsa-pkcs1' },
  [SignatureScheme.ecdsa_secp256r1_sha256]: { hash: 'sha256', kind: 'ecdsa', curve: 'prime256v1' },
  [SignatureScheme.ecdsa_secp384r1_sha384]: { hash: 'sha384', kind: 'ecdsa', curve: 'secp384r1' },
  [SignatureScheme.ecdsa_secp521r1_sha512]: { hash: 'sha512', kind: 'ecdsa', curve: 'secp521r1' },
  [SignatureScheme.rsa_pss_rsae_sha256]: { hash: 'sha256', kind: 'rsa-pss' },
  [SignatureScheme.rsa_pss_rsae_sha384]: { hash: 'sha384', kind: 'rsa-pss' },
  [SignatureScheme.rsa_pss_rsae_sha512]: { hash: 'sha512', kind: 'rsa-pss' },
  [SignatureScheme.rsa_pss_pss_sha256]: { hash: 'sha256', kind: 'rsa-pss' },
  [SignatureScheme.rsa_pss_pss_sha384]: { hash: 'sha384', kind: 'rsa-pss' },
  [SignatureScheme.rsa_pss_pss_sha512]: { hash: 'sha512', kind: 'rsa-pss' },
  [SignatureScheme.ed25519]: { hash: null, kind: 'ed25519' },
  [SignatureScheme.ed448]: { hash: null, kind: 'ed448' },
};

/** Signature schemes we offer in ClientHello.signature_algorithms, preferred first. */
export const OFFERED_SCHEMES: readonly number[] = [
  SignatureScheme.ecdsa_secp256r1_sha256,
  SignatureScheme.ecdsa_secp384r1_sha384,
  SignatureScheme.ecdsa_secp521r1_sha512,
  SignatureScheme.ed25519,
  // NOTE: ed448 is not offered: this list is what the client accepts from the server (no fixture server has an Ed448
  // key); an Ed448 client key signs by the scheme the server's CertificateRequest lists. Leaving it out keeps the wire
  // client's ClientHello distinct from OpenSSL's, which tests use to break one client implementation only.
  SignatureScheme.rsa_pss_rsae_sha256,
  SignatureScheme.rsa_pss_rsae_sha384,
  SignatureScheme.rsa_pss_rsae_sha512,
  SignatureScheme.rsa_pss_pss_sha256,
  SignatureScheme.rsa_pss_pss_sha384,
  SignatureScheme.rsa_pss_pss_sha512,
  SignatureScheme.rsa_pkcs1_sha256,
  SignatureScheme.rsa_pkcs1_sha384,
  SignatureScheme.rsa_pkcs1_sha512,
];

function keyCurve(key: KeyObject): string | undefined {
  return key.asymmetricKeyDetails?.namedCurve;
}

/** The hash a scheme signs with (null for EdDSA and unknown schemes). */
export function schemeHash(scheme: number): SchemeSpec['hash'] {
  return SCHEMES[scheme]?.hash ?? null;
}

/** Hashes RFC 9155 forbids in TLS 1.2 signatures (and RFC 8446 §4.2.3 in TLS 1.3 handshake signatures). */
const LEGACY_HASHES: ReadonlySet<SchemeSpec['hash']> = new Set<SchemeSpec['hash']>(['md5', 'sha1']);

/** True when `scheme` can be produced/checked with `key` in `version` (TLS 1.3 forbids PKCS#1 and binds curves). */
export function schemeFitsKey(scheme: number, key: KeyObject, version: '1.2' | '1.3'): boolean {
  const spec = SCHEMES[scheme];
  if (!spec) return false;
  const type = key.asymmetricKeyType;
  switch (spec.kind) {
    case 'ecdsa':
      return type === 'ec' && (version === '1.2' ? !LEGACY_HASHES.has(spec.hash) : spec.curve === keyCurve(key));
    case 'rsa-pkcs1':
      return type === 'rsa' && version === '1.2' && !LEGACY_HASHES.has(spec.hash);
    case 'rsa-pss':
      // NOTE: RFC 8446 §4.2.3 — rsa_pss_rsae_* for rsaEncryption keys, rsa_pss_pss_* for RSASSA-PSS keys.
      return scheme >= SignatureScheme.rsa_pss_pss_sha256 ? type === 'rsa-pss' : type === 'rsa';
    case 'ed25519':
      return type === 'ed25519';
    case 'ed448':
      return type === 'ed448';
  }
}

/** Schemes the client can sign with: those it offers, and ed448 for an Ed448 client key. */
const SIGNING_SCHEMES: readonly number[] = [...OFFERED_SCHEMES, SignatureScheme.ed448];

/** Schemes usable with `key`, in our preference order. */
export function schemesForKey(key: KeyObject, version: '1.2' | '1.3'): number[] {
  return SIGNING_SCHEMES.filter((s) => schemeFitsKey(s, key, version));
}

/** The scheme to sign with: the first of our preferences the peer offered, else our first fitting one. */
export function chooseScheme(key: KeyObject, version: '1.2' | '1.3', offered: readonly number[]): number | undefined {
  const mine = schemesForKey(key, version);
  return mine.find((s) => offered.includes(s)) ?? mine[0];
}

function nodeOptions(spec: SchemeSpec, key: KeyObject, saltLength?: 'max'): Parameters<typeof nodeSign>[2] {
  if (spec.kind === 'rsa-pss') {
    const salt = saltLength === 'max' ? constants.RSA_PSS_SALTLEN_MAX_SIGN : constants.RSA_PSS_SALTLEN_DIGEST;
    return { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: salt };
  }
  if (spec.kind === 'rsa-pkcs1') return { key, padding: constants.RSA_PKCS1_PADDING };
  return key;
}

/** Deliberate departures from a scheme's parameters when signing (CertificateVerify mutations). */
export interface SignatureDeparture {
  /** Hash the data with this instead of the scheme's hash. */
  readonly hash?: 'sha1' | 'sha256' | 'sha384' | 'sha512';
  /** RSA-PSS salt length: the largest the modulus allows instead of the digest length (RFC 8446 §4.2.3). */
  readonly saltLength?: 'max';
}

/**
 * Signs `data` as `scheme` prescribes, or with the given departures. Throws if node:crypto refuses (e.g. the key type
 * does not fit).
 */
export function signWithScheme(
  scheme: number,
  key: KeyObject,
  data: Uint8Array,
  departure: SignatureDeparture = {},
): Uint8Array {
  const spec = SCHEMES[scheme];
  if (!spec) throw new Error(`cannot sign with scheme 0x${scheme.toString(16)}`);
  return new Uint8Array(nodeSign(departure.hash ?? spec.hash, data, nodeOptions(spec, key, departure.saltLength)));
}

/** Verifies a signature; false on any mismatch or error. */
export function verifyWithScheme(scheme: number, key: KeyObject, data: Uint8Array, signature: Uint8Array): boolean {
  const spec = SCHEMES[scheme];
  if (!spec) return false;
  try {
    return nodeVerify(spec.hash, data, nodeOptions(spec, key) as Parameters<typeof nodeVerify>[2], signature);
  } catch {
    return false;
  }
}

/** The content a TLS 1.3 CertificateVerify signs (RFC 8446 §4.4.3). */
export function certificateVerifyContent13(role: 'client' | 'server', transcriptHash: Uint8Array): Uint8Array {
  return concat(
    new Uint8Array(64).fill(0x20),
    new TextEncoder().encode(`TLS 1.3, ${role} CertificateVerify`),
    Uint8Array.of(0),
    transcriptHash,
  );
}

/** PEM blocks of a bundle, in order. */
export function splitPem(pem: string, label = 'CERTIFICATE'): string[] {
  const re = new RegExp(`-----BEGIN ${label}-----[\\s\\S]*?-----END ${label}-----`, 'g');
  return pem.match(re) ?? [];
}

/** DER of each certificate in a PEM bundle. */
export function pemCertificatesToDer(pem: string): Uint8Array[] {
  return splitPem(pem).map((block) => new Uint8Array(new X509Certificate(block).raw));
}

/** A fresh key of the same kind as `key` (for signing with a key that does not match the certificate). */
export function sameKindKey(key: KeyObject): KeyObject {
  const type = key.asymmetricKeyType;
  if (type === 'ec') return generateKeyPairSync('ec', { namedCurve: keyCurve(key) ?? 'prime256v1' }).privateKey;
  const modulusLength = key.asymmetricKeyDetails?.modulusLength ?? 2048;
  if (type === 'rsa') return generateKeyPairSync('rsa', { modulusLength }).privateKey;
  if (type === 'rsa-pss') return generateKeyPairSync('rsa-pss', { modulusLength }).privateKey;
  if (type === 'ed25519') return generateKeyPairSync('ed25519').privateKey;
  if (type === 'ed448') return generateKeyPairSync('ed448').privateKey;
  throw new Error(`cannot generate a key like ${String(type)}`);
}

/** Outcome of checking the server's certificate chain. */
export type ChainCheck =
  | { readonly ok: true; readonly leaf: X509Certificate }
  | { readonly ok: false; readonly reason: string; readonly alert: AlertName };

/**
 * Checks the server's certificate_list against the trust roots: each certificate must be issued and signed by the
 * next (or by a root), and the leaf must match `servername`. Validity dates are not checked: fixtures may be issued at
 * a pinned clock, and the chain signature to the fixture root is what proves we reached the intended server.
 */
export function verifyServerChain(
  ders: readonly Uint8Array[],
  trustPem: string,
  servername: string | undefined,
): ChainCheck {
  if (ders.length === 0) return { ok: false, reason: 'server sent an empty Certificate', alert: 'decode_error' };
  let certs: X509Certificate[];
  try {
    certs = ders.map((d) => new X509Certificate(Buffer.from(d)));
  } catch (err) {
    return {
      ok: false,
      reason: `server certificate does not parse: ${(err as Error).message}`,
      alert: 'bad_certificate',
    };
  }
  const roots = splitPem(trustPem).map((b) => new X509Certificate(b));
  if (roots.length === 0) return { ok: false, reason: 'trustPem holds no certificate', alert: 'internal_error' };
  const leaf = certs[0]!;
  let current = leaf;
  const used = new Set<number>([0]);
  for (let depth = 0; depth < 10; depth++) {
    if (roots.some((r) => r.fingerprint256 === current.fingerprint256)) break;
    const root = roots.find((r) => current.checkIssued(r) && current.verify(r.publicKey));
    if (root) break;
    const next = certs.findIndex((c, i) => !used.has(i) && current.checkIssued(c) && current.verify(c.publicKey));
    if (next < 0)
      return {
        ok: false,
        reason: `no path from '${leaf.subject.replace(/\n/g, ', ')}' to a trusted root`,
        alert: 'unknown_ca',
      };
    used.add(next);
    current = certs[next]!;
    if (depth === 9) return { ok: false, reason: 'server chain too long', alert: 'unknown_ca' };
  }
  if (servername) {
    const isIp = /^[\d.]+$|:/.test(servername);
    const match = isIp ? leaf.checkIP(servername) : leaf.checkHost(servername);
    if (!match)
      return { ok: false, reason: `server certificate does not match '${servername}'`, alert: 'bad_certificate' };
  }
  return { ok: true, leaf };
}
