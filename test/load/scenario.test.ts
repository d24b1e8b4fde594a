import { afterAll, beforeAll, expect, it } from 'vitest';
import type { FixtureSet } from '../../core/manifest.js';
import { identityPems } from '../../load/identities.js';
import { runLoad } from '../../load/run-load.js';
import { startBuiltinServer } from '../../targets/builtin.js';
import { freshFixtures, loadOptions } from './helpers.js';

// A rejection scenario under load: every probe sends the scenario's bad certificate and needs an application-data round
// trip to count as an acceptance (as the engine probe does), so a TLS 1.3 server that rejects after the handshake is
// not miscounted.
let fixtures: Awaited<ReturnType<typeof freshFixtures>>;
let fx: FixtureSet;
beforeAll(async () => {
  fixtures = await freshFixtures();
  fx = fixtures.fx;
});
afterAll(() => fixtures?.dispose());

const scenario = (fixture: string) => ({
  id: `require::trust::${fixture}`,
  fixture,
  expect: 'reject' as const,
  identity: identityPems(fx, [fixture])[0]!,
});

it.each(['1.2', '1.3'] as const)(
  'a correct server accepts none of 80 unknown-CA certificates (TLS %s)',
  async (tls) => {
    await using server = await startBuiltinServer({ fixtures: fx, policy: 'require' });
    const r = await runLoad(loadOptions(fx, server, { tls, handshakes: 80, scenario: scenario('unknown-ca') }));
    expect(r.acceptances).toBe(0);
    expect(Object.values(r.rejections).reduce((a, b) => a + b, 0)).toBe(80);
    // A refusal is the decision measured here: not a succeeded handshake, and not an error against the error rate.
    expect(r.handshakes).toMatchObject({ attempted: 80, succeeded: 0, rejected: 80, failed: 0 });
    expect(r.errorRate).toBe(0);
    expect(r.passed).toBe(true);
  },
);

it('a server with verification off accepts them, and that fails the run', async () => {
  await using server = await startBuiltinServer({ fixtures: fx, policy: 'require', weaken: 'no-verify' });
  const r = await runLoad(loadOptions(fx, server, { tls: '1.3', handshakes: 40, scenario: scenario('unknown-ca') }));
  expect(r.acceptances).toBe(40);
  expect(r.handshakes).toMatchObject({ attempted: 40, succeeded: 40, rejected: 0 });
  expect(r.passed).toBe(false);
  expect(r.failures.join('\n')).toMatch(/accepted the certificate of require::trust::unknown-ca 40 time/);
});
