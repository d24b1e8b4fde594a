/**
 * The flags `run` and `matrix` share — which scenarios, over which TLS versions, judged how strictly, how many at
 * once and for how long each, from which fixtures — declared and checked in one place, so that both commands accept
 * the same values and refuse the same mistakes in the same words.
 */
import { HarnessError } from '../core/errors.js';
import type { Strictness } from '../core/result.js';
import { TLS_VERSIONS, type Scenario, type ServerPolicy, type TlsVersion } from '../core/scenario.js';
import { selectScenarios } from '../engine/select.js';
import { parseClock } from '../fixtures-gen/generate.js';
import { catalogue } from '../suites/index.js';
import { DEFAULT_TIMEOUT_MS, enumFlag, intFlag, listFlag } from './args.js';

/** The flag declarations (node:util parseArgs) both commands take. */
export const SCENARIO_FLAGS = {
  policy: { type: 'string' },
  tls: { type: 'string' },
  suite: { type: 'string' },
  fixtures: { type: 'string' },
  clock: { type: 'string' },
  strictness: { type: 'string' },
  concurrency: { type: 'string' },
  timeout: { type: 'string' },
  out: { type: 'string' },
} as const;

/** The `--policy` values; `both` runs the require and the optional scenarios. */
export const POLICY_VALUES = ['require', 'optional', 'none', 'both'] as const;

/** The policies a `--policy` value stands for. */
export function policiesOf(flag: (typeof POLICY_VALUES)[number]): ServerPolicy[] {
  return flag === 'both' ? ['require', 'optional'] : [flag];
}

/** `--tls`, `--strictness`, `--concurrency`, `--timeout`, checked (a usage error names the first bad one). */
export function scenarioFlags(values: {
  readonly tls?: string | undefined;
  readonly strictness?: string | undefined;
  readonly concurrency?: string | undefined;
  readonly timeout?: string | undefined;
}): { versions: TlsVersion[]; strictness: Strictness; concurrency: number; timeoutMs: number } {
  const tls = enumFlag('tls', values.tls, ['1.2', '1.3', 'both'] as const, 'both');
  return {
    versions: tls === 'both' ? [...TLS_VERSIONS] : [tls],
    strictness: enumFlag<Strictness>('strictness', values.strictness, ['any', 'alert', 'rfc'], 'any'),
    concurrency: intFlag('concurrency', values.concurrency, 4, 1, 256),
    timeoutMs: intFlag('timeout', values.timeout, DEFAULT_TIMEOUT_MS, 100, 600_000),
  };
}

/** `--clock`: the clock of a fresh fixture set, which is why it excludes `--fixtures`. */
export function clockFlag(values: {
  readonly clock?: string | undefined;
  readonly fixtures?: string | undefined;
}): Date | undefined {
  if (values.clock !== undefined && values.fixtures !== undefined)
    throw new HarnessError('MTLS_ERR_USAGE', '--clock sets the clock of a fresh fixture set: it excludes --fixtures');
  return values.clock === undefined ? undefined : parseClock(values.clock);
}

/** The catalogue's scenarios for `policies` matching `--suite`; a suite that matches none is an error. */
export function suiteScenarios(policies: readonly ServerPolicy[], suite: string | undefined): Scenario[] {
  if (suite !== undefined) listFlag('suite', suite);
  const scenarios = selectScenarios(catalogue(), policies, suite);
  if (suite && !scenarios.some((s) => !s.sanity))
    throw new HarnessError(
      'MTLS_ERR_SUITE_EMPTY',
      `--suite '${suite}' matches no scenario (list them with: mtls-harness list)`,
    );
  return scenarios;
}
