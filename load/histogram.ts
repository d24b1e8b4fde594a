import * as hdr from 'hdr-histogram-js';
import type { EncodedHistogram, LatencyMs } from '../core/load-result.js';

/** A latency histogram (values in microseconds). */
export type Histogram = hdr.Histogram;

/**
 * Precision of every latency histogram: 3 significant digits (0.1 % resolution) from 1 µs to 60 s. The bounds are
 * fixed so histograms from different workers, processes and machines can be added exactly.
 */
export const HISTOGRAM_PRECISION = {
  lowestDiscernibleValue: 1,
  highestTrackableValue: 60_000_000,
  numberOfSignificantValueDigits: 3,
} as const;

/** A fresh, empty latency histogram with {@link HISTOGRAM_PRECISION}. */
export function createHistogram(): Histogram {
  return hdr.build({
    ...HISTOGRAM_PRECISION,
    bitBucketSize: 32,
    autoResize: true,
    useWebAssembly: false,
  });
}

/** Records one latency given in milliseconds (rounded to whole microseconds, at least 1 µs). */
export function recordMs(h: Histogram, ms: number): void {
  h.recordValue(Math.max(1, Math.round(ms * 1000)));
}

/** Encodes a histogram in the standard HdrHistogram V2 compressed base64 form. */
export function encodeHistogram(h: Histogram): EncodedHistogram {
  return {
    encoding: 'hdr-v2-compressed-base64',
    unit: 'us',
    significantDigits: HISTOGRAM_PRECISION.numberOfSignificantValueDigits,
    data: hdr.encodeIntoCompressedBase64(h),
  };
}

/** Decodes a histogram written by {@link encodeHistogram} (or any V2 compressed HdrHistogram). */
export function decodeHistogram(encoded: EncodedHistogram | string): Histogram {
  const data = typeof encoded === 'string' ? encoded : encoded.data;
  if (typeof encoded !== 'string' && (encoded.encoding !== 'hdr-v2-compressed-base64' || encoded.unit !== 'us')) {
    throw new Error(`unsupported histogram encoding '${encoded.encoding}' in '${encoded.unit}'`);
  }
  const decoded = hdr.decodeFromCompressedBase64(data, 32, false);
  // Copy into a histogram with our precision, so adding to it never depends on what the encoder chose.
  const out = createHistogram();
  out.add(decoded);
  return out;
}

/** Adds encoded histograms into one (exact: counts per bucket are summed). */
export function addEncoded(encoded: readonly (EncodedHistogram | string)[]): Histogram {
  const sum = createHistogram();
  for (const e of encoded) sum.add(decodeHistogram(e));
  return sum;
}

const round3 = (v: number): number => Math.round(v * 1000) / 1000;

/** Percentiles in milliseconds (three decimals); zeros for an empty histogram. */
export function latencySummary(h: Histogram): LatencyMs {
  if (h.totalCount === 0) return { p50: 0, p90: 0, p95: 0, p99: 0, p999: 0, max: 0, mean: 0, stdev: 0, count: 0 };
  const at = (p: number) => round3(h.getValueAtPercentile(p) / 1000);
  return {
    p50: at(50),
    p90: at(90),
    p95: at(95),
    p99: at(99),
    p999: at(99.9),
    // NOTE: the top of the highest bucket, not the raw maximum: it is what an added (merged) histogram reports too.
    max: round3(h.getValueAtPercentile(100) / 1000),
    mean: round3(h.mean / 1000),
    stdev: round3(h.stdDeviation / 1000),
    count: h.totalCount,
  };
}

/**
 * Points of the latency distribution for plotting: value (ms) at each percentile on a log scale of 1/(1-p), from p0
 * to the maximum. Empty for an empty histogram.
 */
export function percentileCurve(h: Histogram): { percentile: number; ms: number }[] {
  if (h.totalCount === 0) return [];
  const points: { percentile: number; ms: number }[] = [];
  for (const p of [0, 10, 25, 50, 75, 90, 95, 97.5, 99, 99.5, 99.9, 99.95, 99.99, 99.999]) {
    points.push({ percentile: p, ms: round3(h.getValueAtPercentile(p) / 1000) });
  }
  points.push({ percentile: 100, ms: round3(h.getValueAtPercentile(100) / 1000) });
  return points;
}
