import type { TlsVersion } from './scenario.js';

/**
 * Version of the load results.json contract (schemas/load-results.schema.json).
 *
 * NOTE: 2 (issue 9): a handshake counts as succeeded only once the server proved acceptance with an application-data
 * round trip, and refusals are counted apart from errors. Version 1 files counted handshakes at the client's
 * `secureConnect`, so their `succeeded`/`resumedRatio` may include refused connections: merge refuses them.
 */
export const LOAD_RESULTS_SCHEMA_VERSION = 2;

/** Which handshakes the generator makes: full only, resumption attempts only, or a set mix of both. */
export type LoadMode = 'full' | 'resumed' | 'mixed';

/**
 * What the client does with session tickets. With `--mode resumed|mixed`: `reuse` (the default there): one session per
 * identity, obtained once and offered on every resumption (a replayed TLS 1.3 ticket); `fresh`: each resumption offers
 * a ticket received on the same connection loop's previous connection, and a TLS 1.3 ticket is offered at most once.
 * With `--mode full`: `ignore` (the default there): tickets are left to the TLS library (a TLS 1.2 client advertises
 * them, a TLS 1.3 server sends them after the handshake) and are neither waited for nor used; `advertise`: every
 * handshake asks for a ticket and waits until it has arrived (bounded by the ticket timeout), never offering one, so
 * each measured handshake includes the server's cost of issuing it (as tls-perf measures it).
 */
export type TicketPolicy = 'reuse' | 'fresh' | 'ignore' | 'advertise';

/** The two TLS versions a load run can drive (`--tls both` splits the handshakes between them). */
export type LoadTlsVersion = '1.2' | '1.3';

/** One stage of `--stages`: ramp linearly from the previous target (0 at the start) to `target`/s over `durationS`. */
export interface LoadStage {
  readonly durationS: number;
  readonly target: number;
}

/**
 * `--stages` (open model): the highest offered rate the server held within the thresholds, with the per-second
 * evidence of the timeline (see {@link LoadTimelinePoint.offered}, `p99Ms`, `errors`, `rejected`, `dropped`).
 */
export interface LoadKnee {
  /** What a second must show to hold: its p99 at most `maxP99Ms` (when given) and its error share at most this. */
  readonly maxP99Ms: number | null;
  readonly maxErrorRate: number;
  /** Seconds judged (whole seconds in which arrivals were due). */
  readonly secondsJudged: number;
  /** The highest offered rate (arrivals due per second) among the seconds that held before the first breach. */
  readonly heldRate: number | null;
  /** The second that held at `heldRate`, with what it achieved (accepted per second) and its p99. */
  readonly heldSecond: number | null;
  readonly heldAchieved: number | null;
  readonly heldP99Ms: number | null;
  /** The first second that did not hold, its offered rate and why; null when every judged second held. */
  readonly firstBreach: {
    readonly second: number;
    readonly offered: number;
    readonly reasons: readonly string[];
  } | null;
}

/** Figures of one TLS version in a `--tls both` run. */
export interface LoadVersionFigures {
  /** The share of the arrivals (or of each loop's handshakes) asked for this version (0..1). */
  readonly share: number;
  readonly attempted: number;
  readonly succeeded: number;
  readonly full: number;
  readonly resumed: number;
  readonly rejected: number;
  readonly failed: number;
  /** Accepted handshakes of this version per second of the measured phase. */
  readonly handshakesPerSecond: number;
  readonly latencyMs: LatencyMs;
}

/** How the work was spread: in the calling thread, over worker threads, or over child processes. */
export type WorkerKind = 'inline' | 'thread' | 'process';

/**
 * Why a resumption that was asked for did not happen:
 * - `no-ticket-received`: the client had nothing to offer (no session/ticket arrived within the bound);
 * - `ticket-refused`: a stateless ticket was offered and the server did a full handshake instead;
 * - `server-cache-off`: a session id (TLS 1.2) or a stateful TLS 1.3 ticket (a 32-byte cache key) was offered and the
 *   server did not find it in its session cache.
 */
export type ResumptionFailure = 'no-ticket-received' | 'ticket-refused' | 'server-cache-off';

