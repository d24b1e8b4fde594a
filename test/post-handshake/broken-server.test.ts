/**
 * The proof of issue 12's post-handshake scenarios: a server that asks for a certificate after the handshake but
 * ignores the answer is caught, through the CLI against HOST:PORT (`--capabilities per-location-auth
 * --protected-path`), while its strict twin passes.
 *
 * - test/post-handshake/location-server.py (Python's ssl over OpenSSL 3, TLS 1.3): `strict` verifies the answer to
 *   its post-handshake CertificateRequest before it serves /protected/; `ignore-answer` sends the CertificateRequest
 *   and writes the resource at once.
 * - `openssl s_server -www` (TLS 1.2): `GET /renegcert` renegotiates asking for a certificate, then writes its page
 *   before the renegotiated handshake.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunResult } from '../../core/result.js';
import { runCli } from '../helpers/cli.js';
import { ON_CI, sharedFixtures } from '../targets/harness.js';
import { HAS_PYTHON, result, startLocationServer, startRenegcertServer } from './helpers.js';

const fixtures = sharedFixtures();
let out: string;
beforeAll(() => {
  out = mkdtempSync(path.join(os.tmpdir(), 'mtls-pha-broken-'));
  if (!HAS_PYTHON && !ON_CI)
    console.log(
      'SKIP the Python location server tests: python3 with ssl post-handshake authentication is not installed',
    );
});
afterAll(() => rmSync(out, { recursive: true, force: true }));

/** `mtls-harness run` against HOST:PORT declared with a protected location, with results.json read back. */
async function runAt(
  port: number,
  name: string,
  flags: readonly string[],
): Promise<{ status: number | null; stderr: string; run: RunResult }> {
  const dir = path.join(out, name);
  const cli = await runCli([
    'run',
    '--target',
    `127.0.0.1:${port}`,
    '--fixtures',
    fixtures.get().dir,
    '--policy',
    'optional',
    '--capabilities',
    'per-location-auth',
    '--suite',
    'post-handshake::*',
    '--format',
    'json',
    '--out',
    dir,
    ...flags,
  ]);
  return {
    status: cli.status,
    stderr: cli.stderr,
    run: JSON.parse(readFileSync(path.join(dir, 'results.json'), 'utf8')) as RunResult,
  };
}

