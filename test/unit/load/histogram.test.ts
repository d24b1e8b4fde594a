import { describe, expect, it } from 'vitest';
import {
  addEncoded,
  createHistogram,
  decodeHistogram,
  encodeHistogram,
  HISTOGRAM_PRECISION,
  latencySummary,
  recordMs,
} from '../../../load/histogram.js';

describe('HDR histograms', () => {
  it('keep 3 significant digits from 1 µs to 60 s', () => {
    expect(HISTOGRAM_PRECISION).toEqual({
      lowestDiscernibleValue: 1,
      highestTrackableValue: 60_000_000,
      numberOfSignificantValueDigits: 3,
    });
    const h = createHistogram();
    recordMs(h, 12.345);
    expect(latencySummary(h).p50).toBeCloseTo(12.345, 1);
  });

  it('encode → decode round-trips every count', () => {
    const h = createHistogram();
    for (let i = 1; i <= 5000; i++) recordMs(h, i / 7);
    const back = decodeHistogram(encodeHistogram(h));
    expect(back.totalCount).toBe(5000);
    expect(latencySummary(back)).toEqual(latencySummary(h));
  });

  it('adding encoded histograms equals recording everything in one', () => {
    const a = createHistogram();
    const b = createHistogram();
    const all = createHistogram();
    for (let i = 0; i < 3000; i++) {
      const ms = ((i * 7919) % 1000) / 10 + 0.5;
      recordMs(i % 3 === 0 ? a : b, ms);
      recordMs(all, ms);
    }
    const sum = addEncoded([encodeHistogram(a), encodeHistogram(b)]);
    expect(sum.totalCount).toBe(3000);
    expect(latencySummary(sum)).toEqual(latencySummary(all));
    expect(encodeHistogram(sum).data).toBe(encodeHistogram(all).data);
  });

  it('rejects an encoding it does not know', () => {
    expect(() => decodeHistogram({ encoding: 'csv' as never, unit: 'us', significantDigits: 3, data: '' })).toThrow(
      /unsupported histogram encoding/,
    );
  });

  it('summarises an empty histogram as zeros', () => {
    expect(latencySummary(createHistogram())).toEqual({
      p50: 0,
      p90: 0,
      p95: 0,
      p99: 0,
      p999: 0,
      max: 0,
      mean: 0,
      stdev: 0,
      count: 0,
    });
  });
});