/** Latency percentiles in milliseconds (from an HDR histogram recorded in microseconds). */
export interface LatencyMs {
  readonly p50: number;
  readonly p90: number;
  readonly p95: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
  readonly mean: number;
  /** Standard deviation of the values recorded, in ms. */
  readonly stdev: number;
  /** Number of values recorded. */
  readonly count: number;
}

/**
 * An HdrHistogram in its standard V2 compressed encoding (base64), interoperable with the Java and C
 * implementations. Values are microseconds; histograms of several runs are merged exactly by adding them.
 */
export interface EncodedHistogram {
  readonly encoding: 'hdr-v2-compressed-base64';
  readonly unit: 'us';
  readonly significantDigits: number;
  readonly data: string;
}

/** One second of the run (seconds since the measured phase started). */
export interface LoadTimelinePoint {
  readonly second: number;
  readonly full: number;
  readonly resumed: number;
  readonly errors: number;
  /** HTTP requests completed this second (HTTP mode only). */
  readonly requests: number;
  /** Handshakes, probes or requests the server refused this second (see {@link LoadCounters.rejections}). */
  readonly rejected: number;
  /** Sum of the handshake (or request) latencies of this second, in microseconds (mean = sum / count). */
  readonly latencySumUs: number;
  /** Open model: arrivals dropped this second (absent in results written before issue 14). */
  readonly dropped?: number;
  /** Open model: arrivals due this second by the schedule (`--rate`, `--stages`), whole or not. */
  readonly offered?: number;
  /**
   * Latency of this second's accepted work (and dropped arrivals' waits) from the per-second HDR histograms of every
   * worker, added: p50, p99 and max in ms. In a merge of several agents, each is the highest of the agents' values for
   * that second (an upper bound: the per-second histograms are not kept in results.json).
   */
  readonly p50Ms?: number;
  readonly p99Ms?: number;
  readonly maxMs?: number;
}

/** A stretch of time during which a load agent measured, in epoch milliseconds. */
export interface LoadWindow {
  readonly startMs: number;
  readonly endMs: number;
}

/** The encoded HDR histograms of a run or a part of one: all handshakes, full, resumed, and HTTP requests. */
export interface LoadHistograms {
  readonly handshake: EncodedHistogram;
  readonly full: EncodedHistogram;
  readonly resumed: EncodedHistogram;
  readonly http: EncodedHistogram;
  /** `--tls both`: accepted handshakes of each version (absent otherwise). */
  readonly tls12?: EncodedHistogram;
  readonly tls13?: EncodedHistogram;
}

/**
 * Raw counters: every figure of a run is derived from these, and merging sums them. Without HTTP,
 * attempted = succeeded + rejected + failed.
 */
