import { readFileSync } from 'node:fs';
import { HarnessError } from '../core/errors.js';
import { LOAD_RESULTS_SCHEMA_VERSION, type LoadConfig, type LoadResult } from '../core/load-result.js';
import { addMeasured, buildLoadResult } from './aggregate.js';
import { DEFAULT_LOAD_OPTIONS } from './default-options.js';
import { boundsProblem, checkLoadResult, MERGE_INPUT_LIMITS } from './merge-input.js';

/**
 * Reads a load results.json and checks all of it before anything is added up (see {@link checkLoadResult}), or
 * throws naming the file: MTLS_ERR_FILE_MISSING when it cannot be read, MTLS_ERR_MERGE_INPUT when it is not a valid,
 * plausible load results.json, MTLS_ERR_MERGE_MISMATCH when it was written under another contract version.
 */
export function readLoadResult(file: string): LoadResult {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new HarnessError('MTLS_ERR_FILE_MISSING', `merge: cannot read '${file}' (${code})`, { cause });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new HarnessError('MTLS_ERR_MERGE_INPUT', `merge: '${file}' is not JSON`, { cause });
  }
  const r = parsed as { kind?: unknown; schemaVersion?: unknown } | null;
  if (r !== null && typeof r === 'object' && r.kind === 'load' && r.schemaVersion === 1) {
    // NOTE: version 1 counted a handshake as succeeded at the client's secureConnect, before the server proved
    // acceptance (issue 9): its figures cannot be added to proven ones.
    throw new HarnessError(
      'MTLS_ERR_MERGE_MISMATCH',
      `merge: '${file}' is a load results.json of schemaVersion 1, which counted handshakes the server may have refused as succeeded; run that agent again with this version (schemaVersion ${LOAD_RESULTS_SCHEMA_VERSION})`,
    );
  }
  if (r === null || typeof r !== 'object' || r.kind !== 'load' || r.schemaVersion !== LOAD_RESULTS_SCHEMA_VERSION) {
    throw new HarnessError(
      'MTLS_ERR_MERGE_INPUT',
      `merge: '${file}' is not a load results.json (kind 'load', schemaVersion ${LOAD_RESULTS_SCHEMA_VERSION})`,
    );
  }
  return checkLoadResult(parsed, file);
}

/** What must be the same in every merged result, with how to show it. */
const MUST_MATCH: readonly [what: string, show: (r: LoadResult) => string][] = [
  [
    'TLS version',
    (r) =>
      `TLS ${r.config.tls}${r.config.tlsShare ? ` (1.2=${r.config.tlsShare['1.2'] * 100}%, 1.3=${r.config.tlsShare['1.3'] * 100}%)` : ''}`,
  ],
  [
    'stage plan',
    (r) =>
      r.config.stages
        ? `--stages ${r.config.stages.map((st) => `${st.durationS}s:${st.target}`).join(',')}`
        : 'no stages',
  ],
  [
    'handshake mode',
    (r) => (r.config.mode === 'mixed' ? `mixed (resume ratio ${r.config.resumeRatio})` : r.config.mode),
  ],
  [
    'kind of load (HTTP requests or handshakes)',
    (r) =>
      r.config.http
        ? `HTTP GET ${r.config.http.path}${r.config.http.newHandshakePerRequest ? ' (a new handshake per request)' : ''}`
        : 'handshakes',
  ],
  ['scenario', (r) => (r.config.scenario ? r.config.scenario.id : 'no scenario')],
  ['target endpoint', (r) => r.target.endpoint],
  ['target name', (r) => r.target.name],
];

/**
 * Adds the results of several load agents (machines, pods, processes) into one: counters summed, HDR histograms
 * added exactly, timelines aligned on each agent's start time, CPU summed, and every rate taken over the union of the
 * agents' measured windows (time during which several agents ran counts once; a gap between agents is not measured
 * time). Every headline figure is then derived again from the sums, and the thresholds re-applied.
 *
 * Throws MTLS_ERR_MERGE_MISMATCH when the results did not load the same thing the same way (TLS version, mode, HTTP
 * or handshakes, scenario, target endpoint or name): their sum would describe no run. `sources` names the inputs in
 * the message (default: their position).
 */
