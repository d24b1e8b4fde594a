import { inflateSync } from 'node:zlib';
import { HarnessError } from '../core/errors.js';
import { committedSchema, schemaErrors } from '../core/json-schema.js';
import type { EncodedHistogram, LoadResult } from '../core/load-result.js';
import { HISTOGRAM_PRECISION } from './histogram.js';

const DAY = 86_400_000;

/**
 * Bounds a merge input must respect, so that what merge allocates is bounded by the data: the timeline has one entry
 * per second of the agents' span, and a histogram's counts array grows with its highest trackable value.
 */
export const MERGE_INPUT_LIMITS = {
  /** No measured window starts before 2000-01-01T00:00:00Z (a clock of 0, or a few seconds, is a skewed agent). */
  earliestMs: Date.UTC(2000, 0, 1),
  /** No window ends more than a day after the merging machine's now. */
  futureSlackMs: DAY,
  /** A result's window (from its first start to its last end), and the span of all merged agents, is at most 7 days. */
  maxSpanMs: 7 * DAY,
  /** At most this many measured windows in one result (one per agent, after their union). */
  maxWindows: 100_000,
  /** An encoded histogram is at most this many base64 characters… */
  maxEncodedChars: 4 * 1024 * 1024,
  /** …and inflates to at most this many bytes (a 1 µs–60 s, 3-digit histogram takes a few hundred KB at most). */
  maxInflatedBytes: 4 * 1024 * 1024,
  /** The highest trackable value a histogram may have grown to, in µs (2^40 µs: about 12.7 days). */
  maxTrackableUs: 2 ** 40,
} as const;

/** The HdrHistogram V2 cookies (the low nibble of the second byte carries flags). */
const V2_COMPRESSED_COOKIE = 0x1c849304;
const V2_COOKIE = 0x1c849303;
const COOKIE_BASE_MASK = ~0xf0;
/** Bytes of the V2 header: cookie, payload length, index offset, digits, lowest, highest, conversion ratio. */
const V2_HEADER = 40;

/** The length of an HDR counts array for lowest 1 and `digits` significant digits up to `highest`. */
function countsLength(highest: number, digits: number): number {
  const subBucketCount = 2 ** Math.ceil(Math.log2(2 * 10 ** digits));
  let smallestUntrackable = subBucketCount;
  let buckets = 1;
  while (smallestUntrackable <= highest) {
    smallestUntrackable *= 2;
    buckets++;
  }
  return (buckets + 1) * (subBucketCount / 2);
}

/**
 * Why an encoded histogram cannot be merged, or undefined when it can. The encoding is checked before the HDR
 * library sees it: the base64 text, the compressed frame, the inflated size (bounded: a small text can inflate to
 * gigabytes), the header (our precision: lowest 1 µs, 3 significant digits, a highest value within bounds), and
 * every count and run of zeros in the payload, which must stay inside the counts array the header implies.
 */
export function histogramProblem(h: EncodedHistogram): string | undefined {
  if (h.significantDigits !== HISTOGRAM_PRECISION.numberOfSignificantValueDigits)
    return `significantDigits ${h.significantDigits}: expected ${HISTOGRAM_PRECISION.numberOfSignificantValueDigits}`;
  if (h.data.length > MERGE_INPUT_LIMITS.maxEncodedChars)
    return `data is longer than ${MERGE_INPUT_LIMITS.maxEncodedChars} characters`;
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(h.data) || h.data.length % 4 !== 0) return 'data is not base64';
  const frame = Buffer.from(h.data, 'base64');
  if (frame.length < 8 || (frame.readInt32BE(0) & COOKIE_BASE_MASK) !== V2_COMPRESSED_COOKIE)
    return 'data is not a compressed HdrHistogram V2 encoding';
  const compressed = frame.readInt32BE(4);
  if (compressed < 0 || compressed > frame.length - 8) return 'data is truncated';
  let inner: Buffer;
  try {
    inner = inflateSync(frame.subarray(8, 8 + compressed), { maxOutputLength: MERGE_INPUT_LIMITS.maxInflatedBytes });
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE'
      ? `data inflates beyond ${MERGE_INPUT_LIMITS.maxInflatedBytes} bytes`
      : 'data does not inflate';
  }
  if (inner.length < V2_HEADER || (inner.readInt32BE(0) & COOKIE_BASE_MASK) !== V2_COOKIE)
    return 'data holds no HdrHistogram V2 header';
  const payload = inner.readInt32BE(4);
  if (payload !== inner.length - V2_HEADER) return 'data has a payload length that does not match its size';
  const digits = inner.readInt32BE(12);
  const lowest = inner.readBigInt64BE(16);
  const highest = inner.readBigInt64BE(24);
  if (digits !== HISTOGRAM_PRECISION.numberOfSignificantValueDigits || lowest !== 1n)
    return `data is a histogram of ${digits} digits from ${lowest}: expected ${HISTOGRAM_PRECISION.numberOfSignificantValueDigits} digits from 1 µs`;
  if (highest < 2n || highest > BigInt(MERGE_INPUT_LIMITS.maxTrackableUs))
    return `data tracks values up to ${highest} µs: expected at most ${MERGE_INPUT_LIMITS.maxTrackableUs}`;
  const length = countsLength(Number(highest), digits);
  let index = 0;
  let total = 0;
  for (let at = V2_HEADER; at < inner.length;) {
    // ZigZag LEB128 (HdrHistogram V2): a negative value is a run of zeros. A ninth byte means a value of 2^56 or
    // more, beyond any exact count, so it is refused rather than decoded.
    let raw = 0;
    let scale = 1;
    let byte = 0x80;
    for (let n = 0; byte & 0x80; n++) {
      if (n === 8) return 'data has a count beyond 2^53';
      if (at >= inner.length) return 'data has a truncated count';
      byte = inner[at++]!;
      raw += (byte & 0x7f) * scale;
      scale *= 128;
    }
    if (!Number.isSafeInteger(raw)) return 'data has a count beyond 2^53';
    const value = raw % 2 === 0 ? raw / 2 : -(raw + 1) / 2;
    index += value < 0 ? -value : 1;
    if (value > 0) total += value;
    if (index > length) return `data has counts beyond the ${length} its header allows`;
    if (!Number.isSafeInteger(total)) return 'data counts add up beyond 2^53';
  }
  return undefined;
}

