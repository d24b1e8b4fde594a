/**
 * What the wire engine prepares once and reuses on every handshake: per identity the client Certificate messages,
 * the key object and the signing options of each signature scheme; per worker the server chain verified once and
 * cached by the exact bytes received.
 */
import { constants, createPrivateKey, KeyObject, sign, verify } from 'node:crypto';
import { HandshakeType, SignatureScheme } from '../../wire/constants.js';
import { pemCertificatesToDer, schemesForKey, verifyServerChain } from '../../wire/crypto.js';
import { withoutStackTraces } from './crypto.js';

/** Hash and node:crypto options of one signature scheme with one key (the "signing context", built once). */
export interface SchemeContext {
  readonly scheme: number;
  /** Digest for node's sign/verify; null for Ed25519 (signs the message itself). */
  readonly hash: 'sha256' | 'sha384' | 'sha512' | null;
  readonly key: KeyObject | { key: KeyObject; padding: number; saltLength?: number };
}

const SCHEME_HASH: Record<number, 'sha256' | 'sha384' | 'sha512' | null> = {
  [SignatureScheme.ecdsa_secp256r1_sha256]: 'sha256',
  [SignatureScheme.ecdsa_secp384r1_sha384]: 'sha384',
  [SignatureScheme.ecdsa_secp521r1_sha512]: 'sha512',
  [SignatureScheme.rsa_pss_rsae_sha256]: 'sha256',
  [SignatureScheme.rsa_pss_rsae_sha384]: 'sha384',
  [SignatureScheme.rsa_pss_rsae_sha512]: 'sha512',
  [SignatureScheme.rsa_pss_pss_sha256]: 'sha256',
  [SignatureScheme.rsa_pss_pss_sha384]: 'sha384',
  [SignatureScheme.rsa_pss_pss_sha512]: 'sha512',
  [SignatureScheme.rsa_pkcs1_sha256]: 'sha256',
  [SignatureScheme.rsa_pkcs1_sha384]: 'sha384',
  [SignatureScheme.rsa_pkcs1_sha512]: 'sha512',
  [SignatureScheme.ed25519]: null,
};

/** The node:crypto context of `scheme` with `key`; undefined for a scheme we do not sign or verify with. */
export function schemeContext(scheme: number, key: KeyObject): SchemeContext | undefined {
  if (!(scheme in SCHEME_HASH)) return undefined;
  const hash = SCHEME_HASH[scheme]!;
  const pss = (scheme >= 0x0804 && scheme <= 0x0806) || (scheme >= 0x0809 && scheme <= 0x080b);
  const pkcs1 = scheme === 0x0401 || scheme === 0x0501 || scheme === 0x0601;
  return {
    scheme,
    hash,
    key: pss
      ? { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST }
      : pkcs1
        ? { key, padding: constants.RSA_PKCS1_PADDING }
        : key,
  };
}

/** Signs with a prepared context. */
export function signWith(ctx: SchemeContext, data: Uint8Array): Buffer {
  // NOTE: an RSA context's key is an options object, which costs Node 24 two thrown errors (see withoutStackTraces).
  return ctx.key instanceof KeyObject
    ? sign(ctx.hash, data, ctx.key)
    : withoutStackTraces(() => sign(ctx.hash, data, ctx.key));
}

/** Verifies with a prepared context; false on any mismatch or error. */
export function verifyWith(ctx: SchemeContext, data: Uint8Array, signature: Uint8Array): boolean {
  const key = ctx.key as Parameters<typeof verify>[2];
  try {
    return ctx.key instanceof KeyObject
      ? verify(ctx.hash, data, key, signature)
      : withoutStackTraces(() => verify(ctx.hash, data, key, signature));
  } catch {
    return false;
  }
}

function u24(out: Buffer, off: number, v: number): void {
  out[off] = (v >>> 16) & 0xff;
  out[off + 1] = (v >>> 8) & 0xff;
  out[off + 2] = v & 0xff;
}

/** A client identity ready for the wire: built once per identity, used by every handshake. */
export interface PreparedIdentity {
  /** TLS 1.2 Certificate message (header included): the chain as given, leaf first. */
  readonly certificate12: Buffer;
  /** TLS 1.3 Certificate message with an empty certificate_request_context and no entry extensions. */
  readonly certificate13: Buffer;
  /** DER of each certificate (for a TLS 1.3 CertificateRequest with a non-empty context). */
  readonly ders: readonly Buffer[];
  /** Undefined for an identity without a certificate (an empty Certificate message, no CertificateVerify). */
  readonly key: KeyObject | undefined;
  /** Signing contexts the key can produce in this version, our preference first (restricted by `--sigalgs`). */
  readonly schemes: readonly SchemeContext[];
}

/** Builds a TLS 1.3 Certificate message for `context` (RFC 8446 §4.4.2). */
export function certificate13(ders: readonly Buffer[], context: Uint8Array): Buffer {
  const listLen = ders.reduce((a, d) => a + 3 + d.length + 2, 0);
  const bodyLen = 1 + context.length + 3 + listLen;
  const out = Buffer.allocUnsafe(4 + bodyLen);
  out[0] = HandshakeType.certificate;
  u24(out, 1, bodyLen);
  out[4] = context.length;
  out.set(context, 5);
  let off = 5 + context.length;
  u24(out, off, listLen);
  off += 3;
  for (const d of ders) {
    u24(out, off, d.length);
    d.copy(out, off + 3);
    off += 3 + d.length;
    out.writeUInt16BE(0, off);
    off += 2;
  }
  return out;
}

