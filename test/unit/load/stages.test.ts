import { describe, expect, it } from 'vitest';
import type { LoadTimelinePoint } from '../../../core/load-result.js';
import { createHistogram, encodeHistogram, recordMs } from '../../../load/histogram.js';
import { constantSchedule, offeredInSecond, parseStages, stagedSchedule } from '../../../load/stages.js';
import { findKnee, SecondsCollector, timelineLine } from '../../../load/timeline.js';
import { parseVersionShare, VersionPicker } from '../../../load/versions.js';

// Issue 14: k6's ramping arrival rate, the knee judged second by second, the per-second stream, the version share.

describe('--stages', () => {
  it('parses k6 stages: durations in ms, s, m, h or bare seconds, targets per second', () => {
    expect(parseStages('10s:100,30s:500,10s:0')).toEqual([
      { durationS: 10, target: 100 },
      { durationS: 30, target: 500 },
      { durationS: 10, target: 0 },
    ]);
    expect(parseStages('500ms:10, 1m:20,1h:0,2:5')).toEqual([
      { durationS: 0.5, target: 10 },
      { durationS: 60, target: 20 },
      { durationS: 3600, target: 0 },
      { durationS: 2, target: 5 },
    ]);
  });

  it.each([
    ['', /an empty stage/],
    ['10s:100,', /an empty stage/],
    ['10s', /expected DURATION:TARGET/],
    ['10x:5', /duration '10x'/],
    ['10s:fast', /target 'fast'/],
    ['10s:-5', /target '-5'/],
    ['0s:100', /last no time/],
    ['10s:0', /offer no arrival/],
    ['25h:1', /more than a day/],
    ['1s:2000000', /above 1000000/],
    [Array.from({ length: 101 }, () => '1s:1').join(','), /more than 100 stages/],
  ])('%j is an error naming what is wrong', (text, message) => {
    const r = parseStages(text);
    expect(r).toBeInstanceOf(Error);
    expect((r as Error).message).toMatch(message);
  });

  it('ramps linearly from the previous target (0 at the start): arrivals are the integral of the rate', () => {
    // 0→100/s over 10 s: 500 arrivals; 100→500/s over 30 s: 9000; 500→0 over 10 s: 2500 (trapezoids).
    const s = stagedSchedule([
      { durationS: 10, target: 100 },
      { durationS: 30, target: 500 },
      { durationS: 10, target: 0 },
    ]);
    expect(s.endMs).toBe(50_000);
    expect(s.arrivals(10_000)).toBeCloseTo(500, 9);
    expect(s.arrivals(40_000)).toBeCloseTo(9500, 9);
    expect(s.arrivals(50_000)).toBeCloseTo(12_000, 9);
    // Halfway up the first ramp (rate 50/s): 0.5 · 50 · 5 = 125.
    expect(s.arrivals(5_000)).toBeCloseTo(125, 9);
    // Second 9 of the first ramp: the rate goes from 90 to 100, so 95 arrivals are due in it.
    expect(offeredInSecond(s, 9)).toBeCloseTo(95, 9);
    // dueAt inverts arrivals: arrival 125 is due at 5 s, arrival 500 at 10 s.
    expect(s.dueAt(125)).toBeCloseTo(5_000, 6);
    expect(s.dueAt(500)).toBeCloseTo(10_000, 6);
    for (const i of [1, 7, 499, 501, 4000, 9499, 11_999]) expect(s.arrivals(s.dueAt(i))).toBeCloseTo(i, 6);
    expect(s.dueAt(12_001)).toBe(Infinity);
  });

  it('a stage of 0 s jumps to its target; scale splits a plan over workers', () => {
    const s = stagedSchedule(
      [
        { durationS: 0, target: 200 },
        { durationS: 2, target: 200 },
      ],
      0.25,
    );
    expect(s.arrivals(2_000)).toBeCloseTo(100, 9); // 200/s × 2 s / 4 workers
    expect(offeredInSecond(s, 0)).toBeCloseTo(50, 9);
    expect(constantSchedule(40).dueAt(3)).toBe(75);
  });
});

const point = (second: number, p: Partial<LoadTimelinePoint>): LoadTimelinePoint => ({
  second,
  full: 0,
  resumed: 0,
  errors: 0,
  requests: 0,
  rejected: 0,
  latencySumUs: 0,
  ...p,
});

