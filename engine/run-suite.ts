import type tls from 'node:tls';
import type { CrlVariantName, FixtureSet } from '../core/manifest.js';
import {
  RESULTS_SCHEMA_VERSION,
  type Backend,
  type ClientObservation,
  type ControlResult,
  type Observation,
  type RunResult,
  type ScenarioResult,
  type SkipKind,
  type Strictness,
  type Verdict,
} from '../core/result.js';
import type { Feature, Scenario, ServerPolicy, TlsVersion } from '../core/scenario.js';
import { VERSION } from '../core/version.js';
import type { StartedTarget } from '../targets/target.js';
import { findMutation, wireProbe, type ClientFault } from '../wire/index.js';
import { alertsFor, applyDeviation, type Deviation } from './classify.js';
import { clockDistanceProblem } from './clock-distance.js';
import { coverageOf } from './coverage.js';
import { assess, defectStep } from './evidence.js';
import { isGating, isWarning } from '../core/gate.js';
import { clientContext, probeNode } from './probe-node.js';
import { globMatcher } from './select.js';
import { judge } from './verdict.js';
import { policyFindingOf } from './policy-finding.js';
import { findProcedure, type ProcedureContext } from './procedures/index.js';
import './procedures/all.js';

/** How to enable a capability a HOST:PORT target was not declared with, for the skip reason. */
const ENABLE_HINT: Partial<Record<Feature, string>> = {
  crl: 'if the server checks CRLs, add crl to --capabilities',
  ocsp: "if the server checks OCSP, add ocsp to --capabilities and serve the fixtures' responder with --ocsp-responder",
  'identity-policy': "if the server enforces the manifest's identityAllowList, add identity-policy to --capabilities",
  'per-location-auth':
    'if the server asks for a client certificate after the handshake for one path, add per-location-auth to --capabilities and name the path with --protected-path',
  'proxy-identity':
    'if it is a reverse proxy, point it at the echo backend and pass --echo-backend PORT (or the HOST:PORT of your own mtls-harness echo-backend)',
  resumption: 'if the server resumes sessions (IDs, tickets or TLS 1.3 PSKs), add resumption to --capabilities',
  'sni-no-auth':
    'pass --sni-no-auth NAME, a server name it serves without client authentication sharing its session cache and ticket keys',
  'shared-sessions':
    'pass --optional-endpoint HOST:PORT, an endpoint with the optional policy sharing its session cache and ticket keys',
  'ocsp-control':
    "pass --ocsp-control URL, the loopback control of the fixtures' OCSP responder the server asks (or --ocsp-responder)",
  'verify-depth': 'if the server limits client chains to 5 intermediate CAs, add verify-depth to --capabilities',
};

/** Features the harness itself provides (the wire client). */
export const HARNESS_FEATURES: ReadonlySet<Feature> = new Set<Feature>(['wire-client', 'foreign-key-signing']);

/**
 * Which clients probe a scenario: `both` (default) sends every scenario node:tls can send through node:tls and the
 * wire client, and a verdict needs both to agree; `node` or `wire` uses one.
 */
export type BackendChoice = Backend | 'both';

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
  /** The clients that probe each scenario (default both). Scenarios that alter messages always use the wire client. */
  readonly backend?: BackendChoice;
  /** Protocol-severity failures fail the gate too (default false: they are warnings). */
  readonly strict?: boolean;
  /** Topics whose skipped scenarios make the run non-conformant (`--require-coverage`); empty for none. */
  readonly requireCoverage?: readonly string[];
  readonly deviations?: readonly Deviation[];
  readonly catalogueVersion: number;
  readonly catalogueSize: number;
  /** A deliberate defect of the wire client: tests of the controls only. */
  readonly wireFault?: ClientFault;
  /** Called as each result is known (progress output). */
  readonly onResult?: (result: ScenarioResult) => void;
  /**
   * Ends the run early (the CLI aborts it on SIGINT/SIGTERM, with the signal's name as the reason): once aborted no
   * probe starts, every result not probed and judged yet is a `skip` of kind `interrupted`, the closing sanity check
   * is not run, and the run is marked `interrupted` — never conformant, and never a failure or an error invented from
   * the interruption. Probes in flight finish, each within the timeout.
   */
  readonly signal?: AbortSignal;
}

interface Job {
  readonly scenario: Scenario;
  readonly tls: TlsVersion;
  readonly index: number;
}

