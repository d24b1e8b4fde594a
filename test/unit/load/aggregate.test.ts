import { describe, expect, it } from 'vitest';
import type { LoadConfig, LoadCounters, LoadResult } from '../../../core/load-result.js';
import {
  addCounters,
  addMeasured,
  buildLoadResult,
  type Measured,
  type ResultContext,
} from '../../../load/aggregate.js';
import { zeroCounters } from '../../../load/engine.js';
import { createHistogram, encodeHistogram, recordMs } from '../../../load/histogram.js';
import { mergeLoadResults } from '../../../load/merge.js';

const config: LoadConfig = {
  tls: '1.3',
  mode: 'resumed',
  resumeRatio: 1,
  ticketPolicy: 'reuse',
  connections: 4,
  durationS: null,
  handshakes: 100,
  rate: null,
  warmupS: 0,
  workers: 1,
  workerKind: 'inline',
  identities: 1,
  scenario: null,
  http: null,
  proof: 'http',
};

function part(counters: Partial<LoadCounters>, latencies: number[], startMs = 1_000_000): Measured {
  const all = createHistogram();
  const resumed = createHistogram();
  for (const ms of latencies) {
    recordMs(all, ms);
    recordMs(resumed, ms);
  }
  const empty = encodeHistogram(createHistogram());
  return {
    counters: { ...zeroCounters(), ...counters },
    histograms: { handshake: encodeHistogram(all), full: empty, resumed: encodeHistogram(resumed), http: empty },
    timeline: [{ second: 0, full: 0, resumed: latencies.length, errors: 0, requests: 0, rejected: 0, latencySumUs: 0 }],
    startMs,
  };
}

const ctx = (extra: Partial<ResultContext> = {}): ResultContext => ({
  config,
  target: { name: 't', endpoint: '127.0.0.1:1' },
  windows: [{ startMs: 1_000_000, endMs: 1_002_000 }],
  cpu: { userMs: 150, systemMs: 50 },
  agents: 1,
  interrupted: false,
  thresholds: { maxP99Ms: null, minRate: null, maxErrorRate: 0 },
  minResumeSuccess: 0.99,
  notes: [],
  ...extra,
});

describe('aggregate', () => {
  it('sums counters and per-class records exactly', () => {
    const sum = addCounters([
      { ...zeroCounters(), succeeded: 3, errors: { reset: 1, 'alert:bad_certificate': 2 } },
      { ...zeroCounters(), succeeded: 4, errors: { reset: 5 } },
    ]);
    expect(sum.succeeded).toBe(7);
    expect(sum.errors).toEqual({ reset: 6, 'alert:bad_certificate': 2 });
  });

  it('derives the headline figures', () => {
    const r = buildLoadResult(
      part({ attempted: 100, succeeded: 100, resumed: 100, resumeWanted: 100 }, Array(100).fill(2)),
      ctx(),
    );
    expect(r.handshakesPerSecond).toEqual({ total: 50, full: 0, resumed: 50 });
    expect(r.resumedRatio).toBe(1);
    expect(r.clientCpuMsPerHandshake).toBe(2);
    expect(r.cpu?.cores).toBe(0.1);
    expect(r.latencyMs.p50).toBeCloseTo(2, 2);
    expect(r.passed).toBe(true);
  });

  it('names the dominant reason when resumption did not happen', () => {
    const r = buildLoadResult(
      part(
        {
          attempted: 100,
          succeeded: 100,
          full: 90,
          resumed: 10,
          resumeWanted: 100,
          ticketRefused: 80,
          noTicketReceived: 10,
        },
        [1],
      ),
      ctx(),
    );
    expect(r.resumption.successRatio).toBe(0.1);
    expect(r.resumption.failure?.reason).toBe('ticket-refused');
    expect(r.failures[0]).toMatch(/10 no-ticket-received, 80 ticket-refused/);
    expect(r.passed).toBe(false);
  });

  it('applies --max-p99 and --min-rate', () => {
    const r = buildLoadResult(
      part({ attempted: 10, succeeded: 10, resumed: 10, resumeWanted: 10 }, Array(10).fill(30)),
      {
        ...ctx(),
        thresholds: { maxP99Ms: 20, minRate: 100, maxErrorRate: 0 },
      },
    );
    expect(r.failures).toHaveLength(2);
    expect(r.failures[0]).toMatch(/exceeds --max-p99 20 ms/);
    expect(r.failures[1]).toMatch(/below --min-rate 100/);
  });

  it('fails a rejection scenario on any acceptance', () => {
    const r = buildLoadResult(
      part({ attempted: 10, succeeded: 10, full: 10, acceptances: 1, rejections: { closed: 9 } }, [1]),
      {
        ...ctx(),
        config: {
          ...config,
          mode: 'full',
          scenario: { id: 'require::trust::unknown-ca', fixture: 'unknown-ca', expect: 'reject' },
        },
      },
    );
    expect(r.acceptances).toBe(1);
    expect(r.passed).toBe(false);
    expect(r.failures[0]).toMatch(/accepted the certificate of require::trust::unknown-ca 1 time\(s\) in 10/);
  });

  it('aligns timelines on each part’s start', () => {
    const m = addMeasured([part({}, [1, 1]), part({}, [1], 1_002_000)]);
    expect(m.timeline.map((p) => p.resumed)).toEqual([2, 0, 1]);
  });
});

describe('mergeLoadResults', () => {
  it('adds agents: counts, histograms, CPU and the window', () => {
    const one = (start: number): LoadResult =>
      buildLoadResult(part({ attempted: 50, succeeded: 50, resumed: 50, resumeWanted: 50 }, Array(50).fill(3), start), {
        ...ctx(),
        windows: [{ startMs: start, endMs: start + 1000 }],
      });
    const merged = mergeLoadResults([one(1_000_000), one(1_000_500)], { maxP99Ms: 100 });
    expect(merged.agents).toBe(2);
    expect(merged.handshakes.succeeded).toBe(100);
    expect(merged.latencyMs.count).toBe(100);
    expect(merged.durationMs).toBe(1500);
    expect(merged.cpu?.userMs).toBe(300);
    expect(merged.config.handshakes).toBe(200);
    expect(merged.thresholds.maxP99Ms).toBe(100);
    expect(merged.passed).toBe(true);
  });
});
