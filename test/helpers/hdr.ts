import { deflateSync } from 'node:zlib';

/**
 * Hand-made HdrHistogram V2 encodings, written from the format (not with the library under test), for feeding merge
 * histograms that are broken in one known way.
 */

/** A V2 compressed frame around `inner`: the compressed-encoding cookie, the zlib length, then zlib. */
export function hdrFrame(inner: Buffer): string {
  const z = deflateSync(inner);
  const head = Buffer.alloc(8);
  head.writeInt32BE(0x1c849314, 0);
  head.writeInt32BE(z.length, 4);
  return Buffer.concat([head, z]).toString('base64');
}

/** A V2 histogram body: the 40-byte header (digits, lowest, highest) and a payload of ZigZag LEB128 values. */
export function hdrBody(digits: number, lowest: bigint, highest: bigint, values: readonly number[]): Buffer {
  const payload: number[] = [];
  for (const v of values) {
    let z = v >= 0 ? v * 2 : -v * 2 - 1;
    do {
      const byte = z % 128;
      z = Math.floor(z / 128);
      payload.push(z > 0 ? byte | 0x80 : byte);
    } while (z > 0);
  }
  const head = Buffer.alloc(40);
  head.writeInt32BE(0x1c849313, 0);
  head.writeInt32BE(payload.length, 4);
  head.writeInt32BE(0, 8);
  head.writeInt32BE(digits, 12);
  head.writeBigInt64BE(lowest, 16);
  head.writeBigInt64BE(highest, 24);
  head.writeBigInt64BE(1n, 32);
  return Buffer.concat([head, Buffer.from(payload)]);
}

/** An encoded histogram record as results.json carries it. */
export function hdrRecord(data: string, significantDigits = 3) {
  return { encoding: 'hdr-v2-compressed-base64' as const, unit: 'us' as const, significantDigits, data };
}
