/**
 * The hot-path crypto of the wire engine: HKDF-Expand-Label and Derive-Secret (RFC 8446 §7.1) and the TLS 1.2 PRF
 * (RFC 5246 §5) on node:crypto HMACs, with label encodings built once; AEAD record protection (RFC 8446 §5.2,
 * RFC 5288, RFC 7905) writing each record into one buffer; ephemeral key shares (X25519, P-256, P-384, P-521).
 */
import {
  createCipheriv,
  createDecipheriv,
  createECDH,
  createHash,
  createHmac,
  createPublicKey,
  createSecretKey,
  diffieHellman,
  generateKeyPairSync,
  randomFillSync,
  type CipherGCMTypes,
  type JsonWebKey,
  type KeyObject,
} from 'node:crypto';
import { NamedGroup } from '../../wire/constants.js';

export type Hash = 'sha256' | 'sha384';
export type Aead = 'aes-128-gcm' | 'aes-256-gcm' | 'chacha20-poly1305';

export const hashLen = (h: Hash): number => (h === 'sha256' ? 32 : 48);

const EMPTY = Buffer.alloc(0);
const EMPTY_HASH: Record<Hash, Buffer> = {
  sha256: createHash('sha256').digest(),
  sha384: createHash('sha384').digest(),
};

// NOTE: how a secret reaches node:crypto decides what a keyed call costs, differently per Node line (measured on the
// development VM, 20 000 calls each): Node 24 tells a KeyObject key from a Buffer by a try/catch that throws for every
// Buffer (twice per createHmac / createCipheriv: an HMAC 14.1 µs with a Buffer key, 4.6 with a KeyObject, an
// AES-GCM seal 18.0 and 4.2 µs — a wire handshake's 30 keyed calls cost it ~0.3 ms); Node 20 pays for a KeyObject
// instead (a GCM seal 10.0 µs against 3.5 with a Buffer); Node 22 the same either way. createSecretKey costs ~2 µs, so
// a secret becomes a KeyObject once, however many times it keys a call (a traffic secret keys three).
let keyObjects = Number(process.versions.node.split('.')[0]) >= 24;

/** Hands secrets to node:crypto as KeyObjects (`true`) or as the bytes themselves; the default is per Node line. */
export function useKeyObjects(on: boolean): void {
  keyObjects = on;
}

const keyObjectOf = new WeakMap<Uint8Array, KeyObject>();

/**
 * The form of `secret` that keys a node:crypto call cheapest on this runtime. Its KeyObject is made once per Buffer:
 * no secret is written after it is derived, so the KeyObject keeps its value.
 */
function secretKey(secret: Uint8Array): Uint8Array | KeyObject {
  if (!keyObjects || secret.length === 0) return secret;
  let key = keyObjectOf.get(secret);
  if (key === undefined) {
    key = createSecretKey(secret);
    keyObjectOf.set(secret, key);
  }
  return key;
}

/** HMAC of the concatenated parts. */
export function hmac(hash: Hash, key: Uint8Array, a: Uint8Array, b?: Uint8Array): Buffer {
  const h = createHmac(hash, secretKey(key)).update(a);
  if (b) h.update(b);
  return h.digest();
}

const POOL_SIZE = 4096;
const pool = Buffer.allocUnsafe(POOL_SIZE);
let poolOff = POOL_SIZE;

/**
 * Writes `length` (≤ 4096) random bytes into `out` at `off`, from a pool refilled by the CSPRNG 4 KiB at a time.
 */
// NOTE: one randomFillSync call costs ~5 µs whatever its size (measured on the development VM, Node 20 / OpenSSL 3.0):
// a pool makes the 32 bytes of a ClientHello random (and a TLS 1.2 ticket's session id) cost a copy. Each byte is
// handed out once.
export function randomInto(out: Buffer, off: number, length: number): void {
  if (poolOff + length > POOL_SIZE) {
    randomFillSync(pool);
    poolOff = 0;
  }
  pool.copy(out, off, poolOff, poolOff + length);
  pool.fill(0, poolOff, poolOff + length);
  poolOff += length;
}

const labelCache = new Map<string, Buffer>();

/**
 * HKDF-Expand-Label(secret, label, context, length) for length ≤ HashLen (all TLS 1.3 uses): one HMAC block,
 * HMAC(secret, HkdfLabel || 0x01), truncated.
 */
