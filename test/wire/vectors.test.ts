import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../wire/bytes.js';
import { CipherSuite, ContentType, HandshakeType, SignatureScheme } from '../../wire/constants.js';
import { certificateVerifyContent13, verifyWithScheme, x25519FromPrivate } from '../../wire/crypto.js';
import {
  digest,
  finishedKey,
  finishedVerifyData,
  hkdfExpandLabel,
  KeySchedule13,
  masterSecret12,
  prf12,
  ticketPsk,
  trafficKeys,
} from '../../wire/keyschedule.js';
import {
  decodeCertificate13,
  decodeCertificateRequest13,
  decodeCertificateVerify,
  decodeServerHello,
} from '../../wire/messages.js';
import {
  HandshakeReassembler,
  RecordReader,
  recordNonce,
  Tls12Protection,
  Tls13Protection,
} from '../../wire/record.js';
import { PHA_VECTOR } from './pha-vector.js';
import { PRF_SHA256 } from './prf-vectors.js';
import { rfc8448 } from './rfc8448.js';

describe('RFC 8448 §3 simple 1-RTT handshake', () => {
  it('derives the x25519 shared secret from the published keys and ServerHello', () => {
    const client = x25519FromPrivate(fromHex(rfc8448.clientPrivate));
    expect(toHex(client.publicKey)).toBe(rfc8448.clientPublic);
    const sh = decodeServerHello(fromHex(rfc8448.serverHello).subarray(4));
    expect(sh.cipherSuite).toBe(CipherSuite.TLS_AES_128_GCM_SHA256);
    expect(sh.selectedVersion).toBe(0x0304);
    expect(toHex(sh.keyShare!.key!)).toBe(rfc8448.serverPublic);
    expect(toHex(client.computeSecret(sh.keyShare!.key!))).toBe(rfc8448.ecdhe);
  });

  it('matches every key schedule secret', () => {
    const ks = new KeySchedule13('sha256');
    expect(toHex(ks.early)).toBe(rfc8448.early);
    ks.withSharedSecret(fromHex(rfc8448.ecdhe));
    expect(toHex(ks.handshake)).toBe(rfc8448.handshake);
    expect(toHex(ks.master)).toBe(rfc8448.master);
    const hs = ks.handshakeTraffic(fromHex(rfc8448.helloHash));
    expect(toHex(hs.client)).toBe(rfc8448.cHsTraffic);
    expect(toHex(hs.server)).toBe(rfc8448.sHsTraffic);
    const app = ks.applicationTraffic(fromHex(rfc8448.serverFinishedHash));
    expect(toHex(app.client)).toBe(rfc8448.cApTraffic);
    expect(toHex(app.server)).toBe(rfc8448.sApTraffic);
    expect(toHex(app.exporter)).toBe(rfc8448.expMaster);
    const res = ks.resumptionMaster(fromHex(rfc8448.clientFinishedHash));
    expect(toHex(res)).toBe(rfc8448.resMaster);
    expect(toHex(ticketPsk('sha256', res, fromHex('0000')))).toBe(rfc8448.resumptionPsk);
  });

  it('matches traffic keys, IVs and finished keys', () => {
    const pairs: [string, string, string][] = [
      [rfc8448.sHsTraffic, rfc8448.sHsKey, rfc8448.sHsIv],
      [rfc8448.cHsTraffic, rfc8448.cHsKey, rfc8448.cHsIv],
      [rfc8448.sApTraffic, rfc8448.sApKey, rfc8448.sApIv],
      [rfc8448.cApTraffic, rfc8448.cApKey, rfc8448.cApIv],
    ];
    for (const [secret, key, iv] of pairs) {
      const k = trafficKeys('sha256', fromHex(secret), 16);
      expect(toHex(k.key)).toBe(key);
      expect(toHex(k.iv)).toBe(iv);
    }
    expect(toHex(finishedKey('sha256', fromHex(rfc8448.sHsTraffic)))).toBe(rfc8448.serverFinishedKey);
    expect(toHex(finishedKey('sha256', fromHex(rfc8448.cHsTraffic)))).toBe(rfc8448.clientFinishedKey);
    // The client Finished covers ClientHello..server Finished.
    const verify = finishedVerifyData('sha256', fromHex(rfc8448.cHsTraffic), fromHex(rfc8448.serverFinishedHash));
    expect(toHex(verify)).toBe(rfc8448.clientFinished.slice(8));
  });

  it('protects the client Finished record byte for byte, and opens it again', () => {
    const k = trafficKeys('sha256', fromHex(rfc8448.cHsTraffic), 16);
    const sealer = new Tls13Protection('aes-128-gcm', k.key, k.iv);
    const record = sealer.seal(ContentType.handshake, fromHex(rfc8448.clientFinished));
    expect(toHex(record)).toBe(rfc8448.clientFinishedRecord);

    const reader = new RecordReader();
    reader.push(fromHex(rfc8448.clientFinishedRecord));
    const raw = reader.next()!;
    const opened = new Tls13Protection('aes-128-gcm', k.key, k.iv).open(raw);
    expect(opened.type).toBe(ContentType.handshake);
    expect(toHex(opened.content)).toBe(rfc8448.clientFinished);
  });

  it('rejects a tampered record (bad_record_mac)', () => {
    const k = trafficKeys('sha256', fromHex(rfc8448.cHsTraffic), 16);
    const bytes = fromHex(rfc8448.clientFinishedRecord);
    bytes[10]! ^= 1;
    const reader = new RecordReader();
    reader.push(bytes);
    expect(() => new Tls13Protection('aes-128-gcm', k.key, k.iv).open(reader.next()!)).toThrow(/authentication/);
  });

  it('encodes the HKDF label of "derived" (RFC 8446 §7.1)', () => {
    expect(toHex(hkdfExpandLabel('sha256', fromHex(rfc8448.early), 'derived', digest('sha256'), 32))).toBe(
      '6f2615a108c702c5678f54fc9dbab69716c076189c48250cebeac3576c3611ba',
    );
  });
});

