import type { Observation, RunResult, ScenarioResult, Verdict } from '../../../core/result.js';
import { coverageOf } from '../../../engine/coverage.js';
import { isGating, isWarning } from '../../../core/gate.js';

/** Text with every character that needs escaping somewhere, and a BEL control character. */
export const NASTY = `<b>"Tom & Jerry's"</b>\u0007 | *x* [y](z)`;

const accepted: Observation = {
  outcome: 'accepted',
  step: 'application-data',
  handshakeCompleted: true,
  protocol: 'TLSv1.3',
  probe: 'node',
};

/** A result with sensible defaults: a passing rejection on TLS 1.3. */
export function result(overrides: Partial<ScenarioResult> & Pick<ScenarioResult, 'id'>): ScenarioResult {
  const observed = overrides.observed ?? {
    outcome: 'rejected-alert',
    alert: { name: 'certificate_expired', code: 45 },
    alertTiming: 'handshake',
    step: 'client-certificate',
    handshakeCompleted: false,
    probe: 'node',
  };
  return {
    title: `Title of ${overrides.id}`,
    severity: 'security',
    observations:
      observed.outcome === 'not-run'
        ? []
        : [
            {
              backend: 'node',
              observed,
              evidence: observed.outcome === 'accepted' ? 'acceptance' : 'conclusive-rejection',
              note: 'sample',
            },
          ],
    controls: [],
    clients: 'single',
    tls: '1.3',
    policy: 'require',
    fixture: 'ecdsa-p256/client',
    expected: { decision: 'reject', alerts: ['certificate_expired', 'bad_certificate'], step: 'client-certificate' },
    observed: {
      outcome: 'rejected-alert',
      alert: { name: 'certificate_expired', code: 45 },
      alertTiming: 'handshake',
      step: 'client-certificate',
      handshakeCompleted: false,
      probe: 'node',
    },
    verdict: 'pass',
    reason: 'rejected with an acceptable alert',
    duration: 12.5,
    ...overrides,
  };
}

/** Every verdict on both TLS versions, plus an `optional`-policy scenario and text that needs escaping. */
export const SAMPLE_RESULTS: readonly ScenarioResult[] = [
  result({
    id: 'sanity::valid-client-accepted',
    tls: '1.2',
    expected: { decision: 'accept', alerts: [] },
    observed: { ...accepted, protocol: 'TLSv1.2' },
    reason: 'application data round trip succeeded',
    duration: 8,
  }),
  result({
    id: 'sanity::valid-client-accepted',
    expected: { decision: 'accept', alerts: [] },
    observed: accepted,
    reason: 'application data round trip succeeded',
    duration: 6.25,
  }),
  result({ id: 'rfc5280::validity::expired-leaf', tls: '1.2', duration: 15 }),
  result({
    id: 'rfc5280::validity::expired-leaf',
    title: NASTY,
    observed: accepted,
    verdict: 'fail',
    reason: `server accepted an expired client certificate ${NASTY}`,
    duration: 21,
  }),
  result({
    id: 'rfc8446::empty-certificate::no-certificate',
    tls: '1.2',
    fixture: null,
    expected: { decision: 'reject', alerts: ['handshake_failure', 'certificate_required'] },
    observed: {
      outcome: 'rejected-alert',
      alert: { name: 'handshake_failure', code: 40 },
      step: 'client-certificate',
      handshakeCompleted: false,
    },
    duration: 5,
  }),
  result({
    id: 'rfc8446::empty-certificate::no-certificate',
    fixture: null,
    expected: { decision: 'reject', alerts: ['certificate_required'] },
    observed: { outcome: 'closed', step: 'post-handshake', handshakeCompleted: true },
    reason: 'closed without an alert (allowed by strictness any)',
    duration: 30,
  }),
  result({
    id: 'revocation::crl::revoked-leaf',
    tls: '1.2',
    observed: { outcome: 'not-run', step: null, handshakeCompleted: false },
    verdict: 'skip',
    reason: "target lacks feature 'crl'",
    duration: 0,
  }),
  result({
    id: 'revocation::crl::revoked-leaf',
    observed: { outcome: 'not-run', step: null, handshakeCompleted: false },
    verdict: 'skip',
    reason: "target lacks feature 'crl'",
    duration: 0,
  }),
  result({
    id: 'chain::missing-intermediate',
    tls: '1.2',
    observed: {
      outcome: 'error',
      step: 'tcp-connect',
      handshakeCompleted: false,
      error: { kind: 'refused', message: 'connect ECONNREFUSED 127.0.0.1:8443' },
      detail: 'ECONNREFUSED',
    },
    verdict: 'error',
    reason: 'the target refused the connection',
    duration: 2,
  }),
  result({
    id: 'chain::missing-intermediate',
    observed: accepted,
    verdict: 'xfail',
    reason: 'known deviation: builds the chain from its own store',
    duration: 9,
  }),
  result({
    id: 'rfc5280::eku::server-auth-only',
    tls: '1.2',
    expected: { decision: 'reject', alerts: ['unsupported_certificate'] },
    observed: {
      outcome: 'rejected-http',
      httpStatus: 403,
      step: 'application-data',
      handshakeCompleted: true,
      probe: 'http',
    },
    duration: 40,
  }),
  result({
    id: 'rfc5280::eku::server-auth-only',
    expected: { decision: 'reject', alerts: ['unsupported_certificate'] },
    observed: {
      outcome: 'rejected-alert',
      alert: { name: 'unsupported_certificate', code: 43 },
      step: 'client-certificate',
      handshakeCompleted: false,
    },
    verdict: 'xpass',
    reason: 'expected to fail (xfail) but passed',
    duration: 11,
  }),
  result({
    id: 'rfc8446::certificate-request::optional-no-cert',
    policy: 'optional',
    fixture: null,
    expected: { decision: 'accept', alerts: [] },
    observed: accepted,
    reason: 'application data round trip succeeded',
    duration: 7,
  }),
];

