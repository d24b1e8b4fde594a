import type { KeyObject } from 'node:crypto';
import type { KeyKind } from '../core/manifest.js';
import { subtle } from './x509.js';

/**
 * Key kinds WebCrypto can hold, so they can issue and be certified by the builder. An RSASSA-PSS key (id-RSASSA-PSS)
 * is not one: node's WebCrypto refuses to import it, so its leaf is made by re-encoding (fixtures.ts).
 */
export type IssuingKind = Exclude<KeyKind, 'rsassa-pss-2048'>;

/** A key pair usable both by WebCrypto (@peculiar/x509) and node:crypto. */
export interface KeyPair {
  readonly kind: IssuingKind;
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

const PROFILES: Record<IssuingKind, ProfileSpec> = {
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
};

/** Signing parameters for certificates and CRLs signed by a key of this kind. */
export function signingAlgorithm(kind: IssuingKind): Algorithm & Record<string, unknown> {
  return PROFILES[kind].signing;
}

/** Wraps node:crypto key objects as a {@link KeyPair} of the given kind. */
export async function importKeyPair(
  kind: IssuingKind,
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
export async function generateKey(kind: IssuingKind): Promise<KeyPair> {
  const spec = PROFILES[kind];
  const params = kind.startsWith('rsa')
    ? { ...spec.importAlg, modulusLength: kind === 'rsa-1024' ? 1024 : 2048, publicExponent: new Uint8Array([1, 0, 1]) }
    : spec.importAlg;
  const pair = (await subtle.generateKey(params as RsaHashedKeyGenParams, true, ['sign', 'verify'])) as CryptoKeyPair;
  const pkcs8 = Buffer.from(await subtle.exportKey('pkcs8', pair.privateKey)).toString('base64');
  const privatePem = `-----BEGIN PRIVATE KEY-----\n${pkcs8.replace(/.{64}/g, '$&\n').replace(/\n?$/, '\n')}-----END PRIVATE KEY-----\n`;
  return { kind, publicKey: pair.publicKey, privateKey: pair.privateKey, privatePem };
}

/** Reads the key kind of an existing private key, or undefined if it is not one we can issue with. */
export function keyKindOf(key: KeyObject): IssuingKind | undefined {
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
