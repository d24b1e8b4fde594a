import type { AlertName } from '../core/alerts.js';
import { REJECTION_OUTCOMES, type Observation, type Strictness, type Verdict } from '../core/result.js';
import type { Expectation, Scenario, TlsVersion } from '../core/scenario.js';

/** A known deviation of one target: scenario-id glob → skip (unsupported) or xfail (known bug), with a reason. */
export interface Deviation {
  readonly pattern: string;
  readonly status: 'skip' | 'xfail';
  readonly reason: string;
  /** Limit to one TLS version. */
  readonly tls?: TlsVersion;
}

/** The acceptable alerts for this TLS version. */
export function alertsFor(expect: Expectation, tls: TlsVersion): readonly AlertName[] {
  return expect.alertsByTls?.[tls] ?? expect.alerts;
}

/** A human description of how the server decided. */
export function mechanism(obs: Observation): string {
  switch (obs.outcome) {
    case 'accepted':
      return obs.httpStatus ? `accepted (HTTP ${obs.httpStatus})` : 'accepted';
    case 'rejected-alert':
      return `alert ${obs.alert?.name ?? '?'}(${obs.alert?.code ?? '?'}) ${obs.alertTiming === 'post-handshake' ? 'after' : 'during'} the handshake`;
    case 'rejected-http':
      return `HTTP ${obs.httpStatus ?? '?'} after the handshake`;
    case 'closed':
      return `closed without an alert${obs.handshakeCompleted ? ' after the handshake' : ''}`;
    case 'reset':
      return 'connection reset';
    case 'timeout':
      return 'timed out';
    case 'error':
      return `${obs.error?.kind ?? 'error'}: ${obs.error?.message ?? ''}`;
    case 'not-run':
      return 'not run';
  }
}

/**
 * Judges one observation against a scenario's expectation. A failure unrelated to the client certificate (error,
 * timeout) is never a pass: a dead, hanging or non-TLS target yields `error`.
 */
export function classify(
  scenario: Pick<Scenario, 'expect'>,
  tls: TlsVersion,
  obs: Observation,
  strictness: Strictness,
): { verdict: Verdict; reason: string } {
  const how = mechanism(obs);
  if (obs.outcome === 'error' || obs.outcome === 'timeout' || obs.outcome === 'not-run') {
    return { verdict: 'error', reason: `no verdict possible: ${how}` };
  }
  const rejected = REJECTION_OUTCOMES.includes(obs.outcome);
  const expect = scenario.expect;
  if (expect.eitherDecision) {
    return { verdict: 'pass', reason: `${how}; the RFC permits either decision` };
  }
  if (expect.decision === 'accept') {
    return rejected
      ? { verdict: 'fail', reason: `a client that must be accepted was rejected: ${how}` }
      : { verdict: 'pass', reason: how };
  }
  if (!rejected) return { verdict: 'fail', reason: `a client that must be rejected was ${how}` };
  const alerts = alertsFor(expect, tls);
  if (strictness === 'any') {
    const note =
      obs.outcome === 'rejected-alert' && obs.alert && !alerts.includes(obs.alert.name as AlertName)
        ? ` (alert not in the acceptable set ${alerts.join('|')})`
        : '';
    return { verdict: 'pass', reason: `rejected: ${how}${note}` };
  }
  if (obs.outcome !== 'rejected-alert' || !obs.alert) {
    return {
      verdict: 'fail',
      reason: `rejected without a TLS alert (${how}); --strictness ${strictness} requires ${alerts.join('|')}`,
    };
  }
  const wanted = strictness === 'rfc' ? alerts.slice(0, 1) : alerts;
  if (!wanted.includes(obs.alert.name as AlertName)) {
    return {
      verdict: 'fail',
      reason: `rejected with ${obs.alert.name}; --strictness ${strictness} requires ${wanted.join('|')}`,
    };
  }
  return { verdict: 'pass', reason: `rejected: ${how}` };
}

/** Applies a target's known deviations: xfail turns fail into xfail and pass into xpass (which fails the gate). */
export function applyDeviation(
  verdict: Verdict,
  reason: string,
  deviation: Deviation | undefined,
): { verdict: Verdict; reason: string } {
  if (!deviation || verdict === 'error' || verdict === 'skip') return { verdict, reason };
  if (deviation.status === 'skip') return { verdict: 'skip', reason: `known deviation: ${deviation.reason}` };
  if (verdict === 'fail') return { verdict: 'xfail', reason: `${reason} — expected failure: ${deviation.reason}` };
  if (verdict === 'pass')
    return { verdict: 'xpass', reason: `unexpected pass of a known deviation (${deviation.reason}): ${reason}` };
  return { verdict, reason };
}
