import { constants, generateKeyPairSync, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { buildCertificateVerify } from '../../wire/flight.js';

/**
 * The CertificateVerify alterations of issue 13, checked byte by byte and with node:crypto as the judge of what the
 * signature really is (the servers' answers are checked in mutations.test.ts).
 */
const signed = new TextEncoder().encode('the content a CertificateVerify covers');

/** scheme, signature and what follows it, from a CertificateVerify body (RFC 8446 §4.4.3). */
function parse(body: Uint8Array): { scheme: number; signature: Uint8Array; rest: Uint8Array } {
  const scheme = (body[0]! << 8) | body[1]!;
  const length = (body[2]! << 8) | body[3]!;
  return { scheme, signature: body.subarray(4, 4 + length), rest: body.subarray(4 + length) };
}

describe('CertificateVerify alterations (issue 13)', () => {
  const ed = generateKeyPairSync('ed25519');
  const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });

  it('truncate and pad change the signature by one byte, inside a consistent length; trailing bytes follow it', () => {
    // Ed25519 signatures are deterministic: the unaltered one is the reference.
    const plain = parse(buildCertificateVerify('1.3', ed.privateKey, [0x0807], signed, undefined).body);
    expect(plain.signature.length).toBe(64);
    expect(verify(null, signed, ed.publicKey, plain.signature)).toBe(true);
    const cut = parse(buildCertificateVerify('1.3', ed.privateKey, [0x0807], signed, { signature: 'truncate' }).body);
    expect([...cut.signature]).toEqual([...plain.signature.subarray(0, 63)]);
    expect(cut.rest.length).toBe(0);
    const pad = parse(buildCertificateVerify('1.3', ed.privateKey, [0x0807], signed, { signature: 'pad' }).body);
    expect([...pad.signature]).toEqual([...plain.signature, 0]);
    const tail = parse(buildCertificateVerify('1.3', ed.privateKey, [0x0807], signed, { trailing: [1, 2, 3] }).body);
    expect([...tail.signature]).toEqual([...plain.signature]);
    expect([...tail.rest]).toEqual([1, 2, 3]);
  });

  it('hash: other signs over SHA-384 under the ecdsa_secp256r1_sha256 label', () => {
    const cv = parse(buildCertificateVerify('1.2', ec.privateKey, [0x0403], signed, { hash: 'other' }).body);
    expect(cv.scheme).toBe(0x0403);
    expect(verify('sha384', signed, ec.publicKey, cv.signature)).toBe(true);
    expect(verify('sha256', signed, ec.publicKey, cv.signature)).toBe(false);
  });

  it('pssSalt: max makes a PSS signature that verifies with the largest salt, not with the digest length', () => {
    const cv = parse(buildCertificateVerify('1.3', rsa.privateKey, [0x0804], signed, { pssSalt: 'max' }).body);
    expect(cv.scheme).toBe(0x0804);
    const pss = (saltLength: number) =>
      verify(
        'sha256',
        signed,
        { key: rsa.publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength },
        cv.signature,
      );
    expect(pss(256 - 32 - 2)).toBe(true);
    expect(pss(32)).toBe(false);
  });

  it('a label that does not fit the key keeps the key’s own signature; a legacy label signs with its own hash', () => {
    const ecdsaOnRsa = buildCertificateVerify('1.3', rsa.privateKey, [0x0804, 0x0403], signed, {
      label: { scheme: 0x0403, sign: 'natural' },
    });
    const cv = parse(ecdsaOnRsa.body);
    expect(cv.scheme).toBe(0x0403);
    const rsae = { key: rsa.publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 };
    expect(verify('sha256', signed, rsae, cv.signature)).toBe(true);
    const md5 = parse(
      buildCertificateVerify('1.2', rsa.privateKey, [0x0401], signed, { label: { scheme: 0x0101, sign: 'label' } })
        .body,
    );
    expect(md5.scheme).toBe(0x0101);
    expect(verify('md5', signed, { key: rsa.publicKey, padding: constants.RSA_PKCS1_PADDING }, md5.signature)).toBe(
      true,
    );
    const sha1 = parse(
      buildCertificateVerify('1.2', ec.privateKey, [0x0403], signed, { label: { scheme: 0x0203, sign: 'label' } }).body,
    );
    expect(sha1.scheme).toBe(0x0203);
    expect(verify('sha1', signed, ec.publicKey, sha1.signature)).toBe(true);
  });
});
