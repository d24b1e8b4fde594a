import { gates, isWarning } from '../core/gate.js';
import type { ClientObservation, Observation, RunResult, ScenarioResult, Verdict } from '../core/result.js';
import { SERVER_POLICIES, TLS_VERSIONS, type ServerPolicy, type TlsVersion } from '../core/scenario.js';

/** Every verdict, in the order reports list them: good news first, then problems, then the neutral ones. */
export const VERDICT_ORDER: readonly Verdict[] = ['pass', 'fail', 'xpass', 'error', 'xfail', 'skip'];

/**
 * True for a result the reports list as a problem: a gating failure (a security failure, a protocol failure under
 * --strict, an unexpected pass) or an error.
 */
export function isProblem(result: ScenarioResult, run: RunResult): boolean {
  return result.verdict === 'error' || gates(result, run.gate);
}

/** The results that fail but do not gate: protocol-severity failures, shown as warnings. */
export function warningsOf(run: RunResult): ScenarioResult[] {
  return run.results.filter((r) => isWarning(r, run.gate));
}

/** The results of procedure scenarios (sessions, post-handshake authentication, proxied identity), with what they saw. */
export function findingsOf(run: RunResult): ScenarioResult[] {
  return run.results.filter((r) => r.finding !== undefined);
}

/** The results whose clients saw different decisions. */
export function disagreementsOf(run: RunResult): ScenarioResult[] {
  return run.results.filter((r) => r.clients === 'disagree');
}

/** The overall state of a run, as every report headlines it. */
export type RunStatus = 'conformant' | 'not-conformant' | 'error' | 'interrupted';

/**
 * The overall state of a run: a gating failure (or missing required coverage) is proof of non-conformance and
 * outranks errors; then a run error or an unjudged result; then an interruption (SIGINT, SIGTERM); else conformant.
 */
export function runStatus(run: RunResult): RunStatus {
  if (run.summary.gating > 0 || run.coverage.missing.length > 0) return 'not-conformant';
  if (run.error || run.summary.error > 0) return 'error';
  // NOTE: an interrupted run never reads as conformant: what was not run says nothing about the target.
  if (run.interrupted) return 'interrupted';
  return 'conformant';
}

/** `not verified: revocation, validity (partly)` for headlines, or '' when everything was verified. */
export function notVerifiedHeadline(run: RunResult): string {
  const topics = Object.entries(run.coverage.topics)
    .filter(([, t]) => t.skipped > 0)
    .map(([topic, t]) => (t.verified > 0 ? `${topic} (partly)` : topic));
  return topics.length > 0 ? `not verified: ${topics.join(', ')}` : '';
}

/** Every client's observation in a few words: `node: alert unknown_ca; wire: alert unknown_ca`. */
export function describeClients(observations: readonly ClientObservation[]): string {
  return observations.map((o) => `${o.backend}: ${describeOutcome(o.observed)}`).join('; ');
}

/** The headline word(s) for a run status. */
export const STATUS_LABEL: Readonly<Record<RunStatus, string>> = {
  conformant: 'CONFORMANT',
  'not-conformant': 'NOT CONFORMANT',
  error: 'ERROR',
  interrupted: 'INTERRUPTED',
};

/** `by SIGINT: 12 of 140 results not run, no verdict on them`, or '' for a run that was not interrupted. */
export function interruptedDetail(run: RunResult): string {
  if (!run.interrupted) return '';
  const notRun = run.results.filter((r) => r.skip?.kind === 'interrupted').length;
  return `${run.signal ? `by ${run.signal}` : 'early'}: ${notRun} of ${run.results.length} results not run, no verdict on them`;
}

/** `interrupted by SIGINT: 12 of 140 results not run…` for headlines, or '' for a run that was not interrupted. */
export function interruptedHeadline(run: RunResult): string {
  return run.interrupted ? `interrupted ${interruptedDetail(run)}` : '';
}

/** `TLS 1.3` */
export function tlsLabel(tls: TlsVersion): string {
  return `TLS ${tls}`;
}

/** The namespace of a scenario id: everything before the last `::` (`rfc5280::eku` for `rfc5280::eku::x`). */
export function namespaceOf(id: string): string {
  const at = id.lastIndexOf('::');
  return at > 0 ? id.slice(0, at) : id;
}

// C0 and C1 control characters except tab and newline, plus DEL.
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/**
 * Makes control characters visible as `\xNN` so that text from a target (an error message, an HTTP reason) can
 * neither drive a terminal nor corrupt a document.
 */
