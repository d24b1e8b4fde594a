import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadManifest, type FixtureSet } from '../../core/manifest.js';
import type { RunResult } from '../../core/result.js';
import { generateFixtures } from '../../fixtures-gen/generate.js';
import { runCli } from '../helpers/cli.js';
import { startSServer, type SServer } from '../helpers/s-server.js';

let dir: string;
let fx: FixtureSet;
let server: SServer;
beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'mtls-ss-'));
  await generateFixtures({ out: path.join(dir, 'fx') });
  fx = loadManifest(path.join(dir, 'fx'));
  server = await startSServer(fx);
});
afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('against openssl s_server -verify_return_error', () => {
  it('mismatched key is rejected with decrypt_error and the report names CertificateVerify as the step', async () => {
    const out = path.join(dir, 'rep');
    const r = await runCli([
      'run',
      '--target',
      `127.0.0.1:${server.port}`,
      '--fixtures',
      fx.dir,
      '--suite',
      'possession::*',
      '--strictness',
      'rfc',
      '--verbose',
      '--out',
      out,
      '--format',
      'console,json,markdown',
    ]);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    const run = JSON.parse(readFileSync(path.join(out, 'results.json'), 'utf8')) as RunResult;
    const mk = run.results.filter((x) => x.id === 'require::possession::mismatched-key');
    expect(mk.map((x) => x.tls).sort()).toEqual(['1.2', '1.3']);
    for (const x of mk) {
      expect(x.verdict).toBe('pass');
      expect(x.observed.alert).toEqual({ name: 'decrypt_error', code: 51 });
      expect(x.observed.step).toBe('certificate-verify');
      expect(x.observed.probe).toBe('wire');
    }
    expect(r.stdout).toMatch(/possession::mismatched-key .*alert decrypt_error.* at certificate-verify/);
  });

  it('rejects chain defects with the alerts OpenSSL maps them to, each an acceptable alert (strictness alert)', async () => {
    const out = path.join(dir, 'rep2');
    const r = await runCli([
      'run',
      '--target',
      `127.0.0.1:${server.port}`,
      '--fixtures',
      fx.dir,
      '--suite',
      'validity::*,trust::*,revocation::revoked-crl,purpose::eku-server-auth-only,presence::*',
      '--strictness',
      'alert',
      '--out',
      out,
      '--format',
      'json',
    ]);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    const run = JSON.parse(readFileSync(path.join(out, 'results.json'), 'utf8')) as RunResult;
    const alert = (id: string, tls: string) =>
      run.results.find((x) => x.id === `require::${id}` && x.tls === tls)?.observed.alert?.name;
    expect(alert('validity::expired', '1.2')).toBe('certificate_expired');
    expect(alert('trust::unknown-ca', '1.3')).toBe('unknown_ca');
    expect(alert('revocation::revoked-crl', '1.3')).toBe('certificate_revoked');
    expect(alert('purpose::eku-server-auth-only', '1.2')).toBe('unsupported_certificate');
    expect(alert('presence::no-certificate', '1.3')).toBe('certificate_required');
    expect(alert('presence::no-certificate', '1.2')).toBe('handshake_failure');
  });
});

describe('wire client and node:tls against openssl s_server', () => {
  it('reach the same verdict on every chain-validation scenario, every key profile included', async () => {
    const run = async (backend: string) => {
      const out = path.join(dir, `diff-${backend}`);
      const r = await runCli([
        'run',
        '--target',
        `127.0.0.1:${server.port}`,
        '--fixtures',
        fx.dir,
        '--backend',
        backend,
        '--out',
        out,
        '--format',
        'json',
        '--quiet',
        '--concurrency',
        '2',
      ]);
      expect([0, 1], r.stderr).toContain(r.status);
      return JSON.parse(readFileSync(path.join(out, 'results.json'), 'utf8')) as RunResult;
    };
    const node = await run('node');
    const wire = await run('wire');
    const chain = (r: RunResult) =>
      Object.fromEntries(
        r.results
          .filter((x) => !x.id.includes('::handshake::') && !x.id.includes('::possession::'))
          .map((x) => [`${x.id} ${x.tls}`, x.verdict]),
      );
    expect(chain(wire)).toEqual(chain(node));
    for (const profile of ['ecdsa-p256', 'ecdsa-p384', 'rsa-2048', 'rsa-pss-2048', 'ed25519']) {
      for (const tls of ['1.2', '1.3']) {
        const r = wire.results.find((x) => x.id === `require::profiles::valid-${profile}` && x.tls === tls);
        expect(r?.observed.outcome, `${profile} ${tls}`).toBe('accepted');
        expect(r?.observed.probe).toBe('wire');
      }
    }
  });
});
