import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { FixtureSet } from '../../core/manifest.js';
import type { RunResult, ScenarioResult } from '../../core/result.js';
import { runSuite } from '../../engine/run-suite.js';
import { selectScenarios } from '../../engine/select.js';
import type { EchoRecord } from '../../services/echo-backend.js';
import { catalogue, CATALOGUE_VERSION } from '../../suites/index.js';
import { loadExpectations } from '../../targets/expectations.js';
import type { StartedTarget } from '../../targets/target.js';

/** The forged identity headers curl sends: the verification claim and another client's subject. */
export const CURL_FORGED: readonly (readonly [string, string])[] = [
  ['X-SSL-Client-Verify', 'SUCCESS'],
  ['X-SSL-Client-S-DN', 'CN=curl forged admin'],
  ['X-Client-Cert', 'curl-forged-certificate'],
  ['X-Forwarded-Client-Cert', 'Hash=curl-forged-hash'],
];

/** What curl saw through the proxy: the status, and the echo backend's record the proxy relayed (its answer). */
export interface CurlView {
  readonly nonce: string;
  /** 0 when curl got no HTTP answer (a TLS alert, a reset). */
  readonly status: number;
  /** The backend's answer as relayed, when it is one. */
  readonly relayed?: EchoRecord;
  readonly stderr: string;
}

/**
 * The independent client: curl with a fixture's certificate (or none) and forged headers, through the target's
 * proxied path to the echo backend. The body it gets back is the backend's own answer, relayed by the proxy: what
 * the application was given, seen without the harness's clients or its lookup route.
 */
export function curlThrough(
  fx: FixtureSet,
  port: number,
  fixture: string | null,
  headers: readonly (readonly [string, string])[] = CURL_FORGED,
): Promise<CurlView> {
  const nonce = `curl-${randomBytes(8).toString('hex')}`;
  const args = [
    '-sS',
    '--max-time',
    '10',
    '--cacert',
    fx.resolve(fx.manifest.trust),
    '--resolve',
    `localhost:${port}:127.0.0.1`,
    '-o',
    '-',
    '-w',
    '\n%{http_code}',
    ...headers.flatMap(([k, v]) => ['-H', `${k}: ${v}`]),
    ...(fixture ? ['--cert', fx.resolve(fx.fixture(fixture).chain), '--key', fx.resolve(fx.fixture(fixture).key)] : []),
    `https://localhost:${port}/proxied/echo/${nonce}`,
  ];
  return new Promise((resolve) => {
    execFile('curl', args, { timeout: 15_000 }, (_err, stdout, stderr) => {
      const text = String(stdout);
      const cut = text.lastIndexOf('\n');
      const status = Number(text.slice(cut + 1)) || 0;
      let relayed: EchoRecord | undefined;
      try {
        const parsed = JSON.parse(text.slice(0, cut)) as EchoRecord;
        if (parsed.nonce === nonce) relayed = parsed;
      } catch {
        // not the backend's answer (a proxy's own error page)
      }
      resolve({ nonce, status, ...(relayed ? { relayed } : {}), stderr: String(stderr) });
    });
  });
}

/** Every value of a header (any case) in a record. */
export function valuesOf(record: EchoRecord | undefined, name: string): string[] {
  return (record?.headers ?? []).filter(([n]) => n.toLowerCase() === name.toLowerCase()).map(([, v]) => v);
}

/** Runs the proxy-identity scenarios (and sanity) against started targets in proxy mode. */
export function runProxyScenarios(
  fx: FixtureSet,
  targets: readonly StartedTarget[],
  expectations: string | undefined,
): Promise<RunResult> {
  return runSuite({
    scenarios: selectScenarios(
      catalogue(),
      targets.map((t) => t.policy),
      'proxy-identity::*',
    ),
    fixtures: fx,
    targets: Object.fromEntries(targets.map((t) => [t.policy, t])),
    tls: ['1.2', '1.3'],
    strictness: 'any',
    timeoutMs: 4000,
    deviations: expectations ? loadExpectations(expectations) : [],
    catalogueVersion: CATALOGUE_VERSION,
    catalogueSize: catalogue().length,
  });
}

/** `verdict id tls: finding` of every proxy-identity result, for a readable failure message. */
export function verdicts(run: RunResult): string[] {
  return run.results
    .filter((r) => r.id.includes('::proxy-identity::'))
    .map((r) => `${r.verdict} ${r.id} ${r.tls}: ${r.finding ?? r.reason}`);
}

/** The proxy-identity results of one scenario name (every policy and TLS version). */
export function resultsOf(run: RunResult, name: string): ScenarioResult[] {
  return run.results.filter((r) => r.id.endsWith(`::proxy-identity::${name}`));
}
