import { describe, expect, it } from 'vitest';
import { containerRuntime, startContainerTarget } from '../../targets/container/container-target.js';
import { ADAPTERS } from '../../targets/process/index.js';
import { runAgainst, sharedFixtures } from './harness.js';

const runtime = await containerRuntime();
if (!runtime.available) console.log(`SKIP container targets: ${runtime.reason}`);

describe('container targets without a container runtime', () => {
  it.skipIf(runtime.available)('are reported unavailable with the reason, not crashed', async () => {
    const err = await startContainerTarget(ADAPTERS.nginx, { manifest: {} } as never, 'require').catch(
      (e: unknown) => e,
    );
    expect((err as { code?: string }).code).toBe('MTLS_ERR_TARGET_UNAVAILABLE');
    expect((err as Error).message).toMatch(/container runtime/);
  });
});

describe.skipIf(!runtime.available)('container targets (official images, the same rendered configuration)', () => {
  const fixtures = sharedFixtures();
  for (const name of ['nginx', 'haproxy', 'apache'] as const) {
    it(`container:${name} accepts a valid client and rejects bad ones`, async () => {
      const target = await startContainerTarget(ADAPTERS[name], fixtures.get(), 'require');
      try {
        const run = await runAgainst(fixtures.get(), target as never, { suite: 'validity::*,trust::*,revocation::*' });
        expect(run.error, run.error?.message).toBeUndefined();
        expect(run.results.filter((r) => r.verdict === 'fail' || r.verdict === 'error')).toEqual([]);
      } finally {
        await target.stop();
      }
    }, 180_000);
  }
});
