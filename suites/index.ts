import { ALL_POLICIES, SCENARIO_ID_PATTERN, type Scenario } from '../core/scenario.js';
import { certificateRequest } from './certificate-request.js';
import { certificateVerify } from './certificate-verify.js';
import { chain } from './chain.js';
import { crypto } from './crypto.js';
import { instantiate, type ScenarioTemplate } from './define.js';
import { extensions } from './extensions.js';
import { handshake } from './handshake.js';
import { identity } from './identity.js';
import { keys } from './keys.js';
import { possession } from './possession.js';
import { postHandshake } from './post-handshake.js';
import { presence } from './presence.js';
import { profiles } from './profiles.js';
import { proxyIdentity } from './proxy-identity.js';
import { purpose } from './purpose.js';
import { resumption } from './resumption.js';
import { revocation } from './revocation.js';
import { sanity } from './sanity.js';
import { structure } from './structure.js';
import { trust } from './trust.js';
import { validity } from './validity.js';

/**
 * Version of the catalogue, printed in every report. Bump it whenever a scenario is added, removed or its expectation
 * changes, and record the change in CHANGELOG.md under "Catalogue".
 */
export const CATALOGUE_VERSION = 9;

/** Topic name (the second id component, and the file under suites/) → its templates. */
export const TOPICS: Readonly<Record<string, readonly ScenarioTemplate[]>> = {
  sanity,
  presence,
  validity,
  trust,
  chain,
  structure,
  keys,
  revocation,
  purpose,
  crypto,
  extensions,
  profiles,
  possession,
  identity,
  handshake,
  'post-handshake': postHandshake,
  'proxy-identity': proxyIdentity,
  resumption,
  'certificate-verify': certificateVerify,
  'certificate-request': certificateRequest,
};

/** Checks ids against the pattern and for uniqueness; throws on the first problem. */
export function checkCatalogue(scenarios: readonly Scenario[]): void {
  const seen = new Set<string>();
  for (const s of scenarios) {
    if (!SCENARIO_ID_PATTERN.test(s.id)) throw new Error(`scenario id '${s.id}' does not match ${SCENARIO_ID_PATTERN}`);
    if (seen.has(s.id)) throw new Error(`duplicate scenario id '${s.id}'`);
    if (s.spec.length === 0) throw new Error(`scenario '${s.id}' has no spec reference`);
    if (s.expect.decision === 'reject' && s.expect.alerts.length === 0)
      throw new Error(`scenario '${s.id}' rejects with no acceptable alert`);
    seen.add(s.id);
  }
}

let cached: readonly Scenario[] | undefined;

/** The whole catalogue: every topic under every policy it applies to, sanity first. Checked on first use. */
export function catalogue(): readonly Scenario[] {
  if (!cached) {
    const all: Scenario[] = [];
    for (const policy of ALL_POLICIES) {
      for (const [topic, templates] of Object.entries(TOPICS)) all.push(...instantiate(topic, templates, policy));
    }
    checkCatalogue(all);
    cached = all;
  }
  return cached;
}
