import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import * as ocsp from '@peculiar/asn1-ocsp';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { openssl } from '../helpers/openssl.js';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { loadManifest, type FixtureSet, type KeyProfile } from '../../core/manifest.js';
import { generateFixtures } from '../../fixtures-gen/generate.js';
import {
  answerOcspRequest,
  buildOcspIndex,
  buildOcspRequest,
  OcspQueryError,
  queryOcsp,
  startOcspResponder,
  type OcspIndex,
  type OcspResponder,
} from '../../fixtures-gen/ocsp.js';

const execFileAsync = promisify(execFile);

/**
 * The real time, whole seconds. NOTE: `openssl ocsp` checks the signer chain and thisUpdate/nextUpdate against its
 * own clock (RFC 6960 §3.2), and the responder answers at the real time, so the fixture clock is pinned to "now".
 */
const clockNow = (): string => new Date(Math.floor(Date.now() / 1000) * 1000).toISOString().replace('.000Z', 'Z');

async function makeFixtures(options: { keyProfile?: KeyProfile; only?: string[] } = {}): Promise<FixtureSet> {
  const dir = await mkdtemp(path.join(tmpdir(), 'mtls-ocsp-'));
  await generateFixtures({ out: dir, clock: clockNow(), ...options });
  return loadManifest(dir);
}

const caCert = (fx: FixtureSet, id: string): string => {
  const ca = fx.manifest.cas.find((c) => c.id === id);
  if (!ca) throw new Error(`no CA ${id}`);
  return fx.resolve(ca.cert);
};
const pem = (file: string): string => readFileSync(file, 'utf8');

/** Runs the real `openssl ocsp` client; its verdict ("Response verify OK") goes to stderr. */
async function opensslOcsp(
  fx: FixtureSet,
  url: string,
  issuerId: string,
  certFile: string,
  extra: string[] = ['-no_nonce'],
  /** Options openssl wants before -cert, such as the CertID digest. */
  beforeCert: string[] = [],
): Promise<string> {
  const { stdout, stderr } = await execFileAsync('openssl', [
    'ocsp',
    '-issuer',
    caCert(fx, issuerId),
    ...beforeCert,
    '-cert',
    certFile,
    '-url',
    url,
    '-CAfile',
    fx.resolve(fx.manifest.trust),
    '-resp_text',
    ...extra,
  ]);
  return `${stdout}\n${stderr}`;
}

interface HttpReply {
  status: number;
  type: string | undefined;
  body: Buffer;
}

function httpRequest(url: string, method: 'GET' | 'POST', body?: Uint8Array): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method,
        headers: body ? { 'content-type': 'application/ocsp-request', 'content-length': body.byteLength } : {},
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'], body: Buffer.concat(chunks) }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Parses an OCSPResponse; for a successful one also its BasicOCSPResponse. */
function parseResponse(der: Uint8Array): { status: ocsp.OCSPResponseStatus; basic?: ocsp.BasicOCSPResponse } {
  const response = AsnConvert.parse(der, ocsp.OCSPResponse);
  if (!response.responseBytes) return { status: response.responseStatus };
  expect(response.responseBytes.responseType).toBe(ocsp.id_pkix_ocsp_basic);
  return {
    status: response.responseStatus,
    basic: AsnConvert.parse(response.responseBytes.response.buffer, ocsp.BasicOCSPResponse),
  };
}

function certStatusName(status: ocsp.CertStatus): 'good' | 'revoked' | 'unknown' {
  if (status.revoked) return 'revoked';
  return status.good !== undefined ? 'good' : 'unknown';
}

