/**
 * What one observation proves. A verdict rests on evidence that would have been different had the server behaved
 * differently: an application-data round trip proves acceptance; a fatal alert or a rejecting HTTP status after the
 * client presented the defect proves rejection; a close or a reset proves nothing by itself (a server that drops
 * connections looks the same) and must be confirmed by another client; a refusal before the defect was presented
 * is not a decision about it.
 */
import type { AlertName } from '../core/alerts.js';
import type { Backend, ClientObservation, Observation } from '../core/result.js';
import { stepIndex, type HandshakeStep, type Scenario, type TlsVersion } from '../core/scenario.js';
import { findMutation } from '../wire/index.js';
import { mechanism } from './classify.js';

/**
 * Alerts that are not a server's decision about the client: its own failure (internal_error), the end of a
 * connection (user_canceled), a version or name problem, a record-layer failure. They answer the hellos or the
 * transport, not the certificate.
 */
const NON_DECISION_ALERTS: ReadonlySet<AlertName | 'unknown'> = new Set<AlertName | 'unknown'>([
  'internal_error',
  'user_canceled',
  'protocol_version',
  'inappropriate_fallback',
  'unrecognized_name',
  'no_application_protocol',
  'record_overflow',
  'bad_record_mac',
  'unknown',
]);

/**
 * The step at which a scenario presents its defect: the altered message of a wire mutation, else the step the
 * scenario declares (its CertificateVerify for a foreign key), else the client Certificate.
 */
export function defectStep(scenario: Pick<Scenario, 'wire' | 'expect'>): HandshakeStep {
  const mutation = scenario.wire?.mutation ? findMutation(scenario.wire.mutation) : undefined;
  return mutation?.step ?? scenario.expect.step ?? 'client-certificate';
}

/** Why a close or a reset cannot be counted as a refusal, in words. */
function whyInconclusive(obs: Observation, tls: TlsVersion): string {
  const how = obs.outcome === 'reset' ? 'reset' : 'closed';
  const t = obs.transport;
  if (t && t.serverRecords === 0) return `${how} before the server sent a complete TLS record`;
  if (t?.truncatedRecord) return `${how} after a truncated record from the server`;
  if (tls === '1.2' && obs.handshakeCompleted && !obs.alert) {
    // NOTE: RFC 5246 §7.4.6/§7.4.9 — a TLS 1.2 server judges the client's Certificate before it sends its Finished;
    // a close after a completed handshake is not that decision.
    return `${how} after a completed TLS 1.2 handshake without an alert (a TLS 1.2 server decides before its Finished)`;
  }
  return `${how} without an alert: a server that drops connections looks the same`;
}

/**
 * Assesses one observation of a scenario whose defect is presented at `defect`. The result says what the observation
 * proves and why.
 */
export function assess(backend: Backend, obs: Observation, defect: HandshakeStep, tls: TlsVersion): ClientObservation {
  const how = mechanism(obs);
  const of = (evidence: ClientObservation['evidence'], note: string): ClientObservation => ({
    backend,
    observed: obs,
    evidence,
    note,
  });
  switch (obs.outcome) {
    case 'accepted':
      return of('acceptance', `${how}: application data came back`);
    case 'error':
    case 'timeout':
    case 'not-run':
      return of('no-decision', how);
    default:
      break;
  }
  if (obs.transport && !obs.transport.clientFlightSent) {
    return of('early-rejection', `${how} before the client's certificate flight was sent: not a decision about it`);
  }
  if (obs.step && stepIndex(obs.step) < stepIndex(defect)) {
    return of('early-rejection', `${how}, decided at ${obs.step}: before the defect, presented at ${defect}`);
  }
  if (obs.outcome === 'rejected-http') return of('conclusive-rejection', `${how}: the server answered a refusal`);
  if (obs.outcome === 'rejected-alert') {
    const name = obs.alert?.name ?? 'unknown';
    if (NON_DECISION_ALERTS.has(name))
      return of('inconclusive-rejection', `${how}: ${name} is not a decision about the client certificate`);
    return of('conclusive-rejection', `${how}: a fatal alert from the server`);
  }
  return of('inconclusive-rejection', whyInconclusive(obs, tls));
}
