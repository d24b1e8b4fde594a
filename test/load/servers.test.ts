import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FixtureSet } from '../../core/manifest.js';
import type { TlsVersion } from '../../core/scenario.js';
import { runLoad } from '../../load/run-load.js';
import { ADAPTERS, probeAdapter, type ProcessTargetName } from '../../targets/process/index.js';
import { parseTarget, startTargets } from '../../targets/registry.js';
import type { StartedTarget } from '../../targets/target.js';
import { freshFixtures, loadOptions } from './helpers.js';

// Full and resumed handshakes against real servers the harness starts (nginx, HAProxy): resumption proven by
// isSessionReused() on every handshake. A server that is not installed is skipped with the reason printed.
let fixtures: Awaited<ReturnType<typeof freshFixtures>>;
let fx: FixtureSet;
beforeAll(async () => {
  fixtures = await freshFixtures();
  fx = fixtures.fx;
});
afterAll(() => fixtures?.dispose());

const SERVERS: ProcessTargetName[] = ['nginx', 'haproxy'];
const availability = await Promise.all(
  SERVERS.map(async (name) => {
    try {
      parseTarget(name);
      return { name, ...(await probeAdapter(ADAPTERS[name])) };
    } catch (err) {
      return { name, available: false as const, reason: err instanceof Error ? err.message : String(err) };
    }
  }),
);

for (const a of availability) {
  if (!a.available) console.warn(`test/load/servers: skipping ${a.name}: ${'reason' in a ? a.reason : 'unavailable'}`);
  describe.skipIf(!a.available)(`load against ${a.name}`, () => {
    let target: StartedTarget;
    beforeAll(async () => {
      const started = await startTargets(parseTarget(a.name), fx, ['require'], { capabilities: [] });
      target = started.require!;
    });
    afterAll(async () => {
      await target?.stop();
    });
    it.each<TlsVersion>(['1.2', '1.3'])('full handshakes over TLS %s', async (tls) => {
      const r = await runLoad(loadOptions(fx, target, { tls, mode: 'full', handshakes: 60 }));
      expect(r.handshakes).toMatchObject({ succeeded: 60, full: 60, resumed: 0, failed: 0 });
      expect(r.passed).toBe(true);
    });
    it.each<TlsVersion>(['1.2', '1.3'])('resumed handshakes over TLS %s: at least 99 percent resumed', async (tls) => {
      const r = await runLoad(loadOptions(fx, target, { tls, mode: 'resumed', handshakes: 150 }));
      expect(r.handshakes.succeeded).toBe(150);
      expect(r.resumedRatio, JSON.stringify(r.resumption)).toBeGreaterThanOrEqual(0.99);
      expect(r.passed).toBe(true);
    });
  });
}
