/**
 * Procedures: scenarios that take more than one connection (a session made, then resumed), or look past the
 * handshake (post-handshake authentication, renegotiation, the identity a proxy forwards). A procedure runs its
 * connections through the same two clients as any scenario and hands back assessed observations and the controls
 * they rest on; the verdict is then the same pure function of that evidence as for every other scenario.
 */
import type { FixtureSet } from '../../core/manifest.js';
import type { ClientObservation, ControlResult, Observation, SkipKind } from '../../core/result.js';
import type { Scenario, TlsVersion } from '../../core/scenario.js';
import type { StartedTarget } from '../../targets/target.js';
import type { WireProbeOptions, WireResult } from '../../wire/index.js';

/** What a procedure is given: the scenario, the target, and clients preset for them. */
export interface ProcedureContext {
  readonly scenario: Scenario;
  readonly tls: TlsVersion;
  readonly target: StartedTarget;
  readonly fixtures: FixtureSet;
  /** PEM bundle the clients verify the server against. */
  readonly trustPem: string;
  readonly timeoutMs: number;
  /** `http`: the server speaks HTTP (a rejecting status is a refusal); `raw`: any data back is an answer. */
  readonly mode: 'raw' | 'http';
  /** SNI / expected server name of the target. */
  readonly servername: string;
  /** Aborted when the run is interrupted: a procedure starts no new connection after it. */
  readonly signal?: AbortSignal;
  /** A file of the fixture set (relative to the manifest), cached. */
  read(rel: string): string;
  /**
   * A wire probe preset with the target's address, server name, TLS version, trust, timeout and probe mode (an HTTP
   * GET of `/` when the target speaks HTTP); `options` override any of them.
   */
  wire(options?: Partial<WireProbeOptions>): Promise<WireResult>;
  /**
   * One value per run for `key`: the first caller's `make` runs, every later caller of the run gets its promise. For
   * what several scenarios share (a control, or a probe that is one scenario and the control of others); the key must
   * name everything the value depends on (policy, TLS version, path, identity).
   */
  once<T>(key: string, make: () => Promise<T>): Promise<T>;
  /**
   * A node:tls probe of a fixture (or no certificate), preset likewise; `servername` overrides the SNI, `path` and
   * `headers` shape the HTTP request.
   */
  node(
    fixture: string | null,
    options?: {
      readonly servername?: string;
      readonly path?: string;
      readonly headers?: readonly (readonly [string, string])[];
    },
  ): Promise<Observation>;
}

/** What a procedure hands back: the evidence, and what it saw in words. */
export interface ProcedureOutcome {
  /** The decisive observations, assessed (engine/evidence.ts `assess`). */
  readonly observations: readonly ClientObservation[];
  /** The controls the verdict rests on (e.g. the first, full handshake of a resumption, accepted). */
  readonly controls: readonly ControlResult[];
  /** The observed behaviour in words, e.g. "resumed without a certificate after revocation". */
  readonly finding: string;
  /**
   * A rule the server broke whatever it decided, proven by what the client received (e.g. a post-handshake
   * CertificateRequest to a client that did not offer post_handshake_auth): the scenario fails with it.
   */
  readonly violation?: string;
}

/** A procedure that cannot run against this target (a capability it lacks, a client that cannot play it). */
export interface ProcedureSkip {
  readonly skip: { readonly kind: SkipKind; readonly detail: string };
}

/** A named procedure. */
export type Procedure = (ctx: ProcedureContext) => Promise<ProcedureOutcome | ProcedureSkip>;

const REGISTRY = new Map<string, Procedure>();

/** Registers a procedure under its name (done once per module, at import). */
export function registerProcedure(name: string, procedure: Procedure): void {
  if (REGISTRY.has(name)) throw new Error(`procedure '${name}' is registered twice`);
  REGISTRY.set(name, procedure);
}

/** The procedure of a name, or undefined. */
export function findProcedure(name: string): Procedure | undefined {
  return REGISTRY.get(name);
}

/** Names of every registered procedure (the catalogue test checks each scenario names one). */
export function procedureNames(): string[] {
  return [...REGISTRY.keys()];
}
