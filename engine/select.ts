import type { Scenario, ServerPolicy } from '../core/scenario.js';

/** Compiles a `--suite` glob (`*` any run of characters, `?` one; several globs separated by commas) into a test. */
export function globMatcher(globs: string): (id: string) => boolean {
  const patterns = globs
    .split(',')
    .map((g) => g.trim())
    .filter(Boolean)
    .map(
      (g) =>
        new RegExp(
          `^${g
            .replace(/[.+^${}()|[\]\\]/g, '\\$&')
            .replace(/\*/g, '.*')
            .replace(/\?/g, '.')}$`,
        ),
    );
  return (id) => patterns.some((p) => p.test(id));
}

/**
 * Picks the scenarios to run: those of the given policies whose id matches `suite`. A glob may omit the policy
 * prefix: `validity::*` matches `require::validity::expired`. Sanity scenarios are always kept.
 */
export function selectScenarios(
  all: readonly Scenario[],
  policies: readonly ServerPolicy[],
  suite?: string,
): Scenario[] {
  const match = suite ? globMatcher(suite) : () => true;
  return all.filter(
    (s) => policies.includes(s.policy) && (s.sanity || match(s.id) || match(s.id.slice(s.policy.length + 2))),
  );
}
