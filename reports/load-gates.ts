import type { LoadResult } from '../core/load-result.js';
import { formatMs, formatRate } from './load-figures.js';

/** The gates a load run can be held to, in the order reports list them. */
export type LoadGateId =
  'max-p99' | 'min-rate' | 'max-error-rate' | 'resumption' | 'acceptances' | 'accepted' | 'other';

/**
 * One gate of a load run as the reports show it: what it checks, the limit, what was measured, and the result's own
 * failure lines that belong to it. Reports never judge a run again: a gate fails exactly when the result lists a
 * failure for it.
 */
export interface LoadGate {
  readonly id: LoadGateId;
  /** A stable name (a JUnit test case name): `p99 latency`, `rate`, `error rate`, … */
  readonly name: string;
  /** The limit in words: `≤ 5 ms (--max-p99)`. */
  readonly limit: string;
  /** What was measured, in words: `19.9 ms`. */
  readonly measured: string;
  /** The result's failure lines for this gate (empty: it held). */
  readonly failures: readonly string[];
  /** Failure lines that are not a breach but the absence of a verdict (`--scenario` with no probe decided). */
  readonly errors: readonly string[];
}

/**
 * Which gate each failure line of {@link LoadResult.failures} belongs to, by the wording `load/aggregate.ts` gives
 * it. NOTE: a line no pattern knows is kept under `other`, so a report never loses a failure.
 */
const FAILURE_GATES: readonly [LoadGateId, RegExp][] = [
  ['max-p99', /^p99 latency .* exceeds --max-p99 /],
  ['min-rate', / is below --min-rate /],
  ['max-error-rate', /^error rate .* exceeds --max-error-rate /],
  ['resumption', /^resumption failed: /],
  ['acceptances', /^the server (accepted the certificate|rejected the valid certificate) of /],
  ['acceptances', /^no probe was decided /],
  ['accepted', /^no (handshake|request) was accepted /],
  ['accepted', /^sanity probe after the load: /],
];

/** The gate a failure line belongs to. */
export function gateOfFailure(line: string): LoadGateId {
  return FAILURE_GATES.find(([, pattern]) => pattern.test(line))?.[0] ?? 'other';
}

/** True when a `--scenario` run decided no probe: no verdict (the CLI exits 2, MTLS_ERR_UNDECIDED). */
export function isUndecided(r: LoadResult): boolean {
  return r.failures.some((f) => /^no probe was decided /.test(f));
}

/** The overall state of a load run, as every load report headlines it. */
export type LoadStatus = 'pass' | 'fail' | 'undecided' | 'interrupted';

/**
 * The state of a load run: interrupted (SIGINT, SIGTERM: never a verdict), then a `--scenario` run with no probe
 * decided (no verdict), then any failure, else a pass.
 */
export function loadStatus(r: LoadResult): LoadStatus {
  if (r.interrupted) return 'interrupted';
  if (isUndecided(r)) return 'undecided';
  return r.passed ? 'pass' : 'fail';
}

/** The headline word(s) of each load status. */
export const LOAD_STATUS_LABEL: Readonly<Record<LoadStatus, string>> = {
  pass: 'PASS',
  fail: 'FAIL',
  undecided: 'NO VERDICT',
  interrupted: 'INTERRUPTED',
};

const percent = (share: number) => `${(share * 100).toFixed(2)} %`;

/**
 * The gates that were checked in this run, each with its failure lines: `--max-p99`, `--min-rate` (when given),
 * the error rate (whenever anything was attempted; default limit 0), resumption (when it was asked for),
 * acceptances (with `--scenario`), a valid client accepted (without `--scenario`: some handshake or request
 * accepted, and the sanity probe after the load), and `other` only for failure lines no gate claims.
 */
export function loadGates(r: LoadResult): LoadGate[] {
  const byGate = new Map<LoadGateId, string[]>();
  for (const line of r.failures) {
    const id = gateOfFailure(line);
    byGate.set(id, [...(byGate.get(id) ?? []), line]);
  }
  const lines = (id: LoadGateId) => byGate.get(id) ?? [];
  const http = r.http !== null;
  const scenario = r.config.scenario;
  const unit = http ? 'requests' : scenario ? 'decided probes' : 'handshakes';
  const gates: LoadGate[] = [];
  if (r.thresholds.maxP99Ms !== null) {
    gates.push({
      id: 'max-p99',
      name: 'p99 latency',
      limit: `≤ ${r.thresholds.maxP99Ms} ms (--max-p99)`,
      measured: `${formatMs(http ? r.http!.latencyMs.p99 : r.latencyMs.p99)} ms`,
      failures: lines('max-p99'),
      errors: [],
    });
  }
  if (r.thresholds.minRate !== null) {
    const decided = (r.acceptances ?? 0) + r.rejectionsTotal;
    const rate = http
      ? r.http!.requestsPerSecond
      : scenario
        ? decided / Math.max(0.001, r.durationMs / 1000)
        : r.handshakesPerSecond.total;
    gates.push({
      id: 'min-rate',
      name: 'rate',
      limit: `≥ ${r.thresholds.minRate} ${unit}/s (--min-rate)`,
      measured: `${formatRate(rate)} ${unit}/s`,
      failures: lines('min-rate'),
      errors: [],
    });
  }
  if (r.errorRate !== null) {
    gates.push({
      id: 'max-error-rate',
      name: 'error rate',
      limit: `≤ ${percent(r.thresholds.maxErrorRate)} (--max-error-rate ${r.thresholds.maxErrorRate})`,
      measured: `${percent(r.errorRate)} (${scenario ? 'errors' : 'errors + refusals'}${r.dropped > 0 ? ' + dropped arrivals' : ''})`,
      failures: lines('max-error-rate'),
      errors: [],
    });
  }
  if (r.resumption.successRatio !== null) {
    gates.push({
      id: 'resumption',
      name: 'resumption',
      limit: 'resumed when asked for (--mode)',
      measured: `${r.resumption.resumed} of ${r.resumption.wanted} resumed (${percent(r.resumption.successRatio)})`,
      failures: lines('resumption'),
      errors: [],
    });
  }
  if (scenario) {
    const acc = lines('acceptances');
    gates.push({
      id: 'acceptances',
      name: 'acceptances',
      limit: `${scenario.expect === 'reject' ? 'none accepted' : 'none rejected'} (--scenario ${scenario.id})`,
      measured: `${r.acceptances ?? 0} accepted, ${r.rejectionsTotal} rejected`,
      failures: acc.filter((f) => !/^no probe was decided /.test(f)),
      errors: acc.filter((f) => /^no probe was decided /.test(f)),
    });
  } else {
    gates.push({
      id: 'accepted',
      name: 'valid client accepted',
      limit: `some ${http ? 'request' : 'handshake'} accepted, and the sanity probe after the load`,
      measured: http ? `${r.http!.succeeded} requests accepted` : `${r.handshakes.succeeded} handshakes accepted`,
      failures: lines('accepted'),
      errors: [],
    });
  }
  if (lines('other').length > 0)
    gates.push({ id: 'other', name: 'other', limit: '', measured: '', failures: lines('other'), errors: [] });
  return gates;
}
