import type { TlsVersion } from './scenario.js';

/** Version of the load results.json contract (schemas/load-results.schema.json). */
export const LOAD_RESULTS_SCHEMA_VERSION = 1;

/** Which handshakes the generator makes: full only, resumption attempts only, or a set mix of both. */
export type LoadMode = 'full' | 'resumed' | 'mixed';

/**
 * Where resumption tickets come from. `reuse`: one session per identity, obtained once and offered on every
 * resumption (a replayed TLS 1.3 ticket). `fresh`: each resumption offers a ticket received on the same connection
 * loop's previous connection, and a TLS 1.3 ticket is offered at most once.
 */
export type TicketPolicy = 'reuse' | 'fresh';

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
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
  readonly mean: number;
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
  /** Sum of the handshake (or request) latencies of this second, in microseconds (mean = sum / count). */
  readonly latencySumUs: number;
}

/** Raw counters: every figure of a run is derived from these, and merging sums them. */
/** The encoded HDR histograms of a run or a part of one: all handshakes, full, resumed, and HTTP requests. */
export interface LoadHistograms {
  readonly handshake: EncodedHistogram;
  readonly full: EncodedHistogram;
  readonly resumed: EncodedHistogram;
  readonly http: EncodedHistogram;
}

export interface LoadCounters {
  /** Handshakes (or, with --scenario, probes) started in the measured phase. */
  readonly attempted: number;
  readonly succeeded: number;
  readonly full: number;
  readonly resumed: number;
  readonly failed: number;
  /** Handshakes that were meant to resume, and what became of them. */
  readonly resumeWanted: number;
  readonly noTicketReceived: number;
  readonly ticketRefused: number;
  readonly serverCacheOff: number;
  /** --scenario: probes whose certificate the server accepted (an application-data round trip came back). */
  readonly acceptances: number;
  /** --scenario: probes the server rejected, by mechanism (`alert:<name>`, `closed`, `reset`, `http:<status>`). */
  readonly rejections: Readonly<Record<string, number>>;
  /** Failures by class: `alert:<name>`, `reset`, `timeout`, `refused`, `closed`, `server-untrusted`, `other:<code>`. */
  readonly errors: Readonly<Record<string, number>>;
  /** HTTP mode: requests completed and failed, status codes, connections opened and how many resumed. */
  readonly requests: number;
  readonly requestsFailed: number;
  readonly statusCodes: Readonly<Record<string, number>>;
  readonly connections: number;
  readonly resumedConnections: number;
}

/** The run's settings, as validated. */
export interface LoadConfig {
  readonly tls: TlsVersion;
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
  readonly http: { readonly path: string; readonly pipelining: number } | null;
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
  readonly window: { readonly startMs: number; readonly endMs: number };
  readonly durationMs: number;
  /** How many load agents (results.json files) this result adds up. */
  readonly agents: number;
  /** Stopped early by Ctrl-C (the figures cover what was measured). */
  readonly interrupted: boolean;
  readonly handshakes: {
    readonly attempted: number;
    readonly succeeded: number;
    readonly full: number;
    readonly resumed: number;
    readonly failed: number;
  };
  /** Successful handshakes per second of the measured phase, in total and by kind. */
  readonly handshakesPerSecond: { readonly total: number; readonly full: number; readonly resumed: number };
  /** resumed / succeeded, from `isSessionReused()` on every handshake; null when nothing succeeded. */
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
  /** Handshake latency of successful handshakes (open model: from the intended start, coordinated omission corrected). */
  readonly latencyMs: LatencyMs;
  readonly latencyByKind: { readonly full: LatencyMs; readonly resumed: LatencyMs };
  /** Generator CPU (user + system, every worker) per successful handshake or request; null when not measured. */
  readonly clientCpuMsPerHandshake: number | null;
  readonly cpu: { readonly userMs: number; readonly systemMs: number; readonly cores: number } | null;
  /** Failures by class (see {@link LoadCounters.errors}). */
  readonly errors: Readonly<Record<string, number>>;
  readonly errorsTotal: number;
  /** --scenario: acceptances of the scenario's certificate; null without --scenario. */
  readonly acceptances: number | null;
  readonly rejections: Readonly<Record<string, number>> | null;
  readonly http: {
    readonly requests: number;
    readonly failed: number;
    readonly requestsPerSecond: number;
    readonly latencyMs: LatencyMs;
    readonly statusCodes: Readonly<Record<string, number>>;
    readonly connections: number;
    readonly resumedConnections: number;
  } | null;
  readonly timeline: readonly LoadTimelinePoint[];
  /** Latency at percentiles from p0 to the maximum, for plots (handshakes or probes; HTTP requests). */
  readonly distribution: {
    readonly handshake: readonly { readonly percentile: number; readonly ms: number }[];
    readonly http: readonly { readonly percentile: number; readonly ms: number }[];
  };
  readonly counters: LoadCounters;
  readonly histograms: LoadHistograms;
  readonly thresholds: { readonly maxP99Ms: number | null; readonly minRate: number | null };
  /** True when nothing below failed. */
  readonly passed: boolean;
  /** Each reason for exit 1: threshold breaches, a resumption failure, acceptances of a rejected scenario. */
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
  /** Totals so far. */
  readonly total: number;
  readonly errorsTotal: number;
  readonly acceptances: number;
  /** Mean latency of the last second in ms (0 when nothing completed). */
  readonly meanMs: number;
}
