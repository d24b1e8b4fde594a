import { describe, expect, it } from 'vitest';
import type { ClientObservation, Observation } from '../../../core/result.js';
import type { Feature } from '../../../core/scenario.js';
import { policyFindingOf } from '../../../engine/policy-finding.js';

const words = { rejected: 'hard-fail: refused', accepted: 'soft-fail: accepted' };
const scenario = { policyFinding: words, requires: ['ocsp'] as readonly Feature[] };
const seen = (outcome: Observation['outcome'], evidence: ClientObservation['evidence']): ClientObservation => ({
  backend: 'node',
  observed: { outcome, step: null, handshakeCompleted: outcome === 'accepted' },
  evidence,
  note: '',
});
const checks = { name: 'x', capabilities: new Set<Feature>(['ocsp']), unchecked: new Set<Feature>() };

describe('policyFindingOf (issue 13: the observed policy in words)', () => {
  it('says the policy the decision shows', () => {
    expect(policyFindingOf(scenario, 'pass', [seen('rejected-http', 'conclusive-rejection')], checks, 5000)).toBe(
      words.rejected,
    );
    expect(policyFindingOf(scenario, 'fail', [seen('accepted', 'acceptance')], checks, 5000)).toBe(words.accepted);
    // A known deviation does not change what was seen.
    expect(policyFindingOf(scenario, 'xfail', [seen('accepted', 'acceptance')], checks, 5000)).toBe(words.accepted);
  });

  it('an acceptance by a product that makes no such check is no policy', () => {
    const none = { name: 'haproxy', capabilities: new Set<Feature>(['crl']), unchecked: new Set<Feature>(['ocsp']) };
    expect(policyFindingOf(scenario, 'fail', [seen('accepted', 'acceptance')], none, 5000)).toBe(
      'no check: accepted the client; haproxy makes no ocsp check at all',
    );
  });

  it('a server that did not decide within the probe timeout is undecided; an unjudged refusal says nothing', () => {
    expect(policyFindingOf(scenario, 'error', [seen('timeout', 'no-decision')], checks, 4000)).toBe(
      'undecided: the server did not decide within the probe timeout (4000 ms)',
    );
    expect(policyFindingOf(scenario, 'error', [seen('closed', 'inconclusive-rejection')], checks, 4000)).toBe(
      undefined,
    );
    expect(policyFindingOf({ requires: [] }, 'pass', [seen('rejected-http', 'conclusive-rejection')], checks, 1)).toBe(
      undefined,
    );
  });
});
