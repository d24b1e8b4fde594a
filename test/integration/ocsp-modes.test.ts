import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CRL_VARIANTS, loadManifest, OCSP_FAILURE_MODES, type FixtureSet } from '../../core/manifest.js';
import { generateFixtures, OPENSSL_VERIFY_COMMAND } from '../../fixtures-gen/generate.js';
import { startOcspResponder, type OcspResponder } from '../../fixtures-gen/ocsp.js';
import { OCSP_REFUSED_URL } from '../../fixtures-gen/ocsp-modes.js';
import { openssl } from '../helpers/openssl.js';

/**
 * Issue 13, judged by openssl: every OCSP failure mode through `openssl ocsp` against the real responder, reached at
 * the path the fixture's own authorityInfoAccess names (and, for fixed-URL servers, at the plain /ocsp), and every
 * alternative CRL bundle through `openssl verify -crl_check_all -use_deltas`.
 */

/** NOTE: openssl checks thisUpdate/nextUpdate against its own clock, so the fixture clock is "now". */
const clockNow = (): string => new Date(Math.floor(Date.now() / 1000) * 1000).toISOString().replace('.000Z', 'Z');

let fx: FixtureSet;
let responder: OcspResponder;

beforeAll(async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'mtls-ocsp-modes-'));
  await generateFixtures({ out: dir, clock: clockNow() });
  fx = loadManifest(dir);
  responder = await startOcspResponder(fx, { port: 0 });
});
afterAll(async () => {
  await responder?.close();
  if (fx) await rm(fx.dir, { recursive: true, force: true });
});

const caFile = (id: string): string => fx.resolve(fx.manifest.cas.find((c) => c.id === id)!.cert);

/** `openssl ocsp` for a fixture against `url`, bounded by its own -timeout (seconds). */
function ocspQuery(fixture: string, url: string, timeoutS = 3): Promise<{ code: number; out: string }> {
  const f = fx.fixture(fixture);
  return openssl([
    'ocsp',
    '-issuer',
    caFile(f.issuer),
    '-cert',
    fx.resolve(f.cert),
    '-url',
    url,
    '-CAfile',
    fx.resolve(fx.manifest.trust),
    '-timeout',
    String(timeoutS),
  ]);
}

/** The fixture's own OCSP URL path, served by the test's responder. */
const atOwnPath = (fixture: string): string =>
  `${responder.baseUrl}${new URL(fx.fixture(fixture).ocsp.url ?? fx.manifest.ocsp.url).pathname}`;

/** What openssl ocsp says for each mode (its own words, each line must appear): proof the responder does it. */
const OPENSSL_SAYS: Record<string, readonly RegExp[]> = {
  'try-later': [/Responder Error: trylater \(3\)/],
  unknown: [/Response verify OK/, /cert\.pem: unknown/],
  unauthorized: [/Responder Error: unauthorized \(6\)/],
  'wrong-signer': [/Response Verify Failure/, /signature failure/],
  'other-serial': [/Response verify OK/, /No Status found/],
  stale: [/Response verify OK/, /status expired/],
  future: [/Response verify OK/, /status not yet valid/],
  'no-answer': [/Error querying OCSP responder/, /timeout/],
};

