import type { LoadConfig, LoadCounters, LoadResult } from '../../../core/load-result.js';
import { buildLoadResult, type Measured, type ResultContext } from '../../../load/aggregate.js';
import { zeroCounters } from '../../../load/engine.js';
import { createHistogram, encodeHistogram, recordMs } from '../../../load/histogram.js';

// Load results the real aggregator builds from hand-made measurements, for the report tests: what a report must say
// is known from these inputs, never from the code under test.

const latencies = createHistogram();
for (let i = 1; i <= 200; i++) recordMs(latencies, i / 10);
/** 200 latencies, 0.1 ms to 20 ms in steps of 0.1 ms: p50 ≈ 10 ms, p99 ≈ 19.8 ms. */
export const LATENCIES = encodeHistogram(latencies);
export const EMPTY_HISTOGRAM = encodeHistogram(createHistogram());

/** A 2-second handshake run (`--duration 2`, 8 connections, one process worker, HTTP proof). */
export const LOAD_CONFIG: LoadConfig = {
  tls: '1.3',
  mode: 'full',
  resumeRatio: 0,
  ticketPolicy: 'reuse',
  connections: 8,
  durationS: 2,
  handshakes: null,
  rate: null,
  warmupS: 0,
  workers: 1,
  workerKind: 'process',
  identities: 1,
  scenario: null,
  http: null,
  proof: 'http',
};

const START = 1_700_000_000_000;

/**
 * The result of `counters` (over zero counters) measured by {@link LATENCIES} in the 2-second window from epoch ms
 * 1.7e12, against nginx at 127.0.0.1:8443 with 300 + 100 ms of generator CPU, unless `measured` or `context` say
 * otherwise. The timeline defaults to 120 then 80 full handshakes.
 */
export function loadResult(
  counters: Partial<LoadCounters>,
  context: Partial<Omit<ResultContext, 'config'>> & { config?: Partial<LoadConfig> } = {},
  measured: Partial<Omit<Measured, 'counters'>> = {},
): LoadResult {
  return buildLoadResult(
    {
      counters: { ...zeroCounters(), ...counters },
      histograms: measured.histograms ?? {
        handshake: LATENCIES,
        full: LATENCIES,
        resumed: EMPTY_HISTOGRAM,
        http: EMPTY_HISTOGRAM,
      },
      timeline: measured.timeline ?? [
        { second: 0, full: 120, resumed: 0, errors: 0, requests: 0, rejected: 0, latencySumUs: 1_000_000 },
        { second: 1, full: 80, resumed: 0, errors: 0, requests: 0, rejected: 0, latencySumUs: 800_000 },
      ],
      startMs: measured.startMs ?? START,
    },
    {
      target: { name: 'nginx', endpoint: '127.0.0.1:8443' },
      windows: [{ startMs: START, endMs: START + 2000 }],
      cpu: { userMs: 300, systemMs: 100 },
      agents: 1,
      interrupted: false,
      thresholds: { maxP99Ms: null, minRate: null, maxErrorRate: 0 },
      minResumeSuccess: 0.99,
      notes: [],
      ...context,
      config: { ...LOAD_CONFIG, ...context.config },
    },
  );
}
