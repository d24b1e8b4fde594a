/**
 * The resumption scenarios (issue 12) against the built-in server: an SNI front serving public.localhost without
 * client authentication beside localhost, and an optional endpoint, sharing one session cache and ticket keys. The
 * reference resumes across them — OpenSSL allows it under one session id context — and refuses a resumed session that
 * carries no certificate where one is required, or whose certificate expired or was revoked since. `trust-resumed`,
 * the misconfigured virtual-host pair, serves them all. openssl s_client (-sess_out/-sess_in) checks the same.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunResult } from '../../core/result.js';
import { isGating } from '../../core/gate.js';
import { startBuiltinServer } from '../../targets/builtin.js';
import { externalTarget } from '../../targets/registry.js';
import type { StartedTarget } from '../../targets/target.js';
import { tempDir } from '../helpers/tmp.js';
import { sharedFixtures } from '../targets/harness.js';
import { MECHANISMS, result, runResumption, sClientSession } from './helpers.js';

const fixtures = sharedFixtures();
const scratch = tempDir('mtls-resume-builtin-');
let target: StartedTarget;
let run: RunResult;
beforeAll(async () => {
  target = await startBuiltinServer({ fixtures: fixtures.get(), policy: 'require', resumption: true });
  run = await runResumption(fixtures.get(), target);
});
afterAll(async () => {
  await target?.stop();
  scratch[Symbol.dispose]();
});

describe('built-in server: resumption', () => {
  it('serves the shapes only when asked, on the main port (SNI) and a second one', async () => {
    await using plain = await startBuiltinServer({ fixtures: fixtures.get(), policy: 'require' });
    expect(plain.resumption).toBeUndefined();
    expect(plain.capabilities.has('sni-no-auth')).toBe(false);
    expect(target.resumption).toMatchObject({
      sniNoAuth: { endpoint: target.endpoint, servername: 'public.localhost' },
      optionalEndpoint: { host: '127.0.0.1' },
      ocspControl: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/control$/),
    });
    for (const f of ['resumption', 'sni-no-auth', 'shared-sessions', 'ocsp-control'] as const)
      expect(target.capabilities.has(f), f).toBe(true);
  });

  it('passes every scenario, each on a session provably resumed, refused where the session proves nothing', () => {
    expect(run.error, run.error?.message).toBeUndefined();
    expect(run.summary).toMatchObject({ pass: 17, fail: 0, error: 0, skip: 0 });
    expect(run.conformant).toBe(true);
    for (const m of MECHANISMS) {
      const how = m.name === 'psk' ? 'TLS 1.3 PSK' : `TLS 1.2 ${m.name === 'ticket' ? 'ticket' : 'session ID'}`;
      const ok = result(run, `${m.name}::resume-no-certificate`);
      expect(ok).toMatchObject({ verdict: 'pass', tls: m.tls, severity: 'protocol' });
      expect(ok.finding).toBe(
        `a session made with 'valid'; resumed without a certificate (${how}), and served; served as the original identity (CN=mtls-harness client valid)`,
      );
      expect(ok.observed.detail).toContain(
        `resumed ${m.name === 'psk' ? 'TLS 1.3 PSK' : `TLS 1.2 session (${m.name})`}`,
      );
      for (const name of ['resume-cross-sni', 'resume-optional-to-require']) {
        const r = result(run, `${m.name}::${name}`);
        expect(r, name).toMatchObject({ verdict: 'pass', severity: 'security' });
        expect(r.observed, name).toMatchObject({ outcome: 'rejected-http', httpStatus: 496 });
        expect(r.observations[0]!.evidence).toBe('conclusive-rejection');
        expect(r.finding).toContain(`resumed without a certificate (${how}), and refused: HTTP 496`);
      }
      expect(result(run, `${m.name}::resume-cross-sni`).finding).toMatch(
        /^a session made with no certificate on public\.localhost, which asks for no certificate; /,
      );
      const revoked = result(run, `${m.name}::resume-after-revocation`);
      expect(revoked).toMatchObject({ verdict: 'pass', severity: 'advisory', observed: { httpStatus: 495 } });
      expect(revoked.finding).toMatch(
        /after revocation \(.*\), and refused: HTTP 495.*; resumption honours revocation: yes \(the resumed session was refused\)$/,
      );
      const expired = result(run, `${m.name}::resume-after-expiry`);
      expect(expired).toMatchObject({ verdict: 'pass', severity: 'advisory', observed: { httpStatus: 495 } });
      expect(expired.finding).toMatch(/; resumption honours expiry: yes/);
    }
    // Each verdict rests on the handshake that made the session, accepted, and on the valid identity accepted.
    const cross = result(run, 'ticket::resume-cross-sni');
    expect(cross.controls).toEqual([
      'control:require:wire:1.2:http:public.localhost:resume-ticket-cross-sni:none',
      'control:require:wire:1.2:http:localhost:resume-ticket-full:valid',
    ]);
    for (const id of cross.controls) expect(run.controls.find((c) => c.id === id)?.accepted, id).toBe(true);
  });

  it('trust-resumed (a vhost pair sharing sessions, a resumed session trusted): security failures gate, advisory findings do not', async () => {
    await using weak = await startBuiltinServer({
      fixtures: fixtures.get(),
      policy: 'require',
      resumption: true,
      weaken: 'trust-resumed',
    });
    const broken = await runResumption(fixtures.get(), weak);
    expect(broken.conformant).toBe(false);
    for (const m of MECHANISMS) {
      for (const name of ['resume-cross-sni', 'resume-optional-to-require']) {
        const r = result(broken, `${m.name}::${name}`);
        expect(r, `${m.name}::${name}`).toMatchObject({
          verdict: 'fail',
          observed: { outcome: 'accepted', httpStatus: 200 },
        });
        expect(r.finding).toMatch(/resumed without a certificate \(.*\), and served$/);
        expect(isGating(r, false)).toBe(true);
      }
      for (const [name, words] of [
        ['resume-after-revocation', 'resumed without a certificate after revocation'],
        ['resume-after-expiry', 'resumption honours expiry: no'],
      ] as const) {
        const r = result(broken, `${m.name}::${name}`);
        expect(r, name).toMatchObject({ verdict: 'fail', severity: 'advisory' });
        expect(r.finding).toContain(words);
        expect(isGating(r, true)).toBe(false);
      }
      expect(result(broken, `${m.name}::resume-after-revocation`).finding).toMatch(
        /resumption honours revocation: no$/,
      );
    }
    expect(broken.summary.gating).toBe(6);
  });

  it('openssl s_client sees the same: the public name’s session is reused on localhost and refused there (or served when trust-resumed)', async () => {
    const fx = fixtures.get();
    await using weak = await startBuiltinServer({
      fixtures: fx,
      policy: 'require',
      resumption: true,
      weaken: 'trust-resumed',
    });
    for (const m of MECHANISMS) {
      for (const [server, status] of [
        [target, 496],
        [weak, 200],
      ] as const) {
        const file = `${scratch.path}/${m.name}-${status}.sess`;
        const noTicket = m.name === 'session-id';
        const made = await sClientSession(fx, server.endpoint, {
          tls: m.tls,
          servername: 'public.localhost',
          sessOut: file,
          noTicket,
          scratch: scratch.path,
        });
        expect(made, made.out).toMatchObject({ reused: false, http: 200 });
        const again = await sClientSession(fx, server.endpoint, {
          tls: m.tls,
          servername: 'localhost',
          sessIn: file,
          noTicket,
          scratch: scratch.path,
        });
        expect(again, `${m.name} ${status}: ${again.out}`).toMatchObject({ reused: true, http: status });
        // The optional endpoint's session, offered to the require endpoint.
        const opt = `${scratch.path}/${m.name}-${status}-opt.sess`;
        await sClientSession(fx, server.resumption!.optionalEndpoint!, {
          tls: m.tls,
          servername: 'localhost',
          sessOut: opt,
          noTicket,
          scratch: scratch.path,
        });
        const o2r = await sClientSession(fx, server.endpoint, {
          tls: m.tls,
          servername: 'localhost',
          sessIn: opt,
          noTicket,
          scratch: scratch.path,
        });
        expect(o2r, o2r.out).toMatchObject({ reused: true, http: status });
      }
    }
  });

  it('a HOST:PORT target gets the shapes from --sni-no-auth, --optional-endpoint and --ocsp-control, and skips with the hint without them', async () => {
    const fx = fixtures.get();
    const { host, port } = target.endpoint;
    const bare = externalTarget(host, port, 'require', ['crl', 'ocsp', 'identity-policy', 'resumption']);
    const skipped = await runResumption(fx, bare, { tls: ['1.3'] });
    const why = (name: string) => result(skipped, `psk::${name}`);
    expect(why('resume-cross-sni')).toMatchObject({ verdict: 'skip', skip: { kind: 'capability' } });
    expect(why('resume-cross-sni').reason).toContain('pass --sni-no-auth NAME');
    expect(why('resume-optional-to-require').reason).toContain('pass --optional-endpoint HOST:PORT');
    expect(why('resume-after-revocation').reason).toContain('pass --ocsp-control URL');
    expect(why('resume-no-certificate').verdict).toBe('pass');
    const declared = externalTarget(
      host,
      port,
      'require',
      ['crl', 'ocsp', 'identity-policy', 'resumption'],
      'localhost',
      [],
      undefined,
      undefined,
      {
        sniNoAuth: 'public.localhost',
        optionalEndpoint: target.resumption!.optionalEndpoint!,
        ocspControl: target.resumption!.ocspControl!,
      },
    );
    const full = await runResumption(fx, declared, { tls: ['1.3'] });
    expect(full.summary).toMatchObject({ pass: 6, fail: 0, error: 0, skip: 0 });
  });
});