describe('OCSP failure-mode fixtures', () => {
  it('each names its mode in the manifest and in its authorityInfoAccess (openssl x509 -ocsp_uri)', async () => {
    for (const mode of OCSP_FAILURE_MODES) {
      const f = fx.fixture(`ocsp-${mode}`);
      expect(f.ocsp.mode).toBe(mode);
      expect(f.requires).toEqual(['ocsp']);
      const uri = await openssl(['x509', '-in', fx.resolve(f.cert), '-noout', '-ocsp_uri']);
      expect(uri.out.trim()).toBe(f.ocsp.url);
      expect(new URL(f.ocsp.url!).pathname.endsWith(`/${mode}`)).toBe(true);
    }
    expect(fx.fixture('ocsp-refused').ocsp.url).toBe(`${OCSP_REFUSED_URL}/refused`);
    // The other fixtures keep the set's URL.
    expect(fx.fixture('valid').ocsp.url).toBeUndefined();
  });

  for (const [mode, says] of Object.entries(OPENSSL_SAYS)) {
    it(`${mode}: openssl ocsp at the fixture's own path and at the plain /ocsp (by serial)`, async () => {
      const own = await ocspQuery(`ocsp-${mode}`, atOwnPath(`ocsp-${mode}`), mode === 'no-answer' ? 1 : 3);
      for (const line of says) expect(own.out).toMatch(line);
      const plain = await ocspQuery(`ocsp-${mode}`, responder.ocspUrl, mode === 'no-answer' ? 1 : 3);
      for (const line of says) expect(plain.out).toMatch(line);
    });
  }

  it('the valid fixture at a mode path is answered in that mode, and at /ocsp good: the path selects it', async () => {
    expect((await ocspQuery('valid', `${responder.ocspUrl}/try-later`)).out).toMatch(/trylater \(3\)/);
    const good = await ocspQuery('valid', responder.ocspUrl);
    expect(good.out).toMatch(/Response verify OK/);
    expect(good.out).toMatch(/cert\.pem: good/);
  });

  it('refused: nothing listens at the URL the certificate names; the responder itself resets the connection', async () => {
    const refused = await new Promise<string>((resolve) => {
      const socket = net.connect(Number(new URL(OCSP_REFUSED_URL).port), '127.0.0.1');
      socket.on('connect', () => {
        socket.destroy();
        resolve('connected');
      });
      socket.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    });
    expect(refused).toBe('ECONNREFUSED');
    const own = await ocspQuery('ocsp-refused', fx.fixture('ocsp-refused').ocsp.url!, 1);
    expect(own.out).toMatch(/Error querying OCSP responder/);
    const plain = await ocspQuery('ocsp-refused', responder.ocspUrl);
    expect(plain.out).toMatch(/Error querying OCSP responder[\s\S]*(failed reading|error receiving)/);
  });
});

describe('alternative CRL bundles', () => {
  const verify = (fixture: string, bundle: string) => {
    const f = fx.fixture(fixture);
    const args = OPENSSL_VERIFY_COMMAND.replace('{epoch}', String(Math.floor(Date.parse(fx.manifest.clock) / 1000)))
      .replace('crl/all.crl.pem', bundle)
      .replace('{chain}', fx.resolve(f.chain))
      .replace('{cert}', fx.resolve(f.cert))
      .split(' ')
      .slice(1);
    return openssl([args[0]!, '-use_deltas', ...args.slice(1)], { cwd: fx.dir });
  };
  const errorOf = (out: string): number => Number(/error (\d+) at/.exec(out)?.[1] ?? (/: OK/.test(out) ? 0 : -1));

  it('the manifest lists the five variants with their bundles', () => {
    expect(fx.manifest.crlVariants?.map((v) => v.id)).toEqual([...CRL_VARIANTS]);
  });

  for (const id of CRL_VARIANTS) {
    it(`${id}: openssl verify gives the manifest's error for its fixture, and the standard bundle another`, async () => {
      const v = fx.manifest.crlVariants!.find((x) => x.id === id)!;
      const withVariant = await verify(v.verify.fixture, v.bundle);
      expect(errorOf(withVariant.out), withVariant.out).toBe(v.verify.opensslVerifyError);
      const standard = await verify(v.verify.fixture, fx.manifest.crl.bundle);
      expect(errorOf(standard.out), standard.out).toBe(fx.fixture(v.verify.fixture).expect.opensslVerifyError);
      // NOTE: the delta's leaf is revoked on the standard bundle too; its contrast is -use_deltas (the test below).
      if (id !== 'delta') expect(errorOf(standard.out)).not.toBe(v.verify.opensslVerifyError);
      // Only the dedicated CA's CRLs change: the valid client and a revoked one are judged as with the standard one.
      expect(errorOf((await verify('valid', v.bundle)).out)).toBe(0);
      expect(errorOf((await verify('revoked', v.bundle)).out)).toBe(23);
    });
  }

  it('delta: without -use_deltas openssl ignores the delta CRL (what the servers observed do)', async () => {
    const f = fx.fixture('crl-variant-revoked');
    const r = await openssl(
      [
        'verify',
        '-purpose',
        'sslclient',
        '-attime',
        String(Math.floor(Date.parse(fx.manifest.clock) / 1000)),
        '-CAfile',
        fx.resolve(fx.manifest.trust),
        '-crl_check_all',
        '-CRLfile',
        fx.resolve('crl/variants/delta.crl.pem'),
        '-untrusted',
        fx.resolve(f.chain),
        fx.resolve(f.cert),
      ],
      { cwd: fx.dir },
    );
    expect(r.out).toMatch(/: OK/);
  });
});
