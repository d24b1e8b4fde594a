import { createHash } from 'node:crypto';

/**
 * Session ticket key material for the resumption shapes (issue 12): `length` bytes derived from the per-run root
 * directory (and a label, for products that want several keys), so that rendering stays pure while every run gets
 * keys of its own. Written mode 0600 (`Rendered.secretFiles`).
 */
export function ticketKeyBytes(root: string, length: number, label = ''): Buffer {
  const out: Buffer[] = [];
  for (let i = 0, have = 0; have < length; i++) {
    const block = createHash('sha512').update(`mtls-harness ticket key|${root}|${label}|${i}`).digest();
    out.push(block);
    have += block.length;
  }
  return Buffer.concat(out).subarray(0, length);
}
