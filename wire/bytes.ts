/**
 * Byte helpers for TLS codecs: a bounds-checked reader and a length-prefixed writer.
 */

/** Thrown when a peer's bytes do not parse; the engine maps it to a decode failure, never a crash. */
export class DecodeError extends Error {
  override readonly name = 'DecodeError';
}

/** Concatenates byte arrays. */
export function concat(...parts: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const p of parts) total += p.length;
  const out = new Uint8Array(total);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** Lower-case hex of bytes. */
export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** Bytes of a hex string (whitespace ignored). */
export function fromHex(hex: string): Uint8Array {
  return new Uint8Array(Buffer.from(hex.replace(/\s+/g, ''), 'hex'));
}

/** Constant-time-ish equality (length first); fine for verifying a peer's MAC in a test client. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/** Big-endian unsigned integer of `width` bytes. */
export function uint(value: number, width: 1 | 2 | 3 | 4 | 8): Uint8Array {
  const out = new Uint8Array(width);
  let v = BigInt(value);
  for (let i = width - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

/** Prefixes `body` with its length in `width` bytes. */
export function vec(width: 1 | 2 | 3, body: Uint8Array): Uint8Array {
  return concat(uint(body.length, width), body);
}

/** A bounds-checked cursor over a peer's bytes; every read past the end throws DecodeError. */
export class Reader {
  private pos = 0;

  constructor(
    private readonly buf: Uint8Array,
    /** What is being parsed, for error messages. */
    readonly what = 'message',
  ) {}

  /** Bytes left. */
  get remaining(): number {
    return this.buf.length - this.pos;
  }

  /** Current offset. */
  get offset(): number {
    return this.pos;
  }

  /** Reads `n` raw bytes. */
  bytes(n: number): Uint8Array {
    if (n < 0 || this.pos + n > this.buf.length) {
      throw new DecodeError(`${this.what}: needs ${n} bytes at offset ${this.pos}, has ${this.remaining}`);
    }
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** Reads a big-endian unsigned integer. */
  uint(width: 1 | 2 | 3 | 4): number {
    const b = this.bytes(width);
    let v = 0;
    for (const x of b) v = v * 256 + x;
    return v;
  }

  /** Reads a vector with a `width`-byte length prefix. */
  vec(width: 1 | 2 | 3): Uint8Array {
    return this.bytes(this.uint(width));
  }

  /** Reads everything left. */
  rest(): Uint8Array {
    return this.bytes(this.remaining);
  }

  /** Throws unless the input was consumed exactly. */
  end(): void {
    if (this.remaining !== 0) throw new DecodeError(`${this.what}: ${this.remaining} trailing bytes`);
  }
}
