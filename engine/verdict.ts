/**
 * The verdict: a pure function of a scenario's expectation, every client's assessed observation, the controls of the
 * path and the strictness. Everything it reads is in results.json, so anyone holding the file can recompute it.
 *
 * For a scenario the server must reject:
 * 1. any client accepted → `fail` (an application-data round trip is proof on its own);
 * 2. a control of the path was not accepted → `error` ("control refused"): the path itself does not work, so a
 *    rejection on it proves nothing about the certificate;
 * 3. a client saw no decision, or a refusal before the defect was presented → `error`;
 * 4. no client saw a conclusive rejection (only closes or resets) → `error` ("inconclusive");
 * 5. under `--strictness alert|rfc`, every conclusive rejection must be an acceptable alert at the declared step;
 * 6. otherwise `pass`.
 * A scenario the server must accept passes when every client was accepted; a conclusive refusal with an accepted
 * control fails it. Where the RFC allows either decision, any conclusive decision passes.
 */
import type { AlertName } from '../core/alerts.js';
import type { ClientObservation, ControlResult, Observation, Strictness, Verdict } from '../core/result.js';
import type { Scenario, TlsVersion } from '../core/scenario.js';
import { alertsFor, mechanism } from './classify.js';

/** What a verdict rests on. */
export interface Evidence {
  /** One assessed observation per client that probed the scenario. */
  readonly observations: readonly ClientObservation[];
  /** The controls of the clients' paths (none for the sanity scenario). */
  readonly controls: readonly ControlResult[];
}

/** A verdict with its reason, the decisive observation and whether the clients agreed. */
export interface Judgement {
  readonly verdict: Verdict;
  readonly reason: string;
  readonly observed: Observation;
  readonly clients: 'agree' | 'disagree' | 'single';
}

/**
 * A refusal made past the TLS layer by a procedure: the connection was served, and what was refused is what the
 * procedure checks (a proxy that replaced a forged identity header). It has no alert or status of its own.
 */
function servedRefusal(o: ClientObservation): boolean {
  return o.evidence === 'conclusive-rejection' && o.observed.outcome === 'accepted';
}

/** `node: alert unknown_ca during the handshake; wire: accepted` */
function each(observations: readonly ClientObservation[]): string {
  return observations
    .map((o) => `${o.backend}: ${mechanism(o.observed)}${servedRefusal(o) ? ', judged by what it forwarded' : ''}`)
    .join('; ');
}

/** Whether the clients saw the same decision (acceptance vs refusal) and mechanism. */
function agreement(observations: readonly ClientObservation[]): Judgement['clients'] {
  if (observations.length < 2) return 'single';
  const key = (o: ClientObservation) =>
    o.evidence === 'acceptance'
      ? 'accept'
      : o.evidence === 'conclusive-rejection' || o.evidence === 'inconclusive-rejection'
        ? 'reject'
        : 'none';
  const first = key(observations[0]!);
  return observations.every((o) => key(o) === first) ? 'agree' : 'disagree';
}

function disagreementNote(observations: readonly ClientObservation[], clients: Judgement['clients']): string {
  return clients === 'disagree' ? `; the clients disagree (${each(observations)})` : '';
}

/** The controls that were not accepted, in words, or undefined when every control was. */
function refusedControls(controls: readonly ControlResult[]): string | undefined {
  const refused = controls.filter((c) => !c.accepted);
  if (refused.length === 0) return undefined;
  return refused
    .map(
      (c) =>
        `control refused: the ${c.backend} client with fixture '${c.fixture}' on the same path was ${mechanism(c.observed)}`,
    )
    .join('; ');
}

/**
 * Judges a scenario from its evidence. For a bounded-time scenario (`expect.boundedTime`) a client that saw no answer
 * within the probe timeout fails it, provided the controls of the path were answered (they rule out a server that
 * answers nobody); otherwise the decision is judged as for any scenario and a pass says the answer came in time.
 */
export function judge(
  scenario: Pick<Scenario, 'expect'>,
  tls: TlsVersion,
  evidence: Evidence,
  strictness: Strictness,
): Judgement {
  const judged = judgeDecision(scenario, tls, evidence, strictness);
  if (!scenario.expect.boundedTime) return judged;
  const late = evidence.observations.find((o) => o.observed.outcome === 'timeout');
  if (late) {
    const controlProblem = refusedControls(evidence.controls);
    if (controlProblem) return { ...judged, verdict: 'error', reason: controlProblem };
    return {
      verdict: 'fail',
      reason: `no answer within the probe timeout (bounded-time check): ${late.backend}: ${late.observed.detail ?? 'timeout'}, while the valid client on the same path was answered`,
      observed: late.observed,
      clients: judged.clients,
    };
  }
  if (judged.verdict === 'error' && scenario.expect.eitherDecision && !refusedControls(evidence.controls)) {
    // NOTE: where the RFC leaves the decision open, what the check judges is that an answer came in time: an alert
    // that is no decision about the certificate (internal_error) or a close is still an answer to the chain, once
    // the client's certificate flight was sent.
    const answered = evidence.observations.every(
      (o) => o.evidence !== 'early-rejection' && ANSWERS.has(o.observed.outcome),
    );
    if (answered) {
      const how = evidence.observations.map((o) => `${o.backend}: ${mechanism(o.observed)}`).join('; ');
      return {
        ...judged,
        verdict: 'pass',
        reason: `${how}; the RFC permits either decision; answered within the probe timeout (bounded-time check)`,
      };
    }
  }
  if (judged.verdict !== 'pass') return judged;
  return { ...judged, reason: `${judged.reason}; answered within the probe timeout (bounded-time check)` };
}

