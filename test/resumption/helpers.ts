/**
 * Helpers of the resumption tests (issue 12): runs of the resumption topic, and the independent client — `openssl
 * s_client` making a session with `-sess_out` and offering it with `-sess_in`, which says whether the server reused
 * it (`Reused,` / `New,`) and what the server answered.
 */
import { execFile } from 'node:child_process';
import type { FixtureSet } from '../../core/manifest.js';
import type { RunResult, ScenarioResult } from '../../core/result.js';
import type { TlsVersion } from '../../core/scenario.js';
import { runSuite } from '../../engine/run-suite.js';
import { selectScenarios } from '../../engine/select.js';
import { catalogue, CATALOGUE_VERSION } from '../../suites/index.js';
import { loadExpectations } from '../../targets/expectations.js';
import type { Endpoint, StartedTarget } from '../../targets/target.js';
import { identityArgs } from '../helpers/s-client.js';

/** The mechanisms of the topic, in catalogue order, with their TLS version. */
export const MECHANISMS = [
  { name: 'session-id', tls: '1.2' },
  { name: 'ticket', tls: '1.2' },
  { name: 'psk', tls: '1.3' },
] as const;

/** Runs the resumption topic (and the sanity scenario) against one started `require` target. */
export function runResumption(
  fx: FixtureSet,
  target: StartedTarget,
  options: { tls?: readonly TlsVersion[]; deviations?: string; suite?: string } = {},
): Promise<RunResult> {
  return runSuite({
    scenarios: selectScenarios(catalogue(), [target.policy], options.suite ?? 'resumption::*'),
    fixtures: fx,
    targets: { [target.policy]: target },
    tls: options.tls ?? ['1.2', '1.3'],
    strictness: 'any',
    timeoutMs: 4000,
    concurrency: 4,
    deviations: options.deviations ? loadExpectations(options.deviations) : [],
    catalogueVersion: CATALOGUE_VERSION,
    catalogueSize: catalogue().length,
  });
}

/** The result of one resumption scenario: `ticket::resume-cross-sni`. */
export function result(run: RunResult, name: string): ScenarioResult {
  const r = run.results.find((x) => x.id === `require::resumption::${name}`);
  if (!r) throw new Error(`no result for ${name}: ${run.results.map((x) => x.id).join(', ')}`);
  return r;
}

/** What one `openssl s_client` connection saw. */
export interface ResumeView {
  /** `Reused,` (true) or `New,` (false) in its session summary; undefined when it printed neither. */
  readonly reused?: boolean;
  readonly http?: number;
  readonly alert?: number;
  readonly out: string;
}

/**
 * One `openssl s_client` connection to `at` asking for `/`: with `sessOut` it saves the session, with `sessIn` it
 * offers one; `noTicket` offers no ticket (TLS 1.2 session ID resumption).
 */
export function sClientSession(
  fx: FixtureSet,
  at: Endpoint,
  options: {
    readonly tls: TlsVersion;
    readonly servername: string;
    readonly fixture?: string | null;
    /** A certificate issued at run time, as files: leaf, key, and the intermediate after it. */
    readonly files?: { readonly cert: string; readonly key: string; readonly chain: string };
    readonly sessOut?: string;
    readonly sessIn?: string;
    readonly noTicket?: boolean;
    readonly scratch: string;
  },
): Promise<ResumeView> {
  const args = [
    's_client',
    '-connect',
    `${at.host}:${at.port}`,
    '-servername',
    options.servername,
    '-CAfile',
    fx.resolve(fx.manifest.trust),
    '-verify_return_error',
    options.tls === '1.3' ? '-tls1_3' : '-tls1_2',
    '-ign_eof',
    ...(options.noTicket ? ['-no_ticket'] : []),
    ...(options.sessOut ? ['-sess_out', options.sessOut] : []),
    ...(options.sessIn ? ['-sess_in', options.sessIn] : []),
  ];
  if (options.files)
    args.push('-cert', options.files.cert, '-key', options.files.key, '-cert_chain', options.files.chain);
  if (options.fixture) args.push(...identityArgs(fx, options.fixture, options.scratch));
  return new Promise((resolve) => {
    const child = execFile('openssl', args, { timeout: 10_000 }, (_err, stdout, stderr) => {
      const out = `${String(stdout)}\n${String(stderr)}`;
      const summary = /^(New|Reused), /m.exec(out)?.[1];
      const http = /HTTP\/1\.[01] (\d{3})/.exec(out)?.[1];
      const alert = /alert number (\d+)/.exec(out)?.[1];
      resolve({
        ...(summary ? { reused: summary === 'Reused' } : {}),
        ...(http ? { http: Number(http) } : {}),
        ...(alert ? { alert: Number(alert) } : {}),
        out,
      });
    });
    child.stdin?.on('error', () => {});
    child.stdin?.end(`GET / HTTP/1.1\r\nHost: ${options.servername}\r\nConnection: close\r\n\r\n`);
  });
}
