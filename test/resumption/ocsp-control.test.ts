/**
 * The OCSP responder's loopback-only control and the certificates issued at run time (issue 12,
 * resume-after-revocation and resume-after-expiry), judged by `openssl ocsp` and `openssl verify`.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueClientCertificate } from '../../fixtures-gen/issue.js';
import { checkControlUrl, isLoopbackAddress, setOcspStatus } from '../../fixtures-gen/ocsp-control.js';
import { startOcspResponder, type OcspResponder } from '../../fixtures-gen/ocsp.js';
import { openssl } from '../helpers/openssl.js';
import { tempDir } from '../helpers/tmp.js';
import { sharedFixtures } from '../targets/harness.js';

const fixtures = sharedFixtures();
const scratch = tempDir('mtls-ocsp-control-');
let responder: OcspResponder;
beforeAll(async () => {
  responder = await startOcspResponder(fixtures.get(), { port: 0 });
});
afterAll(async () => {
  await responder?.close();
  scratch[Symbol.dispose]();
});

/** What `openssl ocsp` is told about a certificate by the running responder: good, revoked or unknown. */
async function askOpenssl(certPem: string, name: string): Promise<string> {
  const fx = fixtures.get();
  const file = path.join(scratch.path, `${name}.pem`);
  writeFileSync(file, certPem);
  const inter = fx.manifest.cas.find((c) => c.id === 'intermediate')!;
  const { out } = await openssl([
    'ocsp',
    '-issuer',
    fx.resolve(inter.cert),
    '-cert',
    file,
    '-url',
    responder.ocspUrl,
    '-CAfile',
    fx.resolve(fx.manifest.trust),
  ]);
  return new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: (\\w+)`).exec(out)?.[1] ?? out;
}

describe('the OCSP control', () => {
  it('turns the answer for one serial from good to revoked and back, as openssl ocsp sees it', async () => {
    const fx = fixtures.get();
    const issued = await issueClientCertificate(fx, { label: 'control-test' });
    // A serial the fixtures never issued: unknown until the control says otherwise.
    expect(await askOpenssl(issued.certPem, 'issued')).toBe('unknown');
    await setOcspStatus(responder.controlUrl, issued.serial, 'good');
    expect(await askOpenssl(issued.certPem, 'issued')).toBe('good');
    await setOcspStatus(responder.controlUrl, issued.serial, 'revoked');
    expect(await askOpenssl(issued.certPem, 'issued')).toBe('revoked');
    // Only that serial changed: the fixtures' valid certificate is still good.
    expect(await askOpenssl(fx.read(fx.fixture('valid').cert), 'valid')).toBe('good');
    await setOcspStatus(responder.controlUrl, issued.serial, 'fixtures');
    expect(await askOpenssl(issued.certPem, 'issued')).toBe('unknown');
    const overrides = (await (await fetch(`${responder.controlUrl}/status`)).json()) as Record<string, unknown>;
    expect(overrides).toEqual({});
  });

  it('refuses a bad status and an unknown route with a 4xx, and a control URL that is not loopback http', async () => {
    const put = (serial: string, body: string) =>
      fetch(`${responder.controlUrl}/status/${serial}`, { method: 'PUT', body });
    expect((await put('0a1b', '{"status":"maybe"}')).status).toBe(400);
    expect((await put('not-hex', '{"status":"good"}')).status).toBe(404);
    await expect(setOcspStatus(`${responder.baseUrl}/nothing`, '0a', 'good')).rejects.toThrow(/answered HTTP 404/);
    expect(() => checkControlUrl('http://192.0.2.1:8080/control')).toThrow(/loopback/);
    expect(() => checkControlUrl('https://127.0.0.1:8080/control')).toThrow(/loopback/);
    expect(checkControlUrl('http://[::1]:8080/control').port).toBe('8080');
    expect([isLoopbackAddress('127.0.0.1'), isLoopbackAddress('::ffff:127.0.0.1'), isLoopbackAddress('::1')]).toEqual([
      true,
      true,
      true,
    ]);
    expect([
      isLoopbackAddress('10.0.0.1'),
      isLoopbackAddress('::ffff:192.0.2.1'),
      isLoopbackAddress(undefined),
    ]).toEqual([false, false, false]);
  });
});

describe('certificates issued at run time', () => {
  it('chain to the fixtures root as the valid identity, and a short-lived one is expired once its notAfter passed', async () => {
    const fx = fixtures.get();
    const soon = new Date(Date.now() + 5000);
    const issued = await issueClientCertificate(fx, { notAfter: soon });
    expect(issued.subject).toContain('CN=mtls-harness client valid');
    expect(issued.serial).not.toBe(fx.fixture('valid').serial.toLowerCase());
    const chain = path.join(scratch.path, 'short.chain.pem');
    writeFileSync(chain, issued.chainPem);
    const leaf = path.join(scratch.path, 'short.pem');
    writeFileSync(leaf, issued.certPem);
    const verify = (at: Date) =>
      openssl([
        'verify',
        '-CAfile',
        fx.resolve(fx.manifest.trust),
        '-untrusted',
        chain,
        '-purpose',
        'sslclient',
        '-attime',
        String(Math.floor(at.getTime() / 1000)),
        leaf,
      ]);
    expect((await verify(new Date())).out).toContain(': OK');
    const later = await verify(new Date(soon.getTime() + 2000));
    expect(later.code).not.toBe(0);
    expect(later.out).toContain('certificate has expired');
  });
});
