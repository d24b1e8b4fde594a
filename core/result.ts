import type { AlertName } from './alerts.js';
import type { ErrorCode } from './errors.js';
import type { HandshakeStep, ServerPolicy, Severity, TlsVersion } from './scenario.js';

/**
 * Version of the results.json contract (schemas/results.schema.json). 2: every result carries each client's
 * observation with what it proves, the paired controls, severity and coverage; `expected.decision` may be `either`.
 */
export const RESULTS_SCHEMA_VERSION = 2;

/** The two independent TLS clients: node:tls (OpenSSL) and our own wire-level client. */
export type Backend = 'node' | 'wire';
/** Every backend, in canonical order. */
export const BACKENDS: readonly Backend[] = ['node', 'wire'];

/**
 * What the client saw of the TLS record layer, the raw material of evidence: whether the server ever sent a whole
 * record, whether its stream ended inside one, and whether the client's authentication flight (the one carrying its
 * Certificate and CertificateVerify) had left before the server's decision.
 */
export interface TransportFacts {
  /** Complete TLS records received from the server. */
  readonly serverRecords: number;
  /** The server's stream ended inside a record (a truncated record). */
  readonly truncatedRecord: boolean;
  /** The client sent its flight after the ClientHello (TLS 1.2: Certificate/ClientKeyExchange…; TLS 1.3: encrypted). */
  readonly clientFlightSent: boolean;
}

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
  /** Which client made it. */
  readonly backend?: Backend;
  /** Record-layer facts, when the client could see them. */
  readonly transport?: TransportFacts;
  /** Free-form details (e.g. the node error code). */
  readonly detail?: string;
}

/** Verdicts: xfail/xpass come from per-target expectation files. */
export type Verdict = 'pass' | 'fail' | 'skip' | 'error' | 'xfail' | 'xpass';

/**
 * What one observation proves about the server's decision:
 * - `acceptance`: an application-data round trip succeeded (or a non-rejecting HTTP status came back);
 * - `conclusive-rejection`: a fatal alert or a rejecting HTTP status, after the client presented the defect;
 * - `inconclusive-rejection`: a close or reset (no alert): a server that drops connections looks the same;
 * - `early-rejection`: refused before the client's certificate flight was sent: not a decision about it;
 * - `no-decision`: an unrelated failure or a timeout.
 */
export type ObservationEvidence =
  'acceptance' | 'conclusive-rejection' | 'inconclusive-rejection' | 'early-rejection' | 'no-decision';

/** One client's observation of one scenario, with what it proves. */
export interface ClientObservation {
  readonly backend: Backend;
  readonly observed: Observation;
  readonly evidence: ObservationEvidence;
  /** Why the observation proves what it proves, in words. */
  readonly note: string;
}

/**
 * A positive control: the valid identity sent on the same path as the scenarios that share it (same target and
 * policy, client, TLS version, probe mode, server name and message-mutation family). A rejection verdict stands only
 * when its control was accepted.
 */
export interface ControlResult {
  /** `control:<policy>:<backend>:<tls>:<probe>:<servername>:<family>:<fixture>`. */
  readonly id: string;
  readonly policy: ServerPolicy;
  readonly backend: Backend;
  readonly tls: TlsVersion;
  readonly probe: 'raw' | 'http';
  readonly servername: string;
  /** The message-mutation family of the path (`none` for unaltered conversations). */
  readonly family: string;
  /** The fixture sent: the scenario's own when it is a valid identity, else `valid`. */
  readonly fixture: string;
  readonly observed: Observation;
  readonly accepted: boolean;
  /** Wall time in milliseconds. */
  readonly duration: number;
}

/** Why a scenario was not run. */
export type SkipKind =
  /** The target cannot judge it (a capability it lacks: OCSP, an identity policy…). */
  | 'capability'
  /** The fixture set lacks the scenario's fixture. */
  | 'fixture'
  /** It needs the server clock pinned to the fixture clock. */
  | 'clock'
  /**
   * The fixture clock is so far from now (the server's clock, as assumed) that the fixture no longer means what the
   * scenario says: a not-yet-valid certificate whose notBefore has passed, a leaf expired by more than one second.
   */
  | 'clock-distance'
  /** A known deviation of the target says skip. */
  | 'deviation'
  /** The client cannot send it. */
  | 'client'
  /** The run was stopped (SIGINT, SIGTERM) before this result was probed or judged: not a verdict on the target. */
  | 'interrupted';