export function expandLabel(
  hash: Hash,
  secret: Uint8Array,
  label: string,
  context: Uint8Array,
  length: number,
): Buffer {
  let l = labelCache.get(label);
  if (!l) {
    l = Buffer.from(`tls13 ${label}`, 'latin1');
    labelCache.set(label, l);
  }
  const info = Buffer.allocUnsafe(2 + 1 + l.length + 1 + context.length + 1);
  info.writeUInt16BE(length, 0);
  info[2] = l.length;
  l.copy(info, 3);
  info[3 + l.length] = context.length;
  info.set(context, 4 + l.length);
  info[info.length - 1] = 1;
  const out = createHmac(hash, secretKey(secret)).update(info).digest();
  return length === out.length ? out : out.subarray(0, length);
}

/** Derive-Secret(secret, label, transcript hash). */
export function deriveSecret(hash: Hash, secret: Uint8Array, label: string, transcriptHash: Uint8Array): Buffer {
  return expandLabel(hash, secret, label, transcriptHash, hashLen(hash));
}

const zeroEarly = new Map<Hash, { early: Buffer; derived: Buffer }>();

/**
 * The TLS 1.3 Early Secret and its "derived" secret: for no PSK they are constants, computed once per hash.
 */
export function earlySecrets(hash: Hash, psk: Buffer | undefined): { early: Buffer; derived: Buffer } {
  if (!psk) {
    let e = zeroEarly.get(hash);
    if (!e) {
      const early = hmac(hash, Buffer.alloc(hashLen(hash)), Buffer.alloc(hashLen(hash)));
      e = { early, derived: deriveSecret(hash, early, 'derived', EMPTY_HASH[hash]) };
      zeroEarly.set(hash, e);
    }
    return e;
  }
  return pskSecrets(hash, psk);
}

/** What a PSK alone determines: its Early Secret, "derived" secret and binder finished key. */
interface PskSecrets {
  readonly hash: Hash;
  readonly early: Buffer;
  readonly derived: Buffer;
  readonly binderFinishedKey: Buffer;
}

// NOTE: a session's PSK is one Buffer for as long as the session is offered (`--ticket-policy reuse` offers it on
// every handshake): what depends on the PSK alone is derived once per PSK, not per handshake (5 HMACs). The binder
// itself, which covers the ClientHello, and everything after it are computed per handshake.
const pskCache = new WeakMap<Buffer, PskSecrets>();

function pskSecrets(hash: Hash, psk: Buffer): PskSecrets {
  const cached = pskCache.get(psk);
  if (cached && cached.hash === hash) return cached;
  const early = hmac(hash, Buffer.alloc(hashLen(hash)), psk);
  const binderKey = deriveSecret(hash, early, 'res binder', EMPTY_HASH[hash]);
  const secrets: PskSecrets = {
    hash,
    early,
    derived: deriveSecret(hash, early, 'derived', EMPTY_HASH[hash]),
    binderFinishedKey: expandLabel(hash, binderKey, 'finished', EMPTY, hashLen(hash)),
  };
  pskCache.set(psk, secrets);
  return secrets;
}

/** The finished key of a resumption PSK's binder (RFC 8446 §4.2.11.2), derived once per PSK. */
export function binderFinishedKey(hash: Hash, psk: Buffer): Buffer {
  return pskSecrets(hash, psk).binderFinishedKey;
}

/** The empty-string hash (context of the "derived" and binder steps). */
export function emptyHash(hash: Hash): Buffer {
  return EMPTY_HASH[hash];
}

/** TLS 1.2 PRF P_hash(secret, label || seed) (RFC 5246 §5). */
export function prf12(hash: Hash, secret: Uint8Array, label: string, seed: Uint8Array, length: number): Buffer {
  const labelSeed = Buffer.concat([Buffer.from(label, 'latin1'), seed]);
  const out = Buffer.allocUnsafe(length);
  const key = secretKey(secret);
  let a: Buffer = labelSeed;
  let off = 0;
  while (off < length) {
    a = createHmac(hash, key).update(a).digest();
    const block = createHmac(hash, key).update(a).update(labelSeed).digest();
    off += block.copy(out, off, 0, Math.min(block.length, length - off));
  }
  return out;
}

/**
 * One direction of record protection. TLS 1.3: nonce = iv XOR seq, AAD = the record header. TLS 1.2 GCM: nonce =
 * 4-byte salt || 8-byte explicit nonce (the sequence number, sent in the record); ChaCha20: iv XOR seq; AAD = seq ||
 * type || version || length.
 */
