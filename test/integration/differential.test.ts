import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadManifest, type FixtureSet } from '../../core/manifest.js';
import type { RunResult } from '../../core/result.js';
import { runSuite } from '../../engine/run-suite.js';
import { selectScenarios } from '../../engine/select.js';
import { generateFixtures } from '../../fixtures-gen/generate.js';
import { catalogue, CATALOGUE_VERSION } from '../../suites/index.js';
import { startBuiltinServer } from '../../targets/builtin.js';

let dir: string;
let fx: FixtureSet;
beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'mtls-diff-'));
  await generateFixtures({ out: dir });
  fx = loadManifest(dir);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('wire client and node:tls probe agree', () => {
  it.each(['require', 'optional'] as const)('on every chain-validation scenario (%s policy)', async (policy) => {
    const target = await startBuiltinServer({ fixtures: fx, policy });
    try {
      // Chain-validation scenarios: everything node:tls can send itself (no mutation, no foreign key).
      const scenarios = selectScenarios(catalogue(), [policy]).filter((s) => !s.wire);
      const run = (backend: 'node' | 'wire') =>
        runSuite({
          scenarios,
          fixtures: fx,
          targets: { [policy]: target },
          tls: ['1.2', '1.3'],
          strictness: 'any',
          backend,
          catalogueVersion: CATALOGUE_VERSION,
          catalogueSize: catalogue().length,
        });
      const node = await run('node');
      const wire = await run('wire');
      const verdicts = (r: RunResult) =>
        Object.fromEntries(
          r.results.map((x) => [
            `${x.id} ${x.tls}`,
            `${x.verdict} ${x.observed.outcome === 'accepted' ? 'accepted' : 'rejected/other'}`,
          ]),
        );
      expect(
        wire.results
          .filter((r) => !r.id.includes('sanity'))
          .every((r) => r.observed.probe === 'wire' || r.verdict === 'skip'),
      ).toBe(true);
      expect(verdicts(wire)).toEqual(verdicts(node));
      expect(node.results.length).toBeGreaterThan(60);
    } finally {
      await target.stop();
    }
  });
});
