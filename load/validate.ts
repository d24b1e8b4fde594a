import type { LoadConfig, LoadMode, LoadStage, TicketPolicy, WorkerKind } from '../core/load-result.js';
import type { TlsVersion } from '../core/scenario.js';
import { DEFAULT_LOAD_OPTIONS } from './default-options.js';
import type { IdentityPem } from './protocol.js';
import { resolveEngine, type EngineSettings, type LoadEngine } from './wire-engine/options.js';
import { checkStages, stagesDurationS } from './stages.js';
import { EVEN_SHARE, type VersionShare } from './versions.js';

/** Options of {@link runLoad}; everything optional has a default in {@link DEFAULT_LOAD_OPTIONS}. */
export interface LoadOptions {
  readonly host: string;
  readonly port: number;
  /** SNI and the server name checked in the server certificate (default localhost). */
  readonly servername?: string;
  /** For the report: the target's name and version. */
  readonly target?: { readonly name: string; readonly version?: string };
  /** `both`: each handshake's version is drawn by `tlsShare` (default half and half). */
  readonly tls?: TlsVersion | 'both';
  /** With tls `both`: the share of handshakes per version (summing to 1). */
  readonly tlsShare?: VersionShare;
  readonly mode?: LoadMode;
  /** Share of handshakes that try to resume, with mode `mixed` (0 < R < 1). */
  readonly resumeRatio?: number;
  readonly ticketPolicy?: TicketPolicy;
  readonly connections?: number;
  /** Seconds of the measured phase; exclusive with `handshakes`. */
  readonly durationS?: number;
  /** Handshakes (attempts) of the measured phase; exclusive with `durationS`. */
  readonly handshakes?: number;
  /** Open model: constant arrival rate in handshakes per second. */
  readonly rate?: number;
  /**
   * Open model: k6's ramping arrival rate, each stage ramping linearly from the previous target (0 at the start) to its
   * own; excludes `rate`, `durationS` and `handshakes` (the plan sets how long the run lasts).
   */
  readonly stages?: readonly LoadStage[];
  readonly warmupS?: number;
  readonly workers?: number;
  readonly workerKind?: WorkerKind | 'auto';
  /** The CA bundle that verifies the server (the fixtures' trust.pem). */
  readonly trustPem: string;
  /** Client identities, spread over the connection loops (loop i uses identity i mod N). */
  readonly identities: readonly IdentityPem[];
  /** --scenario: the scenario's certificate (null: none) and what a correct server does with it. */
  readonly scenario?: {
    readonly id: string;
    readonly fixture: string | null;
    readonly expect: 'accept' | 'reject';
    readonly identity: IdentityPem | null;
  };
  /**
   * How every handshake (and the sanity and scenario probes) proves the server's acceptance after the handshake:
   * `http` (default) sends a GET and a 400/401/403/421/495/496 answer is a refusal; `raw` sends a line and any data back
   * proves acceptance. Use the target's `probe`.
   */
  readonly probe?: 'raw' | 'http';
  /**
   * --http: requests over kept-alive mTLS connections; with `newHandshakePerRequest` each request goes on a new
   * connection whose handshake is full or resumed as `mode` says (k6's noConnectionReuse).
   */
  readonly http?: { readonly path?: string; readonly pipelining?: number; readonly newHandshakePerRequest?: boolean };
  readonly maxP99Ms?: number;
  readonly minRate?: number;
  /**
   * Fails the run when (errors + refusals) / attempts is above this share (0..1, default 0: any refused or failed
   * handshake or request fails the run). With --scenario only errors count: refusals are the decisions measured.
   */
  readonly maxErrorRate?: number;
  readonly minResumeSuccess?: number;
  readonly timeoutMs?: number;
  readonly ticketTimeoutMs?: number;
  readonly sanity?: boolean;
  /**
   * The target runs in this process (the built-in server started by the CLI). Its CPU must not count as the
   * generator's, so the workers run as child processes (with workerKind auto) and only their CPU is counted.
   */
  readonly targetInProcess?: boolean;
  /**
   * Which client makes the handshakes: `wire` (our own TLS client, built for cost) or `node` (node:tls, the
   * reference). Default: the cheapest engine that supports the configuration (wire, unless --scenario or --http).
   */
  readonly engine?: LoadEngine;
  /** Key exchange groups offered, preferred first (X25519, P-256, P-384, P-521, X448); default: the engine's. */
  readonly groups?: readonly string[];
  /** Cipher suites offered (IANA names of TLS 1.2 and TLS 1.3 suites), preferred first; default: the engine's. */
  readonly ciphers?: readonly string[];
  /** Signature schemes offered and signed with (TLS SignatureScheme names); default: the engine's. */
  readonly sigalgs?: readonly string[];
}

