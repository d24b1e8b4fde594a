import type { AlertName } from '../core/alerts.js';
import type { FixtureRequirement } from '../core/manifest.js';
import type {
  Expectation,
  Feature,
  HandshakeStep,
  ProcedureRef,
  Scenario,
  ScenarioId,
  ServerPolicy,
  Severity,
  TlsVersion,
} from '../core/scenario.js';

/**
 * A scenario before it is bound to a server policy. The catalogue instantiates each template once per policy it
 * applies to, with the id `<policy>::<topic>::<name>`.
 */
export interface ScenarioTemplate {
  /** Last id component; several names are public contracts (see README). */
  readonly name: string;
  readonly title: string;
  readonly description: string;
  readonly spec: readonly string[];
  readonly importance: Scenario['importance'];
  /**
   * What a failure means, for every policy or per policy: `security` when a wrong decision lets an unauthorised
   * client in, `protocol` for strictness without authentication impact (rejecting a client that should be accepted
   * never lets anyone in).
   */
  readonly severity: Severity | Partial<Record<ServerPolicy, Severity>>;
  /** Fixture id from the manifest, or null for no certificate. */
  readonly fixture: string | null;
  /** Expectation under each policy; a policy left out does not get this scenario. */
  readonly expect: Partial<Record<ServerPolicy, Expectation>>;
  readonly requires?: readonly Feature[];
  readonly tls?: readonly TlsVersion[];
  readonly sanity?: boolean;
  readonly wire?: Scenario['wire'];
  /** Runs a registered procedure (engine/procedures) instead of one probe. */
  readonly procedure?: ProcedureRef;
  /** Runs against the target configured with this alternative CRL bundle (see Scenario.crlVariant). */
  readonly crlVariant?: Scenario['crlVariant'];
  /** The server's policy in words for each decision (see Scenario.policyFinding). */
  readonly policyFinding?: Scenario['policyFinding'];
}

/** Maps a fixture's manifest requirements to the target/harness features a scenario needs. */
export const FEATURE_OF: Record<FixtureRequirement, Feature> = {
  ocsp: 'ocsp',
  'identity-policy': 'identity-policy',
  'foreign-key-signing': 'foreign-key-signing',
  'pinned-clock': 'pinned-clock',
};

/** A rejection with the given acceptable alerts (RFC alert first). */
export function reject(alerts: readonly AlertName[], step: HandshakeStep = 'client-certificate'): Expectation {
  return { decision: 'reject', alerts, step };
}

/** An acceptance. */
export const ACCEPT: Expectation = { decision: 'accept', alerts: [] };

/** Same rejection under both policies: an optional server must still reject a bad certificate. */
export function rejectBoth(
  alerts: readonly AlertName[],
  step?: HandshakeStep,
): { require: Expectation; optional: Expectation } {
  const e = reject(alerts, step);
  return { require: e, optional: e };
}

/** Acceptance under both policies. */
export const ACCEPT_BOTH: { require: Expectation; optional: Expectation } = { require: ACCEPT, optional: ACCEPT };

/** Binds a topic's templates into scenarios for one policy. */
export function instantiate(topic: string, templates: readonly ScenarioTemplate[], policy: ServerPolicy): Scenario[] {
  const out: Scenario[] = [];
  for (const t of templates) {
    const expect = t.expect[policy];
    if (!expect) continue;
    const severity = typeof t.severity === 'string' ? t.severity : t.severity[policy];
    if (!severity) throw new Error(`scenario template '${topic}::${t.name}' declares no severity for policy ${policy}`);
    out.push({
      id: `${policy}::${topic}::${t.name}` as ScenarioId,
      title: t.title,
      description: t.description,
      spec: t.spec,
      importance: t.importance,
      severity,
      fixture: t.fixture,
      policy,
      expect,
      requires: t.requires ?? [],
      ...(t.tls ? { tls: t.tls } : {}),
      ...(t.sanity ? { sanity: true } : {}),
      ...(t.wire ? { wire: t.wire } : {}),
      ...(t.procedure ? { procedure: t.procedure } : {}),
      ...(t.crlVariant ? { crlVariant: t.crlVariant } : {}),
      ...(t.policyFinding ? { policyFinding: t.policyFinding } : {}),
    });
  }
  return out;
}

/**
 * Either decision conforms under both policies (the RFC leaves it to the server); `alerts` are those a refusing
 * server sends, shown by the observation.
 */
export function eitherBoth(alerts: readonly AlertName[]): { require: Expectation; optional: Expectation } {
  const e: Expectation = { decision: 'reject', alerts, eitherDecision: true };
  return { require: e, optional: e };
}
