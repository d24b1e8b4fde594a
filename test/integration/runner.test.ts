import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import tls from 'node:tls';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadManifest, type FixtureSet } from '../../core/manifest.js';
import type { RunResult } from '../../core/result.js';
import type { Feature } from '../../core/scenario.js';
import { runSuite } from '../../engine/run-suite.js';
import { selectScenarios } from '../../engine/select.js';
import { generateFixtures } from '../../fixtures-gen/generate.js';
import { catalogue, CATALOGUE_VERSION } from '../../suites/index.js';
import { startBuiltinServer, type BuiltinServerOptions } from '../../targets/builtin.js';
import { loadExpectations } from '../../targets/expectations.js';
import type { StartedTarget } from '../../targets/target.js';
import { runCli } from '../helpers/cli.js';
import { blackHole, closedPort, plaintextHttp, resetter, type TestServer } from '../helpers/servers.js';

let dir: string;
let fx: FixtureSet;
beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'mtls-run-'));
  await generateFixtures({ out: path.join(dir, 'fx') });
  fx = loadManifest(path.join(dir, 'fx'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const either = new Set<string>(
  catalogue()
    .filter((s) => s.expect.eitherDecision)
    .map((s) => s.id),
);
/** Rejection scenarios (where the RFC does not permit either decision) that passed although the client was accepted. */
const rejectionPasses = (run: RunResult) =>
  run.results.filter(
    (r) =>
      r.expected.decision === 'reject' &&
      !either.has(r.id) &&
      r.verdict === 'pass' &&
      r.observed.outcome === 'accepted',
  );

async function runAgainst(target: StartedTarget, suite?: string): Promise<RunResult> {
  return runSuite({
    scenarios: selectScenarios(catalogue(), [target.policy], suite),
    fixtures: fx,
    targets: { [target.policy]: target },
    tls: ['1.2', '1.3'],
    strictness: 'any',
    timeoutMs: 3000,
    deviations: loadExpectations('builtin'),
    catalogueVersion: CATALOGUE_VERSION,
    catalogueSize: catalogue().length,
  });
}

/** A weakened built-in server that still claims every capability, as a misconfigured real server would. */
async function claiming(
  options: Omit<BuiltinServerOptions, 'fixtures'>,
  claims: readonly Feature[],
): Promise<StartedTarget> {
  const t = await startBuiltinServer({ fixtures: fx, ...options });
  return { ...t, capabilities: new Set(claims) };
}

describe('the built-in reference server', () => {
  it.each(['require', 'optional'] as const)('passes every scenario under the %s policy', async (policy) => {
    const target = await startBuiltinServer({ fixtures: fx, policy });
    try {
      const run = await runAgainst(target);
      const bad = run.results.filter((r) => !['pass', 'skip', 'xfail'].includes(r.verdict));
      expect(bad.map((r) => `${r.id} ${r.tls}: ${r.verdict} ${r.reason}`)).toEqual([]);
      expect(run.conformant).toBe(true);
      expect(run.error).toBeUndefined();
      // Every skip says why, and only capability-bound scenarios and the documented deviations skip.
      for (const r of run.results.filter((x) => x.verdict === 'skip'))
        expect(r.reason).toMatch(/pinned|lacks|known deviation/);
      expect(run.summary.pass).toBeGreaterThan(80);
      // The no-certificate decision differs by policy: under require, an HTTP 496 refusal after the handshake.
      const none = run.results.filter((r) => r.id.endsWith('::no-certificate'));
      expect(none.every((r) => r.observed.outcome === (policy === 'require' ? 'rejected-http' : 'accepted'))).toBe(
        true,
      );
      if (policy === 'require') expect(none.map((r) => r.observed.httpStatus)).toEqual([496, 496]);
      // Every rejection was seen by both clients and rests on accepted controls of the same path.
      const controls = new Map(run.controls.map((c) => [c.id, c]));
      const scenarioOf = new Map(catalogue().map((s) => [s.id as string, s]));
      for (const r of run.results.filter((x) => x.verdict === 'pass' && x.expected.decision === 'reject')) {
        expect(r.observations.length, r.id).toBeGreaterThan(0);
        // Scenarios that alter messages node:tls cannot send (handshake, possession, certificate-verify) are wire-only.
        if (!scenarioOf.get(r.id)?.wire)
          expect(r.observations.map((o) => o.backend).sort(), r.id).toEqual(['node', 'wire']);
        expect(
          r.observations.every((o) => o.evidence === 'conclusive-rejection'),
          r.id,
        ).toBe(true);
        expect(r.controls.length, r.id).toBe(r.observations.length);
        for (const id of r.controls) expect(controls.get(id)?.accepted, id).toBe(true);
      }
    } finally {
      await target.stop();
    }
  });

  it('with client authentication off (policy none), refuses a Certificate it never asked for', async () => {
    const target = await startBuiltinServer({ fixtures: fx, policy: 'none' });
    try {
      const run = await runAgainst(target);
      expect(run.conformant).toBe(true);
      const byId = Object.fromEntries(run.results.map((r) => [`${r.id} ${r.tls}`, r]));
      for (const tls of ['1.2', '1.3']) {
        expect(byId[`none::sanity::valid ${tls}`]?.observed.outcome).toBe('accepted');
        expect(byId[`none::presence::no-certificate ${tls}`]?.observed.outcome).toBe('accepted');
        const unsolicited = byId[`none::handshake::unsolicited-certificate ${tls}`];
        expect(unsolicited?.verdict).toBe('pass');
        expect(unsolicited?.observed.alert?.name).toBe('unexpected_message');
      }
    } finally {
      await target.stop();
    }
  });

  it('gives the same verdicts on repeated runs', async () => {
    const target = await startBuiltinServer({ fixtures: fx, policy: 'require' });
    try {
      const a = await runAgainst(target);
      const b = await runAgainst(target);
      const key = (run: RunResult) => run.results.map((r) => `${r.id}|${r.tls}|${r.verdict}|${r.observed.outcome}`);
      expect(key(b)).toEqual(key(a));
    } finally {
      await target.stop();
    }
  });

  it('strictness alert fails a server that rejects with an HTTP status, strictness any passes it', async () => {
    const target = await startBuiltinServer({ fixtures: fx, policy: 'require' });
    try {
      const suite = 'validity::expired';
      const scenarios = selectScenarios(catalogue(), ['require'], suite);
      const base = {
        scenarios,
        fixtures: fx,
        targets: { require: target },
        tls: ['1.3'] as const,
        catalogueVersion: 1,
        catalogueSize: 1,
      };
      const any = await runSuite({ ...base, strictness: 'any' });
      const strict = await runSuite({ ...base, strictness: 'alert' });
      const pick = (run: RunResult) => run.results.find((r) => r.id === 'require::validity::expired')!;
      expect(pick(any).verdict).toBe('pass');
      expect(pick(any).reason).toMatch(/HTTP 495/);
      expect(pick(strict).verdict).toBe('fail');
      expect(pick(strict).reason).toMatch(/without a TLS alert/);
    } finally {
      await target.stop();
    }
  });
});

describe('deliberately broken servers are caught', () => {
  it('a server that verifies nothing (rejectUnauthorized: false) fails every chain-rejection scenario', async () => {
    const target = await claiming({ policy: 'require', weaken: 'no-verify' }, ['crl', 'ocsp', 'identity-policy']);
    try {
      const run = await runAgainst(target);
      expect(run.conformant).toBe(false);
      expect(rejectionPasses(run)).toEqual([]);
      const failed = new Set(run.results.filter((r) => r.verdict === 'fail').map((r) => r.id.split('::').pop()));
      for (const name of [
        'expired',
        'unknown-ca',
        'self-signed',
        'missing-intermediate',
        'revoked-crl',
        'revoked-ocsp',
        'eku-server-auth-only',
        'bad-issuer-signature',
        'intermediate-not-ca',
        'pathlen-exceeded',
        'weak-rsa-1024',
      ]) {
        expect(failed, name).toContain(name);
      }
    } finally {
      await target.stop();
    }
  });

  it('a server that checks neither CRLs nor OCSP lets revoked certificates through', async () => {
    const target = await claiming({ policy: 'require', crl: false, ocsp: false }, ['crl', 'ocsp', 'identity-policy']);
    try {
      const run = await runAgainst(target, 'revocation::*');
      const verdicts = Object.fromEntries(run.results.map((r) => [`${r.id.split('::').pop()} ${r.tls}`, r.verdict]));
      expect(verdicts['revoked-crl 1.2']).toBe('fail');
      expect(verdicts['revoked-crl 1.3']).toBe('fail');
      expect(verdicts['revoked-intermediate 1.3']).toBe('fail');
      expect(verdicts['revoked-ocsp 1.3']).toBe('fail');
      expect(rejectionPasses(run)).toEqual([]);
    } finally {
      await target.stop();
    }
  });

  it('a server that never asks for a certificate fails every rejection scenario', async () => {
    const target = await claiming({ policy: 'require', weaken: 'no-request' }, ['crl']);
    try {
      const run = await runAgainst(target, 'presence::*,validity::*,trust::*');
      expect(rejectionPasses(run)).toEqual([]);
      const rejections = run.results.filter((r) => r.expected.decision === 'reject' && r.verdict !== 'skip');
      expect(rejections.length).toBeGreaterThan(5);
      expect(rejections.every((r) => r.verdict === 'fail')).toBe(true);
    } finally {
      await target.stop();
    }
  });
});

describe('run against broken targets through the CLI', () => {
  const servers: TestServer[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()));
  });

  const cli = (port: number, extra: string[] = []) =>
    runCli([
      'run',
      '--target',
      `127.0.0.1:${port}`,
      '--fixtures',
      path.join(dir, 'fx'),
      '--timeout',
      '1500',
      '--quiet',
      '--out',
      path.join(dir, `rep-${port}`),
      ...extra,
    ]);

  it.each([
    ['a TCP black hole', blackHole, 'MTLS_ERR_TARGET_NOT_TLS'],
    ['a server that resets', resetter, 'MTLS_ERR_TARGET_NOT_TLS'],
    ['a plaintext HTTP server', plaintextHttp, 'MTLS_ERR_TARGET_NOT_TLS'],
  ] as const)('%s is a harness error (exit 2) with no pass', async (_name, make, code) => {
    const server = await make();
    servers.push(server);
    const r = await cli(server.port);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(`error ${code}:`);
    const run = JSON.parse(readFileSync(path.join(dir, `rep-${server.port}`, 'results.json'), 'utf8')) as RunResult;
    expect(run.error?.code).toBe(code);
    expect(run.results.some((r) => r.verdict === 'pass')).toBe(false);
  });

  it('a closed port is MTLS_ERR_TARGET_UNREACHABLE', async () => {
    const r = await cli(await closedPort());
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^mtls-harness: error MTLS_ERR_TARGET_UNREACHABLE: .*refused/);
  });

  it('a weakened server is non-conformant with exit 1, and the built-in one is conformant with exit 0', async () => {
    const weak = await startBuiltinServer({ fixtures: fx, policy: 'require', weaken: 'no-verify' });
    const good = await startBuiltinServer({ fixtures: fx, policy: 'require' });
    try {
      const bad = await cli(weak.endpoint.port, ['--suite', 'validity::*,trust::*']);
      expect(bad.status).toBe(1);
      const ok = await cli(good.endpoint.port, ['--suite', 'validity::*,trust::*']);
      expect(ok.status).toBe(0);
      const run = JSON.parse(
        readFileSync(path.join(dir, `rep-${good.endpoint.port}`, 'results.json'), 'utf8'),
      ) as RunResult;
      expect(run.conformant).toBe(true);
      expect(run.results.filter((r) => r.id.includes('unknown-ca')).every((r) => r.verdict === 'pass')).toBe(true);
    } finally {
      await weak.stop();
      await good.stop();
    }
  });
});

