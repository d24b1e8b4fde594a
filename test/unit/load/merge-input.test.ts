/* eslint-disable @typescript-eslint/no-explicit-any -- NOTE: the cases break a results.json on purpose. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isHarnessError } from '../../../core/errors.js';
import type { LoadConfig, LoadResult } from '../../../core/load-result.js';
import { createHistogram, encodeHistogram, recordMs } from '../../../load/histogram.js';
import { mergeLoadResults, readLoadResult } from '../../../load/merge.js';
import { checkLoadResult, histogramProblem } from '../../../load/merge-input.js';
import { hdrBody, hdrFrame, hdrRecord } from '../../helpers/hdr.js';
import { EMPTY_HISTOGRAM, loadResult } from './load-result-fixture.js';

const DAY = 86_400_000;
const config: LoadConfig = {
  tls: '1.3',
  mode: 'full',
  resumeRatio: 0,
  ticketPolicy: 'reuse',
  connections: 2,
  durationS: null,
  handshakes: 40,
  rate: null,
  warmupS: 0,
  workers: 1,
  workerKind: 'inline',
  identities: 1,
  scenario: null,
  http: null,
  proof: 'http',
};

/** One agent's result: `n` accepted full handshakes of 3 ms measured over two seconds from `startMs`. */
function agent(n: number, startMs = Date.now() - 60_000): LoadResult {
  const h = createHistogram();
  for (let i = 0; i < n; i++) recordMs(h, 3);
  return loadResult(
    { attempted: n, succeeded: n, full: n },
    {
      config,
      target: { name: 't', endpoint: '127.0.0.1:1' },
      windows: [{ startMs, endMs: startMs + 2000 }],
      cpu: { userMs: 10, systemMs: 5 },
    },
    {
      // NOTE: two encodings, not one object twice: a case that breaks one histogram must leave the other whole.
      histograms: {
        handshake: encodeHistogram(h),
        full: encodeHistogram(h),
        resumed: EMPTY_HISTOGRAM,
        http: EMPTY_HISTOGRAM,
      },
      timeline: [{ second: 0, full: n, resumed: 0, errors: 0, requests: 0, rejected: 0, latencySumUs: 3000 * n }],
      startMs,
    },
  );
}

/** A deep copy of a valid result with one thing broken. */
function broken(edit: (r: Record<string, any>) => void): unknown {
  const r = structuredClone(agent(40)) as unknown as Record<string, any>;
  edit(r);
  return r;
}