function certificate12(ders: readonly Buffer[]): Buffer {
  const listLen = ders.reduce((a, d) => a + 3 + d.length, 0);
  const out = Buffer.allocUnsafe(4 + 3 + listLen);
  out[0] = HandshakeType.certificate;
  u24(out, 1, 3 + listLen);
  u24(out, 4, listLen);
  let off = 7;
  for (const d of ders) {
    u24(out, off, d.length);
    d.copy(out, off + 3);
    off += 3 + d.length;
  }
  return out;
}

/**
 * Prepares an identity for `version`: its Certificate messages, key object and the signing context of each scheme
 * it can sign with, in our preference, keeping only `allowed` schemes when given.
 */
export function prepareIdentity(
  chainPem: string,
  keyPem: string,
  version: '1.2' | '1.3',
  allowed: readonly number[] | null,
): PreparedIdentity {
  const ders = pemCertificatesToDer(chainPem).map((d) => Buffer.from(d));
  const key = ders.length && keyPem ? createPrivateKey(keyPem) : undefined;
  const schemes = (key ? schemesForKey(key, version) : [])
    .filter((s) => !allowed || allowed.includes(s))
    .map((s) => schemeContext(s, key!))
    .filter((c): c is SchemeContext => c !== undefined);
  return {
    certificate12: certificate12(ders),
    certificate13: certificate13(ders, new Uint8Array(0)),
    ders,
    key,
    schemes,
  };
}

/** The counters of a {@link ChainCache}. */
export interface ChainCacheCounts {
  readonly hits: number;
  readonly verifications: number;
  readonly invalidations: number;
  readonly failures: number;
}

/** One verified server chain: the exact Certificate message body it was received as, and its leaf's public key. */
interface VerifiedChain {
  readonly body: Buffer;
  readonly leafKey: KeyObject;
}

/**
 * The server chain, verified once and cached by the exact bytes of the Certificate message body. Any other bytes
 * (a new certificate, a reordered chain, one bit changed) miss the cache and are verified in full against the trust
 * roots and the server name before they are cached. The server's signature (CertificateVerify / ServerKeyExchange)
 * is checked with the cached leaf key on every handshake by the caller.
 */
export class ChainCache {
  /** Full verifications done (cache misses that verified). */
  verifications = 0;
  /** Handshakes whose chain was found in the cache. */
  hits = 0;
  /** Chains that failed verification (or did not parse). */
  failures = 0;
  /**
   * Misses while a chain was cached: the server presented other bytes than every chain verified before (its
   * certificate changed, or another server behind the same address answered), so the chain was verified again.
   */
  invalidations = 0;
  private readonly entries: VerifiedChain[] = [];

  /** The counters now (a run reports the difference over its measured phase). */
  counts(): ChainCacheCounts {
    return {
      hits: this.hits,
      verifications: this.verifications,
      invalidations: this.invalidations,
      failures: this.failures,
    };
  }

  constructor(
    private readonly trustPem: string,
    /** The name checked in the leaf; undefined checks none. */
    private readonly checkName: string | undefined,
  ) {}

  /**
   * The leaf public key of the chain in `body` (a Certificate message body of `version`), or the reason the chain is
   * not trusted.
   */
  leafKey(body: Buffer, version: '1.2' | '1.3'): KeyObject | string {
    for (const e of this.entries) {
      if (e.body.length === body.length && e.body.equals(body)) {
        this.hits++;
        return e.leafKey;
      }
    }
    if (this.entries.length) this.invalidations++;
    const ders = parseCertificateList(body, version);
    if (typeof ders === 'string') {
      this.failures++;
      return ders;
    }
    const check = verifyServerChain(ders, this.trustPem, this.checkName);
    if (!check.ok) {
      this.failures++;
      return check.reason;
    }
    this.verifications++;
    // NOTE: a copy: `body` is a view of a socket chunk. A few entries only (a load balancer's certificates).
    this.entries.unshift({ body: Buffer.from(body), leafKey: check.leaf.publicKey });
    if (this.entries.length > 4) this.entries.pop();
    return check.leaf.publicKey;
  }
}

/** The DER certificates of a Certificate message body, or why it does not parse. */
function parseCertificateList(body: Buffer, version: '1.2' | '1.3'): Buffer[] | string {
  let off = 0;
  if (version === '1.3') {
    if (body.length < 1) return 'short Certificate';
    off = 1 + body[0]!;
  }
  if (body.length < off + 3) return 'short Certificate';
  const end = off + 3 + ((body[off]! << 16) | (body[off + 1]! << 8) | body[off + 2]!);
  if (end !== body.length) return 'Certificate list length mismatch';
  off += 3;
  const out: Buffer[] = [];
  while (off < end) {
    if (off + 3 > end) return 'short certificate entry';
    const len = (body[off]! << 16) | (body[off + 1]! << 8) | body[off + 2]!;
    off += 3;
    if (off + len > end) return 'short certificate entry';
    out.push(body.subarray(off, off + len));
    off += len;
    if (version === '1.3') {
      if (off + 2 > end) return 'short certificate entry';
      off += 2 + body.readUInt16BE(off);
    }
  }
  return out.length ? out : 'server sent an empty Certificate';
}
