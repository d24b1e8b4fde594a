/**
 * The record layer: framing (RFC 8446 §5.1, RFC 5246 §6.2), AEAD protection for TLS 1.3 (RFC 8446 §5.2–5.3) and
 * TLS 1.2 (RFC 5288 AES-GCM, RFC 7905 ChaCha20-Poly1305), and handshake-message reassembly across records.
 */
import { createCipheriv, createDecipheriv, type CipherGCMTypes } from 'node:crypto';
import { concat, DecodeError, uint } from './bytes.js';
import { ContentType } from './constants.js';

/** Largest plaintext fragment (RFC 8446 §5.1). */
export const MAX_FRAGMENT = 1 << 14;
/** Largest record payload we accept: TLS 1.2 TLSCiphertext bound (RFC 5246 §6.2.3), above TLS 1.3's 2^14+256. */
export const MAX_RECORD_PAYLOAD = (1 << 14) + 2048;
/** Largest handshake message we reassemble; bigger ones are refused to bound memory against hostile servers. */
export const MAX_HANDSHAKE_MESSAGE = 256 * 1024;

/** One record as read from the wire. */
export interface RawRecord {
  readonly type: number;
  readonly version: number;
  readonly payload: Uint8Array;
  /** The 5-byte header (the TLS 1.3 AAD). */
  readonly header: Uint8Array;
}

/** Raised when a record header cannot be TLS; `firstBytes` lets callers say what the peer spoke instead. */
export class RecordFramingError extends DecodeError {
  constructor(
    message: string,
    readonly firstBytes: Uint8Array,
  ) {
    super(message);
  }
}

/** Splits a byte stream into records, validating each header before buffering its payload. */
export class RecordReader {
  private buf: Uint8Array = new Uint8Array(0);

  /** Appends bytes received from the socket. */
  push(chunk: Uint8Array): void {
    this.buf = this.buf.length ? concat(this.buf, chunk) : new Uint8Array(chunk);
  }

  /** Bytes buffered but not yet returned as a record. */
  get pending(): number {
    return this.buf.length;
  }

  /** The next complete record, or undefined when more bytes are needed. Throws RecordFramingError on a bad header. */
  next(): RawRecord | undefined {
    if (this.buf.length < 5) {
      if (this.buf.length > 0) this.checkType();
      return undefined;
    }
    this.checkType();
    const type = this.buf[0]!;
    const version = (this.buf[1]! << 8) | this.buf[2]!;
    const length = (this.buf[3]! << 8) | this.buf[4]!;
    if (this.buf[1] !== 3) {
      throw new RecordFramingError(`record version 0x${version.toString(16)} is not TLS`, this.buf.subarray(0, 16));
    }
    if (length > MAX_RECORD_PAYLOAD) {
      // NOTE: RFC 8446 §5.1/§5.2 — a record longer than 2^14+256 (2^14+2048 in TLS 1.2) is record_overflow.
      throw new RecordFramingError(
        `record length ${length} exceeds ${MAX_RECORD_PAYLOAD} (record_overflow)`,
        this.buf.subarray(0, 16),
      );
    }
    if (this.buf.length < 5 + length) return undefined;
    const header = this.buf.slice(0, 5);
    const payload = this.buf.slice(5, 5 + length);
    this.buf = this.buf.subarray(5 + length);
    return { type, version, payload, header };
  }

  private checkType(): void {
    const t = this.buf[0]!;
    if (t < ContentType.changeCipherSpec || t > ContentType.applicationData) {
      throw new RecordFramingError(`content type ${t} is not TLS`, this.buf.subarray(0, 16));
    }
  }
}

/** Frames a plaintext record. */
export function frameRecord(type: number, payload: Uint8Array, version = 0x0303): Uint8Array {
  return concat(Uint8Array.of(type), uint(version, 2), uint(payload.length, 2), payload);
}

/** Splits `data` into records of at most {@link MAX_FRAGMENT} bytes of content. */
export function fragment(data: Uint8Array, size = MAX_FRAGMENT): Uint8Array[] {
  if (data.length === 0) return [data];
  const out: Uint8Array[] = [];
  for (let off = 0; off < data.length; off += size) out.push(data.subarray(off, off + size));
  return out;
}

/** AEAD algorithms of the suites we implement. */
export type AeadName = 'aes-128-gcm' | 'aes-256-gcm' | 'chacha20-poly1305';

