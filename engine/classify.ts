import type { AlertName } from '../core/alerts.js';
import type { Observation, Verdict } from '../core/result.js';
import type { Expectation, TlsVersion } from '../core/scenario.js';

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
