import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadManifest, type FixtureSet } from '../../core/manifest.js';
import type { RunResult } from '../../core/result.js';
import { generateFixtures } from '../../fixtures-gen/generate.js';
import { runCli } from '../helpers/cli.js';
import { openssl } from '../helpers/openssl.js';
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

/** What OpenSSL 3.0's s_server answers to each certificate-verify scenario (issue 13), and the step it concerns. */
const CV_ALERTS: Readonly<Record<string, Readonly<Record<'1.2' | '1.3', string>>>> = {
  'ecdsa-label-on-rsa-key': { '1.2': 'illegal_parameter', '1.3': 'illegal_parameter' },
  'ed25519-label-on-ecdsa-key': { '1.2': 'illegal_parameter', '1.3': 'illegal_parameter' },
  'pss-pss-label-on-rsae-key': { '1.2': 'illegal_parameter', '1.3': 'illegal_parameter' },
  'rsae-label-on-pss-key': { '1.2': 'illegal_parameter', '1.3': 'illegal_parameter' },
  'hash-mismatch': { '1.2': 'decrypt_error', '1.3': 'decrypt_error' },
  'pss-wrong-salt': { '1.2': 'decrypt_error', '1.3': 'decrypt_error' },
  // SHA-1 schemes are known but not offered at security level 1: handshake_failure in TLS 1.2.
  'ecdsa-sha1': { '1.2': 'handshake_failure', '1.3': 'illegal_parameter' },
  'rsa-pkcs1-sha1': { '1.2': 'handshake_failure', '1.3': 'illegal_parameter' },
  'ecdsa-md5': { '1.2': 'illegal_parameter', '1.3': 'illegal_parameter' },
  'rsa-pkcs1-md5': { '1.2': 'illegal_parameter', '1.3': 'illegal_parameter' },
  'truncated-signature': { '1.2': 'decrypt_error', '1.3': 'decrypt_error' },
  'padded-signature': { '1.2': 'decrypt_error', '1.3': 'decrypt_error' },
  'trailing-bytes': { '1.2': 'decode_error', '1.3': 'decode_error' },
  'wrong-handshake-type': { '1.2': 'unexpected_message', '1.3': 'unexpected_message' },
  'sent-twice': { '1.2': 'unexpected_message', '1.3': 'unexpected_message' },
  'certificate-wrong-handshake-type': { '1.2': 'unexpected_message', '1.3': 'unexpected_message' },
};

describe('CertificateVerify binding and framing against openssl s_server (issue 13)', () => {
  it('every scenario passes under --strictness alert with the alert OpenSSL sends, at the mutated step', async () => {
    const out = path.join(dir, 'rep-cv');
    const r = await runCli([
      'run',
      '--target',
      `127.0.0.1:${server.port}`,
      '--fixtures',
      fx.dir,
      '--suite',
      'certificate-verify::*',
      '--strictness',
      'alert',
      '--out',
      out,
      '--format',
      'json',
    ]);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    const run = JSON.parse(readFileSync(path.join(out, 'results.json'), 'utf8')) as RunResult;
    const results = run.results.filter(
      (x) => x.id.includes('::certificate-verify::') && x.expected.decision === 'reject',
    );
    // The RSASSA-PSS key itself is accepted, by both clients (the control of rsae-label-on-pss-key).
    const pss = run.results.filter((x) => x.id === 'require::certificate-verify::valid-rsassa-pss');
    expect(pss.map((x) => [x.tls, x.verdict, x.observations.length])).toEqual([
      ['1.2', 'pass', 2],
      ['1.3', 'pass', 2],
    ]);
    // Every scenario of the topic is expected here, in both versions (a HOST:PORT target is one policy: require).
    expect(new Set(results.map((x) => x.id.split('::')[2])).size).toBe(Object.keys(CV_ALERTS).length);
    expect(results.length).toBe(Object.keys(CV_ALERTS).length * 2);
    for (const x of results) {
      const name = x.id.split('::')[2]!;
      const what = `${x.id} ${x.tls}: ${x.reason}`;
      expect(x.verdict, what).toBe('pass');
      expect(x.observed.alert?.name, what).toBe(CV_ALERTS[name]![x.tls]);
      expect(x.observed.step, what).toBe(
        name === 'certificate-wrong-handshake-type' ? 'client-certificate' : 'certificate-verify',
      );
      // Each rests on its control: the same fixture, unaltered, accepted.
      expect(x.controls.length, what).toBe(1);
    }
  });
});

