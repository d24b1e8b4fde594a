import { describe, expect, it } from 'vitest';
import type { Backend, ClientObservation, ControlResult, Observation, Verdict } from '../../../core/result.js';
import type { Expectation, TlsVersion } from '../../../core/scenario.js';
import { applyDeviation } from '../../../engine/classify.js';
import { assess, defectStep } from '../../../engine/evidence.js';
import { isGating } from '../../../core/gate.js';
import { globMatcher, selectScenarios } from '../../../engine/select.js';
import { judge } from '../../../engine/verdict.js';
import { catalogue } from '../../../suites/index.js';

const reject: Expectation = {
  decision: 'reject',
  alerts: ['certificate_expired', 'bad_certificate'],
  step: 'client-certificate',
};
const accept: Expectation = { decision: 'accept', alerts: [] };
const either: Expectation = { ...reject, eitherDecision: true };
const afterFlight = { serverRecords: 8, truncatedRecord: false, clientFlightSent: true };

const obs = (o: Partial<Observation>): Observation => ({
  outcome: 'accepted',
  step: 'application-data',
  handshakeCompleted: true,
  transport: afterFlight,
  ...o,
});
const alert = (name: 'certificate_expired' | 'bad_certificate' | 'unknown_ca' | 'internal_error', code: number) =>
  obs({
    outcome: 'rejected-alert',
    alert: { name, code },
    alertTiming: 'handshake',
    step: 'client-certificate',
    handshakeCompleted: false,
  });
const closed = (o: Partial<Observation> = {}) =>
  obs({ outcome: 'closed', step: 'client-certificate', handshakeCompleted: false, ...o });
const http = (status: number) => obs({ outcome: 'rejected-http', httpStatus: status });

const seen = (backend: Backend, o: Observation, tls: TlsVersion = '1.3'): ClientObservation =>
  assess(backend, o, 'client-certificate', tls);
const control = (backend: Backend, accepted: boolean): ControlResult => ({
  id: `control:require:${backend}:1.3:http:localhost:none:valid`,
  policy: 'require',
  backend,
  tls: '1.3',
  probe: 'http',
  servername: 'localhost',
  family: 'none',
  fixture: 'valid',
  observed: accepted ? obs({}) : http(403),
  accepted,
  duration: 3,
});
const verdictOf = (
  expect_: Expectation,
  observations: ClientObservation[],
  controls: ControlResult[] = observations.map((o) => control(o.backend, true)),
  strictness: 'any' | 'alert' | 'rfc' = 'any',
  tls: TlsVersion = '1.3',
): Verdict => judge({ expect: expect_ }, tls, { observations, controls }, strictness).verdict;

describe('assess: what one observation proves', () => {
  it('an application-data round trip proves acceptance; an alert or an HTTP refusal after the flight proves rejection', () => {
    expect(seen('node', obs({})).evidence).toBe('acceptance');
    expect(seen('node', alert('certificate_expired', 45)).evidence).toBe('conclusive-rejection');
    expect(seen('wire', http(495)).evidence).toBe('conclusive-rejection');
  });

  it('a close or a reset proves nothing by itself, and says why', () => {
    const plain = seen('node', closed());
    expect(plain.evidence).toBe('inconclusive-rejection');
    expect(plain.note).toMatch(/drops connections/);
    expect(seen('node', closed({ transport: { ...afterFlight, serverRecords: 0 } })).note).toMatch(
      /before the server sent a complete TLS record/,
    );
    expect(
      seen('wire', closed({ outcome: 'reset', transport: { ...afterFlight, truncatedRecord: true } })).note,
    ).toMatch(/truncated record/);
    const tls12 = seen('node', closed({ handshakeCompleted: true }), '1.2');
    expect(tls12.evidence).toBe('inconclusive-rejection');
    expect(tls12.note).toMatch(/completed TLS 1\.2 handshake/);
  });

  it('a refusal before the certificate flight left, or at a step before the defect, is not a decision about it', () => {
    const early = alert('unknown_ca', 48);
    expect(seen('node', { ...early, transport: { ...afterFlight, clientFlightSent: false } }).evidence).toBe(
      'early-rejection',
    );
    expect(seen('wire', { ...early, step: 'client-hello' }).evidence).toBe('early-rejection');
    expect(assess('wire', alert('bad_certificate', 42), 'certificate-verify', '1.3').evidence).toBe('early-rejection');
    expect(assess('wire', alert('bad_certificate', 42), 'client-certificate', '1.3').evidence).toBe(
      'conclusive-rejection',
    );
  });

  it("a server's own failure is no decision about the certificate; an unrelated error or a timeout is none at all", () => {
    expect(seen('node', alert('internal_error', 80)).evidence).toBe('inconclusive-rejection');
    expect(seen('node', obs({ outcome: 'timeout', step: null })).evidence).toBe('no-decision');
    expect(seen('node', obs({ outcome: 'error', step: null, error: { kind: 'refused', message: 'x' } })).evidence).toBe(
      'no-decision',
    );
  });

  it('takes the defect step from the mutation, then the declared step', () => {
    expect(defectStep({ wire: { mutation: 'cv-bitflip' }, expect: reject })).toBe('certificate-verify');
    expect(defectStep({ expect: { ...reject, step: 'certificate-verify' } })).toBe('certificate-verify');
    expect(defectStep({ expect: accept })).toBe('client-certificate');
  });
});

