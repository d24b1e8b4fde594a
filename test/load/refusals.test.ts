import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FixtureSet } from '../../core/manifest.js';
import type { LoadResult } from '../../core/load-result.js';
import { identityPems } from '../../load/identities.js';
import { runLoad } from '../../load/run-load.js';
import { startBuiltinServer } from '../../targets/builtin.js';
import { freshFixtures, loadOptions } from './helpers.js';
import { startDecidingServer, startHttpsServer } from './refusing-servers.js';

// Issue 9: a handshake counts as succeeded only once the server proved acceptance with an application-data round trip.
// Every server here refuses clients in a way a client that stops at secureConnect would count as a success.
let fixtures: Awaited<ReturnType<typeof freshFixtures>>;
let fx: FixtureSet;
beforeAll(async () => {
  fixtures = await freshFixtures();
  fx = fixtures.fx;
});
afterAll(() => fixtures?.dispose());

const total = (record: Readonly<Record<string, number>>) => Object.values(record).reduce((a, b) => a + b, 0);

/** The invariant of every handshake run: each attempt ends accepted, refused or in an error, exactly once. */
function expectAccounted(r: LoadResult): void {
  const h = r.handshakes;
  expect(h.succeeded + h.rejected + h.failed).toBe(h.attempted);
  expect(h.full + h.resumed).toBe(h.succeeded);
  expect(total(r.rejections)).toBe(h.rejected);
  expect(total(r.errors)).toBe(h.failed);
  expect(r.timeline.reduce((a, p) => a + p.rejected, 0)).toBe(h.rejected);
  expect(r.timeline.reduce((a, p) => a + p.full + p.resumed, 0)).toBe(h.succeeded);
}

describe('a server that refuses every client certificate', () => {
  it('TLS 1.3, a certificate from an unknown CA: refused with HTTP 495 after the client saw the handshake complete', async () => {
    await using server = await startBuiltinServer({ fixtures: fx, policy: 'require' });
    const r = await runLoad({
      ...loadOptions(fx, server, { tls: '1.3', handshakes: 40 }),
      identities: identityPems(fx, ['unknown-ca']),
      // The sanity probe sends the same identity and would stop the run before the load (it is what is measured here).
      sanity: false,
    });
    expectAccounted(r);
    expect(r.handshakes.attempted).toBe(40);
    expect(r.handshakes.succeeded).toBe(0);
    expect(r.handshakes.rejected).toBe(40);
    // NOTE: TLS 1.3 client authentication ends after the client's Finished: every refusal came after secureConnect.
    expect(r.handshakes.rejectedAfterHandshake).toBe(40);
    // The built-in server answers a certificate that failed verification with HTTP 495 (a close would prove nothing).
    expect(r.rejections).toEqual({ 'http:495': 40 });
    expect(r.latencyMs.count).toBe(0);
    expect(r.errorRate).toBe(1);
    expect(r.passed).toBe(false);
    expect(r.failures.join('\n')).toMatch(/no handshake was accepted/);
    expect(r.failures.join('\n')).toMatch(/error rate 100 % exceeds --max-error-rate 0: 40 of 40 handshakes failed/);
    // The server's own log: it refused (never accepted) every one.
    expect(server.logs()).not.toMatch(/ accept /);
  });

  it('TLS 1.2, the same certificate: refused after the handshake too, counted as a refusal', async () => {
    await using server = await startBuiltinServer({ fixtures: fx, policy: 'require' });
    const r = await runLoad({
      ...loadOptions(fx, server, { tls: '1.2', handshakes: 20 }),
      identities: identityPems(fx, ['unknown-ca']),
      sanity: false,
    });
    expectAccounted(r);
    expect(r.handshakes.rejected).toBe(20);
    expect(r.rejections).toEqual({ 'http:495': 20 });
    expect(r.handshakes.rejectedAfterHandshake).toBe(20);
    expect(r.passed).toBe(false);
  });

  it.each([
    ['1.3', 'certificate_required', 10],
    ['1.2', 'handshake_failure', 0],
  ] as const)(
    'TLS %s, no client certificate: the alert (%s) is counted by name',
    async (tls, alert, afterHandshake) => {
      await using server = await startDecidingServer(fx, () => 'answer');
      const r = await runLoad({
        ...loadOptions(fx, server, { tls, handshakes: 10 }),
        // An identity without a certificate: OpenSSL's FAIL_IF_NO_PEER_CERT sends the alert.
        identities: [{ chainPem: '', keyPem: '' }],
        sanity: false,
      });
      expectAccounted(r);
      expect(r.rejections).toEqual({ [`alert:${alert}`]: 10 });
      expect(r.handshakes.rejectedAfterHandshake).toBe(afterHandshake);
      expect(server.counts.answer).toBe(0);
      expect(r.passed).toBe(false);
    },
  );
});