describe('baseline and regression gating', () => {
  it('marks new failures and fixes, and --gate regressions fails only on new failures', async () => {
    const good = await startBuiltinServer({ fixtures: fx, policy: 'require' });
    const weak = await startBuiltinServer({ fixtures: fx, policy: 'require', crl: false, ocsp: false });
    const rep = (name: string) => path.join(dir, name);
    const args = (port: number, out: string, extra: string[] = []) => [
      'run',
      '--target',
      `127.0.0.1:${port}`,
      '--fixtures',
      path.join(dir, 'fx'),
      '--capabilities',
      'crl',
      '--suite',
      'revocation::*,trust::*',
      '--quiet',
      '--format',
      'json,markdown',
      '--out',
      rep(out),
      ...extra,
    ];
    try {
      expect((await runCli(args(good.endpoint.port, 'old'))).status).toBe(0);
      const regressed = await runCli(
        args(weak.endpoint.port, 'new', ['--baseline', path.join(rep('old'), 'results.json'), '--gate', 'regressions']),
      );
      expect(regressed.status).toBe(1);
      const run = JSON.parse(readFileSync(path.join(rep('new'), 'results.json'), 'utf8')) as RunResult;
      expect(run.baseline?.newFailures).toBeGreaterThan(0);
      const crl = run.results.filter((r) => r.id === 'require::revocation::revoked-crl');
      expect(crl.every((r) => r.change === 'new-failure')).toBe(true);
      expect(run.results.find((r) => r.id === 'require::trust::unknown-ca')?.change).toBe('unchanged');
      // Against itself, nothing is new: the regressions gate passes although the run is non-conformant.
      const again = await runCli(
        args(weak.endpoint.port, 'again', [
          '--baseline',
          path.join(rep('new'), 'results.json'),
          '--gate',
          'regressions',
        ]),
      );
      expect(again.status).toBe(0);
      const fixedRun = await runCli(
        args(good.endpoint.port, 'fixed', ['--baseline', path.join(rep('new'), 'results.json')]),
      );
      expect(fixedRun.status).toBe(0);
      const fixed = JSON.parse(readFileSync(path.join(rep('fixed'), 'results.json'), 'utf8')) as RunResult;
      expect(fixed.baseline?.fixed).toBeGreaterThan(0);
      expect(readFileSync(path.join(rep('fixed'), 'summary.md'), 'utf8')).toMatch(/[Ff]ixed/);
    } finally {
      await good.stop();
      await weak.stop();
    }
  });
});