export interface LoadCounters {
  /** Handshakes (or, with --scenario, probes) started in the measured phase. */
  readonly attempted: number;
  /**
   * Handshakes whose acceptance the server proved: an application-data round trip came back (with an HTTP target, a
   * status that is not a rejection). With --scenario: probes whose certificate the server accepted.
   */
  readonly succeeded: number;
  /** Proven handshakes that were full / resumed (`isSessionReused()`). */
  readonly full: number;
  readonly resumed: number;
  /** Handshakes (probes, requests) the server refused: the sum of {@link rejections}. */
  readonly rejected: number;
  /** Refusals that came after the client saw its handshake complete (TLS 1.3 client-auth rejections, HTTP 403s). */
  readonly rejectedAfterHandshake: number;
  /** Refusals of connections whose session had been resumed (`isSessionReused()`). */
  readonly rejectedResumed: number;
  /** Handshakes that ended in an error that is not a refusal: the sum of {@link errors} (without HTTP). */
  readonly failed: number;
  /** Handshakes that were meant to resume, and what became of them. */
  readonly resumeWanted: number;
  readonly noTicketReceived: number;
  readonly ticketRefused: number;
  readonly serverCacheOff: number;
  /** --scenario: probes whose certificate the server accepted (an application-data round trip came back). */
  readonly acceptances: number;
  /**
   * Refusals by mechanism: `alert:<name>` (a TLS alert from the server), `http:<status>` (400, 401, 403, 421, 495, 496),
   * `closed` (closed without an answer after the server spoke TLS), `reset`.
   */
  readonly rejections: Readonly<Record<string, number>>;
  /**
   * Errors that are not a refusal, by class: `timeout`, `refused`, `closed` / `reset` (before the server said
   * anything), `server-untrusted`, `protocol-version`, `other:<code>`.
   */
  readonly errors: Readonly<Record<string, number>>;
  /**
   * HTTP mode: requests answered (any status) and failed (no answer), status codes, connections opened and how many
   * resumed.
   */
  readonly requests: number;
  readonly requestsFailed: number;
  readonly statusCodes: Readonly<Record<string, number>>;
  readonly connections: number;
  readonly resumedConnections: number;
  /**
   * Open model (`--rate`): arrivals that were never issued because `--connections` handshakes were in flight until
   * the run ended (or for longer than the handshake timeout). Not attempts: attempted + dropped = arrivals.
   */
  readonly dropped: number;
  /**
   * By TLS version (`1.2`, `1.3`): handshakes attempted, accepted (and of those full and resumed), refused and failed.
   * Filled with `--tls both` (absent in results written before issue 14).
   */
  readonly versionAttempted?: Readonly<Record<string, number>>;
  readonly versionSucceeded?: Readonly<Record<string, number>>;
  readonly versionFull?: Readonly<Record<string, number>>;
  readonly versionResumed?: Readonly<Record<string, number>>;
  readonly versionRejected?: Readonly<Record<string, number>>;
  readonly versionFailed?: Readonly<Record<string, number>>;
  /** `--ticket-policy advertise`: accepted handshakes whose ticket arrived (none was ever offered). */
  readonly ticketsReceived?: number;
  /**
   * The wire engine's server chain cache over the measured phase (absent before it had one): handshakes whose chain
   * bytes were cached, full verifications, misses while a chain was cached (the server's chain changed) and chains
   * that failed verification.
   */
  readonly chainCacheHits?: number;
  readonly chainVerifications?: number;
  readonly chainCacheInvalidations?: number;
  readonly chainVerifyFailures?: number;
}

/** The wire engine's server chain cache over the measured phase (see {@link LoadResult.chainCache}). */
export interface LoadChainCache {
  /** Handshakes whose server chain was the exact bytes of a chain verified before (the signature still checked). */
  readonly hits: number;
  /** Full verifications (chain to the trust roots, name): once per distinct chain, and again after a change. */
  readonly verifications: number;
  /** Handshakes whose chain differed from every cached one (the server's certificate changed): verified again. */
  readonly invalidations: number;
  /** Chains that failed verification (counted as `server-untrusted` errors). */
  readonly failures: number;
}

/** The run's settings, as validated. */
export interface LoadConfig {
  /** `both`: each handshake's version is drawn by `tlsShare` (issue 14). */
  readonly tls: TlsVersion | 'both';
  /** `--tls both`: the share of handshakes per version (sums to 1); null (or absent) for one version. */
  readonly tlsShare?: Readonly<Record<LoadTlsVersion, number>> | null;
  /** `--stages` (open model): the stage plan; null (or absent) otherwise. */
  readonly stages?: readonly LoadStage[] | null;
  readonly mode: LoadMode;
  /** Share of handshakes that try to resume (1 for resumed, 0 for full). */
  readonly resumeRatio: number;
  readonly ticketPolicy: TicketPolicy;
  /** Closed model: concurrent connection loops. Open model: the cap on connections in flight. */
  readonly connections: number;
  readonly durationS: number | null;
  readonly handshakes: number | null;
  /** Open model arrival rate (handshakes/s); null for the closed model. */
  readonly rate: number | null;
  readonly warmupS: number;
  readonly workers: number;
  readonly workerKind: WorkerKind;
  readonly identities: number;
  readonly scenario: {
    readonly id: string;
    readonly fixture: string | null;
    readonly expect: 'accept' | 'reject';
  } | null;
  /**
   * HTTP mode: the path, requests in flight per connection, and `newHandshakePerRequest` (each request on a new
   * connection, whose handshake is full or resumed as `mode` says; absent before issue 14: kept-alive connections).
   */
  readonly http: {
    readonly path: string;
    readonly pipelining: number;
    readonly newHandshakePerRequest?: boolean;
  } | null;
  /**
   * How acceptance was proven: `http` (a GET after the handshake; a 400/401/403/421/495/496 answer is a refusal) or
   * `raw` (a line after the handshake; any data back proves acceptance).
   */
  readonly proof: 'http' | 'raw';
  /**
   * The client that made the handshakes: `wire` (our own TLS client, built for cost) or `node` (node:tls, the
   * reference). Absent in results written before issue 14.
   */
  readonly engine?: 'wire' | 'node';
  /** The groups, cipher suites and signature schemes offered as asked for (null: the engine's defaults). */
  readonly groups?: readonly string[] | null;
  readonly ciphers?: readonly string[] | null;
  readonly sigalgs?: readonly string[] | null;
}

