import { createPublicKey, diffieHellman, generateKeyPairSync } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import {
  deriveSecret,
  expandLabel,
  hmac,
  newShare,
  prf12,
  Protection,
  useKeyObjects,
} from '../../../load/wire-engine/crypto.js';
import { toHex } from '../../../wire/bytes.js';
import { NamedGroup } from '../../../wire/constants.js';
import { PRF_SHA256 } from '../../wire/prf-vectors.js';
import { rfc8448 } from '../../wire/rfc8448.js';

// The load engine's hot-path crypto hands secrets to node:crypto as bytes or as KeyObjects, whichever costs less on
// the running Node line (load/wire-engine/crypto.ts): both forms must give the published values byte for byte.
const hex = (s: string): Buffer => Buffer.from(s, 'hex');
const defaultForm = Number(process.versions.node.split('.')[0]) >= 24;
afterAll(() => useKeyObjects(defaultForm));

describe.each([
  ['bytes', false],
  ['KeyObjects', true],
])('wire engine crypto with secrets as %s', (_form, objects) => {
  it('derives RFC 8448 §3 traffic keys, IVs and the client Finished', () => {
    useKeyObjects(objects);
    const secret = hex(rfc8448.cHsTraffic);
    expect(toHex(expandLabel('sha256', secret, 'key', Buffer.alloc(0), 16))).toBe(rfc8448.cHsKey);
    expect(toHex(expandLabel('sha256', secret, 'iv', Buffer.alloc(0), 12))).toBe(rfc8448.cHsIv);
    const finishedKey = expandLabel('sha256', secret, 'finished', Buffer.alloc(0), 32);
    expect(toHex(finishedKey)).toBe(rfc8448.clientFinishedKey);
    expect(toHex(hmac('sha256', finishedKey, hex(rfc8448.serverFinishedHash)))).toBe(rfc8448.clientFinished.slice(8));
    // The same secret keys several derivations: each answer is its own, not a cached one.
    expect(toHex(deriveSecret('sha256', hex(rfc8448.handshake), 'c hs traffic', hex(rfc8448.helloHash)))).toBe(
      rfc8448.cHsTraffic,
    );
    expect(toHex(deriveSecret('sha256', hex(rfc8448.handshake), 's hs traffic', hex(rfc8448.helloHash)))).toBe(
      rfc8448.sHsTraffic,
    );
  });

  it('seals the RFC 8448 §3 client Finished record byte for byte and opens it, refusing a flipped bit', () => {
    useKeyObjects(objects);
    const key = hex(rfc8448.cHsKey);
    const iv = hex(rfc8448.cHsIv);
    const content = hex(rfc8448.clientFinished);
    const sealer = new Protection('aes-128-gcm', key, iv, true);
    const out = Buffer.alloc(sealer.sealedSize(content.length));
    expect(sealer.sealInto(22, content, out, 0)).toBe(out.length);
    expect(toHex(out)).toBe(rfc8448.clientFinishedRecord);

    const record = hex(rfc8448.clientFinishedRecord);
    const opened = new Protection('aes-128-gcm', key, iv, true).open(23, record.subarray(0, 5), record.subarray(5));
    expect(opened.type).toBe(22);
    expect(toHex(opened.content)).toBe(rfc8448.clientFinished);
    record[10]! ^= 1;
    expect(() =>
      new Protection('aes-128-gcm', key, iv, true).open(23, record.subarray(0, 5), record.subarray(5)),
    ).toThrow(/authenticate/);
  });

  it('computes the TLS 1.2 PRF vector (P_SHA256, 100 bytes)', () => {
    useKeyObjects(objects);
    const v = PRF_SHA256;
    expect(toHex(prf12('sha256', hex(v.secret), v.label, hex(v.seed), v.length))).toBe(v.out);
  });
});

describe('wire engine X25519 share', () => {
  it("agrees with node:crypto on the peer's side and leaves Error.stackTraceLimit as it found it", () => {
    const before = Error.stackTraceLimit;
    const share = newShare(NamedGroup.x25519);
    const peer = generateKeyPairSync('x25519');
    const peerRaw = Buffer.from(peer.publicKey.export({ format: 'jwk' }).x!, 'base64url');
    const ours = share.secret(peerRaw);
    const theirs = diffieHellman({
      privateKey: peer.privateKey,
      publicKey: createPublicKey({
        key: { kty: 'OKP', crv: 'X25519', x: share.publicKey.toString('base64url') },
        format: 'jwk',
      }),
    });
    expect(toHex(ours)).toBe(toHex(theirs));
    expect(Error.stackTraceLimit).toBe(before);
    // A low-order point (all zero) gives an all-zero secret: refused (RFC 8446 §7.4.2), the limit restored all the same.
    expect(() => share.secret(Buffer.alloc(32))).toThrow();
    expect(Error.stackTraceLimit).toBe(before);
  });
});
