import type tls from 'node:tls';
import type { FixtureSet } from '../core/manifest.js';
import {
  RESULTS_SCHEMA_VERSION,
  type Observation,
  type RunResult,
  type ScenarioResult,
  type Strictness,
  type Verdict,
} from '../core/result.js';
import type { Feature, Scenario, ServerPolicy, TlsVersion } from '../core/scenario.js';
import { VERSION } from '../core/version.js';
import type { StartedTarget } from '../targets/target.js';
import { wireProbe } from '../wire/index.js';
import { alertsFor, applyDeviation, classify, type Deviation } from './classify.js';
import { clientContext, probeNode } from './probe-node.js';
import { globMatcher } from './select.js';

/** Features the harness itself provides (the wire client). */
export const HARNESS_FEATURES: ReadonlySet<Feature> = new Set<Feature>(['wire-client', 'foreign-key-signing']);

/** Options of {@link runSuite}. */
export interface RunSuiteOptions {
  readonly scenarios: readonly Scenario[];
  readonly fixtures: FixtureSet;
  /** A started target per policy; scenarios of a policy without a target are not run. */
  readonly targets: Partial<Record<ServerPolicy, StartedTarget>>;
  readonly tls: readonly TlsVersion[];
  readonly strictness: Strictness;
  /** Parallel probes (default 4). */
  readonly concurrency?: number;
  /** Per-probe timeout in ms (default 5000). */
  readonly timeoutMs?: number;
  /** Override the probe kind of the targets. */
  readonly probe?: 'raw' | 'http';
  /** SNI override. */
  readonly servername?: string;
  /**
   * PEM bundle the client verifies the server certificate against (default: the fixtures' trust anchor). For servers
   * whose own certificate comes from another CA than the client fixtures.
   */
  readonly serverTrustPem?: string;
  /** Run chain-validation scenarios through the wire client instead of node:tls (differential checks). */
  readonly backend?: 'node' | 'wire';
  readonly deviations?: readonly Deviation[];
  readonly catalogueVersion: number;
  readonly catalogueSize: number;
  /** Called as each result is known (progress output). */
  readonly onResult?: (result: ScenarioResult) => void;
}

interface Job {
  readonly scenario: Scenario;
  readonly tls: TlsVersion;
  readonly index: number;
}

const ZERO: Record<Verdict, number> = { pass: 0, fail: 0, skip: 0, error: 0, xfail: 0, xpass: 0 };

/**
 * Runs scenarios against started targets: per policy, the sanity scenario first (every TLS version), then the rest
 * with bounded concurrency, then sanity again. A sanity failure makes the run an error (exit 2) so that a dead,
 * misconfigured or dying target never produces a pass. Results come back in catalogue order, so repeated runs compare.
 */