describe('a server whose own certificate comes from another CA', () => {
  it('is MTLS_ERR_TARGET_UNTRUSTED until --server-ca names that CA', async () => {
    const other = path.join(dir, 'other-pki');
    await generateFixtures({ out: other, only: ['valid'] });
    const read = (p: string) => readFileSync(p, 'utf8');
    const crls = fx.manifest.cas.filter((c) => c.crl).map((c) => read(fx.resolve(c.crl!.pem)));
    const server = tls.createServer({
      key: read(path.join(other, 'server/key.pem')),
      cert: read(path.join(other, 'server/chain.pem')),
      ca: read(fx.resolve(fx.manifest.trust)),
      crl: crls,
      requestCert: true,
      rejectUnauthorized: false,
    });
    // NOTE: a refusal the client can see (a node:tls server's own close would be inconclusive evidence).
    server.on('secureConnection', (s) =>
      s.on('data', () => s.end(`HTTP/1.1 ${s.authorized ? '200 OK' : '403 Forbidden'}\r\ncontent-length: 0\r\n\r\n`)),
    );
    server.on('tlsClientError', () => {});
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    try {
      const base = [
        'run',
        '--target',
        `127.0.0.1:${port}`,
        '--fixtures',
        fx.dir,
        '--suite',
        'trust::*',
        '--quiet',
        '--format',
        'json',
      ];
      const untrusted = await runCli([...base, '--out', path.join(dir, 'srv-a')]);
      expect(untrusted.status).toBe(2);
      expect(untrusted.stderr).toMatch(/^mtls-harness: error MTLS_ERR_TARGET_UNTRUSTED: /);
      const trusted = await runCli([
        ...base,
        '--out',
        path.join(dir, 'srv-b'),
        '--server-ca',
        path.join(other, 'trust.pem'),
      ]);
      expect(trusted.status, trusted.stderr).toBe(0);
      const bad = await runCli([...base, '--server-ca', path.join(dir, 'srv-a', 'results.json')]);
      expect(bad.status).toBe(2);
      expect(bad.stderr).toMatch(/^mtls-harness: error MTLS_ERR_PEM_MALFORMED: .*no PEM certificate/);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
