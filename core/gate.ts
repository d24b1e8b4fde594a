import type { Gate, ScenarioResult } from './result.js';

/**
 * Whether a result fails on its own severity: a `security` failure always, a `protocol` failure only under
 * `--strict` (otherwise it is a warning), an unexpected pass of a known deviation always (the expectations file no
 * longer describes the server); an `advisory` finding never.
 */
export function isGating(result: Pick<ScenarioResult, 'verdict' | 'severity'>, strict: boolean): boolean {
  // NOTE: an advisory finding (a choice the RFCs leave to the server) never gates, even under --strict.
  if (result.severity === 'advisory') return false;
  if (result.verdict === 'xpass') return true;
  if (result.verdict === 'fail') return strict || result.severity === 'security';
  return false;
}

/**
 * Whether a result makes the run non-conformant under the run's gate: {@link isGating}, and under
 * `--gate regressions` only when it is new since the baseline (a failure the baseline already had is accepted).
 */
export function gates(result: Pick<ScenarioResult, 'verdict' | 'severity' | 'change'>, gate: Gate): boolean {
  if (!isGating(result, gate.strict)) return false;
  return gate.mode !== 'regressions' || result.change === 'new-failure' || result.change === 'new';
}

/**
 * A failure the gate lets through (protocol severity, or already failing in the baseline): reported as a warning.
 * Advisory failures are findings, reported apart.
 */
export function isWarning(result: Pick<ScenarioResult, 'verdict' | 'severity' | 'change'>, gate: Gate): boolean {
  return (
    (result.verdict === 'fail' || result.verdict === 'xpass') && result.severity !== 'advisory' && !gates(result, gate)
  );
}

/** An advisory scenario's outcome, reported as a finding whatever its verdict. */
export function isFinding(result: Pick<ScenarioResult, 'severity' | 'finding'>): boolean {
  return result.severity === 'advisory' || result.finding !== undefined;
}