export class Protection {
  private seq = 0;
  private readonly nonce = Buffer.alloc(12);
  private readonly key: Uint8Array | KeyObject;

  constructor(
    private readonly aead: Aead,
    key: Buffer,
    /** 12 bytes, or the 4-byte salt of TLS 1.2 GCM. */
    private readonly iv: Buffer,
    private readonly tls13: boolean,
  ) {
    this.key = secretKey(key);
  }

  private makeNonce(seq: number): Buffer {
    const n = this.nonce;
    if (this.iv.length === 4) {
      this.iv.copy(n, 0);
      n.writeUInt32BE(Math.floor(seq / 0x100000000), 4);
      n.writeUInt32BE(seq >>> 0, 8);
      return n;
    }
    this.iv.copy(n, 0);
    const hi = Math.floor(seq / 0x100000000);
    n.writeUInt32BE((n.readUInt32BE(4) ^ hi) >>> 0, 4);
    n.writeUInt32BE((n.readUInt32BE(8) ^ seq) >>> 0, 8);
    return n;
  }

  /** Seals `content` of `type` into `out` at `off`; returns the offset after the record. */
  sealInto(type: number, content: Uint8Array, out: Buffer, off: number): number {
    const seq = this.seq++;
    const nonce = this.makeNonce(seq);
    if (this.tls13) {
      const len = content.length + 1 + 16;
      out[off] = 23;
      out.writeUInt16BE(0x0303, off + 1);
      out.writeUInt16BE(len, off + 3);
      const c = createCipheriv(this.aead as CipherGCMTypes, this.key, nonce, { authTagLength: 16 });
      c.setAAD(out.subarray(off, off + 5), { plaintextLength: content.length + 1 });
      let p = off + 5;
      p += c.update(content).copy(out, p);
      p += c.update(Buffer.of(type)).copy(out, p);
      c.final();
      p += c.getAuthTag().copy(out, p);
      return p;
    }
    const explicit = this.iv.length === 4 ? 8 : 0;
    out[off] = type;
    out.writeUInt16BE(0x0303, off + 1);
    out.writeUInt16BE(explicit + content.length + 16, off + 3);
    const aad = aad12(seq, type, content.length);
    if (explicit) nonce.copy(out, off + 5, 4, 12);
    const c = createCipheriv(this.aead as CipherGCMTypes, this.key, nonce, { authTagLength: 16 });
    c.setAAD(aad, { plaintextLength: content.length });
    let p = off + 5 + explicit;
    p += c.update(content).copy(out, p);
    c.final();
    p += c.getAuthTag().copy(out, p);
    return p;
  }

  /** Size of the sealed record of `contentLength` bytes. */
  sealedSize(contentLength: number): number {
    return 5 + contentLength + 16 + (this.tls13 ? 1 : this.iv.length === 4 ? 8 : 0);
  }

  /** Opens a record: its plaintext and (TLS 1.3) inner type; throws on a bad MAC. */
  open(type: number, header: Buffer, payload: Buffer): { type: number; content: Buffer } {
    const seq = this.seq++;
    if (payload.length < 16) throw new Error('record shorter than the AEAD tag');
    if (this.tls13) {
      const d = createDecipheriv(this.aead as CipherGCMTypes, this.key, this.makeNonce(seq), { authTagLength: 16 });
      d.setAuthTag(payload.subarray(payload.length - 16));
      d.setAAD(header, { plaintextLength: payload.length - 16 });
      const inner = d.update(payload.subarray(0, payload.length - 16));
      d.final();
      let end = inner.length - 1;
      while (end >= 0 && inner[end] === 0) end--;
      if (end < 0) throw new Error('TLSInnerPlaintext has no content type');
      return { type: inner[end]!, content: inner.subarray(0, end) };
    }
    let nonce: Buffer;
    let sealed = payload;
    if (this.iv.length === 4) {
      if (payload.length < 24) throw new Error('GCM record shorter than nonce and tag');
      nonce = this.nonce;
      this.iv.copy(nonce, 0);
      payload.copy(nonce, 4, 0, 8);
      sealed = payload.subarray(8);
    } else nonce = this.makeNonce(seq);
    const d = createDecipheriv(this.aead as CipherGCMTypes, this.key, nonce, { authTagLength: 16 });
    d.setAuthTag(sealed.subarray(sealed.length - 16));
    d.setAAD(aad12(seq, type, sealed.length - 16), { plaintextLength: sealed.length - 16 });
    const content = d.update(sealed.subarray(0, sealed.length - 16));
    d.final();
    return { type, content };
  }
}

