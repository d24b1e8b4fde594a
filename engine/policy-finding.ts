/**
 * The finding of a scenario whose decision the RFCs leave to the server (issue 13: what it does when revocation
 * cannot be established): the policy it showed, in the scenario's words (`hard-fail: …`, `soft-fail: …`).
 */
import type { ClientObservation, Verdict } from '../core/result.js';
import type { Feature, Scenario } from '../core/scenario.js';
import type { StartedTarget } from '../targets/target.js';

/**
 * The policy a scenario with {@link Scenario.policyFinding} observed, or undefined when it has none or nothing was
 * decided. An acceptance by a target whose product makes no such check at all is said as such, not as a policy.
 */
export function policyFindingOf(
  scenario: Pick<Scenario, 'policyFinding' | 'requires'>,
  verdict: Verdict,
  observations: readonly ClientObservation[],
  target: Pick<StartedTarget, 'name' | 'capabilities' | 'unchecked'>,
  timeoutMs: number,
): string | undefined {
  const words = scenario.policyFinding;
  if (!words) return undefined;
  if (observations.some((o) => o.evidence === 'acceptance')) {
    const unchecked = scenario.requires.filter((f: Feature) => target.unchecked?.has(f) && !target.capabilities.has(f));
    return unchecked.length > 0
      ? `no check: accepted the client; ${target.name} makes no ${unchecked.join(' or ')} check at all`
      : words.accepted;
  }
  if (verdict === 'pass') return words.rejected;
  if (observations.some((o) => o.observed.outcome === 'timeout'))
    return `undecided: the server did not decide within the probe timeout (${timeoutMs} ms)`;
  return undefined;
}
