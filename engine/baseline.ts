import { readFileSync } from 'node:fs';
import { HarnessError } from '../core/errors.js';
import { committedSchema, schemaErrors, type JsonSchema } from '../core/json-schema.js';
import type { RunResult, ScenarioResult } from '../core/result.js';
import { gates, isGating, isWarning } from '../core/gate.js';

/** Whether a result counts against the gate: a gating failure (see isGating) or an error. */
function bad(r: Pick<ScenarioResult, 'verdict' | 'severity'>, strict: boolean): boolean {
  // NOTE: results of schemaVersion 1 carry no severity: their failures all counted.
  return r.verdict === 'error' || isGating({ verdict: r.verdict, severity: r.severity ?? 'security' }, strict);
}

/**
 * What a schemaVersion 1 results.json must hold for a comparison: the fields {@link compareWithBaseline} reads.
 * (Version 2 files are checked against the whole committed schema.)
 */
const BASELINE_V1: JsonSchema = {
  type: 'object',
  required: ['schemaVersion', 'results'],
  properties: {
    results: {
      type: 'array',
      items: {
        type: 'object',
        required: ['id', 'tls', 'verdict'],
        properties: {
          id: { type: 'string' },
          tls: { enum: ['1.2', '1.3'] },
          verdict: { enum: ['pass', 'fail', 'skip', 'error', 'xfail', 'xpass'] },
          severity: { enum: ['security', 'protocol'] },
        },
      },
    },
  },
};

/**
 * Reads a results.json written by an earlier run and checks it before the run starts (a bad baseline used to be
 * found only after the whole run): schemaVersion 2 against `schemas/results.schema.json`, schemaVersion 1 for the
 * fields the comparison reads.
 *
 * @throws HarnessError MTLS_ERR_BASELINE naming the file and the field.
 */
export function loadBaseline(file: string): RunResult {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (cause) {
    throw new HarnessError('MTLS_ERR_BASELINE', `cannot read --baseline '${file}' as JSON`, { cause });
  }
  const run = parsed as { schemaVersion?: number; results?: unknown } | null;
  if (run === null || typeof run !== 'object' || (run.schemaVersion !== 1 && run.schemaVersion !== 2)) {
    throw new HarnessError('MTLS_ERR_BASELINE', `--baseline '${file}' is not a schemaVersion 1 or 2 results.json`);
  }
  const errors = schemaErrors(run.schemaVersion === 2 ? committedSchema('results') : BASELINE_V1, run);
  if (errors.length > 0) {
    throw new HarnessError(
      'MTLS_ERR_BASELINE',
      `--baseline '${file}' is not a valid schemaVersion ${run.schemaVersion} results.json: ${errors[0]}${errors.length > 1 ? ` (and ${errors.length - 1} more)` : ''}`,
    );
  }
  return run as unknown as RunResult;
}

/**
 * Marks each result against the baseline: new-failure (bad now, not bad then), fixed (bad then, not now), unchanged,
 * or new (not in the baseline).
 */
export function compareWithBaseline(run: RunResult, baseline: RunResult, file: string): RunResult {
  const strict = run.gate.strict;
  const before = new Map(baseline.results.map((r) => [`${r.id}|${r.tls}`, bad(r, strict)]));
  let newFailures = 0;
  let fixed = 0;
  const results: ScenarioResult[] = run.results.map((r) => {
    const old = before.get(`${r.id}|${r.tls}`);
    let change: ScenarioResult['change'];
    const now = bad(r, strict);
    if (old === undefined) change = 'new';
    else if (now && !old) change = 'new-failure';
    else if (!now && old) change = 'fixed';
    else change = 'unchanged';
    if (change === 'new-failure' || (change === 'new' && now)) newFailures++;
    if (change === 'fixed') fixed++;
    return { ...r, change };
  });
  return { ...run, results, baseline: { file, newFailures, fixed } };
}

/**
 * Applies the gate mode to a run: under `regressions` only failures new since the baseline gate, and the summary's
 * `gating` / `warnings` counts and `conformant` follow, so every report agrees with the exit status.
 */
export function applyGate(run: RunResult, mode: 'all' | 'regressions'): RunResult {
  const gate = { ...run.gate, mode };
  let gating = 0;
  let warnings = 0;
  for (const r of run.results) {
    if (gates(r, gate)) gating++;
    else if (isWarning(r, gate)) warnings++;
  }
  const conformant =
    !run.error &&
    gating === 0 &&
    (mode === 'regressions' || run.summary.error === 0) &&
    run.coverage.missing.length === 0;
  return { ...run, gate, summary: { ...run.summary, gating, warnings }, conformant };
}