export function mergeLoadResults(
  results: readonly LoadResult[],
  thresholds: { maxP99Ms?: number; minRate?: number; maxErrorRate?: number } = {},
  sources: readonly string[] = results.map((_, i) => `result ${i + 1}`),
): LoadResult {
  if (results.length === 0) throw new HarnessError('MTLS_ERR_USAGE', 'merge: no results to merge');
  const first = results[0]!;
  for (const [what, show] of MUST_MATCH) {
    const other = results.findIndex((r) => show(r) !== show(first));
    if (other >= 0)
      throw new HarnessError(
        'MTLS_ERR_MERGE_MISMATCH',
        `merge: the results differ in ${what}: ${show(first)} in ${sources[0]}, ${show(results[other]!)} in ${sources[other]}; merge only agents of one run`,
      );
  }
  for (const [i, r] of results.entries()) {
    const problem = boundsProblem(r);
    if (problem) throw new HarnessError('MTLS_ERR_MERGE_INPUT', `merge: ${sources[i]} cannot be merged: ${problem}`);
  }
  // NOTE: the agents' span bounds the merged timeline (one entry per second): agents far apart are not one run.
  const start = Math.min(...results.map((r) => r.window.startMs));
  const end = Math.max(...results.map((r) => r.window.endMs));
  if (end - start > MERGE_INPUT_LIMITS.maxSpanMs)
    throw new HarnessError(
      'MTLS_ERR_MERGE_MISMATCH',
      `merge: the agents' windows span ${Math.round((end - start) / 3_600_000)} hours (from ${new Date(start).toISOString()} to ${new Date(end).toISOString()}), more than the ${MERGE_INPUT_LIMITS.maxSpanMs / 86_400_000} days one run spans; merge only agents of one run`,
    );
  const sum = (f: (r: LoadResult) => number | null) =>
    results.every((r) => f(r) !== null) ? results.reduce((a, r) => a + f(r)!, 0) : null;
  const measured = addMeasured(results.map((r) => ({ ...r, startMs: r.window.startMs })));
  const inexact = Object.entries(measured.counters).find(([, v]) =>
    typeof v === 'number' ? !Number.isSafeInteger(v) : Object.values(v).some((n) => !Number.isSafeInteger(n)),
  );
  if (inexact)
    throw new HarnessError('MTLS_ERR_MERGE_INPUT', `merge: the counters '${inexact[0]}' add up beyond 2^53 (inexact)`);
  const cpuKnown = results.every((r) => r.cpu !== null);
  const config: LoadConfig = {
    ...first.config,
    connections: sum((r) => r.config.connections)!,
    handshakes: sum((r) => r.config.handshakes),
    rate: sum((r) => r.config.rate),
    workers: sum((r) => r.config.workers)!,
    identities: Math.max(...results.map((r) => r.config.identities)),
  };
  return buildLoadResult(measured, {
    config,
    target: first.target,
    windows: results.flatMap((r) => r.windows),
    cpu: cpuKnown
      ? {
          userMs: results.reduce((a, r) => a + r.cpu!.userMs, 0),
          systemMs: results.reduce((a, r) => a + r.cpu!.systemMs, 0),
        }
      : null,
    agents: results.reduce((a, r) => a + r.agents, 0),
    interrupted: results.some((r) => r.interrupted),
    ...(results.find((r) => r.signal)?.signal ? { signal: results.find((r) => r.signal)!.signal! } : {}),
    thresholds: {
      maxP99Ms: thresholds.maxP99Ms ?? null,
      minRate: thresholds.minRate ?? null,
      maxErrorRate: thresholds.maxErrorRate ?? DEFAULT_LOAD_OPTIONS.maxErrorRate,
    },
    minResumeSuccess: DEFAULT_LOAD_OPTIONS.minResumeSuccess,
    notes: [...new Set(results.flatMap((r) => r.notes))],
    extraFailures: results.flatMap((r) => r.failures.filter((f) => f.startsWith('sanity probe'))),
  });
}
