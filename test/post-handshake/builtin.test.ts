/**
 * The post-handshake scenarios (issue 12) against the built-in server's protected location: a second listener that
 * asks for nothing in the handshake and renegotiates (TLS 1.2) for /protected/. node:tls has no TLS 1.3
 * post-handshake authentication, so the pha-* scenarios are skipped with that reason. openssl s_client, which
 * renegotiates by itself when the server asks, checks the same location independently.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunResult } from '../../core/result.js';
import { startBuiltinServer } from '../../targets/builtin.js';
import { externalTarget } from '../../targets/registry.js';
import type { StartedTarget } from '../../targets/target.js';
import { wireProbe } from '../../wire/index.js';
import { sharedFixtures } from '../targets/harness.js';
import { result, runPostHandshake, sClient } from './helpers.js';

const fixtures = sharedFixtures();
let target: StartedTarget;
let run: RunResult;
let scratch: string;
beforeAll(async () => {
  target = await startBuiltinServer({ fixtures: fixtures.get(), policy: 'optional', protectedLocation: true });
  run = await runPostHandshake(fixtures.get(), target, { deviations: 'builtin' });
  scratch = mkdtempSync(path.join(os.tmpdir(), 'mtls-pha-builtin-'));
});
afterAll(async () => {
  await target?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

describe('built-in server: the protected location (TLS 1.2 renegotiation)', () => {
  it('opens the second port only when asked (run asks; serve and the load tests do not)', async () => {
    await using plain = await startBuiltinServer({ fixtures: fixtures.get(), policy: 'optional' });
    expect(plain.capabilities.has('per-location-auth')).toBe(false);
    expect(plain.protectedLocation).toBeUndefined();
  });

  it('serves the shape on a second port, asking nothing in the handshake there', () => {
    expect(target.capabilities.has('per-location-auth')).toBe(true);
    expect(target.protectedLocation).toMatchObject({ path: '/protected/', endpoint: { host: '127.0.0.1' } });
    expect(target.protectedLocation!.endpoint.port).not.toBe(target.endpoint.port);
    // The unprotected control: / over TLS 1.2 without a certificate, no CertificateRequest in the handshake.
    const control = run.controls.find((c) => c.family === 'renegotiation@/')!;
    expect(control).toMatchObject({ accepted: true, fixture: 'none', tls: '1.2' });
    expect(control.observed.detail).not.toContain('HelloRequest');
  });

  it('every renegotiation scenario passes, each decided after the server asked', () => {
    expect(run.error, run.error?.message).toBeUndefined();
    expect(run.conformant).toBe(true);
    const valid = result(run, 'reneg-valid');
    expect(valid).toMatchObject({ verdict: 'pass', tls: '1.2', severity: 'protocol' });
    expect(valid.observed).toMatchObject({ outcome: 'accepted', httpStatus: 200 });
    expect(valid.finding).toBe(
      "renegotiation on /protected/: renegotiated to present 'valid'; the protected resource was served: accepted (HTTP 200)",
    );
    // The server verifies the renegotiated certificate itself and refuses in HTTP (node:tls sends no alert for it).
    for (const name of ['reneg-expired', 'reneg-unknown-ca']) {
      const r = result(run, name);
      expect(r, name).toMatchObject({ verdict: 'pass', severity: 'security' });
      expect(r.observed, name).toMatchObject({ outcome: 'rejected-http', httpStatus: 495 });
      expect(r.observations[0]!.evidence).toBe('conclusive-rejection');
      expect(r.finding).toContain(`renegotiated to present '${name.slice('reneg-'.length)}'`);
      // Its verdict rests on the valid identity accepted on the same path and on / served without one.
      expect(r.controls).toEqual([
        'control:optional:wire:1.2:http:localhost:renegotiation@/protected/:valid',
        'control:optional:wire:1.2:http:localhost:renegotiation@/:none',
      ]);
    }
    // OpenSSL answers a refused renegotiation with handshake_failure (RFC 5246 §7.2.2 leaves it to the server).
    const refused = result(run, 'reneg-refused');
    expect(refused).toMatchObject({ verdict: 'pass', severity: 'security' });
    expect(refused.observed).toMatchObject({
      outcome: 'rejected-alert',
      alert: { name: 'handshake_failure', code: 40 },
      step: 'post-handshake',
    });
    expect(refused.finding).toContain('HelloRequest refused with a no_renegotiation warning');
    // Controls shared by the scenarios are listed once.
    const ids = run.controls.map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('skips every TLS 1.3 post-handshake scenario with the reason: node:tls cannot ask after a TLS 1.3 handshake', async () => {
    // As shipped: the known deviation of targets/expectations/builtin.json.
    const pha = run.results.filter((r) => r.id.includes('::pha-'));
    expect(pha.map((r) => r.id.split('::').pop()).sort()).toEqual([
      'pha-expired',
      'pha-mismatched-key',
      'pha-no-certificate',
      'pha-not-offered',
      'pha-unknown-ca',
      'pha-valid',
    ]);
    for (const r of pha) {
      expect(r, r.id).toMatchObject({ verdict: 'skip', tls: '1.3', skip: { kind: 'deviation' } });
      expect(r.reason).toMatch(/^known deviation: the built-in server lacks TLS 1\.3 post-handshake authentication/);
    }
    expect(run.coverage.notVerified.join('\n')).toMatch(/post-handshake partly verified: 6 of 10/);
    // Without the expectations file the target says it itself (StartedTarget.protectedLocation.unsupported).
    const bare = await runPostHandshake(fixtures.get(), target, { tls: ['1.3'] });
    for (const r of bare.results.filter((x) => x.id.includes('::pha-'))) {
      expect(r, r.id).toMatchObject({ verdict: 'skip', skip: { kind: 'capability' } });
      expect(r.reason).toMatch(
        /^target 'builtin' lacks 'per-location-auth' in TLS 1\.3: node:tls has no TLS 1\.3 post-handshake authentication/,
      );
    }
  });

  it('openssl s_client, renegotiating when asked, sees the same decisions on the protected location', async () => {
    const fx = fixtures.get();
    const port = target.protectedLocation!.endpoint.port;
    const ask = (fixture: string | null, extra: readonly string[] = []) =>
      sClient(fx, port, { tls: '1.2', fixture, path: '/protected/', scratch, extra });
    const valid = await ask('valid');
    expect(valid.http, valid.out).toBe(200);
    expect(valid.out).toContain('"authenticated":true,"subject":"CN=mtls-harness client valid"');
    expect((await ask('expired')).http).toBe(495);
    expect((await ask('unknown-ca')).http).toBe(495);
    const refusing = await ask('valid', ['-no_renegotiation']);
    expect(refusing.alert, refusing.out).toBe(40);
    expect(refusing.http).toBeUndefined();
    // The unprotected path: served without a certificate, never asked for one.
    const root = await sClient(fx, port, { tls: '1.2', fixture: null, path: '/', scratch });
    expect(root.http, root.out).toBe(200);
    expect(root.out).toContain('"authenticated":false');
  });

  it('TLS 1.3: the protected path is refused (403), since the server cannot ask, and / is served', async () => {
    const fx = fixtures.get();
    const port = target.protectedLocation!.endpoint.port;
    const pha = await sClient(fx, port, {
      tls: '1.3',
      fixture: 'valid',
      path: '/protected/',
      scratch,
      extra: ['-enable_pha'],
    });
    expect(pha.http, pha.out).toBe(403);
    expect(pha.out).toContain('node:tls has no TLS 1.3 post-handshake authentication');
    // The wire client offering post_handshake_auth: refused the same way, and never asked.
    const valid = fx.fixture('valid');
    const wire = await wireProbe({
      host: '127.0.0.1',
      port,
      servername: 'localhost',
      tls: '1.3',
      trustPem: fx.read(fx.manifest.trust),
      http: true,
      appData: new TextEncoder().encode('GET /protected/ HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n'),
      postHandshakeAuth: { chainPem: fx.read(valid.chain), keyPem: fx.read(valid.key) },
    });
    expect(wire.observation).toMatchObject({ outcome: 'rejected-http', httpStatus: 403 });
    expect(wire.postHandshakeAuth).toMatchObject({ offered: true, exchanges: [] });
    expect((await sClient(fx, port, { tls: '1.3', fixture: null, path: '/', scratch })).http).toBe(200);
  });
});

describe('a defect of our own client is caught by the controls', () => {
  it('a corrupted transcript hash in the renegotiated CertificateVerify: errors ("control refused"), never a pass', async () => {
    const broken = await runPostHandshake(fixtures.get(), target, { tls: ['1.2'], wireFault: 'transcript-hash' });
    // The server refuses every renegotiated certificate now (its signature does not verify), the valid one included:
    // a refusal of a bad certificate on that path means nothing.
    const valid = run.controls.find((c) => c.family === 'renegotiation@/protected/')!;
    expect(valid.accepted).toBe(true);
    const faulty = broken.controls.find((c) => c.family === 'renegotiation@/protected/')!;
    expect(faulty.accepted).toBe(false);
    expect(faulty.observed).toMatchObject({ outcome: 'rejected-alert', alert: { name: 'decrypt_error' } });
    for (const name of ['reneg-expired', 'reneg-unknown-ca']) {
      const r = result(broken, name);
      expect(r.verdict, `${name}: ${r.reason}`).toBe('error');
      expect(r.reason).toMatch(/^control refused: the wire client with fixture 'valid'/);
    }
    // reneg-valid is a refused valid client on a broken path: an error too, never a protocol failure of the server.
    expect(result(broken, 'reneg-valid').verdict).toBe('error');
    expect(broken.results.filter((r) => r.verdict === 'pass' && r.expected.decision === 'reject')).toEqual([]);
  });
});

describe('a location that refuses without asking proves nothing', () => {
  it('declared as HOST:PORT, the built-in location in TLS 1.3 refuses /protected/ unasked: errors, never passes', async () => {
    // NOTE: the built-in location cannot ask in TLS 1.3 and answers 403; declared without saying so, the harness must
    // not count that 403 as a decision about the identity the client never got to present.
    const loc = target.protectedLocation!.endpoint;
    const declared = externalTarget(loc.host, loc.port, 'optional', ['per-location-auth']);
    const run = await runPostHandshake(fixtures.get(), declared, { tls: ['1.3'] });
    const pha = run.results.filter((r) => r.id.includes('::pha-'));
    expect(pha).toHaveLength(6);
    expect(pha.map((r) => `${r.id.split('::').pop()} ${r.verdict}`)).toEqual([
      'pha-valid error',
      'pha-expired error',
      'pha-unknown-ca error',
      'pha-mismatched-key error',
      'pha-no-certificate error',
      'pha-not-offered error',
    ]);
    const expired = result(run, 'pha-expired');
    expect(expired.observed).toMatchObject({ outcome: 'rejected-http', httpStatus: 403 });
    expect(expired.observations[0]).toMatchObject({ evidence: 'early-rejection' });
    expect(expired.observations[0]!.note).toBe(
      'HTTP 403 after the handshake, but the server never asked after the handshake: not a decision about what the client would have answered',
    );
    // Its controls say the path itself does not work: the valid identity is refused too, / is served.
    expect(run.controls.find((c) => c.family === 'post-handshake-auth@/protected/')?.accepted).toBe(false);
    expect(run.controls.find((c) => c.family === 'post-handshake-auth@/')?.accepted).toBe(true);
    // pha-not-offered's 403 is a refusal, but its control (the valid identity on the same path) was refused as well.
    expect(result(run, 'pha-not-offered').reason).toMatch(/^control refused: the wire client with fixture 'valid'/);
    expect(run.conformant).toBe(false);
    expect(run.summary.gating).toBe(0);
  });
});

describe('built-in server weakened: asks after the handshake and ignores the answer', () => {
  it('no-verify: the renegotiated expired and unknown-CA certificates are served (security failures)', async () => {
    const fx = fixtures.get();
    await using weak = await startBuiltinServer({
      fixtures: fx,
      policy: 'optional',
      weaken: 'no-verify',
      protectedLocation: true,
    });
    const broken = await runPostHandshake(fx, weak, { tls: ['1.2'] });
    expect(broken.conformant).toBe(false);
    for (const name of ['reneg-expired', 'reneg-unknown-ca']) {
      const r = result(broken, name);
      expect(r, name).toMatchObject({ verdict: 'fail', severity: 'security' });
      expect(r.observed).toMatchObject({ outcome: 'accepted', httpStatus: 200 });
      // It did ask: the certificate went in the renegotiated handshake, and was served all the same.
      expect(r.finding).toMatch(
        /renegotiated to present '.*'; the protected resource was served: accepted \(HTTP 200\)/,
      );
    }
    expect(result(broken, 'reneg-valid').verdict).toBe('pass');
    // OpenSSL itself still refuses a client that will not renegotiate.
    expect(result(broken, 'reneg-refused').verdict).toBe('pass');
  });

  it('no-request: a protected path served without asking fails the scenarios that must be refused', async () => {
    const fx = fixtures.get();
    await using weak = await startBuiltinServer({
      fixtures: fx,
      policy: 'optional',
      weaken: 'no-request',
      protectedLocation: true,
    });
    const broken = await runPostHandshake(fx, weak, { tls: ['1.2'] });
    for (const name of ['reneg-expired', 'reneg-unknown-ca', 'reneg-refused']) {
      const r = result(broken, name);
      expect(r, name).toMatchObject({ verdict: 'fail', severity: 'security' });
      expect(r.finding).toContain('the server sent no HelloRequest; the protected resource was served');
    }
  });
});
