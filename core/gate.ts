import type { ScenarioResult } from './result.js';

/**
 * Whether a result makes the run non-conformant: a `security` failure always, a `protocol` failure only under
 * `--strict` (otherwise it is a warning), and an unexpected pass of a known deviation always (the expectations file
 * no longer describes the server).
 */
export function isGating(result: Pick<ScenarioResult, 'verdict' | 'severity'>, strict: boolean): boolean {
  if (result.verdict === 'xpass') return true;
  if (result.verdict === 'fail') return strict || result.severity === 'security';
  return false;
}

/** A `protocol` failure the gate lets through: reported as a warning. */
export function isWarning(result: Pick<ScenarioResult, 'verdict' | 'severity'>, strict: boolean): boolean {
  return result.verdict === 'fail' && !isGating(result, strict);
}
