import { describe, expect, it } from 'vitest';
import type { LoadConfig, LoadCounters, LoadResult } from '../../../core/load-result.js';
import { isHarnessError } from '../../../core/errors.js';
import {
  addCounters,
  addMeasured,
  buildLoadResult,
  undecidedReason,
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

  /** One agent: `n` accepted resumed handshakes measured over [startMs, endMs]. */
  const agent = (n: number, startMs: number, endMs: number, over: Partial<LoadResult> = {}): LoadResult => ({
    ...buildLoadResult(part({ attempted: n, succeeded: n, resumed: n, resumeWanted: n }, Array(n).fill(3), startMs), {
      ...ctx(),
      windows: [{ startMs, endMs }],
    }),
    ...over,
  });

  it('rates over the union of overlapping windows: time measured by both agents counts once', () => {
    // [0 s, 3 s] and [2 s, 5 s] (offsets from 1_000_000 ms): the union is [0, 5 s], 5 s; 150 + 150 = 300 handshakes.
    const merged = mergeLoadResults([agent(150, 1_000_000, 1_003_000), agent(150, 1_002_000, 1_005_000)]);
    expect(merged.durationMs).toBe(5000);
    expect(merged.windows).toEqual([{ startMs: 1_000_000, endMs: 1_005_000 }]);
    expect(merged.handshakesPerSecond.total).toBe(60);
    // One agent entirely inside another adds no time: [0, 4 s] ∪ [1 s, 2 s] = 4 s; 200 / 4 s.
    const inside = mergeLoadResults([agent(100, 1_000_000, 1_004_000), agent(100, 1_001_000, 1_002_000)]);
    expect(inside.durationMs).toBe(4000);
    expect(inside.handshakesPerSecond.total).toBe(50);
  });

  it('rates over the union of disjoint windows: the gap between agents is not measured time', () => {
    // [0, 2 s] and [10 s, 12 s]: 4 s measured (not the 12 s from first start to last end); 200 / 4 s = 50/s.
    const merged = mergeLoadResults([agent(100, 1_000_000, 1_002_000), agent(100, 1_010_000, 1_012_000)]);
    expect(merged.durationMs).toBe(4000);
    expect(merged.window).toEqual({ startMs: 1_000_000, endMs: 1_012_000 });
    expect(merged.windows).toEqual([
      { startMs: 1_000_000, endMs: 1_002_000 },
      { startMs: 1_010_000, endMs: 1_012_000 },
    ]);
    expect(merged.handshakesPerSecond.total).toBe(50);
    // CPU cores over measured time: (150 + 50) ms × 2 agents / 4000 ms.
    expect(merged.cpu?.cores).toBe(0.1);
  });

  it('a merge of merges keeps the windows: a third agent filling the gap counts only its new time', () => {
    const ab = mergeLoadResults([agent(100, 1_000_000, 1_002_000), agent(100, 1_010_000, 1_012_000)]);
    // [1 s, 11 s] covers the gap [2 s, 10 s] and overlaps both: the union is [0, 12 s], 12 s; 300 + 200 = 500.
    const abc = mergeLoadResults([ab, agent(300, 1_001_000, 1_011_000)]);
    expect(abc.durationMs).toBe(12_000);
    expect(abc.agents).toBe(3);
    expect(abc.handshakes.succeeded).toBe(500);
    expect(abc.handshakesPerSecond.total).toBe(41.67);
  });

  it.each<[string, Partial<LoadResult>, RegExp]>([
    ['TLS version', { config: { ...config, tls: '1.2' } }, /differ in TLS version: TLS 1.3 in a, TLS 1.2 in b/],
    ['mode', { config: { ...config, mode: 'full', resumeRatio: 0 } }, /differ in handshake mode: resumed in a, full/],
    [
      'mixed ratio',
      { config: { ...config, mode: 'mixed', resumeRatio: 0.5 } },
      /differ in handshake mode: resumed in a, mixed \(resume ratio 0.5\) in b/,
    ],
    [
      'HTTP vs handshakes',
      { config: { ...config, http: { path: '/', pipelining: 1 } } },
      /differ in kind of load \(HTTP requests or handshakes\): handshakes in a, HTTP GET \/ in b/,
    ],
    [
      'scenario',
      {
        config: { ...config, scenario: { id: 'require::trust::unknown-ca', fixture: 'unknown-ca', expect: 'reject' } },
      },
      /differ in scenario: no scenario in a, require::trust::unknown-ca in b/,
    ],
    ['endpoint', { target: { name: 't', endpoint: '10.0.0.5:8443' } }, /differ in target endpoint: 127.0.0.1:1 in a/],
    [
      'target name',
      { target: { name: 'nginx', endpoint: '127.0.0.1:1' } },
      /differ in target name: t in a, nginx in b/,
    ],
  ])('refuses results of different runs (%s): MTLS_ERR_MERGE_MISMATCH', (_what, over, message) => {
    const err = (() => {
      try {
        mergeLoadResults([agent(10, 1_000_000, 1_001_000), agent(10, 1_000_000, 1_001_000, over)], {}, ['a', 'b']);
      } catch (e) {
        return e;
      }
    })();
    expect(isHarnessError(err) && err.code).toBe('MTLS_ERR_MERGE_MISMATCH');
    expect((err as Error).message).toMatch(message);
  });

  it('re-applies --max-error-rate to the merged counts (default 0)', () => {
    const refused = agent(10, 1_000_000, 1_001_000);
    const withRefusals: LoadResult = {
      ...refused,
      counters: { ...refused.counters, attempted: 20, rejected: 10, rejections: { 'http:403': 10 } },
    };
    const merged = mergeLoadResults([agent(10, 1_000_000, 1_001_000), withRefusals]);
    // 10 refused of 30 attempted.
    expect(merged.errorRate).toBe(0.3333);
    expect(merged.passed).toBe(false);
    expect(merged.failures[0]).toMatch(/10 of 30 handshakes failed: 10 rejected \(http:403 10\)/);
    expect(mergeLoadResults([agent(10, 1_000_000, 1_001_000), withRefusals], { maxErrorRate: 0.5 }).passed).toBe(true);
  });
});

