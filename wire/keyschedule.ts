/**
 * Key derivation: HKDF and the TLS 1.3 key schedule (RFC 5869, RFC 8446 §7.1–7.3), and the TLS 1.2 PRF
 * (RFC 5246 §5) with the extended master secret (RFC 7627).
 */
import { createHash, createHmac } from 'node:crypto';
import { concat, uint, vec } from './bytes.js';

/** Hash functions TLS suites use. */
export type HashName = 'sha256' | 'sha384';

/** Output length of a hash in bytes. */
export function hashLength(hash: HashName): number {
  return hash === 'sha256' ? 32 : 48;
}

/** Hash of the concatenated inputs. */
export function digest(hash: HashName, ...data: readonly Uint8Array[]): Uint8Array {
  const h = createHash(hash);
  for (const d of data) h.update(d);
  return new Uint8Array(h.digest());
}

/** HMAC of the concatenated inputs. */
export function hmac(hash: HashName, key: Uint8Array, ...data: readonly Uint8Array[]): Uint8Array {
  const h = createHmac(hash, key);
  for (const d of data) h.update(d);
  return new Uint8Array(h.digest());
}

/** HKDF-Extract (RFC 5869 §2.2); an empty salt means HashLen zero bytes. */
export function hkdfExtract(hash: HashName, salt: Uint8Array, ikm: Uint8Array): Uint8Array {
  return hmac(hash, salt.length ? salt : new Uint8Array(hashLength(hash)), ikm);
}

/** HKDF-Expand (RFC 5869 §2.3). */
export function hkdfExpand(hash: HashName, prk: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let prev: Uint8Array = new Uint8Array(0);
  let off = 0;
  for (let i = 1; off < length; i++) {
    prev = hmac(hash, prk, prev, info, Uint8Array.of(i));
    out.set(prev.subarray(0, Math.min(prev.length, length - off)), off);
    off += prev.length;
  }
  return out;
}

/** HKDF-Expand-Label (RFC 8446 §7.1): the label is prefixed with "tls13 ". */
export function hkdfExpandLabel(
  hash: HashName,
  secret: Uint8Array,
  label: string,
  context: Uint8Array,
  length: number,
): Uint8Array {
  const info = concat(uint(length, 2), vec(1, new TextEncoder().encode(`tls13 ${label}`)), vec(1, context));
  return hkdfExpand(hash, secret, info, length);
}

/** Derive-Secret(secret, label, messages) given the transcript hash of the messages (RFC 8446 §7.1). */
export function deriveSecret(
  hash: HashName,
  secret: Uint8Array,
  label: string,
  transcriptHash: Uint8Array,
): Uint8Array {
  return hkdfExpandLabel(hash, secret, label, transcriptHash, hashLength(hash));
}

/** Write key and IV of a traffic secret (RFC 8446 §7.3). */
export function trafficKeys(
  hash: HashName,
  secret: Uint8Array,
  keyLength: number,
): { readonly key: Uint8Array; readonly iv: Uint8Array } {
  return {
    key: hkdfExpandLabel(hash, secret, 'key', new Uint8Array(0), keyLength),
    iv: hkdfExpandLabel(hash, secret, 'iv', new Uint8Array(0), 12),
  };
}

/** finished_key of a base key (RFC 8446 §4.4.4). */
export function finishedKey(hash: HashName, baseKey: Uint8Array): Uint8Array {
  return hkdfExpandLabel(hash, baseKey, 'finished', new Uint8Array(0), hashLength(hash));
}

/** verify_data = HMAC(finished_key, transcript hash) (RFC 8446 §4.4.4). */
export function finishedVerifyData(hash: HashName, baseKey: Uint8Array, transcriptHash: Uint8Array): Uint8Array {
  return hmac(hash, finishedKey(hash, baseKey), transcriptHash);
}

/** Next application traffic secret after a KeyUpdate (RFC 8446 §7.2). */
export function nextTrafficSecret(hash: HashName, secret: Uint8Array): Uint8Array {
  return hkdfExpandLabel(hash, secret, 'traffic upd', new Uint8Array(0), hashLength(hash));
}

/** The TLS 1.3 secrets of a full (EC)DHE handshake without PSK. */
export interface Tls13Secrets {
  readonly early: Uint8Array;
  readonly handshake: Uint8Array;
  readonly clientHandshakeTraffic: Uint8Array;
  readonly serverHandshakeTraffic: Uint8Array;
  readonly master: Uint8Array;
}