describe('loopback OCSP responder (default ecdsa-p256 fixtures)', () => {
  let fx: FixtureSet;
  let responder: OcspResponder;
  let index: OcspIndex;
  const leaf = (id: string): string => fx.resolve(fx.fixture(id).cert);

  beforeAll(async () => {
    fx = await makeFixtures();
    responder = await startOcspResponder(fx, { port: 0 });
    index = await buildOcspIndex(fx);
  });
  afterAll(async () => {
    await responder?.close();
    if (fx) await rm(fx.dir, { recursive: true, force: true });
  });

  it('listens on 127.0.0.1 with the documented URLs', () => {
    expect(responder.port).toBeGreaterThan(0);
    expect(responder.baseUrl).toBe(`http://127.0.0.1:${responder.port}`);
    expect(responder.ocspUrl).toBe(`${responder.baseUrl}/ocsp`);
  });

  it('openssl ocsp verifies good and revoked answers for leaves', async () => {
    const ask = (id: string): Promise<string> => opensslOcsp(fx, responder.ocspUrl, 'intermediate', leaf(id));
    const [valid, revoked, ocspOnly] = await Promise.all([ask('valid'), ask('revoked'), ask('revoked-ocsp-only')]);
    expect(valid).toContain(`${leaf('valid')}: good`);
    expect(valid).toContain('Response verify OK');
    for (const [id, out] of [
      ['revoked', revoked],
      ['revoked-ocsp-only', ocspOnly],
    ] as const) {
      expect(out).toContain(`${leaf(id)}: revoked`);
      expect(out).toContain('Reason: keyCompromise');
      expect(out).toContain('Response verify OK');
    }
    // Signed by the issuing CA itself, identified by its key hash (= its subjectKeyIdentifier), CA certificate attached.
    const responderId = /Responder Id: ([0-9A-F]{40})/.exec(valid)?.[1];
    const ski = /Subject Key Identifier: *\n\s*([0-9A-F:]+)/.exec(valid)?.[1]?.replaceAll(':', '');
    expect(responderId).toBeDefined();
    expect(responderId).toBe(ski);
    expect(valid).toContain('Subject: CN=mtls-harness intermediate CA');
  });

  it('echoes the nonce openssl sends by default', async () => {
    const out = await opensslOcsp(fx, responder.ocspUrl, 'intermediate', leaf('valid'), []);
    expect(out).toContain('OCSP Nonce');
    expect(out).not.toContain('WARNING: no nonce in response');
    expect(out).toContain('Response verify OK');
    expect(out).toContain(': good');
  });

  it('answers SHA-256 CertIDs as well as SHA-1', async () => {
    const out = await opensslOcsp(fx, responder.ocspUrl, 'intermediate', leaf('revoked'), ['-no_nonce'], ['-sha256']);
    expect(out).toContain('Hash Algorithm: sha256');
    expect(out).toContain(': revoked');
    expect(out).toContain('Response verify OK');
  });

  it("answers revoked (cACompromise) when the root is asked about the intermediate on the root's CRL", async () => {
    const file = caCert(fx, 'revoked-intermediate');
    const out = await opensslOcsp(fx, responder.ocspUrl, 'root', file);
    expect(out).toContain(`${file}: revoked`);
    expect(out).toContain('Reason: cACompromise');
    expect(out).toContain('Response verify OK');
    // The leaf under that intermediate is itself good: its own CA answers for it.
    const leafOut = await opensslOcsp(fx, responder.ocspUrl, 'revoked-intermediate', leaf('revoked-intermediate'));
    expect(leafOut).toContain(': good');
  });

  it('serves RFC 5019 GET requests', async () => {
    const der = buildOcspRequest(pem(leaf('valid')), pem(caCert(fx, 'intermediate')), { nonce: false });
    const reply = await httpRequest(
      `${responder.ocspUrl}/${encodeURIComponent(Buffer.from(der).toString('base64'))}`,
      'GET',
    );
    expect(reply.status).toBe(200);
    expect(reply.type).toBe('application/ocsp-response');
    const { status, basic } = parseResponse(reply.body);
    expect(status).toBe(ocsp.OCSPResponseStatus.successful);
    const single = basic?.tbsResponseData.responses[0];
    expect(single && certStatusName(single.certStatus)).toBe('good');
    expect(Buffer.from(single?.certID.serialNumber ?? new ArrayBuffer(0)).toString('hex')).toBe(
      fx.fixture('valid').serial,
    );
    // RFC 5019 §2.2.4: thisUpdate <= producedAt < nextUpdate.
    const produced = basic?.tbsResponseData.producedAt.getTime() ?? 0;
    expect(single?.thisUpdate.getTime()).toBeLessThanOrEqual(produced);
    expect(single?.nextUpdate?.getTime()).toBeGreaterThan(produced);
    expect(basic?.certs).toHaveLength(1);
  });

  it('answers unknown for a serial the manifest does not list', async () => {
    const request = AsnConvert.parse(
      buildOcspRequest(pem(leaf('valid')), pem(caCert(fx, 'intermediate')), { nonce: false }),
      ocsp.OCSPRequest,
    );
    const first = request.tbsRequest.requestList[0];
    if (!first) throw new Error('no request');
    first.reqCert.serialNumber = new Uint8Array([0x12, 0x34, 0x56, 0x78]).buffer;
    const reply = await httpRequest(responder.ocspUrl, 'POST', new Uint8Array(AsnConvert.serialize(request)));
    const { status, basic } = parseResponse(reply.body);
    expect(status).toBe(ocsp.OCSPResponseStatus.successful);
    expect(certStatusName(basic!.tbsResponseData.responses[0]!.certStatus)).toBe('unknown');
  });

  it('answers unauthorized for an issuer it does not serve', async () => {
    const request = AsnConvert.parse(
      buildOcspRequest(pem(leaf('valid')), pem(caCert(fx, 'intermediate')), { nonce: false }),
      ocsp.OCSPRequest,
    );
    const first = request.tbsRequest.requestList[0];
    if (!first) throw new Error('no request');
    first.reqCert.issuerKeyHash = new OctetString(new Uint8Array(20).fill(7));
    const reply = await httpRequest(responder.ocspUrl, 'POST', new Uint8Array(AsnConvert.serialize(request)));
    expect(parseResponse(reply.body).status).toBe(ocsp.OCSPResponseStatus.unauthorized);
  });

  it('answers for a self-signed client certificate with its own key, as the manifest says', async () => {
    const self = pem(leaf('self-signed'));
    expect(fx.fixture('self-signed').ocsp.status).toBe('good');
    await expect(queryOcsp(responder.ocspUrl, self, self)).resolves.toMatchObject({ status: 'good' });
  });

  it('survives bad input: garbage, bad base64, oversize bodies, unknown paths', async () => {
    const before = responder.requests;
    const garbage = await httpRequest(responder.ocspUrl, 'POST', Buffer.from('this is not an OCSP request'));
    expect(garbage.status).toBe(200);
    expect(parseResponse(garbage.body).status).toBe(ocsp.OCSPResponseStatus.malformedRequest);
    const empty = await httpRequest(`${responder.baseUrl}/`, 'POST', new Uint8Array(0));
    expect(parseResponse(empty.body).status).toBe(ocsp.OCSPResponseStatus.malformedRequest);
    const badGet = await httpRequest(`${responder.ocspUrl}/%%%not-base64`, 'GET');
    expect(parseResponse(badGet.body).status).toBe(ocsp.OCSPResponseStatus.malformedRequest);
    const tooBig = await httpRequest(responder.ocspUrl, 'POST', new Uint8Array(64 * 1024 + 1));
    expect(tooBig.status).toBe(413);
    expect((await httpRequest(`${responder.baseUrl}/nothing-here`, 'GET')).status).toBe(404);
    expect((await httpRequest(responder.ocspUrl, 'GET')).status).toBe(405);
    expect(responder.requests).toBe(before + 3);
    // Still alive and correct afterwards.
    const out = await opensslOcsp(fx, responder.ocspUrl, 'intermediate', leaf('valid'));
    expect(out).toContain(': good');
    expect(responder.requests).toBe(before + 4);
  });

  it('serves each CA CRL at /crl/<ca-id>.crl', async () => {
    const ca = fx.manifest.cas.find((c) => c.id === 'intermediate');
    const reply = await httpRequest(`${responder.baseUrl}/crl/intermediate.crl`, 'GET');
    expect(reply.status).toBe(200);
    expect(reply.type).toBe('application/pkix-crl');
    expect(reply.body.equals(readFileSync(fx.resolve(ca!.crl!.der)))).toBe(true);
    expect((await httpRequest(`${responder.baseUrl}/crl/no-such-ca.crl`, 'GET')).status).toBe(404);
  });

  it('queryOcsp agrees with openssl and the manifest', async () => {
    const issuer = pem(caCert(fx, 'intermediate'));
    await expect(queryOcsp(responder.ocspUrl, pem(leaf('valid')), issuer)).resolves.toEqual({ status: 'good' });
    for (const id of ['revoked', 'revoked-ocsp-only']) {
      const { ocsp: expected } = fx.fixture(id);
      await expect(queryOcsp(responder.ocspUrl, pem(leaf(id)), issuer)).resolves.toEqual({
        status: 'revoked',
        reason: 'keyCompromise',
        revokedAt: expected.revokedAt,
      });
    }
    const root = pem(caCert(fx, 'root'));
    const intermediateOnCrl = await queryOcsp(responder.ocspUrl, pem(caCert(fx, 'revoked-intermediate')), root);
    expect(intermediateOnCrl).toMatchObject({ status: 'revoked', reason: 'cACompromise' });
  });

  it('queryOcsp rejects unauthorized answers, bad signatures, replayed nonces and silence', async () => {
    const foreign = await openssl([
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      '/dev/null',
      '-subj',
      '/CN=not served',
      '-days',
      '1',
    ]);
    const foreignPem = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n/.exec(foreign.out)![0];
    await expect(queryOcsp(responder.ocspUrl, foreignPem, foreignPem)).rejects.toThrow(/unauthorized/);

    // A man in the middle that alters a signed field, or replays an answer to an earlier request.
    const issuer = pem(caCert(fx, 'intermediate'));
    const replayed = await answerOcspRequest(index, buildOcspRequest(pem(leaf('valid')), issuer));
    const tampering = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        void (async () => {
          let body: Uint8Array;
          if (req.url === '/replay') {
            body = replayed;
          } else {
            const response = AsnConvert.parse(await answerOcspRequest(index, Buffer.concat(chunks)), ocsp.OCSPResponse);
            const basic = AsnConvert.parse(response.responseBytes!.response.buffer, ocsp.BasicOCSPResponse);
            basic.tbsResponseData.producedAt = new Date(basic.tbsResponseData.producedAt.getTime() + 1000);
            basic.tbsResponseDataRaw = undefined;
            response.responseBytes!.response = new OctetString(AsnConvert.serialize(basic));
            body = new Uint8Array(AsnConvert.serialize(response));
          }
          res.writeHead(200, { 'content-type': 'application/ocsp-response' }).end(body);
        })();
      });
    });
    // NOTE: the silent server must read its sockets, or it never sees the client's FIN and close() waits forever.
    const silent = net.createServer((socket) => socket.resume());
    await Promise.all([
      new Promise<void>((r) => tampering.listen(0, '127.0.0.1', r)),
      new Promise<void>((r) => silent.listen(0, '127.0.0.1', r)),
    ]);
    try {
      const port = (s: net.Server): number => (s.address() as net.AddressInfo).port;
      const base = `http://127.0.0.1:${port(tampering)}`;
      await expect(queryOcsp(`${base}/tamper`, pem(leaf('valid')), issuer)).rejects.toThrow(/bad signature/);
      await expect(queryOcsp(`${base}/replay`, pem(leaf('valid')), issuer)).rejects.toThrow(/different nonce/);
      const silence = queryOcsp(`http://127.0.0.1:${port(silent)}/ocsp`, pem(leaf('valid')), issuer, 300);
      await expect(silence).rejects.toBeInstanceOf(OcspQueryError);
      await expect(silence).rejects.toThrow(/within 300 ms/);
    } finally {
      tampering.closeAllConnections();
      await new Promise((r) => tampering.close(r));
      await new Promise((r) => silent.close(r));
    }
  });

  it('answerOcspRequest answers directly from the index, at the given time', async () => {
    const now = new Date('2030-01-02T03:04:05.678Z');
    const der = buildOcspRequest(pem(leaf('revoked')), pem(caCert(fx, 'intermediate')), {
      nonce: false,
      hash: 'sha256',
    });
    const { status, basic } = parseResponse(await answerOcspRequest(index, der, now));
    expect(status).toBe(ocsp.OCSPResponseStatus.successful);
    expect(basic!.tbsResponseData.producedAt.toISOString()).toBe('2030-01-02T03:04:05.000Z');
    const single = basic!.tbsResponseData.responses[0]!;
    expect(single.thisUpdate.toISOString()).toBe('2030-01-02T03:03:05.000Z');
    expect(single.nextUpdate?.toISOString()).toBe('2030-01-03T03:04:05.000Z');
    expect(single.certStatus.revoked?.revocationTime.toISOString()).toBe(fx.fixture('revoked').ocsp.revokedAt);
    expect(basic!.tbsResponseData.responseExtensions).toBeUndefined();
  });

  it('refuses a port that is already taken', async () => {
    await expect(startOcspResponder(fx, { port: responder.port })).rejects.toMatchObject({ code: 'MTLS_ERR_PORT' });
  });

  it('stops on asyncDispose', async () => {
    const extra = await startOcspResponder(fx);
    await extra[Symbol.asyncDispose]();
    await expect(httpRequest(extra.ocspUrl, 'POST', new Uint8Array(1))).rejects.toThrow(/ECONNREFUSED/);
    await extra.close();
  });
});