export function visible(text: string): string {
  return text.replace(CONTROL, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** Like {@link visible}, and also folds newlines and tabs into single spaces, for one-line cells. */
export function oneLine(text: string): string {
  return visible(text).replace(/\s*[\r\n\t]+\s*/g, ' ');
}

/** A wall time in milliseconds for people: `850 ms`, `1.25 s`, `2 min 5 s`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '?';
  if (ms < 1000) return `${ms < 10 ? ms.toFixed(1).replace(/\.0$/, '') : Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(2)} s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes} min ${Math.round((ms - minutes * 60_000) / 1000)} s`;
}

/**
 * What the client saw, in a few words: `accepted`, `alert certificate_expired`, `http 403`, `closed`, `reset`,
 * `timeout`, `error refused`, `not run`.
 */
export function describeOutcome(observed: Observation): string {
  // The wire client knows exactly which message the server reacted to; name that step in the cell.
  const exact =
    observed.probe === 'wire' && observed.step && observed.outcome !== 'accepted' ? ` at ${observed.step}` : '';
  return describeOutcomeOnly(observed) + exact;
}

function describeOutcomeOnly(observed: Observation): string {
  switch (observed.outcome) {
    case 'accepted':
      return 'accepted';
    case 'rejected-alert': {
      const name = observed.alert ? observed.alert.name : 'unknown';
      const late = observed.alertTiming === 'post-handshake' ? ', post-handshake' : '';
      const code = observed.alert && observed.alert.name === 'unknown' ? ` ${observed.alert.code}` : '';
      return `alert ${name}${code}${late}`;
    }
    case 'rejected-http':
      return observed.httpStatus === undefined ? 'http error' : `http ${observed.httpStatus}`;
    case 'closed':
    case 'reset':
    case 'timeout':
      return observed.outcome;
    case 'error':
      return observed.error ? `error ${observed.error.kind}` : 'error';
    case 'not-run':
      return 'not run';
  }
}

/** The verdict with the observed outcome in brackets, e.g. `pass (alert certificate_expired)`; `skip` alone. */
export function verdictCell(result: ScenarioResult): string {
  const { observed, verdict } = result;
  if (observed.outcome === 'not-run') return verdict;
  // `error (refused)` rather than `error (error refused)`.
  if (observed.outcome === 'error' && verdict === 'error' && observed.error) return `error (${observed.error.kind})`;
  return `${verdict} (${describeOutcome(observed)})`;
}

/** What a correct server does, in a few words: `accept`, `reject (certificate_expired | bad_certificate)`. */
export function describeExpected(expected: ScenarioResult['expected']): string {
  if (expected.decision === 'accept') return 'accept';
  const parts: string[] = [];
  if (expected.alerts.length > 0) parts.push(`alert ${expected.alerts.join(' | ')}`);
  if (expected.step) parts.push(`at ${expected.step}`);
  return parts.length > 0 ? `reject (${parts.join(', ')})` : 'reject';
}

/** The observed outcome with every detail the observation carries, for failure listings. */
export function describeObserved(observed: Observation): string {
  const extra: string[] = [];
  if (observed.alert) extra.push(`alert code ${observed.alert.code}`);
  if (observed.step) extra.push(`at ${observed.step}`);
  extra.push(observed.handshakeCompleted ? 'handshake completed' : 'handshake not completed');
  if (observed.protocol) extra.push(observed.protocol);
  if (observed.probe) extra.push(`${observed.probe} probe`);
  let text = `${describeOutcome(observed)} (${extra.join(', ')})`;
  if (observed.error) text += `: ${observed.error.message}`;
  if (observed.detail) text += ` [${observed.detail}]`;
  return text;
}

/** A scenario with its results on each TLS version, as the summary tables show it. */
export interface ScenarioRow {
  readonly id: string;
  readonly title: string;
  readonly policy: ServerPolicy;
  readonly cells: Partial<Record<TlsVersion, ScenarioResult>>;
}

/**
 * Groups results into one row per scenario and policy, in order of first appearance. A scenario that ran twice on
 * the same TLS version (the sanity scenario runs first and last) gets a second row rather than losing a result.
 */
export function scenarioRows(results: readonly ScenarioResult[]): ScenarioRow[] {
  const rows: {
    id: string;
    title: string;
    policy: ServerPolicy;
    cells: Partial<Record<TlsVersion, ScenarioResult>>;
  }[] = [];
  for (const result of results) {
    const row = rows.find((r) => r.id === result.id && r.policy === result.policy && !r.cells[result.tls]);
    if (row) row.cells[result.tls] = result;
    else rows.push({ id: result.id, title: result.title, policy: result.policy, cells: { [result.tls]: result } });
  }
  return rows;
}

/** The TLS versions present in the results, in canonical order (both when there are no results). */
export function tlsVersionsOf(results: readonly ScenarioResult[]): TlsVersion[] {
  const present = TLS_VERSIONS.filter((tls) => results.some((r) => r.tls === tls));
  return present.length > 0 ? present : [...TLS_VERSIONS];
}

/** The server policies present in the results, in canonical order. */
export function policiesOf(results: readonly ScenarioResult[]): ServerPolicy[] {
  return SERVER_POLICIES.filter((policy) => results.some((r) => r.policy === policy));
}

/** Counts verdicts in a list of results. */
export function countVerdicts(results: readonly ScenarioResult[]): Record<Verdict, number> {
  const counts: Record<Verdict, number> = { pass: 0, fail: 0, skip: 0, error: 0, xfail: 0, xpass: 0 };
  for (const result of results) counts[result.verdict] += 1;
  return counts;
}

/** `7 pass, 1 fail, 1 skip`: the non-zero counts of a summary in {@link VERDICT_ORDER}, or `no results`. */
export function summaryText(summary: Readonly<Record<Verdict, number>>): string {
  const parts = VERDICT_ORDER.filter((v) => summary[v] > 0).map((v) => `${summary[v]} ${v}`);
  return parts.length > 0 ? parts.join(', ') : 'no results';
}

/** The target as one line: `nginx 1.25.3 at 127.0.0.1:8443 (raw probe)`. */
export function targetText(run: RunResult): string {
  const version = run.target.version ? ` ${run.target.version}` : '';
  // NOTE: a HOST:PORT target is named by its endpoint: say it once.
  const where = run.target.endpoint === run.target.name ? '' : ` at ${run.target.endpoint}`;
  return `${run.target.name}${version}${where} (${run.target.probe} probe)`;
}

/** Human wording of a baseline change. */
export const CHANGE_LABEL: Readonly<Record<NonNullable<ScenarioResult['change']>, string>> = {
  'new-failure': 'new failure',
  fixed: 'fixed',
  unchanged: 'unchanged',
  new: 'new',
};
