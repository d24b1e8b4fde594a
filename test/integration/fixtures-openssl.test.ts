import { statSync, readFileSync, rmSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadManifest, type FixtureSet } from '../../core/manifest.js';
import { generateFixtures } from '../../fixtures-gen/generate.js';
import { openssl } from '../helpers/openssl.js';

const CLOCK = '2026-06-01T12:00:00Z';
const EPOCH = String(Date.parse(CLOCK) / 1000);

/** Runs the manifest's openssl verify command for one fixture and returns the error number (0 = OK). */
async function verifyError(fx: FixtureSet, chain: string, cert: string): Promise<number> {
  const { out } = await openssl(
    [
      'verify',
      '-purpose',
      'sslclient',
      '-auth_level',
      '2',
      '-attime',
      EPOCH,
      '-CAfile',
      'trust.pem',
      '-crl_check_all',
      '-CRLfile',
      'crl/all.crl.pem',
      '-untrusted',
      chain,
      cert,
    ],
    { cwd: fx.dir },
  );
  const match = /error (\d+) at \d+ depth/.exec(out);
  if (match) return Number(match[1]);
  if (/: OK\s*$/m.test(out)) return 0;
  throw new Error(`unexpected openssl verify output: ${out}`);
}

describe('fixtures-gen judged by the openssl CLI', () => {
  let dir: string;
  let fx: FixtureSet;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'mtls-fx-'));
    await generateFixtures({ out: dir, clock: CLOCK });
    fx = loadManifest(dir);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('covers every fixture the issue names', () => {
    const ids = fx.manifest.fixtures.map((f) => f.id);
    for (const id of [
      'valid',
      'valid-ecdsa-p256',
      'valid-ecdsa-p384',
      'valid-rsa-2048',
      'valid-rsa-pss-2048',
      'valid-ed25519',
      'expired',
      'expired-one-second',
      'valid-until-clock',
      'not-yet-valid',
      'expired-intermediate',
      'unknown-ca',
      'self-signed',
      'missing-intermediate',
      'revoked',
      'revoked-intermediate',
      'eku-server-auth-only',
      'eku-code-signing-only',
      'no-eku',
      'eku-any',
      'ku-no-digital-signature',
      'intermediate-not-ca',
      'intermediate-no-basic-constraints',
      'pathlen-exceeded',
      'weak-rsa-1024',
      'sha1-signature',
      'bad-issuer-signature',
      'unknown-critical-extension',
      'name-constraints-violation',
      'x509-v1-leaf',
      'chain-reversed',
      'chain-extra-cert',
      'mismatched-key',
      'identity-not-allowed',
      'dn-injection',
    ]) {
      expect(ids).toContain(id);
    }
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('openssl verify returns the manifest opensslVerifyError for every fixture', async () => {
    const mismatches: string[] = [];
    for (const f of fx.manifest.fixtures) {
      if (f.expect.opensslVerifyError === null) continue;
      const got = await verifyError(fx, f.chain, f.cert);
      if (got !== f.expect.opensslVerifyError)
        mismatches.push(`${f.id}: manifest ${f.expect.opensslVerifyError}, openssl ${got}`);
    }
    expect(mismatches).toEqual([]);
  });

  it('null verify expectations are only used where openssl cannot judge, and say why', async () => {
    const nulls = fx.manifest.fixtures.filter((f) => f.expect.opensslVerifyError === null);
    expect(nulls.map((f) => f.id)).toEqual(['mismatched-key']);
    const f = nulls[0]!;
    expect(f.description).toMatch(/openssl verify/);
    // The defect is real: the key's public half is not the certificate's.
    const certPub = await openssl(['x509', '-in', f.cert, '-noout', '-pubkey'], { cwd: fx.dir });
    const keyPub = await openssl(['pkey', '-in', f.key, '-pubout'], { cwd: fx.dir });
    expect(certPub.code).toBe(0);
    expect(keyPub.code).toBe(0);
    expect(certPub.out).not.toBe(keyPub.out);
    const valid = fx.fixture('valid');
    const validCert = await openssl(['x509', '-in', valid.cert, '-noout', '-pubkey'], { cwd: fx.dir });
    const validKey = await openssl(['pkey', '-in', valid.key, '-pubout'], { cwd: fx.dir });
    expect(validCert.out).toBe(validKey.out);
  });

  it('every accepted fixture has decision accept or a described deviation', () => {
    for (const f of fx.manifest.fixtures) {
      if (f.expect.decision === 'accept' && f.expect.opensslVerifyError !== 0) {
        expect(f.description, f.id).toMatch(/OpenSSL/);
      }
      if (f.expect.decision === 'reject') expect(f.expect.alerts.length, f.id).toBeGreaterThan(0);
      else expect(f.expect.alerts).toEqual([]);
    }
  });

  it('openssl x509 -text shows each defect', async () => {
    const text = async (id: string) =>
      (await openssl(['x509', '-in', fx.fixture(id).cert, '-noout', '-text'], { cwd: fx.dir })).out;
    expect(await text('valid')).toMatch(/TLS Web Client Authentication/);
    const serverOnly = await text('eku-server-auth-only');
    expect(serverOnly).toMatch(/TLS Web Server Authentication/);
    expect(serverOnly).not.toMatch(/TLS Web Client Authentication/);
    expect(await text('eku-code-signing-only')).toMatch(/Code Signing/);
    expect(await text('no-eku')).not.toMatch(/Extended Key Usage/);
    expect(await text('eku-any')).toMatch(/Any Extended Key Usage/);
    expect(await text('ku-no-digital-signature')).toMatch(/Key Usage: critical\s+Key Encipherment\s/);
    expect(await text('expired')).toMatch(/Not After : May {2}2 12:00:00 2026 GMT/);
    expect(await text('expired-one-second')).toMatch(/Not After : Jun {2}1 11:59:59 2026 GMT/);
    expect(await text('valid-until-clock')).toMatch(/Not After : Jun {2}1 12:00:00 2026 GMT/);
    expect(await text('not-yet-valid')).toMatch(/Not Before: Jul {2}1 12:00:00 2026 GMT/);
    expect(await text('weak-rsa-1024')).toMatch(/Public-Key: \(1024 bit\)/);
    expect(await text('sha1-signature')).toMatch(/Signature Algorithm: ecdsa-with-SHA1/);
    expect(await text('unknown-critical-extension')).toMatch(/1\.3\.6\.1\.4\.1\.59999\.1: critical/);
    expect(await text('x509-v1-leaf')).toMatch(/Version: 1 \(0x0\)/);
    expect(await text('x509-v1-leaf')).not.toMatch(/X509v3 extensions/);
    const valid = await text('valid');
    expect(valid).toMatch(/OCSP - URI:http:\/\/127\.0\.0\.1:18888\/ocsp/);
    expect(valid).toMatch(/URI:http:\/\/127\.0\.0\.1:18888\/crl\/intermediate\.crl/);
    const nc = await openssl(['x509', '-in', 'ca/name-constrained-intermediate.pem', '-noout', '-text'], {
      cwd: fx.dir,
    });
    expect(nc.out).toMatch(/Permitted:\s+DNS:permitted\.mtls-harness\.test/);
    const notCa = await openssl(['x509', '-in', 'ca/not-ca-intermediate.pem', '-noout', '-text'], { cwd: fx.dir });
    expect(notCa.out).toMatch(/CA:FALSE/);
    const pathlen = await openssl(['x509', '-in', 'ca/pathlen0-intermediate.pem', '-noout', '-text'], { cwd: fx.dir });
    expect(pathlen.out).toMatch(/CA:TRUE, pathlen:0/);
    // Issue 12: the hostile subject is one CN (a UTF8String) holding a quote, , + / a second CN= and CR/LF.
    const hostile = await openssl(
      ['x509', '-in', fx.fixture('dn-injection').cert, '-noout', '-subject', '-nameopt', 'RFC2253'],
      { cwd: fx.dir },
    );
    expect(hostile.out.trim()).toBe(
      'subject=O=mtls-harness test PKI,CN=dn-injection\\"\\,CN=admin\\+O=x/CN=admin/OU=\\0D\\0AX-Injected: yes',
    );
    const server = await openssl(['x509', '-in', fx.manifest.server.cert, '-noout', '-text'], { cwd: fx.dir });
    // The second name is the virtual host without client authentication of the resumption scenarios (issue 12).
    expect(server.out).toMatch(
      /DNS:localhost, DNS:public\.localhost, IP Address:127\.0\.0\.1, IP Address:0:0:0:0:0:0:0:1/,
    );
  });

  it('the chain files carry what each fixture says it sends', async () => {
    const count = (id: string) =>
      (readFileSync(fx.resolve(fx.fixture(id).chain), 'utf8').match(/BEGIN CERTIFICATE/g) ?? []).length;
    expect(count('valid')).toBe(2);
    expect(count('missing-intermediate')).toBe(1);
    expect(count('self-signed')).toBe(1);
    expect(count('chain-reversed')).toBe(3);
    expect(count('chain-extra-cert')).toBe(3);
    expect(count('pathlen-exceeded')).toBe(3);
  });

  it('openssl crl -verify accepts every CRL against its issuer; revoked serials are listed', async () => {
    const withCrl = fx.manifest.cas.filter((c) => c.crl);
    expect(withCrl.map((c) => c.id)).toEqual(expect.arrayContaining(['root', 'intermediate']));
    for (const ca of withCrl) {
      for (const [file, form] of [
        [ca.crl!.pem, 'PEM'],
        [ca.crl!.der, 'DER'],
      ] as const) {
        const r = await openssl(['crl', '-in', file, '-inform', form, '-CAfile', ca.cert, '-noout', '-text'], {
          cwd: fx.dir,
        });
        expect(r.out, `${ca.id} ${form}`).toMatch(/verify OK/);
      }
      expect(readFileSync(fx.resolve(ca.crl!.pem), 'utf8')).toMatch(/^-----BEGIN X509 CRL-----/);
    }
    const inter = await openssl(['crl', '-in', 'crl/intermediate.crl.pem', '-noout', '-text'], { cwd: fx.dir });
    expect(inter.out.toLowerCase()).toContain(fx.fixture('revoked').serial.toLowerCase());
    expect(inter.out).toMatch(/Key Compromise/);
    const root = await openssl(['crl', '-in', 'crl/root.crl.pem', '-noout', '-text'], { cwd: fx.dir });
    const revokedCa = fx.manifest.cas.find((c) => c.id === 'revoked-intermediate')!;
    expect(root.out.toLowerCase()).toContain(revokedCa.serial.toLowerCase());
  });

  it('writes private keys with mode 0600 and certificates world-readable', () => {
    const keys = [
      fx.manifest.server.key,
      ...fx.manifest.fixtures.map((f) => f.key),
      ...fx.manifest.cas.map((c) => c.key!),
    ];
    for (const key of keys) expect(statSync(fx.resolve(key)).mode & 0o777, key).toBe(0o600);
    expect(statSync(fx.resolve(fx.manifest.trust)).mode & 0o777).toBe(0o644);
  });
});

