import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FixtureSet } from '../../core/manifest.js';
import type { TlsVersion } from '../../core/scenario.js';
import { identityPems } from '../../load/identities.js';
import { runLoad } from '../../load/run-load.js';
import type { LoadOptions } from '../../load/validate.js';
import { startSServer, type SServer } from '../helpers/s-server.js';
import { freshFixtures } from './helpers.js';

// The wire engine (issue 14) against `openssl s_server`, every mode × version × client key type, with the server's
// own key log as the judge: every secret our client derived is in the server's key log under the same client random
// (the server made exactly those handshakes and derived the same keys), and a TLS 1.2 resumption is a handshake whose
// master secret the server logged for an earlier one (a resumed session keeps its master secret, RFC 5246 §7.3).
let fixtures: Awaited<ReturnType<typeof freshFixtures>>;
let fx: FixtureSet;
let server: SServer;
let serverLog: string;
let clientLog: string;
beforeAll(async () => {
  fixtures = await freshFixtures();
  fx = fixtures.fx;
  serverLog = path.join(fixtures.dir, 'server.keylog');
  clientLog = path.join(fixtures.dir, 'client.keylog');
  server = await startSServer(fx, ['-keylogfile', serverLog]);
});
afterAll(async () => {
  await server?.stop();
  delete process.env.SSLKEYLOGFILE;
  fixtures?.dispose();
});

const KEYS = ['valid-ecdsa-p256', 'valid-ecdsa-p384', 'valid-rsa-2048', 'valid-rsa-pss-2048', 'valid-ed25519'];

function lines(file: string): string[] {
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
}

/** Waits until every line of ours is in the server's key log (s_server flushes each line as it writes it). */
async function serverLogged(ours: readonly string[]): Promise<string[]> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const theirs = lines(serverLog);
    const set = new Set(theirs);
    if (ours.every((l) => set.has(l)) || Date.now() > deadline) return theirs;
    await new Promise((r) => setTimeout(r, 20));
  }
}

function options(id: string, tls: TlsVersion, extra: Partial<LoadOptions>): LoadOptions {
  return {
    host: '127.0.0.1',
    port: server.port,
    servername: 'localhost',
    trustPem: readFileSync(fx.resolve(fx.manifest.trust), 'utf8'),
    identities: identityPems(fx, [id]),
    probe: 'http',
    tls,
    engine: 'wire',
    connections: 2,
    handshakes: 10,
    workerKind: 'inline',
    // NOTE: no sanity probes: every handshake in the key logs is one of the run's (or a priming one).
    sanity: false,
    ...extra,
  };
}

describe.each<TlsVersion>(['1.2', '1.3'])('wire engine, TLS %s, against openssl s_server (key log as judge)', (tls) => {
  const label = tls === '1.3' ? 'CLIENT_HANDSHAKE_TRAFFIC_SECRET' : 'CLIENT_RANDOM';
  describe.each(KEYS)('client key %s', (id) => {
    it.each(['full', 'resumed', 'mixed'] as const)('%s handshakes are the ones the server made', async (mode) => {
      rmSync(clientLog, { force: true });
      process.env.SSLKEYLOGFILE = clientLog;
      const r = await runLoad(options(id, tls, { mode, ...(mode === 'mixed' ? { resumeRatio: 0.5 } : {}) }));
      delete process.env.SSLKEYLOGFILE;
      expect(r.config.engine).toBe('wire');
      expect(r.handshakes.succeeded).toBe(10);
      expect(r.handshakes.failed + r.handshakes.rejected).toBe(0);
      // Mixed 0.5 over 2 loops of 5: each loop resumes its 2nd and 4th (error diffusion), 4 in all.
      const claimedResumed = mode === 'full' ? 0 : mode === 'resumed' ? 10 : 4;
      expect(r.handshakes.resumed).toBe(claimedResumed);
      // Ours: one line per label per handshake (priming included: one per identity before resumed/mixed runs).
      const ours = lines(clientLog);
      const primed = mode === 'full' ? 0 : 1;
      expect(ours.filter((l) => l.startsWith(`${label} `))).toHaveLength(10 + primed);
      const theirs = await serverLogged(ours);
      const missing = ours.filter((l) => !theirs.includes(l));
      expect(missing).toEqual([]);
      if (tls === '1.2') {
        // The server's word on resumption: a master secret it logged before, for another client random.
        const mine = new Set(ours.map((l) => l.split(' ')[1]));
        const seen = new Set<string>();
        let resumed = 0;
        for (const l of theirs) {
          const [, random, master] = l.split(' ');
          if (!mine.has(random!)) continue;
          if (seen.has(master!)) resumed++;
          seen.add(master!);
        }
        expect(resumed).toBe(claimedResumed);
      }
    });
  });
});

describe('wire engine suites and groups, judged by the server key log', () => {
  it.each([
    ['1.3', 'TLS_CHACHA20_POLY1305_SHA256', 'P-256'],
    ['1.3', 'TLS_AES_128_GCM_SHA256', 'X25519'],
    ['1.2', 'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256', 'P-256'],
    ['1.2', 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256', 'X25519'],
    ['1.3', 'TLS_AES_256_GCM_SHA384', 'P-384'],
  ] as const)('TLS %s with %s over %s', async (tls, cipher, group) => {
    rmSync(clientLog, { force: true });
    process.env.SSLKEYLOGFILE = clientLog;
    const r = await runLoad(
      // NOTE: in TLS 1.2 the server's ECDSA P-256 certificate needs P-256 among the groups (RFC 8422 §5.1).
      options('valid', tls, {
        ciphers: [cipher],
        groups: tls === '1.2' && group !== 'P-256' ? [group, 'P-256'] : [group],
        sigalgs: ['ecdsa_secp256r1_sha256'],
      }),
    );
    delete process.env.SSLKEYLOGFILE;
    expect(r.handshakes.succeeded).toBe(10);
    expect(r.config).toMatchObject({ engine: 'wire', ciphers: [cipher] });
    expect(r.config.groups?.[0]).toBe(group);
    const ours = lines(clientLog);
    expect(ours.length).toBeGreaterThanOrEqual(10);
    const theirs = await serverLogged(ours);
    expect(ours.filter((l) => !theirs.includes(l))).toEqual([]);
  });
});