describe('the knee', () => {
  const timeline = [
    point(0, { offered: 10, full: 10, dropped: 0, p99Ms: 3 }),
    point(1, { offered: 30, full: 30, dropped: 0, p99Ms: 4 }),
    point(2, { offered: 50, full: 49, errors: 1, dropped: 0, p99Ms: 5 }),
    point(3, { offered: 70, full: 70, dropped: 0, p99Ms: 60 }),
    point(4, { offered: 90, full: 40, dropped: 50, p99Ms: 900 }),
    point(5, { offered: 20, full: 20, dropped: 0, p99Ms: 4 }),
  ];

  it('is the highest offered rate held before the first second that breached, with its evidence', () => {
    const k = findKnee(timeline, { maxP99Ms: 50, maxErrorRate: 0.05, http: false, durationMs: 6000 });
    // Second 2 holds: 1 error in 50 (2 %) is within 5 %; second 3's p99 60 ms breaches --max-p99 50.
    expect(k.heldRate).toBe(50);
    expect(k.heldSecond).toBe(2);
    expect(k.heldAchieved).toBe(49);
    expect(k.heldP99Ms).toBe(5);
    expect(k.firstBreach).toEqual({ second: 3, offered: 70, reasons: ['p99 60 ms > --max-p99 50 ms'] });
    // Every second with arrivals due is judged; second 5 held again, but after the breach it does not count.
    expect(k.secondsJudged).toBe(6);
  });

  it('without --max-p99 only errors, refusals and dropped arrivals judge; a partial last second is not judged', () => {
    const k = findKnee(timeline, { maxP99Ms: null, maxErrorRate: 0, http: false, durationMs: 5500 });
    expect(k.firstBreach?.second).toBe(2);
    expect(k.firstBreach?.reasons[0]).toMatch(/^error share 2\.00 % \(1 errors, 0 refused, 0 dropped\)/);
    expect(k.heldRate).toBe(30);
    expect(k.secondsJudged).toBe(5);
  });

  it('a second with arrivals due and nothing completed breaches', () => {
    const k = findKnee([point(0, { offered: 5 })], { maxP99Ms: null, maxErrorRate: 1, http: false, durationMs: 1000 });
    expect(k.heldRate).toBeNull();
    expect(k.firstBreach?.reasons).toEqual(['nothing completed']);
  });
});

describe('the per-second stream', () => {
  const hdr = (values: number[]) => {
    const h = createHistogram();
    for (const v of values) recordMs(h, v);
    return encodeHistogram(h).data;
  };
  const second = (s: number, full: number, values: number[]) => ({
    second: s,
    full,
    resumed: 0,
    errors: 0,
    requests: 0,
    rejected: 0,
    latencySumUs: values.reduce((a, v) => a + v * 1000, 0),
    dropped: 0,
    hdr: values.length ? hdr(values) : null,
  });

  it('hands out a second once every worker reported it, with percentiles of the added histograms', () => {
    const c = new SecondsCollector(2, (s) => (s + 1) * 10);
    expect(c.add(0, [second(0, 2, [1, 2]), second(1, 1, [3])])).toEqual([]);
    const released = c.add(1, [
      second(
        0,
        98,
        Array.from({ length: 98 }, () => 100),
      ),
    ]);
    expect(released).toHaveLength(1);
    const p = released[0]!;
    expect(p).toMatchObject({ second: 0, full: 100, offered: 10, dropped: 0 });
    // 100 latencies: 1, 2 and 98 × 100 ms → p50 100 ms; the max is 100 ms (HDR: within 0.1 %).
    expect(p.p50Ms).toBeCloseTo(100, 0);
    expect(p.maxMs).toBeCloseTo(100, 0);
    expect(c.lastP99()).toBeCloseTo(100, 0);
    // A worker that finished early holds no later second back.
    const early = new SecondsCollector(2, () => null);
    early.add(0, [second(0, 1, [1]), second(1, 1, [1]), second(2, 1, [1])]);
    expect(early.add(1, [second(0, 1, [1])]).map((x) => x.second)).toEqual([0]);
    expect(early.workerDone(1).map((x) => x.second)).toEqual([1, 2]);
    // The end of the run releases what is left.
    expect(c.finish().map((x) => x.second)).toEqual([1]);
    const line = JSON.parse(timelineLine(c.points()[1]!, false)) as Record<string, unknown>;
    expect(line).toMatchObject({ type: 'second', second: 1, elapsedS: 2, offered: 20, accepted: 1, meanMs: 3 });
  });
});

describe('--tls-share', () => {
  it('parses a percentage per version and keeps the share exactly over any stretch of draws', () => {
    expect(parseVersionShare('1.2=30,1.3=70')).toEqual({ '1.2': 0.3, '1.3': 0.7 });
    expect(parseVersionShare('1.3=25%,1.2=75%')).toEqual({ '1.2': 0.75, '1.3': 0.25 });
    const picker = new VersionPicker(0.7);
    const draws = Array.from({ length: 100 }, () => picker.next());
    expect(draws.filter((v) => v === '1.3')).toHaveLength(70);
    // Every prefix is within one draw of the share.
    for (let n = 1; n <= 100; n++) {
      const got = draws.slice(0, n).filter((v) => v === '1.3').length;
      expect(Math.abs(got - 0.7 * n)).toBeLessThan(1);
    }
  });

  it.each([
    ['1.2=30', /name both versions/],
    ['1.2=30,1.3=60', /add up to 90, not 100/],
    ['1.2=0,1.3=100', /above 0/],
    ['1.1=50,1.3=50', /'1\.1=50'/],
    ['1.2=50,1.2=50', /named twice/],
  ])('%j is an error', (text, message) => {
    const r = parseVersionShare(text);
    expect(r).toBeInstanceOf(Error);
    expect((r as Error).message).toMatch(message);
  });
});
