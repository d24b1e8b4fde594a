import { readFileSync } from 'node:fs';
import type net from 'node:net';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoadResult } from '../../core/load-result.js';
import type { FixtureSet } from '../../core/manifest.js';
import type { TlsVersion } from '../../core/scenario.js';
import { proofRequest } from '../../load/handshake.js';
import { identityPems } from '../../load/identities.js';
import type { WorkerSpec } from '../../load/protocol.js';
import type { LoadOptions } from '../../load/validate.js';
import { runLoad } from '../../load/run-load.js';
import { wireLoops } from '../../load/wire-engine/loops.js';
import { startSServer } from '../helpers/s-server.js';
import { freshFixtures, loadOptions } from './helpers.js';
import { startDecidingServer } from './refusing-servers.js';

// The two load engines (issue 14) side by side against the same servers: the same accepted / refused / resumed
// counts, resumption confirmed by the server (isSessionReused on a node:tls server), refusals counted as refusals,
// and a server certificate that changes mid-run noticed by the wire engine's chain cache.
let fixtures: Awaited<ReturnType<typeof freshFixtures>>;
let fx: FixtureSet;
beforeAll(async () => {
  fixtures = await freshFixtures();
  fx = fixtures.fx;
});
afterAll(() => fixtures?.dispose());

const ENGINES = ['wire', 'node'] as const;

/** The counts the engines must agree on. */
function counts(r: LoadResult) {
  const h = r.handshakes;
  return { succeeded: h.succeeded, full: h.full, resumed: h.resumed, rejected: h.rejected, failed: h.failed };
}

describe.each<TlsVersion>(['1.2', '1.3'])('TLS %s: both engines against a node:tls server', (version) => {
  it.each(['full', 'resumed', 'mixed'] as const)(
    '%s: the same counts, and the server saw as many resumptions as the engine reports',
    async (mode) => {
      const results: Record<string, ReturnType<typeof counts>> = {};
      for (const engine of ENGINES) {
        let reusedByServer = 0;
        await using server = await startDecidingServer(fx, (c) => {
          if (c.reused) reusedByServer++;
          return 'answer';
        });
        const r = await runLoad(
          loadOptions(fx, server, {
            tls: version,
            mode,
            engine,
            handshakes: 40,
            connections: 2,
            sanity: false,
            ...(mode === 'mixed' ? { resumeRatio: 0.5 } : {}),
          }),
        );
        expect(r.config.engine).toBe(engine);
        expect(r.handshakes.resumed).toBe(reusedByServer);
        results[engine] = counts(r);
      }
      expect(results.wire).toEqual(results.node);
      expect(results.wire!.succeeded).toBe(40);
      expect(results.wire!.resumed).toBe(mode === 'full' ? 0 : mode === 'resumed' ? 40 : 20);
    },
  );
});

describe('a refused client certificate under load is a refusal for both engines', () => {
  it.each<TlsVersion>(['1.2', '1.3'])('TLS %s, unknown CA, node:tls server', async (version) => {
    const results: Record<string, unknown> = {};
    for (const engine of ENGINES) {
      let answered = 0;
      await using server = await startDecidingServer(fx, () => {
        answered++;
        return 'answer';
      });
      const r = await runLoad({
        ...loadOptions(fx, server, { tls: version, engine, handshakes: 20, connections: 2 }),
        identities: identityPems(fx, ['unknown-ca']),
        sanity: false,
      });
      expect(answered).toBe(0);
      expect(r.handshakes.rejected).toBe(20);
      expect(r.handshakes.succeeded).toBe(0);
      expect(r.passed).toBe(false);
      results[engine] = { ...counts(r), rejections: r.rejections };
    }
    expect(results.wire).toEqual(results.node);
  });

  it.each<TlsVersion>(['1.2', '1.3'])('TLS %s, unknown CA, openssl s_server -verify_return_error', async (version) => {
    const server = await startSServer(fx);
    try {
      const results: Record<string, unknown> = {};
      for (const engine of ENGINES) {
        const r = await runLoad({
          host: '127.0.0.1',
          port: server.port,
          trustPem: readFileSync(fx.resolve(fx.manifest.trust), 'utf8'),
          identities: identityPems(fx, ['unknown-ca']),
          tls: version,
          engine,
          handshakes: 10,
          connections: 1,
          workerKind: 'inline',
          sanity: false,
        });
        expect(r.handshakes.rejected).toBe(10);
        results[engine] = { ...counts(r), rejections: r.rejections };
      }
      expect(results.wire).toEqual(results.node);
    } finally {
      await server.stop();
    }
  });
});

