import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadManifest, type FixtureSet } from '../../core/manifest.js';
import type { RunResult } from '../../core/result.js';
import { runSuite } from '../../engine/run-suite.js';
import { selectScenarios } from '../../engine/select.js';
import { generateFixtures } from '../../fixtures-gen/generate.js';
import { catalogue, CATALOGUE_VERSION } from '../../suites/index.js';
import { startBuiltinServer } from '../../targets/builtin.js';
import { loadExpectations } from '../../targets/expectations.js';
import { runCli } from '../helpers/cli.js';

/**
 * Issue 13 against the built-in server: the OCSP responder failure modes and the alternative CRL bundles, each on a
 * server that checks them (the CRL ones on a sibling started with the bundle), and `run --crl-variant` for a
 * HOST:PORT server configured with one.
 */

let dir: string;
let fx: FixtureSet;
beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'mtls-revfail-'));
  await generateFixtures({ out: path.join(dir, 'fx') });
  fx = loadManifest(path.join(dir, 'fx'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('built-in server: revocation failure modes', () => {
  let run: RunResult;
  beforeAll(async () => {
    const target = await startBuiltinServer({ fixtures: fx, policy: 'require' });
    try {
      run = await runSuite({
        scenarios: selectScenarios(catalogue(), ['require'], 'revocation::ocsp-*,revocation::crl-*'),
        fixtures: fx,
        targets: { require: target },
        tls: ['1.2', '1.3'],
        strictness: 'any',
        timeoutMs: 6000,
        deviations: loadExpectations('builtin'),
        catalogueVersion: CATALOGUE_VERSION,
        catalogueSize: catalogue().length,
      });
    } finally {
      await target.stop();
    }
  }, 180_000);
  const results = (name: string) => run.results.filter((r) => r.id === `require::revocation::${name}`);

  it('refuses on every OCSP failure (hard-fail), within the probe timeout for a responder that never answers', () => {
    for (const mode of ['try-later', 'unknown', 'unauthorized', 'no-answer', 'refused']) {
      const rs = results(`ocsp-${mode}`);
      expect(rs).toHaveLength(2);
      for (const r of rs) {
        expect([r.id, r.verdict, r.severity]).toEqual([r.id, 'pass', 'advisory']);
        expect(r.finding).toMatch(/^hard-fail: refused the client when /);
        expect(r.observed.httpStatus).toBe(495);
      }
    }
    for (const r of results('ocsp-no-answer')) expect(r.duration).toBeLessThan(2 * 6000);
  });

  it('refuses a forged, mismatched, stale or future good (security)', () => {
    for (const mode of ['wrong-signer', 'other-serial', 'stale', 'future']) {
      for (const r of results(`ocsp-${mode}`)) {
        expect([r.id, r.verdict, r.severity, r.finding]).toEqual([r.id, 'pass', 'security', undefined]);
        // The rejection stands on the valid client accepted on the same path.
        const controls = run.controls.filter((c) => r.controls.includes(c.id));
        expect(controls.length).toBeGreaterThan(0);
        for (const c of controls) expect([c.fixture, c.accepted]).toEqual(['valid', true]);
      }
    }
  });

  it('judges each CRL bundle on a sibling started with it, its control accepted there', () => {
    for (const variant of ['expired', 'wrong-key', 'no-crl-sign', 'missing-level']) {
      for (const r of results(`crl-${variant}`)) {
        expect([r.id, r.verdict]).toEqual([r.id, 'pass']);
        expect(r.controls.length).toBeGreaterThan(0);
        for (const id of r.controls) expect(id).toMatch(new RegExp(`:valid:crl-variant-${variant}$`));
        for (const c of run.controls.filter((x) => r.controls.includes(x.id))) expect(c.accepted).toBe(true);
      }
    }
    for (const r of results('crl-missing-level')) expect(r.finding).toMatch(/^hard-fail: /);
  });

  it('a delta CRL is ignored by node:tls: accepted, reported as the policy, and a known deviation', () => {
    const rs = results('crl-delta');
    expect(rs).toHaveLength(2);
    for (const r of rs) {
      expect([r.verdict, r.severity, r.observed.outcome]).toEqual(['xfail', 'advisory', 'accepted']);
      expect(r.finding).toBe('delta CRLs ignored: accepted the client a delta CRL revokes');
    }
  });
});

describe('run --crl-variant (HOST:PORT)', () => {
  it('runs the scenario of the bundle the server was configured with, skips the others with the hint', async () => {
    const server = await startBuiltinServer({ fixtures: fx, policy: 'require', crlVariant: 'wrong-key' });
    const out = path.join(dir, 'report-variant');
    try {
      const r = await runCli(
        [
          'run',
          '--target',
          `127.0.0.1:${server.endpoint.port}`,
          '--fixtures',
          fx.dir,
          '--policy',
          'require',
          '--crl-variant',
          'wrong-key',
          '--suite',
          'revocation::crl-*',
          '--quiet',
          '--format',
          'json',
          '--out',
          out,
        ],
        { timeoutMs: 120_000 },
      );
      expect(r.status, r.stderr).toBe(0);
      const run = JSON.parse(readFileSync(path.join(out, 'results.json'), 'utf8')) as RunResult;
      const byName = (name: string) => run.results.filter((x) => x.id === `require::revocation::${name}`);
      for (const x of byName('crl-wrong-key')) expect(x.verdict).toBe('pass');
      for (const name of ['crl-expired', 'crl-no-crl-sign', 'crl-missing-level', 'crl-delta']) {
        for (const x of byName(name)) {
          expect(x.verdict).toBe('skip');
          expect(x.reason).toContain(`pass --crl-variant ${name.slice('crl-'.length)}`);
        }
      }
    } finally {
      await server.stop();
    }
  }, 150_000);

  it('refuses an unknown --crl-variant, and one for a target the harness starts (exit 2)', async () => {
    const bad = await runCli(['run', '--target', '127.0.0.1:1', '--fixtures', fx.dir, '--crl-variant', 'stale']);
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim()).toMatch(
      /^mtls-harness: error MTLS_ERR_USAGE: bad --crl-variant 'stale': expected one of/,
    );
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    const started = await runCli(['run', '--target', 'builtin', '--crl-variant', 'expired']);
    expect(started.status).toBe(2);
    expect(started.stderr).toMatch(/MTLS_ERR_USAGE: --crl-variant names the CRL bundle a HOST:PORT target/);
  });
});