/** A load run (or several merged): the load results.json contract. */
export interface LoadResult {
  readonly schemaVersion: typeof LOAD_RESULTS_SCHEMA_VERSION;
  readonly kind: 'load';
  readonly tool: { readonly name: 'mtls-harness'; readonly version: string };
  readonly target: { readonly name: string; readonly endpoint: string; readonly version?: string };
  readonly config: LoadConfig;
  readonly startedAt: string;
  /** Epoch milliseconds of the measured phase; merged runs span the earliest start to the latest end. */
  readonly window: LoadWindow;
  /**
   * The stretches of time measured, sorted and disjoint: one for a single run; for merged runs the union of the
   * agents' windows (overlapping agents count once, a gap between agents is not measured time).
   */
  readonly windows: readonly LoadWindow[];
  /** Measured time: the summed length of {@link windows}. Every rate is per second of this. */
  readonly durationMs: number;
  /** How many load agents (results.json files) this result adds up. */
  readonly agents: number;
  /** Stopped early (Ctrl-C, SIGTERM, `stop()`): the figures cover what was measured, and the run did not pass. */
  readonly interrupted: boolean;
  /** The signal that stopped the run, when one did (absent for a run stopped by the library's `stop()`). */
  readonly signal?: 'SIGINT' | 'SIGTERM' | 'SIGHUP';
  /**
   * Open model: arrivals dropped because the `--connections` cap was in flight (see {@link LoadCounters.dropped});
   * each one's wait from its intended start is in the latency histogram (coordinated omission), and counts against
   * `--max-error-rate`. Always 0 in the closed model.
   */
  readonly dropped: number;
  /** Handshakes (probes with --scenario): attempted = succeeded + rejected + failed (see {@link LoadCounters}). */
  readonly handshakes: {
    readonly attempted: number;
    readonly succeeded: number;
    readonly full: number;
    readonly resumed: number;
    readonly rejected: number;
    readonly rejectedAfterHandshake: number;
    readonly rejectedResumed: number;
    readonly failed: number;
  };
  /** Proven handshakes per second of the measured phase, in total and by kind. */
  readonly handshakesPerSecond: { readonly total: number; readonly full: number; readonly resumed: number };
  /**
   * resumed / succeeded: the share of *accepted* (proven) handshakes that resumed, from `isSessionReused()`; null
   * when nothing was accepted (a refused resumed session is a refusal, not a resumption).
   */
  readonly resumedRatio: number | null;
  readonly resumption: {
    readonly wanted: number;
    readonly resumed: number;
    readonly noTicketReceived: number;
    readonly ticketRefused: number;
    readonly serverCacheOff: number;
    /** resumed / wanted; null when no resumption was asked for. */
    readonly successRatio: number | null;
    /** Set when resumption was asked for and did not (always) happen: the dominant reason. */
    readonly failure: { readonly reason: ResumptionFailure; readonly message: string } | null;
  };
  /**
   * Latency of proven handshakes, from the start of the connection (open model: from the intended start, coordinated
   * omission corrected) to the proof of acceptance (the first answer to the request sent after the handshake). With
   * --scenario: to the server's decision, accepted or rejected. Open model: a dropped arrival adds the time it waited
   * for a slot (a lower bound of what it would have taken), so an overloaded server cannot look fast.
   */
  readonly latencyMs: LatencyMs;
  readonly latencyByKind: { readonly full: LatencyMs; readonly resumed: LatencyMs };
  /** Generator CPU (user + system, every worker) per successful handshake or request; null when not measured. */
  readonly clientCpuMsPerHandshake: number | null;
  readonly cpu: { readonly userMs: number; readonly systemMs: number; readonly cores: number } | null;
  /** Errors that are not refusals, by class (see {@link LoadCounters.errors}). */
  readonly errors: Readonly<Record<string, number>>;
  readonly errorsTotal: number;
  /** --scenario: acceptances of the scenario's certificate; null without --scenario. */
  readonly acceptances: number | null;
  /** Refusals by mechanism (see {@link LoadCounters.rejections}); with --scenario, the expected outcome. */
  readonly rejections: Readonly<Record<string, number>>;
  readonly rejectionsTotal: number;
  /**
   * (errors + refusals + dropped) / (attempts + dropped): what `--max-error-rate` gates; with --scenario errors and
   * dropped arrivals only (a refusal is the decision being measured). Attempts are handshakes, probes or HTTP
   * requests. Null when nothing was attempted or dropped.
   */
  readonly errorRate: number | null;
  readonly http: {
    /** Requests answered, with any status. */
    readonly requests: number;
    /** Requests answered with a status that is not a refusal. */
    readonly succeeded: number;
    /** Requests refused: answered with 400/401/403/421/495/496, or refused with a TLS alert. */
    readonly rejected: number;
    /** Requests without an answer. */
    readonly failed: number;
    /** Succeeded requests per second. */
    readonly requestsPerSecond: number;
    readonly latencyMs: LatencyMs;
    readonly statusCodes: Readonly<Record<string, number>>;
    readonly connections: number;
    readonly resumedConnections: number;
  } | null;
  readonly timeline: readonly LoadTimelinePoint[];
  /** `--tls both`: the figures of each version; null otherwise (absent before issue 14). */
  readonly byVersion?: Readonly<Record<LoadTlsVersion, LoadVersionFigures>> | null;
  /** `--stages`: the highest rate held within the thresholds, from the timeline; null otherwise. */
  readonly knee?: LoadKnee | null;
  /** `--ticket-policy advertise`: accepted handshakes whose ticket arrived; null otherwise. */
  readonly ticketsReceived?: number | null;
  /** The wire engine's server chain cache over the measured phase; null for node:tls (absent before issue 14). */
  readonly chainCache?: LoadChainCache | null;
  /** Latency at percentiles from p0 to the maximum, for plots (handshakes or probes; HTTP requests). */
  readonly distribution: {
    readonly handshake: readonly { readonly percentile: number; readonly ms: number }[];
    readonly http: readonly { readonly percentile: number; readonly ms: number }[];
  };
  readonly counters: LoadCounters;
  readonly histograms: LoadHistograms;
  readonly thresholds: {
    readonly maxP99Ms: number | null;
    readonly minRate: number | null;
    /** `--max-error-rate` (default 0). */
    readonly maxErrorRate: number;
  };
  /** True when nothing below failed. */
  readonly passed: boolean;
  /**
   * Each reason for exit 1: threshold breaches (p99, rate, error rate), a resumption failure, acceptances of a
   * rejected scenario, nothing accepted, a sanity probe failing after the load.
   */
  readonly failures: readonly string[];
  /** Notes for the reader (e.g. how the worker kind was chosen, a server that closes every HTTP connection). */
  readonly notes: readonly string[];
}

/** What the live console line shows each second. */
export interface LoadTick {
  /** Seconds since the measured phase started. */
  readonly second: number;
  /** Successful handshakes (or requests) during the last second, by kind. */
  readonly full: number;
  readonly resumed: number;
  readonly requests: number;
  readonly errors: number;
  /** Refusals during the last second. */
  readonly rejected: number;
  /** Totals so far. */
  readonly total: number;
  readonly errorsTotal: number;
  readonly rejectedTotal: number;
  readonly acceptances: number;
  /** Mean latency of the last second in ms (0 when nothing completed). */
  readonly meanMs: number;
  /** Open model: arrivals dropped so far (the `--connections` cap was in flight). */
  readonly droppedTotal: number;
  /** p99 latency in ms of the last whole second the workers reported (null before the first). */
  readonly p99Ms: number | null;
  /** Seconds of the measured phase so far, and in all (null when bounded by a handshake count). */
  readonly elapsedS: number;
  readonly totalS: number | null;
}