/** The settings that go into results.json unchanged (LoadConfig), as validated. */
type ReportedSettings = Pick<
  LoadConfig,
  | 'tls'
  | 'tlsShare'
  | 'stages'
  | 'mode'
  | 'resumeRatio'
  | 'ticketPolicy'
  | 'connections'
  | 'durationS'
  | 'handshakes'
  | 'rate'
  | 'warmupS'
  | 'workers'
  | 'http'
>;

/** Options after validation, with every default filled in. */
export interface ResolvedLoadOptions extends ReportedSettings, EngineSettings {
  readonly host: string;
  readonly port: number;
  readonly servername: string;
  readonly target: { readonly name: string; readonly version?: string };
  readonly workerKind: WorkerKind | 'auto';
  readonly trustPem: string;
  readonly identities: readonly IdentityPem[];
  readonly scenario: LoadOptions['scenario'] | null;
  readonly probe: 'raw' | 'http';
  readonly maxP99Ms: number | null;
  readonly minRate: number | null;
  readonly maxErrorRate: number;
  readonly minResumeSuccess: number;
  readonly timeoutMs: number;
  readonly ticketTimeoutMs: number;
  readonly sanity: boolean;
  readonly targetInProcess: boolean;
}

const isInt = (v: unknown, min: number, max = Number.MAX_SAFE_INTEGER): v is number =>
  typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
const isNum = (v: unknown, min: number, max = Number.MAX_VALUE): v is number =>
  typeof v === 'number' && Number.isFinite(v) && v >= min && v <= max;

/**
 * Checks load options and fills in defaults (autocannon's validate shape): returns the resolved options, or an
 * `Error` whose message names the option at fault. Conflicting options are errors, never silently resolved.
 */