/**
 * The TLS 1.3 key schedule, driven one stage at a time as the transcript grows (RFC 8446 §7.1). `psk` is the
 * resumption PSK, or undefined for a full handshake.
 */
export class KeySchedule13 {
  /** Early Secret. */
  readonly early: Uint8Array;
  /** Handshake Secret, after {@link withSharedSecret}. */
  handshake: Uint8Array = new Uint8Array(0);
  /** Master Secret, after {@link withSharedSecret}. */
  master: Uint8Array = new Uint8Array(0);

  constructor(
    readonly hash: HashName,
    psk?: Uint8Array,
  ) {
    this.early = hkdfExtract(hash, new Uint8Array(0), psk ?? new Uint8Array(hashLength(hash)));
  }

  /** Hash of the empty string, the context of the "derived" steps. */
  private emptyHash(): Uint8Array {
    return digest(this.hash);
  }

  /** binder_key for a resumption PSK (RFC 8446 §7.1: "res binder"). */
  resumptionBinderKey(): Uint8Array {
    return deriveSecret(this.hash, this.early, 'res binder', this.emptyHash());
  }

  /** Mixes in the (EC)DHE shared secret, computing the Handshake and Master Secrets. */
  withSharedSecret(shared: Uint8Array): void {
    const derived = deriveSecret(this.hash, this.early, 'derived', this.emptyHash());
    this.handshake = hkdfExtract(this.hash, derived, shared);
    const derived2 = deriveSecret(this.hash, this.handshake, 'derived', this.emptyHash());
    this.master = hkdfExtract(this.hash, derived2, new Uint8Array(hashLength(this.hash)));
  }

  /** client/server handshake traffic secrets over Hash(ClientHello..ServerHello). */
  handshakeTraffic(helloHash: Uint8Array): { readonly client: Uint8Array; readonly server: Uint8Array } {
    return {
      client: deriveSecret(this.hash, this.handshake, 'c hs traffic', helloHash),
      server: deriveSecret(this.hash, this.handshake, 's hs traffic', helloHash),
    };
  }

  /** client/server application traffic secrets and exporter secret over Hash(ClientHello..server Finished). */
  applicationTraffic(serverFinishedHash: Uint8Array): {
    readonly client: Uint8Array;
    readonly server: Uint8Array;
    readonly exporter: Uint8Array;
  } {
    return {
      client: deriveSecret(this.hash, this.master, 'c ap traffic', serverFinishedHash),
      server: deriveSecret(this.hash, this.master, 's ap traffic', serverFinishedHash),
      exporter: deriveSecret(this.hash, this.master, 'exp master', serverFinishedHash),
    };
  }

  /** resumption_master_secret over Hash(ClientHello..client Finished). */
  resumptionMaster(clientFinishedHash: Uint8Array): Uint8Array {
    return deriveSecret(this.hash, this.master, 'res master', clientFinishedHash);
  }
}

/** The PSK of a ticket: HKDF-Expand-Label(resumption_master_secret, "resumption", nonce) (RFC 8446 §4.6.1). */
export function ticketPsk(hash: HashName, resumptionMaster: Uint8Array, nonce: Uint8Array): Uint8Array {
  return hkdfExpandLabel(hash, resumptionMaster, 'resumption', nonce, hashLength(hash));
}

/** TLS 1.2 PRF: P_hash(secret, label + seed) (RFC 5246 §5). */
export function prf12(hash: HashName, secret: Uint8Array, label: string, seed: Uint8Array, length: number): Uint8Array {
  const labelSeed = concat(new TextEncoder().encode(label), seed);
  const out = new Uint8Array(length);
  let a = labelSeed;
  let off = 0;
  while (off < length) {
    a = hmac(hash, secret, a);
    const block = hmac(hash, secret, a, labelSeed);
    out.set(block.subarray(0, Math.min(block.length, length - off)), off);
    off += block.length;
  }
  return out;
}

/** TLS 1.2 master secret: extended (RFC 7627 §4) when `sessionHash` is given, else classic (RFC 5246 §8.1). */
export function masterSecret12(
  hash: HashName,
  preMaster: Uint8Array,
  clientRandom: Uint8Array,
  serverRandom: Uint8Array,
  sessionHash?: Uint8Array,
): Uint8Array {
  return sessionHash
    ? prf12(hash, preMaster, 'extended master secret', sessionHash, 48)
    : prf12(hash, preMaster, 'master secret', concat(clientRandom, serverRandom), 48);
}
