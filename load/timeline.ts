import { closeSync, fchmodSync, openSync, writeSync } from 'node:fs';
import type { LoadKnee, LoadTimelinePoint } from '../core/load-result.js';
import { writeFileAtomic } from '../core/fs.js';
import { createHistogram, decodeHistogram, type Histogram } from './histogram.js';
import type { SecondReport } from './protocol.js';

const round3 = (v: number) => Math.round(v * 1000) / 1000;

interface Accumulator {
  full: number;
  resumed: number;
  errors: number;
  requests: number;
  rejected: number;
  latencySumUs: number;
  dropped: number;
  hist: Histogram | undefined;
}

/**
 * The parent's side of the per-second stream: adds up the seconds every worker reports once they are over (counts
 * summed, latency histograms added exactly), and hands out a second once every worker has reported it, with its
 * percentiles and the arrivals the schedule made due in it (`offered`).
 */
export class SecondsCollector {
  private readonly acc: Accumulator[] = [];
  private readonly reported: number[];
  private readonly done: LoadTimelinePoint[] = [];

  /** `offered(s)`: arrivals due in second s by the schedule (open model), or null for the closed model. */
  constructor(
    workers: number,
    private readonly offered: (second: number) => number | null,
  ) {
    this.reported = Array.from({ length: workers }, () => 0);
  }

  /** Adds worker `w`'s seconds; returns the seconds that became final (every worker reported them), in order. */
  add(w: number, seconds: readonly SecondReport[]): LoadTimelinePoint[] {
    for (const s of seconds) {
      while (this.acc.length <= s.second)
        this.acc.push({
          full: 0,
          resumed: 0,
          errors: 0,
          requests: 0,
          rejected: 0,
          latencySumUs: 0,
          dropped: 0,
          hist: undefined,
        });
      const a = this.acc[s.second]!;
      a.full += s.full;
      a.resumed += s.resumed;
      a.errors += s.errors;
      a.requests += s.requests;
      a.rejected += s.rejected;
      a.latencySumUs += s.latencySumUs;
      a.dropped += s.dropped;
      if (s.hdr) {
        a.hist ??= createHistogram();
        a.hist.add(decodeHistogram(s.hdr));
      }
      this.reported[w] = Math.max(this.reported[w]!, s.second + 1);
    }
    return this.release(Math.min(...this.reported));
  }

  /** Worker `w` finished (its last seconds came before): it holds no later second back. */
  workerDone(w: number): LoadTimelinePoint[] {
    this.reported[w] = Infinity;
    return this.release(Math.min(...this.reported));
  }

  /** The run ended: every second not handed out yet is final. */
  finish(): LoadTimelinePoint[] {
    return this.release(this.acc.length);
  }

  /** Every final second so far. */
  points(): readonly LoadTimelinePoint[] {
    return this.done;
  }

  /** p99 of the last final second (ms), or null before the first. */
  lastP99(): number | null {
    const last = this.done[this.done.length - 1];
    return last?.p99Ms ?? null;
  }

  private release(upTo: number): LoadTimelinePoint[] {
    const out: LoadTimelinePoint[] = [];
    for (let second = this.done.length; second < Math.min(upTo, this.acc.length); second++) {
      const a = this.acc[second]!;
      const h = a.hist;
      const offered = this.offered(second);
      const point: LoadTimelinePoint = {
        second,
        full: a.full,
        resumed: a.resumed,
        errors: a.errors,
        requests: a.requests,
        rejected: a.rejected,
        latencySumUs: a.latencySumUs,
        dropped: a.dropped,
        ...(offered !== null ? { offered: round3(offered) } : {}),
        ...(h && h.totalCount > 0
          ? {
              p50Ms: round3(h.getValueAtPercentile(50) / 1000),
              p99Ms: round3(h.getValueAtPercentile(99) / 1000),
              maxMs: round3(h.getValueAtPercentile(100) / 1000),
            }
          : {}),
      };
      a.hist = undefined;
      this.done.push(point);
      out.push(point);
    }
    return out;
  }
}

/** The accepted work of a second: requests in HTTP mode, handshakes otherwise. */
export function workOf(p: LoadTimelinePoint, http: boolean): number {
  return http ? p.requests : p.full + p.resumed;
}

/**
 * `--stages`: the highest offered rate the server held within the thresholds. Each whole second in which arrivals
 * were due is judged on its own figures from the timeline: it holds when its p99 is at most `maxP99Ms` (when given),
 * something completed, and (errors + refusals + dropped arrivals) / (accepted + those) is at most `maxErrorRate`. The
 * knee is the highest offered rate among the seconds that held before the first one that did not.
 */