export function validate(o: LoadOptions): ResolvedLoadOptions | Error {
  const d = DEFAULT_LOAD_OPTIONS;
  const err = (message: string) => new Error(message);
  if (typeof o.host !== 'string' || o.host === '') return err("Bad option 'host': expected a host name or address");
  if (!isInt(o.port, 1, 65535)) return err("Bad option 'port': expected an integer from 1 to 65535");
  const tls = o.tls ?? d.tls;
  if (tls !== '1.2' && tls !== '1.3' && tls !== 'both') return err("Bad option 'tls': expected 1.2, 1.3 or both");
  let tlsShare: VersionShare | null = null;
  if (tls === 'both') {
    const share = o.tlsShare ?? EVEN_SHARE;
    const a = share?.['1.2'];
    const b = share?.['1.3'];
    if (!isNum(a, 0, 1) || !isNum(b, 0, 1) || a <= 0 || b <= 0 || Math.abs(a + b - 1) > 1e-9)
      return err("Bad option 'tlsShare': expected a share above 0 for 1.2 and 1.3, summing to 1");
    tlsShare = { '1.2': a, '1.3': b };
  } else if (o.tlsShare !== undefined) return err("Option 'tlsShare' needs tls both");
  const mode = o.mode ?? d.mode;
  if (!['full', 'resumed', 'mixed'].includes(mode)) return err("Bad option 'mode': expected full, resumed or mixed");
  if (mode === 'mixed') {
    if (o.resumeRatio === undefined) return err("Option 'mode' mixed needs 'resumeRatio' (0 < R < 1)");
    if (!isNum(o.resumeRatio, 0) || o.resumeRatio <= 0 || o.resumeRatio >= 1)
      return err("Bad option 'resumeRatio': expected a number between 0 and 1 (exclusive)");
  } else if (o.resumeRatio !== undefined) {
    return err("Option 'resumeRatio' needs mode mixed");
  }
  const resumeRatio = mode === 'mixed' ? o.resumeRatio! : mode === 'resumed' ? 1 : 0;
  if (o.ticketPolicy !== undefined && !['reuse', 'fresh', 'ignore', 'advertise'].includes(o.ticketPolicy))
    return err("Bad option 'ticketPolicy': expected reuse, fresh (resumption), ignore or advertise (full)");
  if ((o.ticketPolicy === 'reuse' || o.ticketPolicy === 'fresh') && mode === 'full')
    return err(
      `Option 'ticketPolicy' ${o.ticketPolicy} needs mode resumed or mixed (full handshakes use no ticket; with mode full: ignore or advertise)`,
    );
  if ((o.ticketPolicy === 'ignore' || o.ticketPolicy === 'advertise') && mode !== 'full')
    return err(`Option 'ticketPolicy' ${o.ticketPolicy} needs mode full (it never uses a ticket)`);
  const ticketPolicy: TicketPolicy = o.ticketPolicy ?? (mode === 'full' ? 'ignore' : d.ticketPolicy);
  const connections = o.connections ?? d.connections;
  if (!isInt(connections, 1, 100_000)) return err("Bad option 'connections': expected an integer from 1 to 100000");
  if (o.durationS !== undefined && o.handshakes !== undefined)
    return err("Options 'durationS' and 'handshakes' exclude each other: bound the run by time or by count");
  if (o.durationS !== undefined && !(isNum(o.durationS, 0) && o.durationS > 0 && o.durationS <= 86_400))
    return err("Bad option 'durationS': expected seconds, more than 0 and at most 86400");
  if (o.handshakes !== undefined && !isInt(o.handshakes, 1))
    return err("Bad option 'handshakes': expected a positive integer");
  if (o.rate !== undefined && !(isNum(o.rate, 0) && o.rate > 0 && o.rate <= 1_000_000))
    return err("Bad option 'rate': expected handshakes per second, more than 0");
  let stages: LoadStage[] | null = null;
  if (o.stages !== undefined) {
    if (o.rate !== undefined) return err("Options 'stages' and 'rate' exclude each other: the stages set the rate");
    if (o.durationS !== undefined || o.handshakes !== undefined)
      return err("Option 'stages' sets how long the run lasts: it excludes 'durationS' and 'handshakes'");
    const checked = checkStages(o.stages);
    if (checked instanceof Error) return err(`Bad option 'stages': ${checked.message}`);
    stages = checked;
  }
  const warmupS = o.warmupS ?? d.warmupS;
  if (!isNum(warmupS, 0, 3600)) return err("Bad option 'warmupS': expected seconds from 0 to 3600");
  const workers = o.workers ?? d.workers;
  if (!isInt(workers, 1, 256)) return err("Bad option 'workers': expected an integer from 1 to 256");
  if (workers > connections) return err(`Option 'workers' (${workers}) exceeds 'connections' (${connections})`);
  const workerKind = o.workerKind ?? d.workerKind;
  if (!['auto', 'inline', 'thread', 'process'].includes(workerKind))
    return err("Bad option 'workerKind': expected auto, thread or process");
  if (workerKind === 'inline' && workers !== 1) return err("Option 'workerKind' inline runs exactly one worker");
  const handshakes = o.handshakes ?? null;
  if (handshakes !== null && handshakes < workers)
    return err(`Option 'handshakes' (${handshakes}) is smaller than 'workers' (${workers})`);
  if (typeof o.trustPem !== 'string' || !o.trustPem.includes('-----BEGIN'))
    return err("Bad option 'trustPem': expected the PEM of the CA that verifies the server");
  if (!Array.isArray(o.identities) || o.identities.length === 0)
    return err("Bad option 'identities': expected at least one client identity (chainPem, keyPem)");
  for (const [i, id] of o.identities.entries()) {
    if (typeof id?.chainPem !== 'string' || typeof id.keyPem !== 'string')
      return err(`Bad field 'identities[${i}]': expected { chainPem, keyPem } PEM strings`);
  }
  if (o.scenario) {
    if (mode !== 'full') return err("Option 'scenario' probes with full handshakes: it excludes mode resumed/mixed");
    if (o.http) return err("Options 'scenario' and 'http' exclude each other");
    if (tls === 'both') return err("Option 'scenario' probes over one TLS version: it excludes tls both");
    if (o.ticketPolicy === 'advertise') return err("Option 'scenario' excludes ticketPolicy advertise");
  }
  let http: ResolvedLoadOptions['http'] = null;
  if (o.http) {
    const perRequest = o.http.newHandshakePerRequest === true;
    if (!perRequest && (mode !== 'full' || o.ticketPolicy))
      return err(
        "Option 'http' keeps connections alive (undici resumes on its own): it excludes mode/ticketPolicy unless 'newHandshakePerRequest'",
      );
    if (!perRequest && tls === 'both')
      return err("Option 'http' keeps a few connections alive: tls both needs 'newHandshakePerRequest'");
    if (!perRequest && o.handshakes !== undefined)
      return err("Option 'http' is bounded by time: use 'durationS', not 'handshakes'");
    if (perRequest && o.http.pipelining !== undefined && o.http.pipelining !== 1)
      return err("Option 'newHandshakePerRequest' sends one request per connection: it excludes 'pipelining'");
    const pipelining = o.http.pipelining ?? d.pipelining;
    if (!isInt(pipelining, 1, 256)) return err("Bad field 'pipelining' in 'http': expected an integer from 1 to 256");
    const path = o.http.path ?? d.httpPath;
    // NOTE: the path goes into the request line as it is: a space or a line break would write another request.
    if (typeof path !== 'string' || !/^\/[\x21-\x7e]*$/.test(path))
      return err("Bad field 'path' in 'http': expected /PATH of printable characters, without spaces");
    http = perRequest ? { path, pipelining, newHandshakePerRequest: true } : { path, pipelining };
  }
  if (o.maxP99Ms !== undefined && !(isNum(o.maxP99Ms, 0) && o.maxP99Ms > 0))
    return err("Bad option 'maxP99Ms': expected milliseconds, more than 0");
  if (o.minRate !== undefined && !(isNum(o.minRate, 0) && o.minRate > 0))
    return err("Bad option 'minRate': expected a rate per second, more than 0");
  const maxErrorRate = o.maxErrorRate ?? d.maxErrorRate;
  if (!isNum(maxErrorRate, 0, 1)) return err("Bad option 'maxErrorRate': expected a share from 0 to 1");
  const minResumeSuccess = o.minResumeSuccess ?? d.minResumeSuccess;
  if (!isNum(minResumeSuccess, 0, 1)) return err("Bad option 'minResumeSuccess': expected a share from 0 to 1");
  const timeoutMs = o.timeoutMs ?? d.timeoutMs;
  if (!isInt(timeoutMs, 10, 600_000)) return err("Bad option 'timeoutMs': expected milliseconds from 10 to 600000");
  const ticketTimeoutMs = o.ticketTimeoutMs ?? d.ticketTimeoutMs;
  if (!isInt(ticketTimeoutMs, 1, 60_000))
    return err("Bad option 'ticketTimeoutMs': expected milliseconds from 1 to 60000");
  const probe = o.probe ?? 'http';
  if (probe !== 'raw' && probe !== 'http') return err("Bad option 'probe': expected raw or http");
  const servername = o.servername ?? d.servername;
  const engine = resolveEngine(
    o,
    tls === 'both' ? ['1.2', '1.3'] : [tls],
    o.scenario ? 'scenario probes (node:tls)' : o.http ? 'HTTP mode (undici)' : undefined,
  );
  if (engine instanceof Error) return engine;
  return {
    ...engine,
    host: o.host,
    port: o.port,
    servername,
    target: o.target ?? { name: `${o.host.includes(':') ? `[${o.host}]` : o.host}:${o.port}` },
    tls,
    tlsShare,
    stages,
    mode,
    resumeRatio,
    ticketPolicy,
    connections,
    durationS: stages ? stagesDurationS(stages) : (o.durationS ?? (handshakes === null ? d.durationS : null)),
    handshakes,
    rate: o.rate ?? null,
    warmupS,
    workers,
    workerKind,
    trustPem: o.trustPem,
    identities: o.identities,
    scenario: o.scenario ?? null,
    probe,
    http,
    maxP99Ms: o.maxP99Ms ?? null,
    minRate: o.minRate ?? null,
    maxErrorRate,
    minResumeSuccess,
    timeoutMs,
    ticketTimeoutMs,
    sanity: o.sanity ?? d.sanity,
    targetInProcess: o.targetInProcess ?? false,
  };
}