function aad12(seq: number, type: number, length: number): Buffer {
  const aad = Buffer.allocUnsafe(13);
  aad.writeUInt32BE(Math.floor(seq / 0x100000000), 0);
  aad.writeUInt32BE(seq >>> 0, 4);
  aad[8] = type;
  aad.writeUInt16BE(0x0303, 9);
  aad.writeUInt16BE(length, 11);
  return aad;
}

/** An ephemeral key share: its public value and the shared secret with a peer's share (throws on a bad share). */
export interface Share {
  readonly group: number;
  readonly publicKey: Buffer;
  secret(peer: Buffer): Buffer;
}

/** A fresh share of `group` (X25519, P-256, P-384 or P-521). */
export function newShare(group: number): Share {
  if (group === NamedGroup.x25519) {
    // NOTE: through JWK, not DER: OpenSSL 3's DER encoder and decoder cost ~75 and ~90 µs a key here, the JWK path
    // ~2 and ~11 µs (measured on the development VM, Node 20 / OpenSSL 3.0). The public key is encoded by the
    // generation itself, never by `publicKey.export()` afterwards: on Node 20 that export holds the key's mutex while
    // it allocates, and a garbage collection there that frees the finished generation job (whose destructor takes
    // the same mutex) deadlocks the process — seen once in a load run, the main thread parked on that mutex for good.
    // (@types/node has no overload for a public key encoded and a private KeyObject: the shape node returns is named.)
    const { privateKey, publicKey } = generateKeyPairSync('x25519', {
      publicKeyEncoding: { format: 'jwk' },
    } as object) as unknown as { privateKey: KeyObject; publicKey: JsonWebKey };
    return {
      group,
      publicKey: Buffer.from(publicKey.x!, 'base64url'),
      secret(peer) {
        if (peer.length !== 32) throw new Error(`x25519 share of ${peer.length} bytes`);
        const key = importX25519(peer);
        const shared = diffieHellman({ privateKey, publicKey: key });
        // NOTE: RFC 8446 §7.4.2 — an all-zero X25519 output means a low-order point: abort.
        if (shared.every((b) => b === 0)) throw new Error('x25519 shared secret is all zero');
        return shared;
      },
    };
  }
  const curve = EC_CURVES[group];
  if (!curve) throw new Error(`no key shares of group 0x${group.toString(16)}`);
  const ecdh = createECDH(curve.name);
  return {
    group,
    publicKey: ecdh.generateKeys(),
    secret(peer) {
      // NOTE: RFC 8446 §4.2.8.2 — only uncompressed points; OpenSSL checks the point is on the curve.
      if (peer[0] !== 4 || peer.length !== curve.pointLength)
        throw new Error(`${curve.name} share is not an uncompressed point`);
      return ecdh.computeSecret(peer);
    },
  };
}

/**
 * Runs `f` with no stack trace captured by the errors thrown in it, and restores the limit before anything else runs
 * (an error `f` lets out keeps its message, without a stack).
 */
// NOTE: Node 24's node:crypto asks whether a key argument that is an options object (`{ key, format }`,
// `{ key, padding }`) is a KeyObject, then a CryptoKey, by throwing and catching: a createPublicKey of a JWK costs
// 20 µs, 7.4 µs when those two errors capture no stack trace (measured on the development VM, 10 000 imports).
export function withoutStackTraces<T>(f: () => T): T {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return f();
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/** A peer's X25519 public value as a KeyObject. */
function importX25519(peer: Buffer): KeyObject {
  return withoutStackTraces(() =>
    createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: peer.toString('base64url') }, format: 'jwk' }),
  );
}

/** The NIST curves we make shares of: OpenSSL's name and the length of an uncompressed point. */
const EC_CURVES: Record<number, { name: string; pointLength: number }> = {
  [NamedGroup.secp256r1]: { name: 'prime256v1', pointLength: 65 },
  [NamedGroup.secp384r1]: { name: 'secp384r1', pointLength: 97 },
  0x0019: { name: 'secp521r1', pointLength: 133 },
};

export { EMPTY };