describe('resumed sessions refused after the handshake', () => {
  it('mixed mode: full handshakes accepted, resumed ones closed; resumedRatio is over accepted handshakes', async () => {
    await using server = await startDecidingServer(fx, (c) => (c.reused ? 'close' : 'answer'));
    const run = runLoad(
      loadOptions(fx, server, { tls: '1.3', mode: 'mixed', resumeRatio: 0.5, handshakes: 40, connections: 1 }),
    );
    // Library listeners: a refusal is an 'error' event naming its mechanism, an acceptance a 'handshake' event.
    const events = { handshake: 0, refused: 0 };
    run.on('handshake', () => events.handshake++);
    run.on('error', (e) => {
      if (e.kind === 'rejected' && (e.error === 'closed' || e.error === 'reset')) events.refused++;
    });
    const r = await run;
    expectAccounted(r);
    expect(events).toEqual({ handshake: r.handshakes.succeeded, refused: r.handshakes.rejected });
    expect(r.handshakes.attempted).toBe(40);
    // Error diffusion: every second handshake of the loop offers the ticket, and the server resumes it, then refuses.
    expect(r.handshakes.rejectedResumed).toBe(20);
    expect(r.handshakes.rejected).toBe(20);
    expect(r.handshakes.succeeded).toBe(20);
    expect(r.handshakes.resumed).toBe(0);
    // 0 of 20 accepted handshakes resumed (a refused resumption is no resumption).
    expect(r.resumedRatio).toBe(0);
    // The server's own count: the sanity probes (2), the priming handshakes (one per identity: 1) and 20 answered.
    expect(server.counts.close).toBe(r.handshakes.rejected);
    expect(server.counts.answer).toBe(r.handshakes.succeeded + 3);
    expect(r.passed).toBe(false);
    expect(r.failures.join('\n')).toMatch(/error rate 50 % exceeds --max-error-rate 0: 20 of 40 handshakes failed/);
  });
});

describe('--max-error-rate', () => {
  it('a server that answers 403 to every second connection: about half refused; 0.6 lets the run pass', async () => {
    const run = async (maxErrorRate?: number) => {
      await using server = await startDecidingServer(fx, (c) => (c.index % 2 === 1 ? 'forbid' : 'answer'));
      // 41 handshakes: the sanity probes are connections 0 and 42, both answered.
      const r = await runLoad(
        loadOptions(fx, server, {
          tls: '1.2',
          handshakes: 41,
          ...(maxErrorRate !== undefined ? { maxErrorRate } : {}),
        }),
      );
      return { r, counts: { ...server.counts } };
    };
    const strict = await run();
    expectAccounted(strict.r);
    expect(strict.r.rejections).toEqual({ 'http:403': strict.counts.forbid });
    expect(strict.r.handshakes.succeeded).toBe(strict.counts.answer - 2);
    expect(strict.r.handshakes.rejected).toBe(21);
    expect(strict.r.errorRate).toBe(0.5122);
    expect(strict.r.passed).toBe(false);
    const lenient = await run(0.6);
    expect(lenient.r.handshakes.rejected).toBe(21);
    expect(lenient.r.thresholds.maxErrorRate).toBe(0.6);
    expect(lenient.r.failures).toEqual([]);
    expect(lenient.r.passed).toBe(true);
  });

  it('--http: requests answered 403 are refusals, not successes, and fail the default', async () => {
    // Every second request on a kept-alive connection is refused: at most half of them.
    await using server = await startHttpsServer(fx, (n) => (n % 2 === 0 ? 403 : 200));
    const r = await runLoad(loadOptions(fx, server, { http: {}, durationS: 1, handshakes: undefined }));
    const http = r.http!;
    expect(http.rejected).toBeGreaterThan(0);
    expect(r.rejections).toEqual({ 'http:403': server.statuses[403] });
    // Two sanity probes, each the first request of its connection, were answered 200 too.
    expect(http.succeeded).toBe(server.statuses[200]! - 2);
    expect(http.requests).toBe(http.succeeded + http.rejected);
    expect(http.latencyMs.count).toBe(http.succeeded);
    expect(r.errorRate).toBeGreaterThan(0);
    expect(r.errorRate).toBeLessThanOrEqual(0.5);
    expect(r.passed).toBe(false);
    expect(r.failures.join('\n')).toMatch(/error rate .* exceeds --max-error-rate 0: \d+ of \d+ requests failed/);
  });
});