describe('determinism and options', () => {
  const dirs: string[] = [];
  const fresh = () => {
    const d = mkdtempSync(path.join(os.tmpdir(), 'mtls-fx-'));
    dirs.push(d);
    return d;
  };
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('the same clock gives the same manifest (ids, serials, subjects, validity, expectations)', async () => {
    const a = await generateFixtures({ out: fresh(), clock: CLOCK });
    const b = await generateFixtures({ out: fresh(), clock: CLOCK });
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
    const c = await generateFixtures({ out: fresh(), clock: '2026-06-02T12:00:00Z' });
    expect(c.fixtures[0]!.serial).not.toBe(a.fixtures[0]!.serial);
  });

  it.each(['ecdsa-p384', 'rsa-2048', 'rsa-pss-2048', 'ed25519'])(
    'profile %s issues a verifiable PKI',
    async (profile) => {
      const out = fresh();
      const m = await generateFixtures({
        out,
        clock: CLOCK,
        keyProfile: profile,
        only: ['valid', 'expired', 'revoked'],
      });
      expect(m.keyProfile).toBe(profile);
      const fx = loadManifest(out);
      expect(await verifyError(fx, fx.fixture('valid').chain, fx.fixture('valid').cert)).toBe(0);
      expect(await verifyError(fx, fx.fixture('expired').chain, fx.fixture('expired').cert)).toBe(10);
      expect(await verifyError(fx, fx.fixture('revoked').chain, fx.fixture('revoked').cert)).toBe(23);
    },
  );

  it('--ca-cert/--ca-key issues everything from an existing CA', async () => {
    const caDir = fresh();
    const made = await openssl(
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-keyout',
        'ca.key',
        '-out',
        'ca.pem',
        '-subj',
        '/CN=Existing Corp Root',
        '-days',
        '3650',
        '-addext',
        'basicConstraints=critical,CA:TRUE',
        '-addext',
        'keyUsage=critical,keyCertSign,cRLSign',
      ],
      { cwd: caDir },
    );
    expect(made.code).toBe(0);
    const out = fresh();
    const m = await generateFixtures({
      out,
      clock: new Date().toISOString(),
      caCert: path.join(caDir, 'ca.pem'),
      caKey: path.join(caDir, 'ca.key'),
      only: ['valid', 'revoked-intermediate'],
    });
    expect(m.importedCa).toBe(true);
    expect(readFileSync(path.join(out, 'trust.pem'), 'utf8')).toBe(readFileSync(path.join(caDir, 'ca.pem'), 'utf8'));
    const fx = loadManifest(out);
    const now = String(Math.floor(Date.parse(m.clock) / 1000));
    const r = await openssl(
      [
        'verify',
        '-purpose',
        'sslclient',
        '-attime',
        now,
        '-CAfile',
        path.join(caDir, 'ca.pem'),
        '-crl_check_all',
        '-CRLfile',
        'crl/all.crl.pem',
        '-untrusted',
        fx.fixture('valid').chain,
        fx.fixture('valid').cert,
      ],
      { cwd: out },
    );
    expect(r.out).toMatch(/: OK/);
    expect(m.cas.find((c) => c.id === 'root')!.subject).toBe('CN=Existing Corp Root');
  });
});