describe('judge: a scenario the server must reject', () => {
  it('fails when any client was accepted, and says the clients disagree', () => {
    const j = judge(
      { expect: reject },
      '1.3',
      {
        observations: [seen('node', alert('certificate_expired', 45)), seen('wire', obs({}))],
        controls: [control('node', true), control('wire', true)],
      },
      'any',
    );
    expect(j.verdict).toBe('fail');
    expect(j.clients).toBe('disagree');
    expect(j.reason).toMatch(/wire: accepted/);
    expect(j.observed.outcome).toBe('accepted');
  });

  it('fails on an acceptance even when the control was refused: the round trip is proof on its own', () => {
    expect(verdictOf(reject, [seen('node', obs({}))], [control('node', false)])).toBe('fail');
  });

  it('is an error when the control of the path was refused', () => {
    const j = judge(
      { expect: reject },
      '1.3',
      { observations: [seen('wire', alert('bad_certificate', 42))], controls: [control('wire', false)] },
      'any',
    );
    expect(j.verdict).toBe('error');
    expect(j.reason).toMatch(/^control refused/);
  });

  it('never passes on closes and resets alone, but passes a close confirmed by the other client', () => {
    expect(verdictOf(reject, [seen('node', closed()), seen('wire', closed({ outcome: 'reset' }))])).toBe('error');
    expect(verdictOf(reject, [seen('node', closed())])).toBe('error');
    expect(verdictOf(reject, [seen('node', closed()), seen('wire', alert('bad_certificate', 42))])).toBe('pass');
  });

  it('is an error when a client saw no decision or a refusal before the defect', () => {
    const timeout = seen('node', obs({ outcome: 'timeout', step: null }));
    expect(verdictOf(reject, [timeout, seen('wire', alert('bad_certificate', 42))])).toBe('error');
    const early = seen('node', { ...alert('unknown_ca', 48), transport: { ...afterFlight, clientFlightSent: false } });
    expect(verdictOf(reject, [early, seen('wire', alert('bad_certificate', 42))])).toBe('error');
  });

  it('applies the three strictness levels, the declared step included', () => {
    const cases = [
      [http(400), 'pass', 'fail', 'fail'],
      [alert('unknown_ca', 48), 'pass', 'fail', 'fail'],
      [alert('bad_certificate', 42), 'pass', 'pass', 'fail'],
      [alert('certificate_expired', 45), 'pass', 'pass', 'pass'],
      [{ ...alert('certificate_expired', 45), step: 'client-finished' as const }, 'pass', 'fail', 'fail'],
    ] as const;
    for (const [o, any, alertLevel, rfc] of cases) {
      const list = () => [seen('node', o, '1.2')];
      expect(verdictOf(reject, list(), undefined, 'any', '1.2')).toBe(any);
      expect(verdictOf(reject, list(), undefined, 'alert', '1.2')).toBe(alertLevel);
      expect(verdictOf(reject, list(), undefined, 'rfc', '1.2')).toBe(rfc);
    }
  });

  it('uses per-version alerts', () => {
    const e: Expectation = { ...reject, alertsByTls: { '1.3': ['bad_certificate'] } };
    expect(verdictOf(e, [seen('node', alert('bad_certificate', 42))], undefined, 'rfc', '1.3')).toBe('pass');
    expect(verdictOf(e, [seen('node', alert('bad_certificate', 42), '1.2')], undefined, 'rfc', '1.2')).toBe('fail');
  });
});