/** The CertificateRequest as `openssl s_client` prints it: the independent reading of what the server asked for. */
async function sClientView(
  port: number,
  tls: '1.2' | '1.3',
): Promise<{ cas: string[]; sigalgs: string[]; types: string[] }> {
  const valid = fx.fixture('valid');
  const { out } = await openssl(
    [
      's_client',
      '-connect',
      `127.0.0.1:${port}`,
      tls === '1.2' ? '-tls1_2' : '-tls1_3',
      '-cert',
      fx.resolve(valid.cert),
      '-key',
      fx.resolve(valid.key),
      '-CAfile',
      fx.resolve(fx.manifest.trust),
    ],
    { input: '' },
  );
  const lines = out.split('\n');
  const at = lines.findIndex((l) => l.startsWith('Acceptable client certificate CA names'));
  const cas: string[] = [];
  for (let i = at + 1; at >= 0 && i < lines.length && /^[A-Z]+ = /.test(lines[i]!); i++) cas.push(lines[i]!.trim());
  const sigalgs = /^Requested Signature Algorithms: (.*)$/m.exec(out)?.[1]?.split(':') ?? [];
  // `Client Certificate Types: RSA sign, DSA sign, ECDSA sign` (TLS 1.2 only).
  const types = /^Client Certificate Types: (.*)$/m.exec(out)?.[1]?.split(', ') ?? [];
  return { cas, sigalgs, types };
}

