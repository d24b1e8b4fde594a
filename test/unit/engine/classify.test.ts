import { describe, expect, it } from 'vitest';
import type { Observation } from '../../../core/result.js';
import type { Expectation } from '../../../core/scenario.js';
import { applyDeviation, classify } from '../../../engine/classify.js';
import { globMatcher, selectScenarios } from '../../../engine/select.js';
import { catalogue } from '../../../suites/index.js';

const reject: Expectation = { decision: 'reject', alerts: ['certificate_expired', 'bad_certificate'] };
const accept: Expectation = { decision: 'accept', alerts: [] };
const obs = (o: Partial<Observation>): Observation => ({
  outcome: 'accepted',
  step: null,
  handshakeCompleted: true,
  ...o,
});
const alert = (name: 'certificate_expired' | 'bad_certificate' | 'unknown_ca', code: number) =>
  obs({ outcome: 'rejected-alert', alert: { name, code }, alertTiming: 'handshake' });

describe('classify', () => {
  it('never passes an unrelated failure or a timeout', () => {
    for (const outcome of ['error', 'timeout', 'not-run'] as const) {
      for (const expect_ of [reject, accept]) {
        expect(classify({ expect: expect_ }, '1.3', obs({ outcome }), 'any').verdict).toBe('error');
      }
    }
  });

  it('fails an accepted bad certificate and a rejected good one', () => {
    expect(classify({ expect: reject }, '1.3', obs({}), 'any').verdict).toBe('fail');
    expect(classify({ expect: accept }, '1.3', obs({ outcome: 'closed' }), 'any').verdict).toBe('fail');
    expect(classify({ expect: accept }, '1.3', obs({}), 'any').verdict).toBe('pass');
  });

  it('applies the three strictness levels', () => {
    const cases = [
      [obs({ outcome: 'closed' }), 'pass', 'fail', 'fail'],
      [obs({ outcome: 'rejected-http', httpStatus: 400 }), 'pass', 'fail', 'fail'],
      [alert('unknown_ca', 48), 'pass', 'fail', 'fail'],
      [alert('bad_certificate', 42), 'pass', 'pass', 'fail'],
      [alert('certificate_expired', 45), 'pass', 'pass', 'pass'],
    ] as const;
    for (const [o, any, alertLevel, rfc] of cases) {
      expect(classify({ expect: reject }, '1.2', o, 'any').verdict).toBe(any);
      expect(classify({ expect: reject }, '1.2', o, 'alert').verdict).toBe(alertLevel);
      expect(classify({ expect: reject }, '1.2', o, 'rfc').verdict).toBe(rfc);
    }
  });

  it('uses per-version alerts', () => {
    const e: Expectation = { ...reject, alertsByTls: { '1.3': ['bad_certificate'] } };
    expect(classify({ expect: e }, '1.3', alert('bad_certificate', 42), 'rfc').verdict).toBe('pass');
    expect(classify({ expect: e }, '1.2', alert('bad_certificate', 42), 'rfc').verdict).toBe('fail');
  });

  it('passes either decision where the RFC permits both, but not an error', () => {
    const e: Expectation = { ...reject, eitherDecision: true };
    expect(classify({ expect: e }, '1.3', obs({}), 'rfc').verdict).toBe('pass');
    expect(classify({ expect: e }, '1.3', obs({ outcome: 'closed' }), 'rfc').verdict).toBe('pass');
    expect(classify({ expect: e }, '1.3', obs({ outcome: 'timeout' }), 'any').verdict).toBe('error');
  });

  it('turns fail into xfail and pass into xpass for a known deviation', () => {
    const d = { pattern: '*', status: 'xfail' as const, reason: 'known' };
    expect(applyDeviation('fail', 'r', d).verdict).toBe('xfail');
    expect(applyDeviation('pass', 'r', d).verdict).toBe('xpass');
    expect(applyDeviation('error', 'r', d).verdict).toBe('error');
    expect(applyDeviation('fail', 'r', { ...d, status: 'skip' }).verdict).toBe('skip');
  });
});

describe('selection', () => {
  it('matches globs with or without the policy prefix and keeps sanity', () => {
    expect(globMatcher('a::*,b::c')('a::x')).toBe(true);
    expect(globMatcher('a::*,b::c')('b::c')).toBe(true);
    expect(globMatcher('a::*')('ab::x')).toBe(false);
    const picked = selectScenarios(catalogue(), ['require'], 'trust::*');
    expect(picked.map((s) => s.id)).toEqual([
      'require::sanity::valid',
      'require::trust::unknown-ca',
      'require::trust::self-signed',
    ]);
  });
});