describe('undecidedReason', () => {
  const scenario = { id: 'require::trust::unknown-ca', fixture: 'unknown-ca', expect: 'reject' as const };
  const probes = (counters: Partial<LoadCounters>) =>
    buildLoadResult(part(counters, []), { ...ctx(), config: { ...config, mode: 'full', scenario } });

  it('names the run where every probe was an error', () => {
    const r = probes({ attempted: 5, failed: 5, errors: { timeout: 4, refused: 1 } });
    expect(undecidedReason(r)).toMatch(/no probe of require::trust::unknown-ca was decided: 5 probe\(s\)/);
    expect(undecidedReason(r)).toMatch(/errors: timeout 4, refused 1/);
    expect(r.passed).toBe(false);
  });

  it('is silent once one probe was decided, and without --scenario', () => {
    expect(
      undecidedReason(probes({ attempted: 5, failed: 4, rejected: 1, rejections: { closed: 1 } })),
    ).toBeUndefined();
    expect(undecidedReason(buildLoadResult(part({ attempted: 5, failed: 5 }, []), ctx()))).toBeUndefined();
  });
});

describe('merge of the issue 14 fields', () => {
  /** One agent of a `--tls both` staged run: `n12` + `n13` accepted full handshakes at `ms12` / `ms13`. */
  function bothAgent(n12: number, ms12: number, n13: number, ms13: number, p99: number, startMs: number): LoadResult {
    const h12 = createHistogram();
    const h13 = createHistogram();
    const all = createHistogram();
    for (let i = 0; i < n12; i++) {
      recordMs(h12, ms12);
      recordMs(all, ms12);
    }
    for (let i = 0; i < n13; i++) {
      recordMs(h13, ms13);
      recordMs(all, ms13);
    }
    const empty = encodeHistogram(createHistogram());
    const n = n12 + n13;
    return buildLoadResult(
      {
        counters: {
          ...zeroCounters(),
          attempted: n,
          succeeded: n,
          full: n,
          versionAttempted: { '1.2': n12, '1.3': n13 },
          versionSucceeded: { '1.2': n12, '1.3': n13 },
          versionFull: { '1.2': n12, '1.3': n13 },
        },
        histograms: {
          handshake: encodeHistogram(all),
          full: encodeHistogram(all),
          resumed: empty,
          http: empty,
          tls12: encodeHistogram(h12),
          tls13: encodeHistogram(h13),
        },
        timeline: [
          {
            second: 0,
            full: n,
            resumed: 0,
            errors: 0,
            requests: 0,
            rejected: 0,
            latencySumUs: 0,
            dropped: 0,
            offered: n,
            p50Ms: 1,
            p99Ms: p99,
            maxMs: p99,
          },
        ],
        startMs,
      },
      ctx({
        config: {
          ...config,
          mode: 'full',
          resumeRatio: 0,
          ticketPolicy: 'ignore',
          handshakes: null,
          durationS: 1,
          tls: 'both',
          tlsShare: { '1.2': 0.5, '1.3': 0.5 },
          stages: [{ durationS: 1, target: 30 }],
        },
        windows: [{ startMs, endMs: startMs + 1000 }],
        thresholds: { maxP99Ms: 10, minRate: null, maxErrorRate: 0 },
      }),
    );
  }

  it('adds the per-version counts and histograms, recomputes p95 and stdev, and takes the highest p99 of a second', () => {
    const a = bothAgent(10, 2, 10, 4, 5, 1_000_000);
    const b = bothAgent(30, 6, 10, 8, 20, 1_000_000);
    expect(a.byVersion?.['1.2']).toMatchObject({ attempted: 10, succeeded: 10, full: 10, handshakesPerSecond: 10 });
    const merged = mergeLoadResults([a, b], { maxP99Ms: 10 });
    expect(merged.byVersion?.['1.2']).toMatchObject({ attempted: 40, succeeded: 40, handshakesPerSecond: 40 });
    expect(merged.byVersion?.['1.3']).toMatchObject({ attempted: 20, succeeded: 20, handshakesPerSecond: 20 });
    // 1.2: 10 at 2 ms and 30 at 6 ms: mean 5 ms, standard deviation sqrt((10·9 + 30·1)/40) = sqrt(3) ms.
    expect(merged.byVersion?.['1.2'].latencyMs.mean).toBeCloseTo(5, 1);
    expect(merged.byVersion?.['1.2'].latencyMs.stdev).toBeCloseTo(Math.sqrt(3), 1);
    expect(merged.byVersion?.['1.2'].latencyMs.p95).toBeCloseTo(6, 1);
    expect(merged.latencyMs.count).toBe(60);
    // The second's offered arrivals add up; its p99 is the higher of the two agents' (an upper bound).
    expect(merged.timeline[0]).toMatchObject({ offered: 60, full: 60, p99Ms: 20, dropped: 0 });
    // The knee is judged again on the merged timeline: 20 ms is above --max-p99 10.
    expect(a.knee?.heldRate).toBe(20);
    expect(merged.knee?.heldRate).toBeNull();
    expect(merged.knee?.firstBreach).toMatchObject({ second: 0, offered: 60 });
  });

  it('refuses agents of different version shares or stage plans', () => {
    const a = bothAgent(10, 2, 10, 4, 5, 1_000_000);
    const other = { ...a, config: { ...a.config, tlsShare: { '1.2': 0.3, '1.3': 0.7 } } } as LoadResult;
    expect(() => mergeLoadResults([a, other])).toThrow(/differ in TLS version/);
    const plan = { ...a, config: { ...a.config, stages: [{ durationS: 2, target: 5 }] } } as LoadResult;
    expect(() => mergeLoadResults([a, plan])).toThrow(/differ in stage plan/);
  });
});
