import type { AlertName } from './alerts.js';
import type { CrlVariantName } from './manifest.js';

/**
 * How a server treats client certificates: `require` rejects a client without one, `optional` only asks, `none`
 * never asks (client authentication off: the scenarios for it check that an unasked-for Certificate is refused).
 */
export type ServerPolicy = 'require' | 'optional' | 'none';
/** The policies a run covers by default (`--policy both`), in canonical order. */
export const SERVER_POLICIES: readonly ServerPolicy[] = ['require', 'optional'];
/** Every policy, in canonical order. */
export const ALL_POLICIES: readonly ServerPolicy[] = ['require', 'optional', 'none'];

/** TLS protocol versions the harness drives. */
export type TlsVersion = '1.2' | '1.3';
export const TLS_VERSIONS: readonly TlsVersion[] = ['1.2', '1.3'];

/**
 * Capabilities a scenario may need from the target or the harness. A scenario whose feature is missing is reported
 * `skip` with the reason, never `pass`.
 */
export type Feature =
  /** The server checks CRLs for every CA level. */
  | 'crl'
  /** The server checks OCSP for client certificates. */
  | 'ocsp'
  /** The server enforces an identity allow-list after chain validation. */
  | 'identity-policy'
  /** The client can sign CertificateVerify with a key other than the certificate's (the wire client). */
  | 'foreign-key-signing'
  /** The server's clock can be pinned to the fixture clock. */
  | 'pinned-clock'
  /** The scenario needs our wire-level TLS client. */
  | 'wire-client'
  /** The server resumes sessions (TLS 1.2 session IDs or tickets, TLS 1.3 PSK). */
  | 'resumption'
  /** The harness controls the OCSP responder the server asks (it can turn a `good` answer into `revoked`). */
  | 'ocsp-control'
  /** The server serves a second name without client authentication beside the one under test (cross-SNI). */
  | 'sni-no-auth'
  /** The server has an `optional` endpoint sharing session state (ticket keys, cache) with a `require` one. */
  | 'shared-sessions'
  /** The server asks for a client certificate only for one location, after the handshake (PHA, renegotiation). */
  | 'per-location-auth'
  /** The server is a reverse proxy in front of the harness's echo backend, forwarding the verified identity. */
  | 'proxy-identity'
  /**
   * The server limits a client chain to at most {@link DECLARED_VERIFY_DEPTH} intermediate CAs (OpenSSL's verify
   * depth 5, as the harness configures nginx, Apache, lighttpd and openssl s_server).
   */
  | 'verify-depth';

/** The verify depth a target with the `verify-depth` feature declares: at most 5 intermediate CAs above the leaf. */
export const DECLARED_VERIFY_DEPTH = 5;

/**
 * Where in the handshake a decision was made (or a message was sent). Names follow RFC 8446 §4 / RFC 5246 §7.4.
 */
export type HandshakeStep =
  | 'tcp-connect'
  | 'client-hello'
  | 'server-hello'
  | 'certificate-request'
  | 'client-certificate'
  | 'client-key-exchange'
  | 'certificate-verify'
  | 'client-finished'
  | 'post-handshake'
  | 'application-data';

/** Handshake steps in protocol order: a rejection counts only at or after the step where the defect was presented. */
export const STEP_ORDER: readonly HandshakeStep[] = [
  'tcp-connect',
  'client-hello',
  'server-hello',
  'certificate-request',
  'client-certificate',
  'client-key-exchange',
  'certificate-verify',
  'client-finished',
  'post-handshake',
  'application-data',
];

/** Position of a step in {@link STEP_ORDER} (later steps compare greater). */
export function stepIndex(step: HandshakeStep): number {
  return STEP_ORDER.indexOf(step);
}

/**
 * What a failure of the scenario means:
 * - `security`: accepting the client lets an unauthorised client in (an invalid, untrusted, revoked or unproven
 *   identity is authenticated, or a required certificate is not required); such a failure fails the gate;
 * - `protocol`: strictness with no authentication impact (an unrequested extension tolerated, the choice of alert, a
 *   malformed message around a valid certificate); shown as a warning, failing the gate only with `--strict`;
 * - `advisory`: a behaviour the RFCs leave to the server (re-checking revocation or expiry when a session resumes),
 *   reported as a finding ("resumption honours revocation: no") and never gating.
 */
