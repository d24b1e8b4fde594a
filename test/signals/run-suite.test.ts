import { afterAll, beforeAll, expect, it } from 'vitest';
import type { RunResult } from '../../core/result.js';
import { runSuite } from '../../engine/run-suite.js';
import { selectScenarios } from '../../engine/select.js';
import { formatConsole, formatJunit, formatMarkdown } from '../../reports/index.js';
import { catalogue, CATALOGUE_VERSION } from '../../suites/index.js';
import { startBuiltinServer } from '../../targets/builtin.js';
import type { StartedTarget } from '../../targets/target.js';
import { freshFixtures } from '../load/helpers.js';

// The library side of an interruption: runSuite given an AbortSignal stops starting probes and says so.

let fixtures: Awaited<ReturnType<typeof freshFixtures>>;
let server: StartedTarget;
beforeAll(async () => {
  fixtures = await freshFixtures();
  server = await startBuiltinServer({ fixtures: fixtures.fx, policy: 'require' });
});
afterAll(async () => {
  await server?.stop();
  fixtures?.dispose();
});

it('aborted after a few results: the rest are skips "not run", nothing blamed, interrupted, not conformant', async () => {
  const stop = new AbortController();
  let seen = 0;
  const run: RunResult = await runSuite({
    scenarios: selectScenarios(catalogue(), ['require']),
    fixtures: fixtures.fx,
    targets: { require: server },
    tls: ['1.2', '1.3'],
    strictness: 'any',
    catalogueVersion: CATALOGUE_VERSION,
    catalogueSize: catalogue().length,
    concurrency: 2,
    signal: stop.signal,
    onResult: () => {
      // A state: the fifth judged result; then the CLI's SIGTERM.
      if (++seen === 5) stop.abort('SIGTERM');
    },
  });
  expect(run.interrupted).toBe(true);
  expect(run.signal).toBe('SIGTERM');
  expect(run.conformant).toBe(false);
  expect(run.error).toBeUndefined();
  expect(run.summary.fail + run.summary.error + run.summary.xpass).toBe(0);
  const notRun = run.results.filter((r) => r.skip?.kind === 'interrupted');
  expect(notRun.length).toBeGreaterThan(run.results.length / 2);
  for (const r of notRun) {
    expect(r.verdict).toBe('skip');
    expect(r.reason).toBe('not run: the run was interrupted by SIGTERM');
    expect(r.observations).toEqual([]);
  }
  expect(run.results.some((r) => /sanity re-check/.test(r.reason))).toBe(false);
  // An interruption is not a coverage gap of the target.
  expect(run.coverage.missing).toEqual([]);
  // The reports say it, and none reads as a pass.
  expect(formatConsole(run)).toMatch(/^INTERRUPTED by SIGTERM: \d+ of \d+ results not run, no verdict on them/m);
  expect(formatConsole(run)).not.toMatch(/^CONFORMANT/m);
  expect(formatMarkdown(run)).toMatch(/^## ⏹️ INTERRUPTED: /);
  expect(formatJunit(run)).toMatch(/<skipped message="not run: the run was interrupted by SIGTERM"/);
});
