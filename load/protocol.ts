import type {
  LoadCounters,
  LoadHistograms,
  LoadMode,
  LoadStage,
  LoadTimelinePoint,
  LoadTlsVersion,
  TicketPolicy,
} from '../core/load-result.js';
import type { TlsVersion } from '../core/scenario.js';

/** A client identity as PEM text: the chain the client sends (leaf first) and its private key. */
export interface IdentityPem {
  readonly chainPem: string;
  readonly keyPem: string;
}

/** Everything one worker needs; plain data, so it crosses thread and process boundaries. */
export interface WorkerSpec {
  readonly index: number;
  readonly host: string;
  readonly port: number;
  readonly servername: string;
  readonly tls: TlsVersion | 'both';
  /** With tls `both`: the share of handshakes per version. */
  readonly tlsShare: Readonly<Record<LoadTlsVersion, number>> | null;
  readonly mode: LoadMode;
  readonly resumeRatio: number;
  readonly ticketPolicy: TicketPolicy;
  /** This worker's connection loops (closed model) or in-flight cap (open model). */
  readonly connections: number;
  /** Global index of this worker's first loop: loop j uses identity (loopOffset + j) mod identities. */
  readonly loopOffset: number;
  /** This worker's share of --handshakes, or null when bounded by time. */
  readonly handshakes: number | null;
  readonly durationMs: number | null;
  /** This worker's share of --rate (handshakes/s), or null for the closed model. */
  readonly rate: number | null;
  /** --stages: the whole plan; this worker takes `stageScale` of every rate (1 / workers). */
  readonly stages: readonly LoadStage[] | null;
  readonly stageScale: number;
  readonly warmupMs: number;
  readonly timeoutMs: number;
  readonly ticketTimeoutMs: number;
  readonly trustPem: string;
  readonly identities: readonly IdentityPem[];
  /** How every handshake proves acceptance: an HTTP GET whose status decides, or a line and any data back. */
  readonly proof: 'raw' | 'http';
  /** --scenario: probe with this certificate (or none) and count acceptances. */
  readonly scenario: { readonly identity: IdentityPem | null } | null;
  readonly http: {
    readonly path: string;
    readonly pipelining: number;
    readonly newHandshakePerRequest?: boolean;
  } | null;
  /** Send per-handshake records to the parent (someone listens to 'handshake' or 'error'). */
  readonly reportEvents: boolean;
  /** Measure this process's CPU (child processes; threads share the parent's process figures). */
  readonly measureCpu: boolean;
  /** The client that makes the handshakes, and the groups, suites and signature schemes it offers (null: default). */
  readonly engine: 'wire' | 'node';
  readonly groups: readonly string[] | null;
  readonly ciphers: readonly string[] | null;
  readonly sigalgs: readonly string[] | null;
}

/** One second of one worker, handed to the parent once it is over (for the live line and `--timeline`). */
export interface SecondReport {
  readonly second: number;
  readonly full: number;
  readonly resumed: number;
  readonly errors: number;
  readonly requests: number;
  readonly rejected: number;
  readonly latencySumUs: number;
  readonly dropped: number;
  /** The second's latencies as an encoded HDR histogram (base64), or null when none was recorded. */
  readonly hdr: string | null;
}

/** One worker's measurements: raw counters, encoded histograms and its timeline. */
export interface LoadPart {
  readonly counters: LoadCounters;
  readonly histograms: LoadHistograms;
  readonly timeline: readonly LoadTimelinePoint[];
  /** CPU used during the measured phase, when this worker measured it. */
  readonly cpu: { readonly userMs: number; readonly systemMs: number } | null;
  readonly startMs: number;
  readonly endMs: number;
}

/** Cumulative progress, sent once a second. */
export interface Progress {
  readonly succeeded: number;
  readonly full: number;
  readonly resumed: number;
  readonly requests: number;
  readonly failed: number;
  readonly rejected: number;
  readonly acceptances: number;
  readonly latencySumUs: number;
  readonly latencyCount: number;
  /** Open-model arrivals dropped so far. */
  readonly dropped: number;
}

/**
 * One completed handshake, probe or request, for 'handshake' / 'error' listeners. `rejected` is a refusal by the
 * server (`error` names the mechanism): a decided probe with --scenario, a failure otherwise.
 */
export interface LoadEvent {
  readonly kind: 'full' | 'resumed' | 'accepted' | 'rejected' | 'request' | 'failed';
  readonly ms: number;
  readonly error?: string;
}

/** Parent → worker. */
export type ParentMessage =
  { readonly type: 'init'; readonly spec: WorkerSpec } | { readonly type: 'go' } | { readonly type: 'stop' };

/** Worker → parent. */
export type WorkerMessage =
  | { readonly type: 'ready' }
  | { readonly type: 'progress'; readonly progress: Progress; readonly seconds?: readonly SecondReport[] }
  | { readonly type: 'events'; readonly events: readonly LoadEvent[] }
  | { readonly type: 'done'; readonly part: LoadPart }
  | { readonly type: 'failed'; readonly message: string };