export type Severity = 'security' | 'protocol' | 'advisory';
/** Every severity, most serious first. */
export const SEVERITIES: readonly Severity[] = ['security', 'protocol', 'advisory'];

/**
 * A scenario that takes more than one connection, or looks past the handshake: it runs a named procedure
 * (engine/procedures) instead of one probe. `params` are the procedure's own (e.g. the resumption mechanism).
 */
export interface ProcedureRef {
  /** Name of a registered procedure, e.g. `resume`, `post-handshake-auth`, `renegotiation`, `proxy-identity`. */
  readonly name: string;
  readonly params?: Readonly<Record<string, string | number | boolean>>;
}

/** A scenario id: `namespace::kebab-name`, namespaces may nest (`rfc5280::eku::server-auth-only`). */
export type ScenarioId = `${string}::${string}`;
/** The pattern every scenario id must match. */
export const SCENARIO_ID_PATTERN = /^[a-z0-9]+(?:-[a-z0-9]+)*(?:::[a-z0-9]+(?:-[a-z0-9]+)*)+$/;

/** What a correct server does with the scenario. */
export interface Expectation {
  readonly decision: 'accept' | 'reject';
  /** Acceptable alerts for a rejection; the first is the RFC's own alert (used by the strictest mode). */
  readonly alerts: readonly AlertName[];
  /** Per TLS version overrides of `alerts` (e.g. no certificate: handshake_failure in 1.2, certificate_required in 1.3). */
  readonly alertsByTls?: Partial<Record<TlsVersion, readonly AlertName[]>>;
  /** The step at which a strict server decides, where it is fixed by the protocol. */
  readonly step?: HandshakeStep;
  /**
   * When true, both decisions are conformant (the RFC lets servers choose); the verdict then reports what was seen
   * as `pass` with a note.
   */
  readonly eitherDecision?: boolean;
  /**
   * A bounded-time check: the server must answer (either way) within the probe timeout. A client that saw no answer
   * in time makes the verdict `fail` (not `error`) when the control on the same path was answered; a pass says the
   * answer came in time.
   */
  readonly boundedTime?: boolean;
}

/** A typed conformance scenario record. */
export interface Scenario {
  readonly id: ScenarioId;
  readonly title: string;
  /** The protocol reasoning: what is wrong and why a server must decide as expected. */
  readonly description: string;
  /** Spec references, e.g. `RFC 5280 §4.2.1.12`. */
  readonly spec: readonly string[];
  readonly importance: 'high' | 'medium' | 'low';
  /** What a failure means: a way in for an unauthorised client (`security`) or strictness only (`protocol`). */
  readonly severity: Severity;
  /** The client fixture id from the manifest; null sends no certificate at all. */
  readonly fixture: string | null;
  /** The server policy this scenario applies to. */
  readonly policy: ServerPolicy;
  readonly expect: Expectation;
  /** Capabilities needed; missing ones make the scenario `skip`. */
  readonly requires: readonly Feature[];
  /** TLS versions it runs on (default both). */
  readonly tls?: readonly TlsVersion[];
  /**
   * Runs through the wire-level client: `mutation` alters one handshake message (see wire/mutations.ts);
   * `certificateRequest` also checks the server's CertificateRequest lists the fixture root (or no CA at all).
   */
  readonly wire?: { readonly mutation?: string; readonly certificateRequest?: boolean };
  /** Marks the sanity scenario that runs first and last. */
  readonly sanity?: boolean;
  /** Runs a multi-connection or after-the-handshake procedure instead of one probe. */
  readonly procedure?: ProcedureRef;
  /**
   * Runs against the target configured with this alternative CRL bundle (manifest `crlVariants`): a server the
   * harness starts is started again with it; an external one only when it was declared with `--crl-variant`.
   */
  readonly crlVariant?: CrlVariantName;
  /**
   * The server's policy in words for each decision (issue 13: `hard-fail` / `soft-fail`), reported as the result's
   * finding: where the RFCs leave the choice to the server, what it chose is what the report says.
   */
  readonly policyFinding?: { readonly rejected: string; readonly accepted: string };
}