describe('certificate-request findings against openssl s_server, read independently by s_client (issue 13)', () => {
  const run = async (port: number, name: string): Promise<RunResult> => {
    const out = path.join(dir, name);
    const r = await runCli([
      'run',
      '--target',
      `127.0.0.1:${port}`,
      '--fixtures',
      fx.dir,
      '--suite',
      'certificate-request::*',
      '--out',
      out,
      '--format',
      'json',
    ]);
    // Protocol and advisory findings never gate without --strict.
    expect(r.status, r.stdout + r.stderr).toBe(0);
    return JSON.parse(readFileSync(path.join(out, 'results.json'), 'utf8')) as RunResult;
  };
  const find = (run: RunResult, check: string, tls: string) =>
    run.results.find((x) => x.id === `require::certificate-request::${check}` && x.tls === tls)!;
  const norm = (dn: string) => dn.replace(/\s+/g, '').toLowerCase();

  it('a default s_server: the root named once, no MD5/SHA-1, ecdsa_sign offered — all pass, as s_client reads it', async () => {
    const result = await run(server.port, 'cr-default');
    for (const tls of ['1.2', '1.3'] as const) {
      const seen = await sClientView(server.port, tls);
      // trust.pem holds every trust anchor of the set (the standard root, and the expired root of issue 13).
      const anchors = fx.manifest.cas.filter((c) => c.trusted && c.issuer === null);
      expect(seen.cas.map(norm).sort()).toEqual(anchors.map((c) => norm(c.subject)).sort());
      expect(seen.sigalgs.some((s) => /SHA1|MD5/.test(s))).toBe(false);
      const sig = find(result, 'signature-algorithms', tls);
      expect(sig.verdict).toBe('pass');
      expect(sig.finding).toContain(`offers ${seen.sigalgs.length} schemes`);
      const cas = find(result, 'certificate-authorities', tls);
      expect(cas.verdict).toBe('pass');
      expect(cas.finding).toMatch(new RegExp(`names ${seen.cas.length} CAs?: .*equal to the configured trust anchor`));
      expect(find(result, 'ca-list-size', tls).verdict).toBe('pass');
    }
    const types = find(result, 'certificate-types', '1.2');
    expect(types.verdict).toBe('pass');
    // s_client's names (RFC 5246 §7.4.4 rsa_sign(1), dss_sign(2), ecdsa_sign(64)) in our spelling.
    const spelled: Record<string, string> = {
      'RSA sign': 'rsa_sign',
      'DSA sign': 'dss_sign',
      'ECDSA sign': 'ecdsa_sign',
    };
    const seen12 = await sClientView(server.port, '1.2');
    expect(seen12.types).toContain('ECDSA sign');
    expect(types.finding).toContain(`certificate_types: ${seen12.types.map((t) => spelled[t] ?? t).join(', ')};`);
    expect(result.results.some((x) => x.id.endsWith('::certificate-types') && x.tls === '1.3')).toBe(false);
  });

  it('SHA-1 offered and no CA names: a protocol and an advisory failure, with the values s_client sees', async () => {
    const weak = await startSServer(fx, [
      '-client_sigalgs',
      'ECDSA+SHA1:ECDSA+SHA256:RSA+SHA1:RSA-PSS+SHA256',
      '-cipher',
      'DEFAULT@SECLEVEL=0',
      '-no_ca_names',
    ]);
    try {
      const result = await run(weak.port, 'cr-weak');
      for (const tls of ['1.2', '1.3'] as const) {
        const seen = await sClientView(weak.port, tls);
        expect(seen.cas).toEqual([]);
        expect(seen.sigalgs).toContain('ECDSA+SHA1');
        const sig = find(result, 'signature-algorithms', tls);
        expect(sig).toMatchObject({ verdict: 'fail', severity: 'protocol' });
        expect(sig.reason).toContain('offers ecdsa_sha1, rsa_pkcs1_sha1');
        const cas = find(result, 'certificate-authorities', tls);
        expect(cas).toMatchObject({ verdict: 'fail', severity: 'advisory' });
        expect(cas.finding).toContain('names no CA');
        // The valid client itself was accepted: the decision is not what failed.
        expect(cas.observed.outcome).toBe('accepted');
      }
    } finally {
      await weak.stop();
    }
  });

  it('a CA list with a root the server was not configured for: both CA findings name it', async () => {
    const bundle = path.join(dir, 'trust-plus-unrelated.pem');
    writeFileSync(
      bundle,
      readFileSync(path.join(fx.dir, 'trust-with-crls.pem'), 'utf8') +
        readFileSync(fx.resolve(fx.manifest.cas.find((c) => c.id === 'unrelated-root')!.cert), 'utf8'),
    );
    const wide = await startSServer(fx, ['-CAfile', bundle]);
    try {
      const result = await run(wide.port, 'cr-wide');
      for (const tls of ['1.2', '1.3'] as const) {
        const seen = await sClientView(wide.port, tls);
        // The configured anchors (trust.pem) plus the unrelated root.
        const anchors = (readFileSync(path.join(fx.dir, fx.manifest.trust), 'utf8').match(/BEGIN CERTIFICATE/g) ?? [])
          .length;
        expect(seen.cas.length).toBe(anchors + 1);
        const size = find(result, 'ca-list-size', tls);
        expect(size).toMatchObject({ verdict: 'fail', severity: 'advisory' });
        expect(size.finding).toMatch(
          new RegExp(`^the CA list holds ${anchors + 1} names \\(\\d+ bytes of encoded names\\)`),
        );
        const cas = find(result, 'certificate-authorities', tls);
        expect(cas.verdict).toBe('fail');
        expect(cas.finding).toContain('unrelated-root');
      }
    } finally {
      await wide.stop();
    }
  });
});