/** Outcomes that are an answer from the server (whatever it decided), as opposed to silence or a harness failure. */
const ANSWERS: ReadonlySet<Observation['outcome']> = new Set<Observation['outcome']>([
  'accepted',
  'rejected-alert',
  'rejected-http',
  'closed',
  'reset',
]);

function judgeDecision(
  scenario: Pick<Scenario, 'expect'>,
  tls: TlsVersion,
  evidence: Evidence,
  strictness: Strictness,
): Judgement {
  const obs = evidence.observations;
  if (obs.length === 0) throw new Error('judge: no observation');
  const clients = agreement(obs);
  const first = obs[0]!;
  const find = (e: ClientObservation['evidence']) => obs.find((o) => o.evidence === e);
  const accepted = find('acceptance');
  const conclusive = obs.filter((o) => o.evidence === 'conclusive-rejection');
  const undecided = find('no-decision') ?? find('early-rejection');
  const controlProblem = refusedControls(evidence.controls);
  const result = (verdict: Verdict, reason: string, observed: Observation = first.observed): Judgement => ({
    verdict,
    reason,
    observed,
    clients,
  });
  const noVerdict = (o: ClientObservation) =>
    result('error', `no verdict possible: ${o.backend}: ${o.note}`, o.observed);
  const inconclusive = () =>
    result(
      'error',
      `inconclusive: ${obs.map((o) => `${o.backend}: ${o.note}`).join('; ')}; no client saw an alert or an HTTP refusal`,
    );

  const expect = scenario.expect;
  if (expect.eitherDecision) {
    if (undecided) return noVerdict(undecided);
    if (accepted && conclusive.length === 0 && obs.every((o) => o.evidence === 'acceptance'))
      return result('pass', `${accepted.note}; the RFC permits either decision`, accepted.observed);
    if (conclusive.length === 0) return inconclusive();
    if (controlProblem) return result('error', controlProblem, conclusive[0]!.observed);
    return result(
      'pass',
      `${conclusive[0]!.note}; the RFC permits either decision${disagreementNote(obs, clients)}`,
      conclusive[0]!.observed,
    );
  }

  if (expect.decision === 'accept') {
    if (obs.every((o) => o.evidence === 'acceptance')) return result('pass', mechanism(first.observed));
    if (undecided) return noVerdict(undecided);
    if (conclusive.length === 0) return inconclusive();
    if (controlProblem) return result('error', controlProblem, conclusive[0]!.observed);
    return result(
      'fail',
      `a client that must be accepted was rejected: ${conclusive[0]!.backend}: ${mechanism(conclusive[0]!.observed)}${disagreementNote(obs, clients)}`,
      conclusive[0]!.observed,
    );
  }

  // A client the server must reject.
  if (accepted) {
    return result(
      'fail',
      `a client that must be rejected was accepted: ${accepted.backend}: ${mechanism(accepted.observed)}${disagreementNote(obs, clients)}`,
      accepted.observed,
    );
  }
  if (controlProblem) return result('error', controlProblem, conclusive[0]?.observed ?? first.observed);
  if (undecided) return noVerdict(undecided);
  if (conclusive.length === 0) return inconclusive();
  const decisive = conclusive[0]!;
  const confirmed = obs.filter((o) => o.evidence === 'inconclusive-rejection');
  const confirmation =
    confirmed.length > 0
      ? `; ${confirmed.map((o) => `${o.backend}: ${o.note}`).join('; ')} (confirmed by ${decisive.backend})`
      : '';
  const alerts = alertsFor(expect, tls);
  if (strictness === 'any') {
    const outside = conclusive.find(
      (o) =>
        o.observed.outcome === 'rejected-alert' &&
        o.observed.alert &&
        !alerts.includes(o.observed.alert.name as AlertName),
    );
    const note = outside ? ` (alert not in the acceptable set ${alerts.join('|')})` : '';
    const stepNote =
      expect.step && decisive.observed.step && decisive.observed.step !== expect.step
        ? `; decided at ${decisive.observed.step}, strict servers decide at ${expect.step}`
        : '';
    return result('pass', `rejected: ${each(conclusive)}${note}${stepNote}${confirmation}`, decisive.observed);
  }
  const wanted = strictness === 'rfc' ? alerts.slice(0, 1) : alerts;
  for (const o of conclusive) {
    const seen = o.observed;
    // NOTE: --strictness judges how the TLS layer refused; a refusal made past it (issue 12: the proxy replaced the
    // forged identity) has no alert to judge.
    if (servedRefusal(o)) continue;
    if (seen.outcome !== 'rejected-alert' || !seen.alert) {
      return result(
        'fail',
        `rejected without a TLS alert (${o.backend}: ${mechanism(seen)}); --strictness ${strictness} requires ${wanted.join('|')}`,
        seen,
      );
    }
    if (!wanted.includes(seen.alert.name as AlertName)) {
      return result(
        'fail',
        `rejected with ${seen.alert.name} (${o.backend}); --strictness ${strictness} requires ${wanted.join('|')}`,
        seen,
      );
    }
    if (expect.step && seen.step !== expect.step) {
      return result(
        'fail',
        `rejected at ${seen.step ?? 'an unknown step'} (${o.backend}); --strictness ${strictness} requires the decision at ${expect.step}`,
        seen,
      );
    }
  }
  return result('pass', `rejected: ${each(conclusive)}${confirmation}`, decisive.observed);
}