/** One scenario × TLS version. */
export interface ScenarioResult {
  readonly id: string;
  readonly title: string;
  readonly tls: TlsVersion;
  readonly policy: ServerPolicy;
  readonly fixture: string | null;
  /** What a failure means: `security` failures gate; `protocol` ones are warnings unless `--strict`. */
  readonly severity: Severity;
  readonly expected: {
    /** `either`: the RFC lets the server choose; both decisions conform. */
    readonly decision: 'accept' | 'reject' | 'either';
    readonly alerts: readonly AlertName[];
    readonly step?: HandshakeStep;
  };
  /** The decisive observation (the acceptance of a failure, the conclusive rejection of a pass…). */
  readonly observed: Observation;
  /** Every client's observation, with what it proves (empty for a skip). */
  readonly observations: readonly ClientObservation[];
  /** Ids of the controls (in RunResult.controls) this verdict rests on. */
  readonly controls: readonly string[];
  /** Whether the clients saw the same decision (`single` when one client probed). */
  readonly clients: 'agree' | 'disagree' | 'single';
  /** Set for a skip: why. */
  readonly skip?: { readonly kind: SkipKind; readonly detail: string };
  /**
   * What a procedure scenario (sessions, post-handshake authentication, proxied identity) saw, in words: e.g.
   * "resumed without a certificate after revocation", "the proxy forwarded a forged X-SSL-Client-Verify".
   */
  readonly finding?: string;
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

/** What the run verified and what it did not, per topic (the second id component). */
export interface Coverage {
  /** Results (scenario × TLS version) in the run, sanity included. */
  readonly results: number;
  /** Results with a judged decision: pass, fail, xfail, xpass. */
  readonly verified: number;
  readonly skipped: number;
  readonly errors: number;
  /** Skipped results by reason (the skip detail). */
  readonly skippedByReason: Readonly<Record<string, number>>;
  readonly topics: Readonly<
    Record<string, { readonly verified: number; readonly skipped: number; readonly errors: number }>
  >;
  /** One line per topic with unverified results, e.g. `revocation not verified: 2 skipped — target lacks 'ocsp'`. */
  readonly notVerified: readonly string[];
  /** Topics `--require-coverage` named (every topic for `all`); empty when not asked. */
  readonly required: readonly string[];
  /** Required topics with skipped results: each makes the run non-conformant. */
  readonly missing: readonly string[];
}

/** How the run was gated. */
export interface Gate {
  /** `--strict`: protocol failures fail the gate too. */
  readonly strict: boolean;
  /** `--gate`: `all` failures count, or only `regressions` (new since the baseline). */
  readonly mode: 'all' | 'regressions';
}

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
  /** The positive controls the rejection verdicts rest on. */
  readonly controls: readonly ControlResult[];
  readonly coverage: Coverage;
  readonly gate: Gate;
  /**
   * Verdict counts; `gating` counts the results that make the run non-conformant (security failures, protocol
   * failures under --strict, unexpected passes), `warnings` the protocol failures that do not.
   */
  readonly summary: Readonly<Record<Verdict, number>> & {
    readonly total: number;
    readonly gating: number;
    readonly warnings: number;
  };
  /**
   * True when nothing gating failed, nothing errored, coverage is complete where required (skips are allowed) and the
   * run was not interrupted.
   */
  readonly conformant: boolean;
  /**
   * True when the run was stopped before its end (SIGINT, SIGTERM): the results not run are skips of kind
   * `interrupted`, the closing sanity check was not run, and the run is not conformant (the CLI exits 130 or 143).
   */
  readonly interrupted: boolean;
  /** The signal that stopped the run, when one did. */
  readonly signal?: 'SIGINT' | 'SIGTERM' | 'SIGHUP';
  /** Set when the run itself is invalid (sanity failed, target died): exit 2. */
  readonly error?: { readonly code: ErrorCode; readonly message: string };
  /** Set when --baseline was given. */
  readonly baseline?: { readonly file: string; readonly newFailures: number; readonly fixed: number };
}