function seal(aead: AeadName, key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array {
  const c = createCipheriv(aead as CipherGCMTypes, key, nonce, { authTagLength: 16 });
  c.setAAD(aad, { plaintextLength: plaintext.length });
  const body = c.update(plaintext);
  c.final();
  return concat(body, c.getAuthTag());
}

/** Raised when a record fails authentication (bad_record_mac). */
export class BadRecordMac extends Error {
  override readonly name = 'BadRecordMac';
}

function open(aead: AeadName, key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Uint8Array {
  if (sealed.length < 16) throw new BadRecordMac('record shorter than the AEAD tag');
  const d = createDecipheriv(aead as CipherGCMTypes, key, nonce, { authTagLength: 16 });
  d.setAuthTag(sealed.subarray(sealed.length - 16));
  d.setAAD(aad, { plaintextLength: sealed.length - 16 });
  const body = d.update(sealed.subarray(0, sealed.length - 16));
  try {
    d.final();
  } catch {
    throw new BadRecordMac('record authentication failed');
  }
  return new Uint8Array(body);
}

/** Per-record nonce: the IV XOR the 64-bit sequence number, left-padded (RFC 8446 §5.3). */
export function recordNonce(iv: Uint8Array, seq: bigint): Uint8Array {
  const nonce = new Uint8Array(iv);
  for (let i = 0; i < 8; i++) nonce[nonce.length - 1 - i]! ^= Number((seq >> BigInt(8 * i)) & 0xffn);
  return nonce;
}

/** A decrypted record. */
export interface OpenedRecord {
  readonly type: number;
  readonly content: Uint8Array;
}

/** Protection of one direction of a connection. */
export interface RecordProtection {
  /** Encrypts `content` of `type` into a full record. */
  seal(type: number, content: Uint8Array): Uint8Array;
  /** Decrypts a record. Throws BadRecordMac or DecodeError. */
  open(record: RawRecord): OpenedRecord;
}

/** TLS 1.3 record protection (RFC 8446 §5.2): TLSInnerPlaintext with the real type at the end. */
export class Tls13Protection implements RecordProtection {
  private seq = 0n;

  constructor(
    private readonly aead: AeadName,
    private readonly key: Uint8Array,
    private readonly iv: Uint8Array,
  ) {}

  seal(type: number, content: Uint8Array): Uint8Array {
    const inner = concat(content, Uint8Array.of(type));
    const header = concat(Uint8Array.of(ContentType.applicationData), uint(0x0303, 2), uint(inner.length + 16, 2));
    const body = seal(this.aead, this.key, recordNonce(this.iv, this.seq++), header, inner);
    return concat(header, body);
  }

  open(record: RawRecord): OpenedRecord {
    if (record.type !== ContentType.applicationData) {
      throw new DecodeError(`protected record has outer type ${record.type}, expected application_data`);
    }
    const inner = open(this.aead, this.key, recordNonce(this.iv, this.seq++), record.header, record.payload);
    let end = inner.length - 1;
    while (end >= 0 && inner[end] === 0) end--;
    // NOTE: RFC 8446 §5.4 — all-zero padding without a content type is unexpected_message.
    if (end < 0) throw new DecodeError('TLSInnerPlaintext has no content type');
    return { type: inner[end]!, content: inner.subarray(0, end) };
  }
}

/** TLS 1.2 AEAD record protection (RFC 5246 §6.2.3.3, RFC 5288 §3, RFC 7905 §2). */
export class Tls12Protection implements RecordProtection {
  private seq = 0n;

  /** `iv` is the 4-byte GCM salt, or the 12-byte ChaCha20 IV. */
  constructor(
    private readonly aead: AeadName,
    private readonly key: Uint8Array,
    private readonly iv: Uint8Array,
  ) {}

  private aad(seq: bigint, type: number, length: number): Uint8Array {
    return concat(uint(Number(seq), 8), Uint8Array.of(type), uint(0x0303, 2), uint(length, 2));
  }

  seal(type: number, content: Uint8Array): Uint8Array {
    const seq = this.seq++;
    const aad = this.aad(seq, type, content.length);
    let payload: Uint8Array;
    if (this.aead === 'chacha20-poly1305') {
      payload = seal(this.aead, this.key, recordNonce(this.iv, seq), aad, content);
    } else {
      // NOTE: RFC 5288 §3 — the explicit nonce may be the sequence number; it travels in the record.
      const explicit = uint(Number(seq), 8);
      payload = concat(explicit, seal(this.aead, this.key, concat(this.iv, explicit), aad, content));
    }
    return frameRecord(type, payload);
  }

  open(record: RawRecord): OpenedRecord {
    const seq = this.seq++;
    if (this.aead === 'chacha20-poly1305') {
      const len = record.payload.length - 16;
      if (len < 0) throw new BadRecordMac('record shorter than the AEAD tag');
      const content = open(
        this.aead,
        this.key,
        recordNonce(this.iv, seq),
        this.aad(seq, record.type, len),
        record.payload,
      );
      return { type: record.type, content };
    }
    if (record.payload.length < 8 + 16) throw new BadRecordMac('GCM record shorter than nonce and tag');
    const explicit = record.payload.subarray(0, 8);
    const sealed = record.payload.subarray(8);
    const content = open(
      this.aead,
      this.key,
      concat(this.iv, explicit),
      this.aad(seq, record.type, sealed.length - 16),
      sealed,
    );
    return { type: record.type, content };
  }
}

/** One reassembled handshake message. */
export interface HandshakeMessage {
  readonly type: number;
  readonly body: Uint8Array;
  /** Header and body, as hashed into the transcript. */
  readonly raw: Uint8Array;
}

/** Reassembles handshake messages that span or share records (RFC 8446 §5.1). */
export class HandshakeReassembler {
  private buf: Uint8Array = new Uint8Array(0);

  /** Appends the content of a handshake record. */
  push(content: Uint8Array): void {
    this.buf = this.buf.length ? concat(this.buf, content) : new Uint8Array(content);
  }

  /** True while a partial message is buffered (a key change must not happen mid-message: RFC 8446 §5.1). */
  get partial(): boolean {
    return this.buf.length > 0;
  }

  /** The next complete message, or undefined. */
  next(): HandshakeMessage | undefined {
    if (this.buf.length < 4) return undefined;
    const length = (this.buf[1]! << 16) | (this.buf[2]! << 8) | this.buf[3]!;
    if (length > MAX_HANDSHAKE_MESSAGE)
      throw new DecodeError(`handshake message length ${length} exceeds ${MAX_HANDSHAKE_MESSAGE}`);
    if (this.buf.length < 4 + length) return undefined;
    const raw = this.buf.slice(0, 4 + length);
    this.buf = this.buf.subarray(4 + length);
    return { type: raw[0]!, body: raw.subarray(4), raw };
  }
}

/** Encodes a handshake message header + body (RFC 8446 §4). */
export function handshakeMessage(type: number, body: Uint8Array): Uint8Array {
  return concat(Uint8Array.of(type), uint(body.length, 3), body);
}