export async function runSuite(options: RunSuiteOptions): Promise<RunResult> {
  const started = Date.now();
  const fx = options.fixtures;
  const trustPem = options.serverTrustPem ?? fx.read(fx.manifest.trust);
  const contexts = new Map<string, tls.SecureContext | Error>();
  const pem = new Map<string, string>();
  const readPem = (rel: string) => {
    let v = pem.get(rel);
    if (v === undefined) {
      v = fx.read(rel);
      pem.set(rel, v);
    }
    return v;
  };
  const contextFor = (fixture: string | null, version: TlsVersion): tls.SecureContext | Error => {
    const key = `${fixture ?? '-'}|${version}`;
    let ctx = contexts.get(key);
    if (!ctx) {
      try {
        const f = fixture ? fx.fixture(fixture) : undefined;
        ctx = clientContext({
          tls: version,
          trustPem,
          ...(f ? { chainPem: readPem(f.chain), keyPem: readPem(f.key) } : {}),
        });
      } catch (err) {
        ctx = err instanceof Error ? err : new Error(String(err));
      }
      contexts.set(key, ctx);
    }
    return ctx;
  };
  const timeoutMs = options.timeoutMs ?? 5000;
  const deviationMatchers = (options.deviations ?? []).map((d) => ({ d, test: globMatcher(d.pattern) }));
  const rootSubject = fx.manifest.cas.find((c) => c.trusted)?.subject ?? '';

  const observe = async (scenario: Scenario, version: TlsVersion, target: StartedTarget) => {
    const fixture = scenario.fixture ? fx.manifest.fixtures.find((f) => f.id === scenario.fixture) : undefined;
    const mode = options.probe ?? target.probe;
    const servername = options.servername ?? target.servername;
    const useWire = Boolean(scenario.wire) || (options.backend === 'wire' && !scenario.sanity);
    if (useWire) {
      const result = await wireProbe({
        host: target.endpoint.host,
        port: target.endpoint.port,
        servername,
        tls: version,
        trustPem,
        ...(fixture ? { chainPem: readPem(fixture.chain), keyPem: readPem(fixture.key) } : {}),
        ...(scenario.wire?.mutation ? { mutation: scenario.wire.mutation } : {}),
        timeoutMs,
        http: mode === 'http',
        ...(mode === 'http'
          ? { appData: Buffer.from(`GET / HTTP/1.1\r\nHost: ${servername}\r\nConnection: close\r\n\r\n`) }
          : {}),
      });
      let extra: string | undefined;
      if (scenario.wire?.certificateRequest) {
        const cr = result.certificateRequest;
        const norm = (dn: string) => dn.replace(/\s+/g, '').toLowerCase();
        if (!cr) extra = 'the server sent no CertificateRequest';
        else if (
          cr.certificateAuthorities.length > 0 &&
          !cr.certificateAuthorities.some((dn) => norm(dn) === norm(rootSubject))
        ) {
          extra = `certificate_authorities (${cr.certificateAuthorities.join('; ')}) does not name the fixture root ${rootSubject}`;
        }
      }
      return { obs: result.observation, extra, certificateRequest: result.certificateRequest };
    }
    const ctx = contextFor(scenario.fixture, version);
    if (ctx instanceof Error)
      return { skip: `node:tls cannot load fixture '${scenario.fixture}': ${ctx.message.split('\n')[0]}` };
    const obs = await probeNode({
      host: target.endpoint.host,
      port: target.endpoint.port,
      servername,
      tls: version,
      secureContext: ctx,
      mode,
      timeoutMs,
    });
    return { obs };
  };

  const runOne = async (job: Job): Promise<ScenarioResult> => {
    const { scenario, tls: version } = job;
    const t0 = performance.now();
    const target = options.targets[scenario.policy]!;
    const base = {
      id: scenario.id,
      title: scenario.title,
      tls: version,
      policy: scenario.policy,
      fixture: scenario.fixture,
      expected: {
        decision: scenario.expect.decision,
        alerts: alertsFor(scenario.expect, version),
        ...(scenario.expect.step ? { step: scenario.expect.step } : {}),
      },
    };
    const skip = (reason: string): ScenarioResult => ({
      ...base,
      observed: { outcome: 'not-run', step: null, handshakeCompleted: false },
      verdict: 'skip',
      reason,
      duration: 0,
    });
    const missing = scenario.requires.filter((f) => !target.capabilities.has(f) && !HARNESS_FEATURES.has(f));
    if (missing.includes('pinned-clock')) {
      return skip(
        'needs the server clock pinned to the fixture clock; judged offline by openssl verify -attime (fixtures-gen tests)',
      );
    }
    if (missing.length) return skip(`target '${target.name}' lacks ${missing.map((f) => `'${f}'`).join(', ')}`);
    if (scenario.fixture && !fx.manifest.fixtures.some((f) => f.id === scenario.fixture)) {
      return skip(`fixture '${scenario.fixture}' is not in the manifest (regenerate the fixtures)`);
    }
    const deviation = deviationMatchers.find(({ d, test }) => test(scenario.id) && (!d.tls || d.tls === version))?.d;
    if (deviation?.status === 'skip') return skip(`known deviation: ${deviation.reason}`);
    const seen = await observe(scenario, version, target);
    if ('skip' in seen && seen.skip) return skip(seen.skip);
    const obs = seen.obs as Observation;
    let judged = classify(scenario, version, obs, options.strictness);
    if ('extra' in seen && seen.extra && judged.verdict === 'pass') judged = { verdict: 'fail', reason: seen.extra };
    if (
      obs.outcome !== 'error' &&
      scenario.expect.step &&
      judged.verdict === 'pass' &&
      obs.step &&
      obs.outcome !== 'accepted' &&
      obs.step !== scenario.expect.step
    ) {
      judged = {
        ...judged,
        reason: `${judged.reason}; decided at ${obs.step}, strict servers decide at ${scenario.expect.step}`,
      };
    }
    const final = applyDeviation(judged.verdict, judged.reason, deviation);
    return {
      ...base,
      observed: obs,
      verdict: final.verdict,
      reason: final.reason,
      duration: Math.round(performance.now() - t0),
    };
  };

  const results: ScenarioResult[] = [];
  let runError: RunResult['error'];
  const policies = (Object.keys(options.targets) as ServerPolicy[]).filter((p) => options.targets[p]);
  for (const policy of policies) {
    const scenarios = options.scenarios.filter((s) => s.policy === policy);
    const jobsOf = (list: readonly Scenario[]) =>
      list.flatMap((scenario) =>
        options.tls.filter((v) => !scenario.tls || scenario.tls.includes(v)).map((v) => ({ scenario, tls: v })),
      );
    const sanity = scenarios.filter((s) => s.sanity);
    const rest = scenarios.filter((s) => !s.sanity);
    const first = await pool(
      jobsOf(sanity).map((j, index) => ({ ...j, index })),
      1,
      runOne,
    );
    for (const r of first) options.onResult?.(r);
    results.push(...first);
    const bad = first.find((r) => r.verdict !== 'pass');
    if (bad) {
      runError = {
        code: 'MTLS_ERR_SANITY',
        message: `target ${options.targets[policy]!.name} (${policy}) did not accept a valid client over TLS ${bad.tls}: ${bad.reason}`,
      };
      break;
    }
    const jobs = jobsOf(rest).map((j, index) => ({ ...j, index }));
    const done = await pool(jobs, options.concurrency ?? 4, async (job) => {
      const r = await runOne(job);
      options.onResult?.(r);
      return r;
    });
    results.push(...done);
    const last = await pool(
      jobsOf(sanity).map((j, index) => ({ ...j, index })),
      1,
      runOne,
    );
    const lastBad = last.find((r) => r.verdict !== 'pass');
    if (lastBad) {
      const r = { ...lastBad, reason: `sanity re-check after the run: ${lastBad.reason}` };
      options.onResult?.(r);
      results.push(r);
      runError = {
        code: 'MTLS_ERR_SANITY',
        message: `target ${options.targets[policy]!.name} (${policy}) broke during the run: a valid client is no longer accepted over TLS ${lastBad.tls} (${lastBad.reason})`,
      };
      break;
    }
  }

  const summary = { ...ZERO };
  for (const r of results) summary[r.verdict]++;
  const anyTarget = options.targets[policies[0]!]!;
  return {
    schemaVersion: RESULTS_SCHEMA_VERSION,
    tool: { name: 'mtls-harness', version: VERSION },
    catalogue: { version: options.catalogueVersion, scenarios: options.catalogueSize },
    target: {
      name: anyTarget.name,
      endpoint: policies
        .map((p) => `${options.targets[p]!.endpoint.host}:${options.targets[p]!.endpoint.port}`)
        .join(', '),
      ...(anyTarget.version ? { version: anyTarget.version } : {}),
      probe: options.probe ?? anyTarget.probe,
    },
    policy: policies.length === 1 ? policies[0]! : 'both',
    clock: fx.manifest.clock,
    strictness: options.strictness,
    startedAt: new Date(started).toISOString(),
    duration: Date.now() - started,
    results,
    summary: { ...summary, total: results.length },
    conformant: !runError && summary.fail === 0 && summary.xpass === 0 && summary.error === 0,
    ...(runError ? { error: runError } : {}),
  };
}

/** Runs `fn` over `items` with at most `limit` in flight; results keep the input order. */
async function pool<T extends { index: number }, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return out;
}
