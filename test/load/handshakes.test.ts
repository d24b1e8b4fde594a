import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FixtureSet } from '../../core/manifest.js';
import type { TlsVersion } from '../../core/scenario.js';
import { runLoad } from '../../load/run-load.js';
import { startBuiltinServer } from '../../targets/builtin.js';
import type { StartedTarget } from '../../targets/target.js';
import { freshFixtures, loadOptions } from './helpers.js';

// Full and resumed handshakes against the built-in server (node:tls, OpenSSL), both TLS versions: every handshake is
// classified with isSessionReused(), so these counts are what the wire did, not what was asked.
let fixtures: Awaited<ReturnType<typeof freshFixtures>>;
let fx: FixtureSet;
let server: StartedTarget;
beforeAll(async () => {
  fixtures = await freshFixtures();
  fx = fixtures.fx;
  server = await startBuiltinServer({ fixtures: fx, policy: 'require' });
});
afterAll(async () => {
  await server?.stop();
  fixtures?.dispose();
});

describe.each<TlsVersion>(['1.2', '1.3'])('load over TLS %s against the built-in server', (tls) => {
  it('full mode: every handshake is full, counted exactly, with latency percentiles and CPU', async () => {
    const r = await runLoad(loadOptions(fx, server, { tls, mode: 'full', handshakes: 120 }));
    expect(r.handshakes).toEqual({
      attempted: 120,
      succeeded: 120,
      full: 120,
      resumed: 0,
      rejected: 0,
      rejectedAfterHandshake: 0,
      rejectedResumed: 0,
      failed: 0,
    });
    expect(r.rejections).toEqual({});
    expect(r.errorRate).toBe(0);
    expect(r.resumedRatio).toBe(0);
    expect(r.latencyMs.count).toBe(120);
    expect(r.latencyMs.p50).toBeGreaterThan(0);
    expect(r.latencyMs.p50).toBeLessThanOrEqual(r.latencyMs.p99);
    expect(r.latencyMs.p99).toBeLessThanOrEqual(r.latencyMs.max);
    expect(r.handshakesPerSecond.total).toBeGreaterThan(0);
    expect(r.clientCpuMsPerHandshake).toBeGreaterThan(0);
    expect(r.timeline.reduce((a, p) => a + p.full, 0)).toBe(120);
    expect(r.passed).toBe(true);
  });

  it('resumed mode (one ticket reused): at least 99 % of handshakes resumed', async () => {
    const r = await runLoad(loadOptions(fx, server, { tls, mode: 'resumed', handshakes: 200 }));
    expect(r.handshakes.succeeded).toBe(200);
    expect(r.resumedRatio).toBeGreaterThanOrEqual(0.99);
    expect(r.resumption.failure).toBeNull();
    expect(r.latencyByKind.resumed.count).toBe(r.handshakes.resumed);
    expect(r.passed).toBe(true);
  });

  it('mixed mode: the set share of handshakes resumes', async () => {
    const r = await runLoad(loadOptions(fx, server, { tls, mode: 'mixed', resumeRatio: 0.5, handshakes: 200 }));
    expect(r.handshakes.succeeded).toBe(200);
    expect(r.resumedRatio).toBeGreaterThanOrEqual(0.45);
    expect(r.resumedRatio).toBeLessThanOrEqual(0.55);
    expect(r.resumption.successRatio).toBe(1);
  });

  it('open model: a constant arrival rate, latency from the intended start', async () => {
    const r = await runLoad(loadOptions(fx, server, { tls, mode: 'full', rate: 100, handshakes: 80 }));
    expect(r.config.rate).toBe(100);
    expect(r.handshakes.attempted).toBe(80);
    // 80 arrivals at 100/s take about 0.8 s: the generator kept to the schedule, not to the server's pace.
    expect(r.durationMs).toBeGreaterThanOrEqual(780);
    expect(r.handshakes.succeeded).toBe(80);
  });
});

it("fresh tickets over TLS 1.2: each resumption offers the session of the loop's previous connection", async () => {
  const r = await runLoad(
    loadOptions(fx, server, { tls: '1.2', mode: 'resumed', ticketPolicy: 'fresh', handshakes: 120 }),
  );
  expect(r.resumedRatio).toBeGreaterThanOrEqual(0.99);
});

it('fresh tickets over TLS 1.3: a Node server sends no new ticket after a resumed handshake, and the report says so', async () => {
  const r = await runLoad(
    loadOptions(fx, server, {
      tls: '1.3',
      mode: 'resumed',
      ticketPolicy: 'fresh',
      handshakes: 40,
      ticketTimeoutMs: 100,
    }),
  );
  // Full (2 tickets, one kept) → resumed (no ticket) → full …: about half resume; the rest had nothing to offer.
  expect(r.resumption.noTicketReceived).toBeGreaterThan(0);
  expect(r.resumption.resumed).toBeGreaterThan(0);
  expect(r.resumption.failure?.reason).toBe('no-ticket-received');
  expect(r.passed).toBe(false);
});

it('spreads identities over connections, one prebuilt context each', async () => {
  const { issueIdentities, identityPems, loadIdentityIds } = await import('../../load/identities.js');
  const derived = await issueIdentities(fx, 3, `${fixtures.dir}/ids`);
  const ids = loadIdentityIds(derived);
  expect(ids).toHaveLength(3);
  const s = await startBuiltinServer({ fixtures: derived, policy: 'require' });
  try {
    const r = await runLoad({
      ...loadOptions(derived, s, { handshakes: 60, connections: 3 }),
      identities: identityPems(derived, ids),
    });
    expect(r.handshakes.succeeded).toBe(60);
    expect(r.config.identities).toBe(3);
    // The strict server (allow-list, OCSP) accepted every issued identity.
    const accepted = new Set(
      s
        .logs()
        .split('\n')
        .filter((l) => / accept CN=mtls-harness client load-identity-/.test(l))
        .map((l) => /load-identity-\d+/.exec(l)![0]),
    );
    expect(accepted).toEqual(new Set(ids));
  } finally {
    await s.stop();
  }
});