/** One probe's inputs: whom to send, with which alteration. */
interface ProbeSpec {
  readonly fixture: string | null;
  readonly mutation?: string;
  readonly certificateRequest?: boolean;
}

type Seen = { obs: Observation; extra?: string } | { cannot: string };

const ZERO: Record<Verdict, number> = { pass: 0, fail: 0, skip: 0, error: 0, xfail: 0, xpass: 0 };

/**
 * Runs scenarios against started targets: per policy, the sanity scenario first (every TLS version, every client),
 * then the rest with bounded concurrency, then sanity again. Each scenario is probed by both clients unless it alters
 * messages node:tls cannot send; every rejection verdict rests on a positive control of the same path (run once per
 * path, shared). A sanity failure makes the run an error (exit 2), but only an unreachable or mute target stops it: a
 * target that refuses valid clients is still probed, since an accepted bad certificate is proof of non-conformance
 * on its own. Results come back in catalogue order, so repeated runs compare.
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
  const choice = options.backend ?? 'both';
  const deviationMatchers = (options.deviations ?? []).map((d) => ({ d, test: globMatcher(d.pattern) }));
  const rootSubject = fx.manifest.cas.find((c) => c.trusted)?.subject ?? '';
  const modeOf = (target: StartedTarget) => options.probe ?? target.probe;
  const nameOf = (target: StartedTarget) => options.servername ?? target.servername;

  /** One probe by one client. */
  const probeWith = async (
    backend: Backend,
    spec: ProbeSpec,
    version: TlsVersion,
    target: StartedTarget,
  ): Promise<Seen> => {
    const fixture = spec.fixture ? fx.manifest.fixtures.find((f) => f.id === spec.fixture) : undefined;
    const mode = modeOf(target);
    const servername = nameOf(target);
    if (backend === 'wire') {
      const result = await wireProbe({
        host: target.endpoint.host,
        port: target.endpoint.port,
        servername,
        tls: version,
        trustPem,
        ...(fixture ? { chainPem: readPem(fixture.chain), keyPem: readPem(fixture.key) } : {}),
        ...(spec.mutation ? { mutation: spec.mutation } : {}),
        ...(options.wireFault ? { fault: options.wireFault } : {}),
        timeoutMs,
        http: mode === 'http',
        ...(mode === 'http'
          ? { appData: Buffer.from(`GET / HTTP/1.1\r\nHost: ${servername}\r\nConnection: close\r\n\r\n`) }
          : {}),
      });
      let extra: string | undefined;
      if (spec.certificateRequest) {
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
      return { obs: result.observation, ...(extra ? { extra } : {}) };
    }
    const ctx = contextFor(spec.fixture, version);
    if (ctx instanceof Error)
      return { cannot: `node:tls cannot load fixture '${spec.fixture}': ${ctx.message.split('\n')[0]}` };
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

  const backendsFor = (scenario: Scenario): Backend[] => {
    if (scenario.wire) return ['wire'];
    return choice === 'both' ? ['node', 'wire'] : [choice];
  };

  // Positive controls, one per path, shared by every scenario on it.
  const controls = new Map<string, Promise<ControlResult>>();
  const validFixture = (id: string | null): boolean => {
    const f = id ? fx.manifest.fixtures.find((x) => x.id === id) : undefined;
    return Boolean(
      f && f.expect.decision === 'accept' && f.expect.opensslVerifyError === 0 && (f.requires ?? []).length === 0,
    );
  };
  const controlFor = (scenario: Scenario, backend: Backend, version: TlsVersion, target: StartedTarget) => {
    const mutation = scenario.wire?.mutation ? findMutation(scenario.wire.mutation) : undefined;
    const family = backend === 'wire' && mutation ? mutation.family : 'none';
    // NOTE: the twin of a scenario that alters a valid identity's messages is that identity sent unaltered (same key
    // type, same signing path); every other scenario is paired with the fixtures' valid identity, and so is one whose
    // decision the RFC leaves open (a valid 51-certificate chain cannot be the control of its own bounded-time check),
    // and one on an alternative CRL bundle (`valid`, which no bundle changes: its own fixture is the one the bundle
    // judges differently).
    const fixture =
      validFixture(scenario.fixture) && !scenario.expect.eitherDecision && !scenario.crlVariant
        ? scenario.fixture!
        : 'valid';
    const mode = modeOf(target);
    const servername = nameOf(target);
    // NOTE: a server started with an alternative CRL bundle is a path of its own (issue 13).
    const variant = target.crlVariant ? `:crl-variant-${target.crlVariant}` : '';
    const id = `control:${scenario.policy}:${backend}:${version}:${mode}:${servername}:${family}:${fixture}${variant}`;
    let pending = controls.get(id);
    if (!pending) {
      pending = (async (): Promise<ControlResult> => {
        const t0 = performance.now();
        const seen = await probeWith(backend, { fixture }, version, target);
        const observed: Observation =
          'obs' in seen
            ? seen.obs
            : {
                outcome: 'error',
                step: null,
                handshakeCompleted: false,
                backend,
                error: { kind: 'client-setup', message: seen.cannot },
              };
        return {
          id,
          policy: scenario.policy,
          backend,
          tls: version,
          probe: mode,
          servername,
          family,
          fixture,
          observed,
          accepted: observed.outcome === 'accepted',
          duration: Math.round(performance.now() - t0),
        };
      })();
      controls.set(id, pending);
    }
    return pending;
  };

  const signal = options.signal;
  const stopSignal = (): 'SIGINT' | 'SIGTERM' | 'SIGHUP' | undefined =>
    signal?.reason === 'SIGINT' || signal?.reason === 'SIGTERM' || signal?.reason === 'SIGHUP'
      ? signal.reason
      : undefined;
  const interruptedWhy = () => `not run: the run was interrupted${stopSignal() ? ` by ${stopSignal()}` : ''}`;

  // Controls procedures ran themselves (their paths are their own: a resumption's first, full handshake).
  const procedureControls: ControlResult[] = [];
  // Values procedures share within the run (ProcedureContext.once).
  const shared = new Map<string, Promise<unknown>>();
  const procedureContext = (scenario: Scenario, version: TlsVersion, target: StartedTarget): ProcedureContext => {
    const mode = modeOf(target);
    const servername = nameOf(target);
    return {
      scenario,
      tls: version,
      target,
      fixtures: fx,
      trustPem,
      timeoutMs,
      mode,
      servername,
      ...(signal ? { signal } : {}),
      read: readPem,
      once: <T>(key: string, make: () => Promise<T>): Promise<T> => {
        let pending = shared.get(key);
        if (!pending) {
          pending = make();
          shared.set(key, pending);
        }
        return pending as Promise<T>;
      },
      wire: (o = {}) =>
        wireProbe({
          host: target.endpoint.host,
          port: target.endpoint.port,
          servername,
          tls: version,
          trustPem,
          timeoutMs,
          http: mode === 'http',
          ...(mode === 'http'
            ? {
                appData: Buffer.from(
                  `GET / HTTP/1.1\r\nHost: ${o.servername ?? servername}\r\nConnection: close\r\n\r\n`,
                ),
              }
            : {}),
          ...(options.wireFault ? { fault: options.wireFault } : {}),
          ...o,
        }),
      node: async (fixture, o = {}) => {
        const ctx = contextFor(fixture, version);
        if (ctx instanceof Error) {
          return {
            outcome: 'error',
            step: null,
            handshakeCompleted: false,
            backend: 'node',
            error: { kind: 'client-setup', message: ctx.message.split('\n')[0] ?? ctx.message },
          };
        }
        return probeNode({
          host: target.endpoint.host,
          port: target.endpoint.port,
          servername: o.servername ?? servername,
          tls: version,
          secureContext: ctx,
          mode,
          timeoutMs,
          ...(o.path ? { path: o.path } : {}),
          ...(o.headers ? { headers: o.headers } : {}),
        });
      },
    };
  };

  /**
   * The target configured with an alternative CRL bundle: a sibling the target starts (once per variant), or why
   * there is none (`fixture: …` when the set lacks the variant, `capability: …` when the server cannot be given it).
   */
  const crlVariantTarget = async (
    target: StartedTarget,
    variant: CrlVariantName,
  ): Promise<string | { target: StartedTarget } | { error: string }> => {
    const described = fx.manifest.crlVariants?.find((v) => v.id === variant);
    if (!described) return `fixture: the fixtures have no CRL variant '${variant}' (regenerate the fixtures)`;
    if (!target.withCrlVariant) {
      return (
        `capability: needs the server configured with the '${variant}' CRL bundle (${described.bundle})` +
        (target.declared
          ? `: configure the server with that bundle in place of ${fx.manifest.crl.bundle} and pass --crl-variant ${variant}`
          : `: target '${target.name}' cannot be started with another CRL bundle`)
      );
    }
    try {
      return { target: await target.withCrlVariant(variant) };
    } catch (err) {
      return {
        error: `not run: target ${target.name} could not be started with the '${variant}' CRL bundle: ${err instanceof Error ? err.message : String(err)}`,
      };
    }
  };

  const runOne = async (job: Job): Promise<ScenarioResult> => {
    const { scenario, tls: version } = job;
    const t0 = performance.now();
    let target = options.targets[scenario.policy]!;
    const expectedDecision = scenario.expect.eitherDecision ? 'either' : scenario.expect.decision;
    const base = {
      id: scenario.id,
      title: scenario.title,
      tls: version,
      policy: scenario.policy,
      fixture: scenario.fixture,
      severity: scenario.severity,
      expected: {
        decision: expectedDecision,
        alerts: alertsFor(scenario.expect, version),
        ...(scenario.expect.step ? { step: scenario.expect.step } : {}),
      },
    } as const;
    const skip = (kind: SkipKind, reason: string): ScenarioResult => ({
      ...base,
      observed: { outcome: 'not-run', step: null, handshakeCompleted: false },
      observations: [],
      controls: [],
      clients: 'single',
      skip: { kind, detail: reason },
      verdict: 'skip',
      reason,
      duration: 0,
    });
    if (signal?.aborted) return skip('interrupted', interruptedWhy());
    // NOTE: a server the harness started that died is named, once, instead of each later probe being "refused".
    const died = target.died?.();
    if (died) {
      const why = `not run: target ${target.name} (${scenario.policy}) ${died} during the run`;
      const { skip: _skip, ...notRun } = skip('client', why);
      return { ...notRun, verdict: 'error', reason: why };
    }
    const missing = scenario.requires.filter(
      (f) => !target.capabilities.has(f) && !HARNESS_FEATURES.has(f) && !target.unchecked?.has(f),
    );
    if (missing.includes('pinned-clock')) {
      return skip(
        'clock',
        'needs the server clock pinned to the fixture clock; judged offline by openssl verify -attime (fixtures-gen tests)',
      );
    }
    if (missing.length) {
      const how = target.declared
        ? `: ${missing
            .map((f) => ENABLE_HINT[f] ?? '')
            .filter(Boolean)
            .join('; ')}`
        : '';
      // A product that cannot do it at all says why (nginx has no per-location authentication after the handshake).
      const why = missing
        .map((f) => target.lacking?.[f])
        .filter(Boolean)
        .join('; ');
      return skip(
        'capability',
        `target '${target.name}' lacks ${missing.map((f) => `'${f}'`).join(', ')}${how}${why ? `: ${why}` : ''}`,
      );
    }
    if (scenario.fixture && !fx.manifest.fixtures.some((f) => f.id === scenario.fixture)) {
      return skip('fixture', `fixture '${scenario.fixture}' is not in the manifest (regenerate the fixtures)`);
    }
    if (scenario.crlVariant && target.crlVariant !== scenario.crlVariant) {
      const found = await crlVariantTarget(target, scenario.crlVariant);
      if (typeof found === 'string')
        return skip(found.startsWith('fixture:') ? 'fixture' : 'capability', found.replace(/^\w+: /, ''));
      if ('error' in found) {
        const { skip: _skip, ...notRun } = skip('client', found.error);
        return { ...notRun, verdict: 'error', reason: found.error };
      }
      target = found.target;
    }
    const deviation = deviationMatchers.find(({ d, test }) => test(scenario.id) && (!d.tls || d.tls === version))?.d;
    if (deviation?.status === 'skip') return skip('deviation', `known deviation: ${deviation.reason}`);
    // NOTE: a server judges validity at its own time, assumed to be ours; unless it is pinned to the fixture clock,
    // a fixture whose validity state differs now from at the clock would test expiry instead of its defect.
    if (scenario.fixture && !target.capabilities.has('pinned-clock')) {
      const distance = clockDistanceProblem(fx.manifest, scenario.fixture, Date.now(), timeoutMs);
      if (distance) return skip('clock-distance', distance);
    }

    if (scenario.procedure) {
      const procedure = findProcedure(scenario.procedure.name);
      if (!procedure) throw new Error(`scenario ${scenario.id}: no procedure '${scenario.procedure.name}'`);
      const outcome = await procedure(procedureContext(scenario, version, target));
      if ('skip' in outcome) return skip(outcome.skip.kind, outcome.skip.detail);
      if (outcome.observations.length === 0)
        return skip('client', `procedure '${scenario.procedure.name}' observed nothing`);
      procedureControls.push(...outcome.controls);
      let judged = judge(scenario, version, outcome, options.strictness);
      // NOTE: a broken rule the client saw is proof on its own, whatever the decision (or its absence) was.
      if (outcome.violation) judged = { ...judged, verdict: 'fail', reason: `${outcome.violation}; ${judged.reason}` };
      const final = applyDeviation(judged.verdict, `${judged.reason}; ${outcome.finding}`, deviation);
      return {
        ...base,
        observed: judged.observed,
        observations: outcome.observations,
        controls: outcome.controls.map((c) => c.id),
        clients: judged.clients,
        finding: outcome.finding,
        verdict: final.verdict,
        reason: final.reason,
        duration: Math.round(performance.now() - t0),
      };
    }

    const spec: ProbeSpec = {
      fixture: scenario.fixture,
      ...(scenario.wire?.mutation ? { mutation: scenario.wire.mutation } : {}),
      ...(scenario.wire?.certificateRequest ? { certificateRequest: true } : {}),
    };
    const defect = defectStep(scenario);
    const observations: ClientObservation[] = [];
    const cannot: string[] = [];
    let extra: string | undefined;
    for (const backend of backendsFor(scenario)) {
      // Between the clients of one scenario: a stop leaves it unjudged rather than judged on half its evidence.
      if (signal?.aborted) return skip('interrupted', interruptedWhy());
      const seen = await probeWith(backend, spec, version, target);
      if ('cannot' in seen) {
        cannot.push(seen.cannot);
        continue;
      }
      if (seen.extra) extra = seen.extra;
      observations.push(assess(backend, seen.obs, defect, version));
    }
    if (observations.length === 0) return skip('client', cannot.join('; '));
    // Its controls may not have been probed yet: no probe starts after a stop, so it stays unjudged.
    if (signal?.aborted) return skip('interrupted', interruptedWhy());
    const usedControls = scenario.sanity
      ? []
      : await Promise.all(observations.map((o) => controlFor(scenario, o.backend, version, target)));
    let judged = judge(scenario, version, { observations, controls: usedControls }, options.strictness);
    if (extra && judged.verdict === 'pass') judged = { ...judged, verdict: 'fail', reason: extra };
    const diedMeanwhile = judged.verdict === 'error' ? target.died?.() : undefined;
    const reason =
      (cannot.length ? `${judged.reason}; ${cannot.join('; ')}` : judged.reason) +
      (diedMeanwhile ? `; target ${target.name} (${scenario.policy}) ${diedMeanwhile} during the run` : '');
    const final = applyDeviation(judged.verdict, reason, deviation);
    const finding = policyFindingOf(scenario, judged.verdict, observations, target, timeoutMs);
    return {
      ...base,
      observed: judged.observed,
      observations,
      controls: usedControls.map((c) => c.id),
      clients: judged.clients,
      ...(finding ? { finding } : {}),
      verdict: final.verdict,
      reason: final.reason,
      duration: Math.round(performance.now() - t0),
    };
  };

  const results: ScenarioResult[] = [];
  let runError: RunResult['error'];
  /** A sanity failure: an unreachable or mute target stops the policy's run; a refusing one does not. */
  const sanityProblem = (bad: ScenarioResult, when: string): boolean => {
    const target = options.targets[bad.policy]!;
    // NOTE: a target that never got as far as judging a certificate (unreachable, not TLS, refusing the hellos) will
    // not judge any other either: stop. One that refused the valid client after judging it is probed on.
    const mute =
      bad.observations.length > 0 &&
      bad.observations.every((o) => o.evidence === 'no-decision' || o.evidence === 'early-rejection');
    runError ??= {
      code: 'MTLS_ERR_SANITY',
      message:
        when === 'first'
          ? `target ${target.name} (${bad.policy}) did not accept a valid client over TLS ${bad.tls}: ${bad.reason}`
          : `target ${target.name} (${bad.policy}) no longer accepted a valid client over TLS ${bad.tls} at the end of the run (${bad.reason})`,
    };
    return mute;
  };
  const policies = (Object.keys(options.targets) as ServerPolicy[]).filter((p) => options.targets[p]);
  for (const policy of policies) {
    const scenarios = options.scenarios.filter((s) => s.policy === policy);
    const jobsOf = (list: readonly Scenario[]) =>
      list
        .flatMap((scenario) =>
          options.tls.filter((v) => !scenario.tls || scenario.tls.includes(v)).map((v) => ({ scenario, tls: v })),
        )
        .map((j, index) => ({ ...j, index }));
    const sanity = scenarios.filter((s) => s.sanity);
    const rest = scenarios.filter((s) => !s.sanity);
    const first = await pool(jobsOf(sanity), 1, runOne);
    for (const r of first) options.onResult?.(r);
    results.push(...first);
    // NOTE: an interruption or a dead target is not a sanity failure: neither invents an error about the server.
    const target = options.targets[policy]!;
    const over = () => signal?.aborted === true || target.died?.() !== undefined;
    const bad = first.find((r) => r.verdict !== 'pass');
    if (bad && !over() && sanityProblem(bad, 'first')) break;
    const done = await pool(jobsOf(rest), options.concurrency ?? 4, async (job) => {
      const r = await runOne(job);
      options.onResult?.(r);
      return r;
    });
    results.push(...done);
    if (over()) continue;
    const last = await pool(jobsOf(sanity), 1, runOne);
    const lastBad = last.find((r) => r.verdict !== 'pass');
    // A stop (or a death) during the closing check leaves it unrun: not a sanity failure of the server.
    if (lastBad && !over()) {
      const r = { ...lastBad, reason: `sanity re-check after the run: ${lastBad.reason}` };
      options.onResult?.(r);
      results.push(r);
      if (sanityProblem(lastBad, 'last')) break;
    }
  }

  for (const policy of policies) {
    const t = options.targets[policy]!;
    const died = t.died?.();
    // The run lost its target: its results after the death are errors naming it, and the run is an error (exit 2).
    if (!died) continue;
    runError ??= {
      code: 'MTLS_ERR_TARGET_UNREACHABLE',
      message: `target ${t.name} (${policy}) ${died} during the run: the results after that are errors, not verdicts`,
    };
    // NOTE: results.json, the summary and the exit status; a --verbose line printed before is not taken back.
    results.forEach((r, i) => (results[i] = afterDeath(r, policy, `target ${t.name} (${policy}) ${died}`)));
  }
  const interrupted = signal?.aborted === true;
  const strict = options.strict ?? false;
  const summary = { ...ZERO };
  let gating = 0;
  let warnings = 0;
  for (const r of results) {
    summary[r.verdict]++;
    if (isGating(r, strict)) gating++;
    else if (isWarning(r, { strict, mode: 'all' })) warnings++;
  }
  const coverage = coverageOf(results, options.requireCoverage ?? []);
  // Procedures share controls between scenarios (ProcedureContext.once): each is listed once.
  const controlResults = [
    ...(await Promise.all(controls.values())),
    ...new Map(procedureControls.map((c) => [c.id, c])).values(),
  ];
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
    controls: controlResults,
    coverage,
    gate: { strict, mode: 'all' },
    summary: { ...summary, total: results.length, gating, warnings },
    conformant: !runError && !interrupted && gating === 0 && summary.error === 0 && coverage.missing.length === 0,
    interrupted,
    ...(stopSignal() ? { signal: stopSignal() } : {}),
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

/**
 * A result of a run whose `policy` target died (`who`, e.g. "target nginx (require) killed by SIGKILL"): a probe in
 * flight at the death saw it as a reset or a close, and the exit may be noticed only after that probe was judged, so
 * no pass of that target rests on a reset or a close (an inconclusive rejection another client's conclusive one
 * confirmed): it becomes an error naming the death. Other results are returned as they are.
 */
export function afterDeath(r: ScenarioResult, policy: ServerPolicy, who: string): ScenarioResult {
  if (r.policy !== policy || r.verdict !== 'pass') return r;
  if (!r.observations.some((o) => o.evidence === 'inconclusive-rejection')) return r;
  return {
    ...r,
    verdict: 'error',
    reason: `${r.reason}; ${who} during the run: a reset or close in this run cannot be told from the death`,
  };
}