function numberProblem(value: unknown, at: string): string | undefined {
  if (typeof value === 'number')
    return Number.isSafeInteger(Math.trunc(value)) ? undefined : `${at}: ${value} is beyond 2^53`;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const p = numberProblem(value[i], `${at}[${i}]`);
      if (p) return p;
    }
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      const p = numberProblem(v, at ? `${at}.${k}` : k);
      if (p) return p;
    }
  }
  return undefined;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** The plausibility checks a schema cannot express; the first problem, or undefined. */
function plausibilityProblem(r: LoadResult, now: number): string | undefined {
  const L = MERGE_INPUT_LIMITS;
  // NOTE: JSON integers such as 1e20 pass the schema's "integer" but not exact arithmetic.
  const big = numberProblem(r, '');
  if (big) return big;
  const latest = now + L.futureSlackMs;
  const windowProblem = (w: { startMs: number; endMs: number }, name: string): string | undefined => {
    if (w.startMs < L.earliestMs)
      return `${name}.startMs ${w.startMs} (${iso(w.startMs)}) is before 2000: a skewed clock`;
    if (w.endMs > latest) return `${name}.endMs ${w.endMs} (${iso(w.endMs)}) is more than a day after now`;
    if (w.endMs < w.startMs) return `${name} ends before it starts`;
    if (w.endMs - w.startMs > L.maxSpanMs) return `${name} is longer than ${L.maxSpanMs / DAY} days`;
    return undefined;
  };
  const top = windowProblem(r.window, 'window');
  if (top) return top;
  if (r.windows.length > L.maxWindows) return `windows: more than ${L.maxWindows}`;
  for (const [i, w] of r.windows.entries()) {
    const p = windowProblem(w, `windows[${i}]`);
    if (p) return p;
    if (w.startMs < r.window.startMs || w.endMs > r.window.endMs) return `windows[${i}] lies outside window`;
  }
  return boundsProblem(r);
}

/**
 * What bounds merge's work on one result, whatever its windows say: a timeline of at most
 * {@link MERGE_INPUT_LIMITS}.maxSpanMs in seconds, and histograms that decode within bounds. The first problem, or
 * undefined. {@link mergeLoadResults} checks it for every result, read from a file or handed over in code.
 */
export function boundsProblem(r: LoadResult): string | undefined {
  const L = MERGE_INPUT_LIMITS;
  const seconds = Math.ceil(L.maxSpanMs / 1000);
  if (r.timeline.length > seconds + 1)
    return `timeline: ${r.timeline.length} points, more than a ${L.maxSpanMs / DAY}-day run has`;
  for (const [i, p] of r.timeline.entries()) {
    if (!Number.isSafeInteger(p.second) || p.second < 0 || p.second > seconds)
      return `timeline[${i}].second ${p.second} lies beyond a ${L.maxSpanMs / DAY}-day run`;
  }
  for (const kind of ['handshake', 'full', 'resumed', 'http'] as const) {
    const p = histogramProblem(r.histograms[kind]);
    if (p) return `histograms.${kind}: ${p}`;
  }
  return undefined;
}

/**
 * Checks a parsed load results.json before merge adds it to anything: its JSON Schema
 * (`schemas/load-results.schema.json`), then what the schema cannot say — every number exact (below 2^53), windows
 * between 2000 and a day from now and at most {@link MERGE_INPUT_LIMITS}.maxSpanMs long, a timeline no longer than
 * that, histograms that decode within bounds. `file` names the input in the message.
 *
 * @throws HarnessError MTLS_ERR_MERGE_INPUT naming the file and the field.
 */
export function checkLoadResult(parsed: unknown, file: string, now = Date.now()): LoadResult {
  const errors = schemaErrors(committedSchema('load-results'), parsed);
  if (errors.length > 0)
    throw new HarnessError(
      'MTLS_ERR_MERGE_INPUT',
      `merge: '${file}' breaks schemas/load-results.schema.json: ${errors[0]}${errors.length > 1 ? ` (and ${errors.length - 1} more)` : ''}`,
    );
  const result = parsed as LoadResult;
  const problem = plausibilityProblem(result, now);
  if (problem) throw new HarnessError('MTLS_ERR_MERGE_INPUT', `merge: '${file}' is implausible: ${problem}`);
  return result;
}