describe('TLS 1.2 PRF (IETF TLS WG vectors)', () => {
  it('P_SHA256, 100 bytes', () => {
    const v = PRF_SHA256;
    expect(toHex(prf12('sha256', fromHex(v.secret), v.label, fromHex(v.seed), v.length))).toBe(v.out);
  });

  it('P_SHA384, 148 bytes', () => {
    const out = prf12(
      'sha384',
      fromHex('b80b733d6ceefcdc71566ea48e5567df'),
      'test label',
      fromHex('cd665cf6a8447dd6ff8b27555edb7465'),
      148,
    );
    expect(toHex(out)).toBe(
      '7b0c18e9ced410ed1804f2cfa34a336a1c14dffb4900bb5fd7942107e81c83cde9ca0faa60be9fe34f82b1233c9146a0e534cb400fed2700884f9dc236f80edd8bfa961144c9e8d792eca722a7b32fc3d416d473ebc2c5fd4abfdad05d9184259b5bf8cd4d90fa0d31e2dec479e4f1a26066f2eea9a69236a3e52655c9e9aee691c8f3a26854308d5eaa3be85e0990703d73e56f',
    );
  });

  it('extended master secret is the PRF over the session hash with its own label (RFC 7627 §4)', () => {
    const pms = fromHex('11'.repeat(32));
    const cr = fromHex('22'.repeat(32));
    const sr = fromHex('33'.repeat(32));
    const sessionHash = digest('sha256', fromHex('44'.repeat(10)));
    const ems = masterSecret12('sha256', pms, cr, sr, sessionHash);
    expect(ems).toEqual(prf12('sha256', pms, 'extended master secret', sessionHash, 48));
    expect(ems).not.toEqual(masterSecret12('sha256', pms, cr, sr));
    // The interop tests compare both against the server's key log (test/wire/interop.test.ts).
  });
});