describe('TLS 1.3: a server that sends a post-handshake CertificateRequest and serves whatever the answer', () => {
  it('python3 is installed (a failure on CI, a visible skip elsewhere)', (ctx) => {
    if (!HAS_PYTHON && !ON_CI) ctx.skip();
    expect(HAS_PYTHON).toBe(true);
  });

  it('the strict server passes every scenario (exit 0)', async (ctx) => {
    if (!HAS_PYTHON && !ON_CI) ctx.skip();
    const server = await startLocationServer(fixtures.get(), 'strict');
    try {
      const { status, stderr, run } = await runAt(server.port, 'strict', [
        '--tls',
        '1.3',
        '--protected-path',
        '/protected/',
      ]);
      expect(status, stderr).toBe(0);
      expect(run.results.filter((r) => r.id.includes('::post-handshake::')).map((r) => `${r.id} ${r.verdict}`)).toEqual(
        [
          'optional::post-handshake::pha-valid pass',
          'optional::post-handshake::pha-expired pass',
          'optional::post-handshake::pha-unknown-ca pass',
          'optional::post-handshake::pha-mismatched-key pass',
          'optional::post-handshake::pha-no-certificate pass',
          'optional::post-handshake::pha-not-offered pass',
        ],
      );
      expect(result(run, 'pha-expired').observed).toMatchObject({
        outcome: 'rejected-alert',
        alert: { name: 'certificate_expired' },
        step: 'post-handshake',
      });
      expect(result(run, 'pha-not-offered').observed).toMatchObject({ outcome: 'rejected-http', httpStatus: 403 });
      expect(server.output()).toContain('AUTHENTICATED mtls-harness client valid');

      // Not declared: every scenario is skipped, and the reason says how to declare it.
      const undeclared = await runCli([
        'run',
        '--target',
        `127.0.0.1:${server.port}`,
        '--fixtures',
        fixtures.get().dir,
        '--policy',
        'optional',
        '--tls',
        '1.3',
        '--suite',
        'post-handshake::*',
        '--format',
        'json',
        '--out',
        path.join(out, 'undeclared'),
      ]);
      expect(undeclared.status, undeclared.stderr).toBe(0);
      const skipped = (
        JSON.parse(readFileSync(path.join(out, 'undeclared', 'results.json'), 'utf8')) as RunResult
      ).results.filter((r) => r.id.includes('::post-handshake::'));
      expect(skipped).toHaveLength(6);
      for (const r of skipped) {
        expect(r.verdict).toBe('skip');
        expect(r.reason).toContain(
          "lacks 'per-location-auth': if the server asks for a client certificate after the handshake for one path, add per-location-auth to --capabilities and name the path with --protected-path",
        );
      }
    } finally {
      await server.close();
    }
  });

  it('the server that ignores the answer fails pha-expired, pha-unknown-ca and the rest (security, exit 1)', async (ctx) => {
    if (!HAS_PYTHON && !ON_CI) ctx.skip();
    const server = await startLocationServer(fixtures.get(), 'ignore-answer');
    try {
      // Without --protected-path: /protected/ is the default.
      const { status, stderr, run } = await runAt(server.port, 'ignore-answer', ['--tls', '1.3']);
      expect(status, stderr).toBe(1);
      expect(stderr).toMatch(/NOT CONFORMANT: 5 gating failure\(s\)/);
      for (const name of ['pha-expired', 'pha-unknown-ca', 'pha-mismatched-key', 'pha-no-certificate']) {
        const r = result(run, name);
        expect(r, `${name}: ${r.reason}`).toMatchObject({ verdict: 'fail', severity: 'security' });
        expect(r.observed).toMatchObject({ outcome: 'accepted', httpStatus: 200 });
        // It did ask: the answer was sent, and the resource came all the same.
        expect(r.finding).toMatch(
          /post-handshake CertificateRequest answered with .*; the protected resource was served/,
        );
        expect(r.observations[0]!.observed.detail).toMatch(/answered with Certificate \(\d entr(y|ies)\)/);
      }
      // A client that could not be asked at all was served too.
      const notOffered = result(run, 'pha-not-offered');
      expect(notOffered).toMatchObject({ verdict: 'fail', severity: 'security' });
      expect(notOffered.finding).toContain('post_handshake_auth not offered');
      // The valid identity is served, as it should be: the failures are not a broken path.
      expect(result(run, 'pha-valid').verdict).toBe('pass');
      expect(server.output()).toContain('SERVED without reading the answer');
    } finally {
      await server.close();
    }
  });
});

describe('TLS 1.2: a server that renegotiates for a certificate and answers before the renegotiated handshake', () => {
  it('openssl s_server -www on GET /renegcert fails reneg-expired, reneg-unknown-ca and reneg-refused (exit 1)', async () => {
    const server = await startRenegcertServer(fixtures.get());
    try {
      // NOTE: s_server serves one connection at a time.
      const { status, stderr, run } = await runAt(server.port, 'renegcert', [
        '--tls',
        '1.2',
        '--protected-path',
        '/renegcert',
        '--concurrency',
        '1',
      ]);
      expect(status, stderr).toBe(1);
      for (const name of ['reneg-expired', 'reneg-unknown-ca', 'reneg-refused']) {
        const r = result(run, name);
        expect(r, `${name}: ${r.reason}`).toMatchObject({ verdict: 'fail', severity: 'security' });
        expect(r.observed).toMatchObject({ outcome: 'accepted', httpStatus: 200 });
      }
      expect(result(run, 'reneg-expired').finding).toContain(
        "HelloRequest answered with a renegotiation to present 'expired', but the server answered before its renegotiated ServerHello",
      );
      expect(result(run, 'reneg-refused').finding).toContain(
        'HelloRequest refused with a no_renegotiation warning; the protected resource was served',
      );
      expect(result(run, 'reneg-valid').verdict).toBe('pass');
    } finally {
      await server.close();
    }
  });
});