export function findKnee(
  timeline: readonly LoadTimelinePoint[],
  opts: { maxP99Ms: number | null; maxErrorRate: number; http: boolean; durationMs: number },
): LoadKnee {
  let judged = 0;
  let best: LoadTimelinePoint | undefined;
  let firstBreach: LoadKnee['firstBreach'] = null;
  for (const p of timeline) {
    // NOTE: a second the measured phase did not fill is not judged: its counts cover part of a second.
    if ((p.second + 1) * 1000 > opts.durationMs + 1) continue;
    const offered = p.offered ?? 0;
    if (offered <= 0) continue;
    judged++;
    if (firstBreach) continue;
    const work = workOf(p, opts.http);
    const bad = p.errors + p.rejected + (p.dropped ?? 0);
    const reasons: string[] = [];
    if (work + bad === 0) reasons.push('nothing completed');
    const share = work + bad > 0 ? bad / (work + bad) : 0;
    if (share > opts.maxErrorRate)
      reasons.push(
        `error share ${(share * 100).toFixed(2)} % (${p.errors} errors, ${p.rejected} refused, ${p.dropped ?? 0} dropped) > --max-error-rate ${opts.maxErrorRate}`,
      );
    if (opts.maxP99Ms !== null && (p.p99Ms ?? 0) > opts.maxP99Ms)
      reasons.push(`p99 ${p.p99Ms} ms > --max-p99 ${opts.maxP99Ms} ms`);
    if (reasons.length > 0) {
      firstBreach = { second: p.second, offered, reasons };
      continue;
    }
    if (!best || offered > (best.offered ?? 0)) best = p;
  }
  return {
    maxP99Ms: opts.maxP99Ms,
    maxErrorRate: opts.maxErrorRate,
    secondsJudged: judged,
    heldRate: best ? (best.offered ?? 0) : null,
    heldSecond: best ? best.second : null,
    heldAchieved: best ? workOf(best, opts.http) : null,
    heldP99Ms: best ? (best.p99Ms ?? 0) : null,
    firstBreach,
  };
}

/** One line of the `--timeline` NDJSON stream: a second of the run. */
export function timelineLine(p: LoadTimelinePoint, http: boolean): string {
  const work = workOf(p, http);
  return JSON.stringify({
    type: 'second',
    second: p.second,
    elapsedS: p.second + 1,
    ...(p.offered !== undefined ? { offered: p.offered } : {}),
    accepted: work,
    full: p.full,
    resumed: p.resumed,
    requests: p.requests,
    rejected: p.rejected,
    errors: p.errors,
    dropped: p.dropped ?? 0,
    meanMs: work > 0 ? round3(p.latencySumUs / work / 1000) : 0,
    p50Ms: p.p50Ms ?? 0,
    p99Ms: p.p99Ms ?? 0,
    maxMs: p.maxMs ?? 0,
  });
}

/**
 * `--timeline FILE`: the per-second NDJSON stream a dashboard can follow while the run goes on. Each second is one
 * line, written with one write call as soon as every worker reported it (a reader never sees half a line of a second
 * that is over). At the end the file is replaced atomically by its final state: every second, and a last line
 * `{"type":"end",…}` with the verdict. The file is 0644 and holds figures only (no key, no certificate).
 */
export class TimelineFile {
  private fd: number | undefined;

  private constructor(private readonly file: string) {
    this.fd = openSync(file, 'w', 0o644);
    // NOTE: the mode given to open() is masked by the umask; the contract is 0644.
    fchmodSync(this.fd, 0o644);
  }

  /** Creates (or truncates) the file; throws what the file system says. */
  static open(file: string): TimelineFile {
    return new TimelineFile(file);
  }

  /** Appends one line (a JSON value) and hands it to the kernel at once. */
  append(line: string): void {
    if (this.fd !== undefined) writeSync(this.fd, `${line}\n`);
  }

  /**
   * Writes the final state atomically (`lines` replaces every second streamed, which the run may have corrected, then
   * the `end` line) and closes the stream.
   */
  finish(lines: readonly string[], end: Record<string, unknown>): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    writeFileAtomic(
      this.file,
      [...lines, JSON.stringify({ type: 'end', ...end })].map((l) => `${l}\n`).join(''),
      0o644,
    );
  }

  /** Closes the stream without a final state (an error before the end). */
  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