describe('judge: acceptance and either decision', () => {
  it('passes an accepted valid client; fails a conclusive refusal on a working path; errors on a close', () => {
    expect(verdictOf(accept, [seen('node', obs({})), seen('wire', obs({}))])).toBe('pass');
    expect(verdictOf(accept, [seen('node', obs({})), seen('wire', http(403))])).toBe('fail');
    expect(verdictOf(accept, [seen('node', http(403))], [control('node', false)])).toBe('error');
    expect(verdictOf(accept, [seen('node', closed())])).toBe('error');
  });

  it('passes either conclusive decision where the RFC permits both, but not a close or an error', () => {
    expect(verdictOf(either, [seen('node', obs({}))])).toBe('pass');
    expect(verdictOf(either, [seen('node', alert('bad_certificate', 42))])).toBe('pass');
    expect(verdictOf(either, [seen('node', closed())])).toBe('error');
    expect(verdictOf(either, [seen('node', obs({ outcome: 'timeout', step: null }))])).toBe('error');
  });
});

describe('judge: a bounded-time scenario (issue 13)', () => {
  const bounded: Expectation = { ...reject, boundedTime: true };
  const boundedEither: Expectation = { ...either, boundedTime: true };
  const late = (backend: Backend) =>
    seen(backend, obs({ outcome: 'timeout', step: null, detail: 'no decision within 4000 ms' }));
  const judged = (e: Expectation, observations: ClientObservation[], controls?: ControlResult[]) =>
    judge(
      { expect: e },
      '1.3',
      { observations, controls: controls ?? observations.map((o) => control(o.backend, true)) },
      'any',
    );

  it('fails, and says so, when a client got no answer within the probe timeout while the control was answered', () => {
    const j = judged(bounded, [late('node'), seen('wire', alert('unknown_ca', 48))]);
    expect(j.verdict).toBe('fail');
    expect(j.reason).toMatch(
      /no answer within the probe timeout \(bounded-time check\): node: no decision within 4000 ms/,
    );
    expect(judged(boundedEither, [late('wire')]).verdict).toBe('fail');
    // The same observations without the bounded-time mark are no verdict at all.
    expect(verdictOf(reject, [late('node'), seen('wire', alert('unknown_ca', 48))])).toBe('error');
  });

  it('is an error when the control of the path was not answered either: a mute server proves nothing', () => {
    expect(judged(bounded, [late('node')], [control('node', false)]).verdict).toBe('error');
  });

  it('says that the answer came in time when the decision passes, and judges the decision as usual', () => {
    const pass = judged(bounded, [seen('node', alert('unknown_ca', 48)), seen('wire', alert('unknown_ca', 48))]);
    expect(pass.verdict).toBe('pass');
    expect(pass.reason).toMatch(/answered within the probe timeout/);
    expect(judged(bounded, [seen('node', obs({}))]).verdict).toBe('fail');
    expect(judged(boundedEither, [seen('node', obs({}))]).reason).toMatch(/answered within the probe timeout/);
  });

  it('where either decision conforms, any answer after the flight is in time, but not a refusal before it', () => {
    const internal = judged(boundedEither, [seen('node', alert('internal_error', 80)), seen('wire', closed())]);
    expect(internal.verdict).toBe('pass');
    expect(internal.reason).toMatch(/internal_error.*answered within the probe timeout/);
    const early = seen('node', closed({ transport: { ...afterFlight, clientFlightSent: false } }));
    expect(judged(boundedEither, [early]).verdict).toBe('error');
    // Without the bounded-time mark the same internal_error is no decision.
    expect(verdictOf(either, [seen('node', alert('internal_error', 80))])).toBe('error');
  });
});

describe('gate and deviations', () => {
  it('gates on security failures and unexpected passes; protocol failures only under --strict', () => {
    expect(isGating({ verdict: 'fail', severity: 'security' }, false)).toBe(true);
    expect(isGating({ verdict: 'fail', severity: 'protocol' }, false)).toBe(false);
    expect(isGating({ verdict: 'fail', severity: 'protocol' }, true)).toBe(true);
    expect(isGating({ verdict: 'xpass', severity: 'protocol' }, false)).toBe(true);
    expect(isGating({ verdict: 'error', severity: 'security' }, false)).toBe(false);
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
