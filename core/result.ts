import type { AlertName } from './alerts.js';
import type { ErrorCode } from './errors.js';
import type { HandshakeStep, ServerPolicy, TlsVersion } from './scenario.js';

/** Version of the results.json contract (schemas/results.schema.json). */
export const RESULTS_SCHEMA_VERSION = 1;

/**
 * What happened on the wire.
 * - accepted: handshake completed and an application-data round trip succeeded (the only proof of acceptance);
 * - rejected-alert: the server sent a fatal alert;
 * - rejected-http: the handshake completed but the server answered with an HTTP error status (400/403/495/496…);
 * - closed: the server closed the connection without an alert;
 * - reset: the server reset the TCP connection;
 * - timeout: nothing decisive within the timeout;
 * - error: a failure unrelated to the client certificate (refused, DNS, not TLS, server certificate untrusted…);
 * - not-run: skipped before connecting.
 */
export type Outcome =
  'accepted' | 'rejected-alert' | 'rejected-http' | 'closed' | 'reset' | 'timeout' | 'error' | 'not-run';

/** Outcomes that count as the server rejecting the client. */
export const REJECTION_OUTCOMES: readonly Outcome[] = ['rejected-alert', 'rejected-http', 'closed', 'reset'];

/** Classes of failure unrelated to the client certificate. */
export type UnrelatedError =
  'refused' | 'dns' | 'not-tls' | 'server-untrusted' | 'protocol-version' | 'client-setup' | 'internal';

/** One observation of one scenario over one TLS version. */
export interface Observation {
  readonly outcome: Outcome;
  /** The alert received, if any. */
  readonly alert?: { readonly name: AlertName | 'unknown'; readonly code: number };
  /** During the handshake, or after the client saw it complete (TLS 1.3 client-auth rejections). */
  readonly alertTiming?: 'handshake' | 'post-handshake';
  /** Inferred step of the server's decision. */
  readonly step: HandshakeStep | null;
  /** Whether the client saw its handshake complete. */
  readonly handshakeCompleted: boolean;
  /** For HTTP probes: the response status. */
  readonly httpStatus?: number;
  /** For `error`: the class and message of the unrelated failure. */
  readonly error?: { readonly kind: UnrelatedError; readonly message: string };
  /** Negotiated protocol, when the handshake completed. */
  readonly protocol?: string;
  /** Which probe made the observation. */
  readonly probe?: 'node' | 'http' | 'wire';
  /** Free-form details (e.g. the node error code). */
  readonly detail?: string;
}

/** Verdicts: xfail/xpass come from per-target expectation files. */
export type Verdict = 'pass' | 'fail' | 'skip' | 'error' | 'xfail' | 'xpass';

/** One scenario × TLS version. */
export interface ScenarioResult {
  readonly id: string;
  readonly title: string;
  readonly tls: TlsVersion;
  readonly policy: ServerPolicy;
  readonly fixture: string | null;
  readonly expected: {
    readonly decision: 'accept' | 'reject';
    readonly alerts: readonly AlertName[];
    readonly step?: HandshakeStep;
  };
  readonly observed: Observation;
  readonly verdict: Verdict;
  /** Why the verdict is what it is (the mechanism of rejection, the skip reason, the failure). */
  readonly reason: string;
  /** Wall time in milliseconds. */
  readonly duration: number;
  /** Against --baseline: how this result changed. */
  readonly change?: 'new-failure' | 'fixed' | 'unchanged' | 'new';
}

/** Acceptance strictness: any rejection, an alert from the acceptable set, or the RFC's own alert. */
export type Strictness = 'any' | 'alert' | 'rfc';

/** A whole conformance run: the results.json contract. */
export interface RunResult {
  readonly schemaVersion: typeof RESULTS_SCHEMA_VERSION;
  readonly tool: { readonly name: 'mtls-harness'; readonly version: string };
  readonly catalogue: { readonly version: number; readonly scenarios: number };
  readonly target: {
    readonly name: string;
    readonly endpoint: string;
    readonly version?: string;
    readonly probe: 'raw' | 'http';
  };
  /** The policy the target was run under; `both` when the built-in server ran once per policy. */
  readonly policy: ServerPolicy | 'both';
  readonly clock: string;
  readonly strictness: Strictness;
  readonly startedAt: string;
  readonly duration: number;
  readonly results: readonly ScenarioResult[];
  readonly summary: Readonly<Record<Verdict, number>> & { readonly total: number };
  /** True when nothing failed, xpassed or errored (skips are allowed). */
  readonly conformant: boolean;
  /** Set when the run itself is invalid (sanity failed, target died): exit 2. */
  readonly error?: { readonly code: ErrorCode; readonly message: string };
  /** Set when --baseline was given. */
  readonly baseline?: { readonly file: string; readonly newFailures: number; readonly fixed: number };
}