/** The code and message a call throws. */
function refusal(f: () => unknown): { code: string; message: string } {
  try {
    f();
  } catch (err) {
    if (!isHarnessError(err)) throw err;
    expect(err.message).not.toMatch(/\n/);
    return { code: err.code, message: err.message };
  }
  throw new Error('expected a refusal');
}

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('merge inputs are checked before anything is added', () => {
  it('a real result passes, and two merge', () => {
    const a = agent(40);
    expect(checkLoadResult(JSON.parse(JSON.stringify(a)), 'a.json')).toEqual(a);
    expect(mergeLoadResults([a, agent(60)]).handshakes.succeeded).toBe(100);
  });

  it.each([
    [
      'window.startMs 0 (a skewed clock)',
      (r: any) => (r.window.startMs = 0),
      /window\.startMs 0 \(1970-01-01.*before 2000/,
    ],
    [
      'a window a week ahead',
      (r: any) => (r.window.endMs = Date.now() + 7 * DAY),
      /window\.endMs .* more than a day after now/,
    ],
    ['a window of 30 days', (r: any) => (r.window.startMs -= 30 * DAY), /window is longer than 7 days/],
    [
      'a counter of 1e20',
      (r: any) => (r.counters.attempted = 1e20),
      /counters\.attempted: 100000000000000000000 is beyond 2\^53/,
    ],
    ['a counter of 2^53', (r: any) => (r.counters.full = 2 ** 53), /counters\.full/],
    ['a negative counter', (r: any) => (r.counters.failed = -1), /counters\.failed: -1 is below 0/],
    ['results without histograms', (r: any) => delete r.histograms, /histograms: required, missing/],
    ['a timeline point at second 1e9', (r: any) => (r.timeline[0].second = 1e9), /timeline\[0\]\.second/],
    [
      'a histogram that is not base64',
      (r: any) => (r.histograms.full.data = '***'),
      /histograms\.full: data is not base64/,
    ],
  ])('%s: one line, MTLS_ERR_MERGE_INPUT, naming the field', (_what, edit, message) => {
    const r = refusal(() => checkLoadResult(broken(edit), 'agent.json'));
    expect(r.code).toBe('MTLS_ERR_MERGE_INPUT');
    expect(r.message).toMatch(/'agent\.json'/);
    expect(r.message).toMatch(message);
  });

  it('a result handed over in code is bounded too: a skewed agent is refused, not merged into 55 years of timeline', () => {
    const skewed = { ...agent(10), window: { startMs: 0, endMs: Date.now() } };
    const r = refusal(() => mergeLoadResults([skewed, agent(10)]));
    expect(r.code).toBe('MTLS_ERR_MERGE_MISMATCH');
    expect(r.message).toMatch(/windows span \d+ hours/);
    const far = agent(10);
    const late = { ...far, timeline: [{ ...far.timeline[0]!, second: 2_000_000_000 }] };
    expect(refusal(() => mergeLoadResults([late])).code).toBe('MTLS_ERR_MERGE_INPUT');
  });

  it('counters that add up beyond 2^53 are refused rather than rounded', () => {
    const big = (n: number) => {
      const r = agent(1);
      return { ...r, counters: { ...r.counters, attempted: n } };
    };
    const r = refusal(() => mergeLoadResults([big(2 ** 52), big(2 ** 52)]));
    expect(r.code).toBe('MTLS_ERR_MERGE_INPUT');
    expect(r.message).toMatch(/'attempted' add up beyond 2\^53/);
  });

  it('files: missing is MTLS_ERR_FILE_MISSING, not JSON or not a load result is MTLS_ERR_MERGE_INPUT', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'mtls-merge-input-'));
    dirs.push(dir);
    expect(refusal(() => readLoadResult(path.join(dir, 'gone.json'))).code).toBe('MTLS_ERR_FILE_MISSING');
    writeFileSync(path.join(dir, 'bad.json'), '{');
    expect(refusal(() => readLoadResult(path.join(dir, 'bad.json'))).code).toBe('MTLS_ERR_MERGE_INPUT');
    writeFileSync(path.join(dir, 'list.json'), '[]');
    expect(refusal(() => readLoadResult(path.join(dir, 'list.json'))).message).toMatch(/not a load results\.json/);
  });
});

describe('histograms are checked before the HDR library decodes them', () => {
  it('our own encodings pass, including one grown past 60 s', () => {
    const h = createHistogram();
    for (const ms of [0.001, 1, 3, 250, 59_000, 120_000]) recordMs(h, ms);
    expect(histogramProblem(encodeHistogram(h))).toBeUndefined();
    expect(histogramProblem(encodeHistogram(createHistogram()))).toBeUndefined();
  });

  it.each([
    [
      'not a compressed frame',
      hdrRecord(Buffer.from('hello, world').toString('base64')),
      /not a compressed HdrHistogram/,
    ],
    [
      'a frame longer than its data',
      hdrRecord(hdrFrame(hdrBody(3, 1n, 60_000_000n, [1])).slice(0, 16)),
      /truncated|inflate/,
    ],
    ['a zlib bomb (64 MB of zeros)', hdrRecord(hdrFrame(Buffer.alloc(64 * 1024 * 1024))), /inflates beyond/],
    ['a header tracking up to 2^62', hdrRecord(hdrFrame(hdrBody(3, 1n, 2n ** 62n, []))), /tracks values up to/],
    ['a header of 5 digits', hdrRecord(hdrFrame(hdrBody(5, 1n, 60_000_000n, []))), /5 digits/],
    ['a lowest value of 1000', hdrRecord(hdrFrame(hdrBody(3, 1000n, 60_000_000n, []))), /from 1000/],
    ['a run of a billion zeros', hdrRecord(hdrFrame(hdrBody(3, 1n, 60_000_000n, [-1e9, 1]))), /counts beyond/],
    ['a count of 2^60', hdrRecord(hdrFrame(hdrBody(3, 1n, 60_000_000n, [2 ** 60]))), /beyond 2\^53/],
    [
      'a payload cut inside a count',
      hdrRecord(hdrFrame(Buffer.concat([hdrBody(3, 1n, 60_000_000n, [300]).subarray(0, 41)]))),
      /payload length|truncated count/,
    ],
    [
      'significantDigits 2 in the record',
      { ...encodeHistogram(createHistogram()), significantDigits: 2 },
      /significantDigits 2/,
    ],
  ])('%s is refused', (_what, encoded, why) => {
    expect(histogramProblem(encoded)).toMatch(why);
  });
});
