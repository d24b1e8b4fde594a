import { readFileSync } from 'node:fs';
import { HarnessError } from '../core/errors.js';
import type { RunResult, ScenarioResult, Verdict } from '../core/result.js';

const BAD: readonly Verdict[] = ['fail', 'xpass', 'error'];

/** Reads a results.json written by an earlier run. */
export function loadBaseline(file: string): RunResult {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (cause) {
    throw new HarnessError('MTLS_ERR_BASELINE', `cannot read --baseline '${file}' as JSON`, { cause });
  }
  const run = parsed as Partial<RunResult>;
  if (run?.schemaVersion !== 1 || !Array.isArray(run.results)) {
    throw new HarnessError('MTLS_ERR_BASELINE', `--baseline '${file}' is not a schemaVersion 1 results.json`);
  }
  return run as RunResult;
}

/**
 * Marks each result against the baseline: new-failure (bad now, not bad then), fixed (bad then, not now), unchanged,
 * or new (not in the baseline).
 */
export function compareWithBaseline(run: RunResult, baseline: RunResult, file: string): RunResult {
  const before = new Map(baseline.results.map((r) => [`${r.id}|${r.tls}`, r.verdict]));
  let newFailures = 0;
  let fixed = 0;
  const results: ScenarioResult[] = run.results.map((r) => {
    const old = before.get(`${r.id}|${r.tls}`);
    let change: ScenarioResult['change'];
    if (old === undefined) change = 'new';
    else if (BAD.includes(r.verdict) && !BAD.includes(old)) change = 'new-failure';
    else if (!BAD.includes(r.verdict) && BAD.includes(old)) change = 'fixed';
    else change = 'unchanged';
    if (change === 'new-failure' || (change === 'new' && BAD.includes(r.verdict))) newFailures++;
    if (change === 'fixed') fixed++;
    return { ...r, change };
  });
  return { ...run, results, baseline: { file, newFailures, fixed } };
}