/** Counts verdicts the way the engine does. */
export function summarise(results: readonly ScenarioResult[]): RunResult['summary'] {
  const summary: Record<Verdict, number> = { pass: 0, fail: 0, skip: 0, error: 0, xfail: 0, xpass: 0 };
  let gating = 0;
  let warnings = 0;
  for (const r of results) {
    summary[r.verdict] += 1;
    if (isGating(r, false)) gating++;
    else if (isWarning(r, { strict: false, mode: 'all' })) warnings++;
  }
  return { ...summary, total: results.length, gating, warnings };
}

/** A whole run around some results; conformant is derived from them unless overridden. */
export function sampleRun(overrides: Partial<RunResult> = {}): RunResult {
  const results = overrides.results ?? SAMPLE_RESULTS;
  const summary = summarise(results);
  return {
    schemaVersion: 2,
    tool: { name: 'mtls-harness', version: '0.1.0' },
    catalogue: { version: 3, scenarios: 7 },
    target: { name: 'nginx', endpoint: '127.0.0.1:8443', version: '1.25.3', probe: 'raw' },
    policy: 'require',
    clock: '2025-01-01T00:00:00.000Z',
    strictness: 'any',
    startedAt: '2025-06-01T12:00:00.000Z',
    duration: 3210,
    results,
    controls: [],
    coverage: coverageOf(results, []),
    gate: { strict: false, mode: 'all' },
    summary,
    conformant: summary.gating + summary.error === 0,
    interrupted: false,
    ...overrides,
  };
}

/** The sample's results that make a run non-conformant. */
export function failing(run: RunResult): ScenarioResult[] {
  return run.results.filter((r) => r.verdict === 'fail' || r.verdict === 'xpass' || r.verdict === 'error');
}

/** A conformant run: only pass, skip and xfail. */
export function conformantRun(): RunResult {
  return sampleRun({ results: SAMPLE_RESULTS.filter((r) => !['fail', 'xpass', 'error'].includes(r.verdict)) });
}

/** A run that was aborted by a harness error. */
export function erroredRun(): RunResult {
  return sampleRun({
    results: SAMPLE_RESULTS.slice(0, 1),
    conformant: false,
    error: { code: 'MTLS_ERR_SANITY', message: `sanity scenario failed: ${NASTY}` },
  });
}

/** The sample run compared against a baseline: one new failure, one fix. */
export function baselineRun(): RunResult {
  const results = SAMPLE_RESULTS.map((r): ScenarioResult => {
    if (r.verdict === 'fail') return { ...r, change: 'new-failure' };
    if (r.id === 'rfc5280::validity::expired-leaf' && r.tls === '1.2') return { ...r, change: 'fixed' };
    return { ...r, change: 'unchanged' };
  });
  return sampleRun({ results, baseline: { file: 'baseline/results.json', newFailures: 1, fixed: 1 } });
}