describe('record layer', () => {
  it('XORs the sequence number into the IV', () => {
    expect(toHex(recordNonce(fromHex('5d313eb2671276ee13000b30'), 1n))).toBe('5d313eb2671276ee13000b31');
    expect(toHex(recordNonce(fromHex('5d313eb2671276ee13000b30'), 0x0102n))).toBe('5d313eb2671276ee13000a32');
  });

  it('round-trips TLS 1.2 GCM and ChaCha20 records with distinct sequence numbers', () => {
    for (const [aead, keyLen, ivLen] of [
      ['aes-128-gcm', 16, 4],
      ['aes-256-gcm', 32, 4],
      ['chacha20-poly1305', 32, 12],
    ] as const) {
      const key = new Uint8Array(keyLen).fill(7);
      const iv = new Uint8Array(ivLen).fill(9);
      const a = new Tls12Protection(aead, key, iv);
      const b = new Tls12Protection(aead, key, iv);
      for (const msg of ['hello', 'world']) {
        const reader = new RecordReader();
        reader.push(a.seal(ContentType.applicationData, new TextEncoder().encode(msg)));
        expect(new TextDecoder().decode(b.open(reader.next()!).content)).toBe(msg);
      }
    }
  });

  it('reassembles handshake messages split across and coalesced within records', () => {
    const msg1 = Uint8Array.of(HandshakeType.finished, 0, 0, 3, 1, 2, 3);
    const msg2 = Uint8Array.of(HandshakeType.keyUpdate, 0, 0, 1, 0);
    const r = new HandshakeReassembler();
    r.push(msg1.subarray(0, 2));
    expect(r.next()).toBeUndefined();
    r.push(Uint8Array.of(...msg1.subarray(2), ...msg2));
    expect(r.next()!.body).toEqual(Uint8Array.of(1, 2, 3));
    expect(r.next()!.type).toBe(HandshakeType.keyUpdate);
    expect(r.partial).toBe(false);
  });

  it('refuses oversized and non-TLS record headers', () => {
    const big = new RecordReader();
    big.push(Uint8Array.of(22, 3, 3, 0xff, 0xff));
    expect(() => big.next()).toThrow(/record_overflow/);
    const http = new RecordReader();
    http.push(new TextEncoder().encode('HTTP/1.1 400 Bad Request\r\n'));
    expect(() => http.next()).toThrow(/not TLS/);
  });
});

describe('TLS 1.3 post-handshake authentication (a vector OpenSSL produced on both ends, test/wire/pha-vector.ts)', () => {
  const hash = PHA_VECTOR.hash;
  const handshake = PHA_VECTOR.handshake.map((h) => fromHex(h));
  const [request, certificate, certificateVerify, finished] = [
    PHA_VECTOR.certificateRequest,
    PHA_VECTOR.certificate,
    PHA_VECTOR.certificateVerify,
    PHA_VECTOR.finished,
  ].map((h) => fromHex(h)) as [Uint8Array, Uint8Array, Uint8Array, Uint8Array];
  const leaf = new X509Certificate(Buffer.from(decodeCertificate13(certificate.subarray(4)).entries[0]!.der)).publicKey;
  const cv = decodeCertificateVerify(certificateVerify.subarray(4));

  it('the vector is what it claims: a client Finished last, then a request with a context the answer echoes', () => {
    expect(handshake.map((m) => m[0])).toEqual([
      HandshakeType.clientHello,
      HandshakeType.serverHello,
      HandshakeType.encryptedExtensions,
      HandshakeType.certificate,
      HandshakeType.certificateVerify,
      HandshakeType.finished,
      HandshakeType.finished,
    ]);
    const cr = decodeCertificateRequest13(request.subarray(4));
    expect(cr.context.length).toBe(32);
    expect(decodeCertificate13(certificate.subarray(4)).context).toEqual(cr.context);
    expect(cv.scheme).toBe(SignatureScheme.ed25519);
  });

  it('CertificateVerify signs ClientHello … client Finished + CertificateRequest + Certificate (RFC 8446 §4.4.1)', () => {
    const signed = (...messages: Uint8Array[]): boolean =>
      verifyWithScheme(cv.scheme, leaf, certificateVerifyContent13('client', digest(hash, ...messages)), cv.signature);
    expect(signed(...handshake, request, certificate)).toBe(true);
    // The vector tells the rule apart from plausible mistakes: without the request, without the client Finished.
    expect(signed(...handshake, certificate)).toBe(false);
    expect(signed(...handshake.slice(0, -1), request, certificate)).toBe(false);
  });

  it('Finished is keyed by client_application_traffic_secret_0 over the context, Certificate and CertificateVerify (§4.4.4)', () => {
    const context = [...handshake, request, certificate, certificateVerify];
    const appSecret = fromHex(PHA_VECTOR.clientApplicationTrafficSecret0);
    expect(toHex(finishedVerifyData(hash, appSecret, digest(hash, ...context)))).toBe(toHex(finished.subarray(4)));
    const handshakeSecret = fromHex(PHA_VECTOR.clientHandshakeTrafficSecret);
    expect(toHex(finishedVerifyData(hash, handshakeSecret, digest(hash, ...context)))).not.toBe(
      toHex(finished.subarray(4)),
    );
  });
});
