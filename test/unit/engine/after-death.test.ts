import { describe, expect, it } from 'vitest';
import type { ClientObservation, Observation } from '../../../core/result.js';
import { afterDeath } from '../../../engine/run-suite.js';
import { result } from '../reports/sample.js';

const WHO = 'target nginx (require) killed by SIGKILL';
const http400: Observation = {
  outcome: 'rejected-http',
  httpStatus: 400,
  step: 'application-data',
  handshakeCompleted: true,
  protocol: 'TLSv1.2',
  probe: 'node',
};
const reset: Observation = {
  outcome: 'reset',
  step: 'client-certificate',
  handshakeCompleted: false,
  protocol: 'TLSv1.2',
  probe: 'wire',
};
const node: ClientObservation = { backend: 'node', observed: http400, evidence: 'conclusive-rejection', note: 'n' };
const wire: ClientObservation = { backend: 'wire', observed: reset, evidence: 'inconclusive-rejection', note: 'w' };

describe('after the target died during the run', () => {
  it('a pass one client saw as a reset (confirmed by the other) becomes an error naming the death', () => {
    const r = result({ id: 'require::validity::expired-intermediate', observations: [node, wire], reason: 'rejected' });
    const after = afterDeath(r, 'require', WHO);
    expect(after.verdict).toBe('error');
    expect(after.reason).toBe(
      'rejected; target nginx (require) killed by SIGKILL during the run: a reset or close in this run cannot be told from the death',
    );
    expect(after.observations).toEqual(r.observations);
  });

  it('a pass every client saw conclusively, a result of the other policy, and a non-pass stay as they are', () => {
    const conclusive = result({ id: 'require::trust::unknown-ca', observations: [node, { ...node, backend: 'wire' }] });
    expect(afterDeath(conclusive, 'require', WHO)).toBe(conclusive);
    const other = result({ id: 'optional::trust::unknown-ca', policy: 'optional', observations: [node, wire] });
    expect(afterDeath(other, 'require', WHO)).toBe(other);
    const failed = result({ id: 'require::trust::self-signed', verdict: 'xfail', observations: [node, wire] });
    expect(afterDeath(failed, 'require', WHO)).toBe(failed);
  });
});