describe.each(['ecdsa-p384', 'rsa-2048', 'rsa-pss-2048', 'ed25519'] as const)(
  'loopback OCSP responder with %s CAs',
  (keyProfile) => {
    let fx: FixtureSet;
    let responder: OcspResponder;

    beforeAll(async () => {
      fx = await makeFixtures({ keyProfile, only: ['valid', 'revoked'] });
      responder = await startOcspResponder(fx);
    });
    afterAll(async () => {
      await responder?.close();
      if (fx) await rm(fx.dir, { recursive: true, force: true });
    });

    it('signs responses openssl and queryOcsp verify', async () => {
      const valid = fx.resolve(fx.fixture('valid').cert);
      const revoked = fx.resolve(fx.fixture('revoked').cert);
      const [goodOut, revokedOut] = await Promise.all([
        opensslOcsp(fx, responder.ocspUrl, 'intermediate', valid),
        opensslOcsp(fx, responder.ocspUrl, 'intermediate', revoked),
      ]);
      expect(goodOut).toContain(`${valid}: good`);
      expect(goodOut).toContain('Response verify OK');
      expect(revokedOut).toContain(`${revoked}: revoked`);
      expect(revokedOut).toContain('Response verify OK');
      const issuer = pem(caCert(fx, 'intermediate'));
      await expect(queryOcsp(responder.ocspUrl, pem(valid), issuer)).resolves.toEqual({ status: 'good' });
      await expect(queryOcsp(responder.ocspUrl, pem(revoked), issuer)).resolves.toMatchObject({ status: 'revoked' });
    });
  },
);
