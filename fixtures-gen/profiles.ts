import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import type { KeyKind } from '../core/manifest.js';
import { subtle } from './x509.js';

/** A key pair usable both by WebCrypto (@peculiar/x509) and node:crypto. */
export interface KeyPair {
  readonly kind: WebCryptoKind;
  readonly publicKey: CryptoKey;
  readonly privateKey: CryptoKey;
  /** PKCS#8 PEM of the private key. */
  readonly privatePem: string;
}

interface ProfileSpec {
  /** WebCrypto import algorithm. */
  readonly importAlg: RsaHashedImportParams | EcKeyImportParams | Algorithm;
  /** Signing parameters for certificates and CRLs this key signs (SHA-256 unless the curve wants more). */
  readonly signing: Algorithm & Record<string, unknown>;
}

/**
 * Key kinds node's WebCrypto handles without a warning, so the builder can certify and sign with them. Ed448 (an
 * experimental WebCrypto algorithm in Node 20) and secp256k1 (not a WebCrypto curve) are leaf keys only, made with
 * node:crypto ({@link generateNodeLeafKey}).
 */
export type WebCryptoKind = Exclude<KeyKind, 'ed448' | 'ecdsa-secp256k1' | 'rsassa-pss-2048'>;

/**
 * Key kinds that can issue and be certified by the builder (the WebCrypto ones). An RSASSA-PSS key (id-RSASSA-PSS) is
 * not one: node's WebCrypto refuses to import it, so its leaf is made by re-encoding (fixtures.ts).
 */
export type IssuingKind = WebCryptoKind;

const PROFILES: Record<WebCryptoKind, ProfileSpec> = {
  'ecdsa-p256': {
    importAlg: { name: 'ECDSA', namedCurve: 'P-256' },
    signing: { name: 'ECDSA', hash: 'SHA-256' },
  },
  'ecdsa-p384': {
    importAlg: { name: 'ECDSA', namedCurve: 'P-384' },
    signing: { name: 'ECDSA', hash: 'SHA-384' },
  },
  'rsa-2048': {
    importAlg: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
    signing: { name: 'RSASSA-PKCS1-v1_5' },
  },
  'rsa-pss-2048': {
    // NOTE: an rsaEncryption key that signs with RSASSA-PSS: TLS calls this rsa_pss_rsae_* (RFC 8446 §4.2.3).
    importAlg: { name: 'RSA-PSS', hash: 'SHA-256' },
    signing: { name: 'RSA-PSS', saltLength: 32 },
  },
  ed25519: {
    importAlg: { name: 'Ed25519' },
    signing: { name: 'Ed25519' },
  },
  'rsa-1024': {
    importAlg: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
    signing: { name: 'RSASSA-PKCS1-v1_5' },
  },
  'rsa-3072': {
    importAlg: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
    signing: { name: 'RSASSA-PKCS1-v1_5' },
  },
  'rsa-4096': {
    importAlg: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
    signing: { name: 'RSASSA-PKCS1-v1_5' },
  },
  'ecdsa-p521': {
    importAlg: { name: 'ECDSA', namedCurve: 'P-521' },
    signing: { name: 'ECDSA', hash: 'SHA-512' },
  },
};

/** RSA modulus length of each RSA kind. */
const MODULUS: Partial<Record<WebCryptoKind, number>> = {
  'rsa-1024': 1024,
  'rsa-2048': 2048,
  'rsa-pss-2048': 2048,
  'rsa-3072': 3072,
  'rsa-4096': 4096,
};

function webCryptoKind(kind: KeyKind): WebCryptoKind {
  if (kind === 'ed448' || kind === 'ecdsa-secp256k1' || kind === 'rsassa-pss-2048')
    throw new Error(`fixtures-gen cannot sign with a ${kind} key`);
  return kind;
}

/** Signing parameters for certificates and CRLs signed by a key of this kind. */
export function signingAlgorithm(kind: KeyKind): Algorithm & Record<string, unknown> {
  return PROFILES[webCryptoKind(kind)].signing;
}

/** Wraps node:crypto key objects as a {@link KeyPair} of the given kind. */
export async function importKeyPair(
  kind: WebCryptoKind,
  pair: { publicKey: KeyObject; privateKey: KeyObject },
): Promise<KeyPair> {
  const spec = PROFILES[kind];
  const pkcs8 = pair.privateKey.export({ type: 'pkcs8', format: 'der' });
  const spki = pair.publicKey.export({ type: 'spki', format: 'der' });
  const [publicKey, privateKey] = await Promise.all([
    subtle.importKey('spki', spki, spec.importAlg, true, ['verify']),
    subtle.importKey('pkcs8', pkcs8, spec.importAlg, true, ['sign']),
  ]);
  const privatePem = pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  return { kind, publicKey, privateKey, privatePem };
}

/** Generates a fresh key pair with WebCrypto (RSA generation runs on the libuv pool, so callers may run many at once). */
export async function generateKey(kind: WebCryptoKind): Promise<KeyPair> {
  const spec = PROFILES[kind];
  const modulusLength = MODULUS[kind];
  const params = modulusLength
    ? { ...spec.importAlg, modulusLength, publicExponent: new Uint8Array([1, 0, 1]) }
    : spec.importAlg;
  const pair = (await subtle.generateKey(params as RsaHashedKeyGenParams, true, ['sign', 'verify'])) as CryptoKeyPair;
  const pkcs8 = Buffer.from(await subtle.exportKey('pkcs8', pair.privateKey)).toString('base64');
  const privatePem = `-----BEGIN PRIVATE KEY-----\n${pkcs8.replace(/.{64}/g, '$&\n').replace(/\n?$/, '\n')}-----END PRIVATE KEY-----\n`;
  return { kind, publicKey: pair.publicKey, privateKey: pair.privateKey, privatePem };
}

/** Reads the key kind of an existing private key, or undefined if it is not one we can issue with. */
export function keyKindOf(key: KeyObject): WebCryptoKind | undefined {
  const details = key.asymmetricKeyDetails ?? {};
  switch (key.asymmetricKeyType) {
    case 'ec':
      return details.namedCurve === 'prime256v1'
        ? 'ecdsa-p256'
        : details.namedCurve === 'secp384r1'
          ? 'ecdsa-p384'
          : undefined;
    case 'rsa':
      return (details.modulusLength ?? 0) >= 2048 ? 'rsa-2048' : undefined;
    case 'ed25519':
      return 'ed25519';
    default:
      return undefined;
  }
}

/** A leaf key the builder cannot certify through WebCrypto: its kind, SubjectPublicKeyInfo (DER) and PKCS#8 PEM. */
export interface NodeLeafKey {
  readonly kind: 'ed448' | 'ecdsa-secp256k1';
  readonly spki: Buffer;
  readonly privatePem: string;
}

/** Generates an Ed448 or secp256k1 key with node:crypto (certified by {@link PkiBuilder.withSubjectKey}). */
export function generateNodeLeafKey(kind: NodeLeafKey['kind']): NodeLeafKey {
  // NOTE: encoded by the generation itself, not exported from the new keys: on Node 20 an export holds the key's mutex
  // while it allocates, and a collection of the finished generation job there deadlocks (load/wire-engine/crypto.ts).
  const pair =
    kind === 'ed448'
      ? generateKeyPairSync('ed448', {
          publicKeyEncoding: { type: 'spki', format: 'der' },
          privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
        })
      : generateKeyPairSync('ec', {
          namedCurve: 'secp256k1',
          publicKeyEncoding: { type: 'spki', format: 'der' },
          privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
        });
  return { kind, spki: pair.publicKey, privatePem: pair.privateKey };
}
