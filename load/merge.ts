import { readFileSync } from 'node:fs';
import { HarnessError } from '../core/errors.js';
import { LOAD_RESULTS_SCHEMA_VERSION, type LoadConfig, type LoadResult } from '../core/load-result.js';
import { addMeasured, buildLoadResult } from './aggregate.js';
import { DEFAULT_LOAD_OPTIONS } from './default-options.js';

/** Reads a load results.json, or throws MTLS_ERR_USAGE naming the file. */
export function readLoadResult(file: string): LoadResult {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (cause) {
    throw new HarnessError('MTLS_ERR_USAGE', `merge: cannot read '${file}' as JSON`, { cause });
  }
  const r = parsed as Partial<LoadResult> | null;
  if (!r || r.kind !== 'load' || r.schemaVersion !== LOAD_RESULTS_SCHEMA_VERSION || !r.counters || !r.histograms) {
    throw new HarnessError(
      'MTLS_ERR_USAGE',
      `merge: '${file}' is not a load results.json (kind 'load', schemaVersion ${LOAD_RESULTS_SCHEMA_VERSION})`,
    );
  }
  return r as LoadResult;
}

/**
 * Adds the results of several load agents (machines, pods, processes) into one: counters summed, HDR histograms
 * added exactly, timelines aligned on each agent's start time, CPU summed, and the window spanning the earliest start
 * to the latest end. Every headline figure is then derived again from the sums, and the thresholds re-applied.
 */
export function mergeLoadResults(
  results: readonly LoadResult[],
  thresholds: { maxP99Ms?: number; minRate?: number } = {},
): LoadResult {
  if (results.length === 0) throw new HarnessError('MTLS_ERR_USAGE', 'merge: no results to merge');
  const first = results[0]!;
  const notes: string[] = [];
  const differs = (f: (c: LoadConfig) => unknown) => results.some((r) => f(r.config) !== f(first.config));
  if (differs((c) => c.tls) || differs((c) => c.mode) || differs((c) => c.scenario?.id ?? null))
    notes.push('the merged agents did not all run the same TLS version, mode and scenario');
  const targets = [...new Set(results.map((r) => r.target.endpoint))];
  if (targets.length > 1) notes.push(`the merged agents loaded different endpoints: ${targets.join(', ')}`);
  const sum = (f: (r: LoadResult) => number | null) =>
    results.every((r) => f(r) !== null) ? results.reduce((a, r) => a + f(r)!, 0) : null;
  const measured = addMeasured(results.map((r) => ({ ...r, startMs: r.window.startMs })));
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
    window: {
      startMs: Math.min(...results.map((r) => r.window.startMs)),
      endMs: Math.max(...results.map((r) => r.window.endMs)),
    },
    cpu: cpuKnown
      ? {
          userMs: results.reduce((a, r) => a + r.cpu!.userMs, 0),
          systemMs: results.reduce((a, r) => a + r.cpu!.systemMs, 0),
        }
      : null,
    agents: results.reduce((a, r) => a + r.agents, 0),
    interrupted: results.some((r) => r.interrupted),
    thresholds: { maxP99Ms: thresholds.maxP99Ms ?? null, minRate: thresholds.minRate ?? null },
    minResumeSuccess: DEFAULT_LOAD_OPTIONS.minResumeSuccess,
    notes: [...notes, ...new Set(results.flatMap((r) => r.notes))],
    extraFailures: results.flatMap((r) => r.failures.filter((f) => f.startsWith('sanity probe'))),
  });
}
