import type { LoadMode, TicketPolicy, WorkerKind } from '../core/load-result.js';
import type { TlsVersion } from '../core/scenario.js';

/**
 * Worker kind used when several workers are asked for and none is named. Measured on the 2-core development VM
 * (Node 20.20, OpenSSL 3.0.19; `npm run bench load`, "workers" section): see README "Load testing".
 */
export const DEFAULT_MULTI_WORKER_KIND: Exclude<WorkerKind, 'inline'> = 'process';

/** Defaults of every optional load option (autocannon's defaultOptions shape). */
export const DEFAULT_LOAD_OPTIONS = {
  tls: '1.3' as TlsVersion,
  mode: 'full' as LoadMode,
  /** With mode resumed or mixed; with mode full the default is `ignore` (issue 14: named, not implied). */
  ticketPolicy: 'reuse' as TicketPolicy,
  connections: 8,
  /** Used when neither a duration nor a handshake count is given. */
  durationS: 10,
  warmupS: 0,
  workers: 1,
  workerKind: 'auto' as WorkerKind | 'auto',
  /** Per handshake (or probe, or request) before it counts as a timeout. */
  // NOTE: the same default as every command's --timeout (5000 ms).
  timeoutMs: 5_000,
  /** How long a `fresh` TLS 1.3 connection waits for its ticket after the handshake (priming waits at least 2 s). */
  ticketTimeoutMs: 250,
  /** Above this share of refused or failed handshakes (requests) among those attempted, the run fails. */
  maxErrorRate: 0,
  /** Below this share of resumptions that happened, among those asked for (and accepted), the run fails. */
  minResumeSuccess: 0.99,
  servername: 'localhost',
  httpPath: '/',
  pipelining: 1,
  /** Probe a valid identity before and after the load (a dead or rejecting server never yields figures). */
  sanity: true,
} as const;