/**
 * A node:tls server whose certificate changes once `switchAfter` handshakes have completed (a state, not a delay):
 * from then on it presents `next`.
 */
async function switchingServer(
  first: tls.SecureContextOptions,
  next: tls.SecureContextOptions,
  switchAfter: number,
): Promise<{ port: number; stop(): Promise<void>; [Symbol.asyncDispose](): Promise<void> }> {
  const ca = readFileSync(fx.resolve(fx.manifest.trust), 'utf8');
  let done = 0;
  const sockets = new Set<net.Socket>();
  const server = tls.createServer({ ...first, ca, requestCert: true, rejectUnauthorized: true }, (socket) => {
    socket.on('error', () => {});
    if (++done === switchAfter) server.setSecureContext({ ...next, ca });
    socket.once('data', () => socket.end('HTTP/1.1 200 OK\r\ncontent-length: 3\r\nconnection: close\r\n\r\nok\n'));
  });
  server.on('tlsClientError', () => {});
  server.on('connection', (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const stop = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const s of sockets) s.destroy();
    });
  return { port: (server.address() as net.AddressInfo).port, stop, [Symbol.asyncDispose]: stop };
}

describe('--ciphers and --groups reach the wire for both engines', () => {
  const read = (rel: string) => readFileSync(fx.resolve(rel), 'utf8');
  it.each<[TlsVersion, string, string]>([
    ['1.3', 'TLS_CHACHA20_POLY1305_SHA256', 'TLS_AES_128_GCM_SHA256'],
    ['1.2', 'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256', 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256'],
  ])('TLS %s: a server that takes only %s and P-256', async (version, only, other) => {
    // The server's restriction decides: offering its suite and group succeeds, offering another suite or group
    // fails, so a run can only pass if the engine offered what it was told.
    const restricted = {
      key: read(fx.manifest.server.key),
      cert: read(fx.manifest.server.chain),
      ciphers: version === '1.3' ? `${only}:DEFAULT` : 'ECDHE-ECDSA-CHACHA20-POLY1305',
      ...(version === '1.3' ? {} : { ciphersuites: 'TLS_AES_256_GCM_SHA384' }),
      ecdhCurve: 'P-256',
    };
    await using server = await switchingServer(restricted, restricted, 1_000_000);
    for (const engine of ENGINES) {
      const run = (extra: Partial<LoadOptions>) =>
        runLoad({
          host: '127.0.0.1',
          port: server.port,
          trustPem: read(fx.manifest.trust),
          identities: identityPems(fx, ['valid']),
          tls: version,
          engine,
          handshakes: 4,
          connections: 1,
          workerKind: 'inline',
          sanity: false,
          ...extra,
        });
      const good = await run({ ciphers: [only], groups: ['P-256'] });
      expect(good.handshakes.succeeded).toBe(4);
      const badSuite = await run({ ciphers: [other], groups: ['P-256'] });
      expect(badSuite.handshakes.succeeded).toBe(0);
      const badGroup = await run({ ciphers: [only], groups: ['X25519'] });
      expect(badGroup.handshakes.succeeded).toBe(0);
    }
  });
});

describe('HelloRetryRequest: a TLS 1.3 server that wants a share of another group', () => {
  const read = (rel: string) => readFileSync(fx.resolve(rel), 'utf8');
  it.each(['full', 'resumed'] as const)('%s: both engines retry with P-256 and count the same', async (mode) => {
    // The engines' first share is X25519 (their first group); this server takes P-256 alone, so every handshake
    // goes through a HelloRetryRequest. Resumed: the binder covers the retried transcript (RFC 8446 §4.2.11.2).
    const p256 = { key: read(fx.manifest.server.key), cert: read(fx.manifest.server.chain), ecdhCurve: 'P-256' };
    const results: Record<string, unknown> = {};
    for (const engine of ENGINES) {
      await using server = await switchingServer(p256, p256, 1_000_000);
      const r = await runLoad({
        host: '127.0.0.1',
        port: server.port,
        trustPem: read(fx.manifest.trust),
        identities: identityPems(fx, ['valid']),
        tls: '1.3',
        mode,
        engine,
        handshakes: 8,
        connections: 1,
        workerKind: 'inline',
        sanity: false,
      });
      results[engine] = counts(r);
    }
    expect(results.wire).toEqual({
      succeeded: 8,
      full: mode === 'full' ? 8 : 0,
      resumed: mode === 'full' ? 0 : 8,
      rejected: 0,
      failed: 0,
    });
    expect(results.node).toEqual(results.wire);
  });
});

describe('a server certificate that changes mid-run', () => {
  const read = (rel: string) => readFileSync(fx.resolve(rel), 'utf8');
  const serverCert = () => ({ key: read(fx.manifest.server.key), cert: read(fx.manifest.server.chain) });

  it('wire engine: other bytes miss the cache and are verified in full; an untrusted chain is refused', async () => {
    const root = read(fx.manifest.trust);
    // Same leaf, root appended: other bytes, still a trusted chain. Then a certificate from an unknown CA.
    const withRoot = { key: read(fx.manifest.server.key), cert: read(fx.manifest.server.chain) + root };
    const rogue = fx.fixture('unknown-ca');
    const untrusted = { key: read(rogue.key), cert: read(rogue.chain) };
    await using a = await switchingServer(serverCert(), withRoot, 4);
    const spec = workerSpec(a.port);
    const wire = wireLoops(spec, proofRequest('http', 'localhost'));
    const outcomes: string[] = [];
    for (let i = 0; i < 8; i++) {
      const o = await new Promise<{ result: string; cls?: string }>((r) => wire.handshake(0, undefined, 0, r));
      outcomes.push(o.result);
    }
    expect(outcomes).toEqual(Array(8).fill('accepted'));
    expect(wire.cache.verifications).toBe(2);
    expect(wire.cache.hits).toBe(6);
    await using b = await switchingServer(serverCert(), untrusted, 3);
    const wire2 = wireLoops(workerSpec(b.port), proofRequest('http', 'localhost'));
    const got: string[] = [];
    for (let i = 0; i < 5; i++) {
      const o = await new Promise<{ result: string; cls?: string }>((r) => wire2.handshake(0, undefined, 0, r));
      got.push(o.cls ?? o.result);
    }
    expect(got).toEqual(['accepted', 'accepted', 'accepted', 'server-untrusted', 'server-untrusted']);
    expect(wire2.cache.verifications).toBe(1);
    expect(wire2.cache.failures).toBe(2);
    wire.destroyLingering();
    wire2.destroyLingering();
  });

  it.each<TlsVersion>(['1.2', '1.3'])('TLS %s: both engines count the same after the switch', async (version) => {
    const rogue = fx.fixture('unknown-ca');
    const results: Record<string, unknown> = {};
    for (const engine of ENGINES) {
      await using server = await switchingServer(serverCert(), { key: read(rogue.key), cert: read(rogue.chain) }, 5);
      const r = await runLoad({
        host: '127.0.0.1',
        port: server.port,
        trustPem: read(fx.manifest.trust),
        identities: identityPems(fx, ['valid']),
        tls: version,
        engine,
        handshakes: 12,
        connections: 1,
        workerKind: 'inline',
        sanity: false,
      });
      results[engine] = { ...counts(r), errors: r.errors };
    }
    expect(results.wire).toEqual({
      succeeded: 5,
      full: 5,
      resumed: 0,
      rejected: 0,
      failed: 7,
      errors: { 'server-untrusted': 7 },
    });
    expect(results.node).toEqual(results.wire);
  });

  function workerSpec(port: number): WorkerSpec & { readonly tls: '1.3' } {
    return {
      index: 0,
      host: '127.0.0.1',
      port,
      servername: 'localhost',
      tls: '1.3',
      tlsShare: null,
      stages: null,
      stageScale: 1,
      mode: 'full',
      resumeRatio: 0,
      ticketPolicy: 'reuse',
      connections: 1,
      loopOffset: 0,
      handshakes: null,
      durationMs: null,
      rate: null,
      warmupMs: 0,
      timeoutMs: 5000,
      ticketTimeoutMs: 250,
      trustPem: read(fx.manifest.trust),
      identities: identityPems(fx, ['valid']),
      proof: 'http',
      scenario: null,
      http: null,
      reportEvents: false,
      measureCpu: false,
      engine: 'wire',
      groups: null,
      ciphers: null,
      sigalgs: null,
    };
  }
});
