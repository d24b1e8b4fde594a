/**
 * The resumption scenarios (issue 12) against every real server the harness starts, under require: what each does
 * when a session is resumed after its certificate was revoked (the fixtures' OCSP responder told through its control)
 * or expired, and — for the products that render a second server name without client authentication and an optional
 * endpoint sharing its session cache and ticket keys (nginx, Apache, HAProxy, lighttpd, stunnel, Caddy) — when a
 * session of another virtual host or endpoint is offered. The verdicts are as targets/expectations records them
 * (findings as xfail, with the evidence); openssl s_client (-sess_out / -sess_in) replays the decisive cases
 * independently.
 */
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Verdict } from '../../core/result.js';
import { issueClientCertificate } from '../../fixtures-gen/issue.js';
import { setOcspStatus } from '../../fixtures-gen/ocsp-control.js';
import {
  ADAPTERS,
  freePort,
  PKI,
  startProcessTarget,
  type Availability,
  type ProcessTargetName,
  type ServerAdapter,
} from '../../targets/process/index.js';
import { tempDir } from '../helpers/tmp.js';
import { availability, ON_CI, sharedFixtures } from '../targets/harness.js';
import { MECHANISMS, result, runResumption, sClientSession } from './helpers.js';

type Row = readonly [Verdict, Verdict, Verdict];
/** Observed verdicts per case, for TLS 1.2 session ID, TLS 1.2 ticket, TLS 1.3 PSK (as the expectations record). */
const OBSERVED: Readonly<Record<ProcessTargetName, Readonly<Record<string, Row>>>> = {
  nginx: {
    'resume-no-certificate': ['skip', 'skip', 'skip'],
    'resume-cross-sni': ['pass', 'pass', 'pass'],
    'resume-optional-to-require': ['pass', 'pass', 'pass'],
    'resume-after-revocation': ['skip', 'skip', 'skip'],
    'resume-after-expiry': ['skip', 'skip', 'skip'],
  },
  haproxy: {
    'resume-no-certificate': ['pass', 'pass', 'pass'],
    'resume-cross-sni': ['xfail', 'xfail', 'xfail'],
    'resume-optional-to-require': ['xfail', 'xfail', 'xfail'],
    'resume-after-revocation': ['skip', 'skip', 'skip'],
    'resume-after-expiry': ['xfail', 'xfail', 'xfail'],
  },
  apache: {
    'resume-no-certificate': ['pass', 'pass', 'pass'],
    'resume-cross-sni': ['pass', 'pass', 'pass'],
    'resume-optional-to-require': ['pass', 'pass', 'pass'],
    'resume-after-revocation': ['xfail', 'xfail', 'xfail'],
    'resume-after-expiry': ['xfail', 'xfail', 'xfail'],
  },
  stunnel: {
    'resume-no-certificate': ['pass', 'pass', 'pass'],
    'resume-cross-sni': ['pass', 'xfail', 'xfail'],
    'resume-optional-to-require': ['pass', 'pass', 'pass'],
    'resume-after-revocation': ['xfail', 'xfail', 'xfail'],
    'resume-after-expiry': ['xfail', 'xfail', 'xfail'],
  },
  lighttpd: {
    'resume-no-certificate': ['skip', 'pass', 'pass'],
    'resume-cross-sni': ['skip', 'xfail', 'xfail'],
    'resume-optional-to-require': ['skip', 'xfail', 'xfail'],
    'resume-after-revocation': ['skip', 'skip', 'skip'],
    'resume-after-expiry': ['skip', 'xfail', 'xfail'],
  },
  caddy: {
    'resume-no-certificate': ['skip', 'skip', 'pass'],
    'resume-cross-sni': ['skip', 'skip', 'pass'],
    'resume-optional-to-require': ['skip', 'skip', 'pass'],
    'resume-after-revocation': ['skip', 'skip', 'skip'],
    'resume-after-expiry': ['skip', 'skip', 'pass'],
  },
  'openssl-s-server': {
    'resume-no-certificate': ['pass', 'pass', 'pass'],
    'resume-cross-sni': ['skip', 'skip', 'skip'],
    'resume-optional-to-require': ['skip', 'skip', 'skip'],
    'resume-after-revocation': ['skip', 'skip', 'skip'],
    'resume-after-expiry': ['xfail', 'xfail', 'xfail'],
  },
};

const fixtures = sharedFixtures();
const scratch = tempDir('mtls-resume-servers-');

for (const name of Object.keys(OBSERVED) as ProcessTargetName[]) {
  describe(name, () => {
    let probe: Availability = { available: false, reason: 'not probed' };
    beforeAll(async () => {
      probe = await availability(name);
    });

    it(
      'answers each resumption scenario as observed, with only the listed deviations',
      { timeout: 180_000 },
      async (ctx) => {
        if (!probe.available && !ON_CI) ctx.skip();
        const fx = fixtures.get();
        await using target = await startProcessTarget(ADAPTERS[name], fx, 'require');
        const run = await runResumption(fx, target, { deviations: name });
        expect(run.error, run.error?.message).toBeUndefined();
        expect(run.conformant, run.results.map((r) => `${r.id} ${r.verdict}: ${r.reason}`).join('\n')).toBe(true);
        const rows = OBSERVED[name];
        for (const [which, row] of Object.entries(rows))
          MECHANISMS.forEach((m, i) => {
            const r = result(run, `${m.name}::${which}`);
            expect(r.verdict, `${m.name}::${which}: ${r.reason}`).toBe(row[i]);
            if (r.verdict === 'skip') expect(r.reason).toMatch(/lacks|known deviation/);
          });
        // Shapes not every adapter renders: where missing they are skipped, saying what is missing.
        if (!rows['resume-cross-sni'])
          expect(result(run, 'psk::resume-cross-sni').reason).toBe(`target '${name}' lacks 'sni-no-auth'`);
        // A product that cannot render a shape says why (capabilities.lacking).
        for (const [which, feature] of [
          ['resume-cross-sni', 'sni-no-auth'],
          ['resume-optional-to-require', 'shared-sessions'],
        ] as const) {
          const why = ADAPTERS[name].capabilities.lacking?.[feature];
          if (why) expect(result(run, `psk::${which}`).reason).toBe(`target '${name}' lacks '${feature}': ${why}`);
        }
        const xfail = run.results.filter((r) => r.verdict === 'xfail');
        for (const r of xfail)
          expect(r.finding, r.id).toMatch(
            /resumption honours (revocation|expiry): no$|^a session made with no certificate .*; resumed without a certificate \(.*\), and served$/,
          );
      },
    );
  });
}

describe('openssl s_client replays the decisive cases', () => {
  const write = (name: string, content: string) => {
    const p = path.join(scratch.path, name);
    writeFileSync(p, content, { mode: 0o600 });
    return p;
  };

  for (const [name, served] of [
    ['apache', true],
    ['stunnel', true],
    ['nginx', false],
  ] as const) {
    it(`${name}: a session resumed after its certificate was revoked is ${served ? 'served' : 'closed'}`, async (ctx) => {
      const probe = await availability(name);
      if (!probe.available && !ON_CI) ctx.skip();
      const fx = fixtures.get();
      await using target = await startProcessTarget(ADAPTERS[name], fx, 'require');
      const control = target.resumption!.ocspControl!;
      for (const m of MECHANISMS) {
        const issued = await issueClientCertificate(fx, { label: `sclient-${name}` });
        await setOcspStatus(control, issued.serial, 'good');
        const files = {
          cert: write(`${name}-${m.name}.pem`, issued.certPem),
          key: write(`${name}-${m.name}.key`, issued.keyPem),
          chain: write(`${name}-${m.name}.chain`, issued.chainPem.slice(issued.certPem.length)),
        };
        const sess = path.join(scratch.path, `${name}-${m.name}.sess`);
        const noTicket = m.name === 'session-id';
        const opts = { tls: m.tls, servername: 'localhost', noTicket, scratch: scratch.path } as const;
        const made = await sClientSession(fx, target.endpoint, { ...opts, files, sessOut: sess });
        expect(made, made.out).toMatchObject({ reused: false, http: 200 });
        await setOcspStatus(control, issued.serial, 'revoked');
        // A full handshake with the revoked certificate is refused: the responder's answer reaches the server.
        const fresh = await sClientSession(fx, target.endpoint, { ...opts, files });
        expect(fresh.http, fresh.out).not.toBe(200);
        const again = await sClientSession(fx, target.endpoint, { ...opts, files, sessIn: sess });
        expect(again.reused, `${m.name}: ${again.out}`).toBe(true);
        if (served) expect(again.http, `${m.name}: ${again.out}`).toBe(200);
        else expect(again.http, `${m.name}: ${again.out}`).toBeUndefined();
      }
    });
  }

  it('nginx: a session of public.localhost offered to localhost is reused and refused (421), or refused at the ClientHello in TLS 1.3', async (ctx) => {
    const probe = await availability('nginx');
    if (!probe.available && !ON_CI) ctx.skip();
    const fx = fixtures.get();
    await using target = await startProcessTarget(ADAPTERS.nginx, fx, 'require');
    for (const m of MECHANISMS) {
      const sess = path.join(scratch.path, `nginx-sni-${m.name}.sess`);
      const opts = { tls: m.tls, noTicket: m.name === 'session-id', scratch: scratch.path } as const;
      const made = await sClientSession(fx, target.endpoint, {
        ...opts,
        servername: 'public.localhost',
        sessOut: sess,
      });
      expect(made, made.out).toMatchObject({ reused: false, http: 200 });
      const again = await sClientSession(fx, target.endpoint, { ...opts, servername: 'localhost', sessIn: sess });
      if (m.tls === '1.2') expect(again, again.out).toMatchObject({ reused: true, http: 421 });
      else expect(again, again.out).toMatchObject({ alert: 49 });
    }
  });

  /**
   * What openssl s_client sees, per mechanism, when a session made without a certificate where none is asked for is
   * offered back there (`back`) and to the name that requires one (`again`). Absent mechanism: s_client has no
   * session of it to offer (Go keeps no session cache).
   */
  type View = { readonly reused: boolean; readonly http?: number; readonly alert?: number };
  const REPLAYS: Readonly<
    Record<
      'stunnel' | 'caddy',
      Readonly<Record<'cross-sni' | 'optional-to-require', Partial<Record<string, { back: View; again: View }>>>>
    >
  > = {
    stunnel: {
      // The finding: tickets and PSKs of the SNI secondary service are resumed where a certificate is required.
      'cross-sni': {
        'session-id': { back: { reused: false, http: 200 }, again: { reused: false, alert: 40 } },
        ticket: { back: { reused: true, http: 200 }, again: { reused: true, http: 200 } },
        psk: { back: { reused: true, http: 200 }, again: { reused: true, http: 200 } },
      },
      'optional-to-require': {
        'session-id': { back: { reused: true, http: 200 }, again: { reused: false, alert: 40 } },
        ticket: { back: { reused: true, http: 200 }, again: { reused: false, alert: 40 } },
        psk: { back: { reused: true, http: 200 }, again: { reused: false, alert: 116 } },
      },
    },
    caddy: {
      // s_client resumes Go's TLS 1.2 tickets without the extended master secret, which the wire client does not.
      'cross-sni': {
        ticket: { back: { reused: true, http: 200 }, again: { reused: false, alert: 42 } },
        psk: { back: { reused: true, http: 200 }, again: { reused: false, alert: 42 } },
      },
      'optional-to-require': {
        ticket: { back: { reused: true, http: 200 }, again: { reused: false, alert: 42 } },
        psk: { back: { reused: true, http: 200 }, again: { reused: false, alert: 42 } },
      },
    },
  };

  for (const name of ['stunnel', 'caddy'] as const) {
    it(`${name}: openssl s_client and the wire client agree on a session made without a certificate offered where one is required`, async (ctx) => {
      const probe = await availability(name);
      if (!probe.available && !ON_CI) ctx.skip();
      const fx = fixtures.get();
      await using target = await startProcessTarget(ADAPTERS[name], fx, 'require');
      const run = await runResumption(fx, target, {
        deviations: name,
        suite: 'resumption::*::resume-cross-sni,resumption::*::resume-optional-to-require',
      });
      expect(run.error, run.error?.message).toBeUndefined();
      const origins = {
        'cross-sni': { at: target.resumption?.sniNoAuth?.endpoint, servername: 'public.localhost' },
        'optional-to-require': { at: target.resumption?.optionalEndpoint, servername: 'localhost' },
      } as const;
      let replayed = 0;
      for (const [which, byMechanism] of Object.entries(REPLAYS[name])) {
        const origin = origins[which as keyof typeof origins];
        if (Object.keys(byMechanism).length === 0) expect(origin.at).toBeUndefined();
        for (const m of MECHANISMS) {
          const want = byMechanism[m.name];
          if (!want) continue;
          const sess = path.join(scratch.path, `${name}-${which}-${m.name}.sess`);
          const opts = { tls: m.tls, noTicket: m.name === 'session-id', scratch: scratch.path } as const;
          const from = { ...opts, servername: origin.servername };
          const made = await sClientSession(fx, origin.at!, { ...from, sessOut: sess });
          expect(made, made.out).toMatchObject({ reused: false, http: 200 });
          const back = await sClientSession(fx, origin.at!, { ...from, sessIn: sess });
          expect(back, `${which} ${m.name} back: ${back.out}`).toMatchObject(want.back);
          const again = await sClientSession(fx, target.endpoint, { ...opts, servername: 'localhost', sessIn: sess });
          expect(again, `${which} ${m.name}: ${again.out}`).toMatchObject(want.again);
          if (want.again.http === undefined) expect(again.http, again.out).toBeUndefined();
          // The wire client's view of the same case, where it has one.
          const r = result(run, `${m.name}::resume-${which}`);
          if (r.verdict !== 'skip') {
            expect(/; resumed without a certificate/.test(r.finding ?? ''), `${r.id}: ${r.finding}`).toBe(
              want.again.reused,
            );
            expect(r.observed.outcome === 'accepted', `${r.id}: ${r.reason}`).toBe(want.again.http === 200);
            replayed++;
          }
        }
      }
      expect(replayed).toBe(name === 'stunnel' ? 6 : 2);
    });
  }

  // The claim in stunnel's expectation that the shared ticket secrets are not the cause.
  it('stunnel without ticketKeySecret/ticketMacSecret resumes the SNI secondary service’s ticket and PSK where a certificate is required all the same', async (ctx) => {
    const probe = await availability('stunnel');
    if (!probe.available && !ON_CI) ctx.skip();
    const fx = fixtures.get();
    const adapter: ServerAdapter = {
      ...ADAPTERS.stunnel,
      render: (input) => {
        const r = ADAPTERS.stunnel.render(input);
        const conf = r.files['stunnel.conf']!;
        const without = conf
          .split('\n')
          .filter((l) => !/^ticket(Key|Mac)Secret = /.test(l))
          .join('\n');
        expect(without.length).toBeLessThan(conf.length);
        return { ...r, files: { ...r.files, 'stunnel.conf': without } };
      },
    };
    await using target = await startProcessTarget(adapter, fx, 'require');
    const run = await runResumption(fx, target, { deviations: 'stunnel', suite: 'resumption::*::resume-cross-sni' });
    expect(run.error, run.error?.message).toBeUndefined();
    expect(MECHANISMS.map((m) => result(run, `${m.name}::resume-cross-sni`).verdict)).toEqual([
      'pass',
      'xfail',
      'xfail',
    ]);
  });

  // The control of caddy's pass: its two names share ticket keys, and the scenario fails when the name under test
  // would resume a session without a certificate.
  it("caddy with client authentication mode request ('request-only'): a session of public.localhost is resumed on localhost and served, and the scenario fails", async (ctx) => {
    const probe = await availability('caddy');
    if (!probe.available && !ON_CI) ctx.skip();
    const fx = fixtures.get();
    await using target = await startProcessTarget(ADAPTERS.caddy, fx, 'require', { weaken: 'request-only' });
    const run = await runResumption(fx, target, { deviations: 'caddy', suite: 'resumption::psk::resume-cross-sni' });
    expect(run.error, run.error?.message).toBeUndefined();
    expect(run.conformant).toBe(false);
    const r = result(run, 'psk::resume-cross-sni');
    expect(r.verdict, r.reason).toBe('fail');
    expect(r.finding).toMatch(/; resumed without a certificate \(TLS 1\.3 PSK\), and served$/);
    for (const m of MECHANISMS.filter((x) => x.name !== 'session-id')) {
      const sess = path.join(scratch.path, `caddy-request-only-${m.name}.sess`);
      const opts = { tls: m.tls, scratch: scratch.path } as const;
      const made = await sClientSession(fx, target.endpoint, {
        ...opts,
        servername: 'public.localhost',
        sessOut: sess,
      });
      expect(made, made.out).toMatchObject({ reused: false, http: 200 });
      const again = await sClientSession(fx, target.endpoint, { ...opts, servername: 'localhost', sessIn: sess });
      expect(again, `${m.name}: ${again.out}`).toMatchObject({ reused: true, http: 200 });
    }
  });
});

describe('the claims in the lacking reasons, by experiment', () => {
  const scratchDir = () => scratch.path;

  it('openssl s_server with -servername/-cert2/-key2 under -Verify refuses a client without a certificate on the second name too', async (ctx) => {
    const probe = await availability('openssl-s-server');
    if (!probe.available && !ON_CI) ctx.skip();
    const fx = fixtures.get();
    const base = ADAPTERS['openssl-s-server'];
    const adapter: ServerAdapter = {
      ...base,
      render: (input) => {
        const r = base.render(input);
        const p = (rel: string) => `${input.root}/${rel}`;
        return {
          ...r,
          args: [...r.args, '-servername', 'public.localhost', '-cert2', p(PKI.chain), '-key2', p(PKI.key)],
        };
      },
    };
    await using target = await startProcessTarget(adapter, fx, 'require');
    for (const [tls, alert] of [
      ['1.2', 40],
      ['1.3', 116],
    ] as const) {
      // NOTE: not sClientSession: s_server sends the -cert2 certificate without its intermediate, so a client that
      // verifies the server would stop before the server's decision; this one reads what the server asked and said.
      const out = await new Promise<string>((resolve) => {
        const child = execFile(
          'openssl',
          [
            's_client',
            '-connect',
            `${target.endpoint.host}:${target.endpoint.port}`,
            '-servername',
            'public.localhost',
            tls === '1.3' ? '-tls1_3' : '-tls1_2',
            '-ign_eof',
          ],
          { timeout: 10_000 },
          (_err, stdout, stderr) => resolve(`${String(stdout)}\n${String(stderr)}`),
        );
        child.stdin?.on('error', () => {});
        child.stdin?.end('GET / HTTP/1.0\r\n\r\n');
      });
      // The second context's certificate came (the leaf alone: the first one sends its -cert_chain intermediate too),
      // a certificate was asked for, and its absence refused.
      expect(out).toMatch(/^\s*0 s:CN = localhost/m);
      expect(out).not.toMatch(/^\s*1 s:/m);
      expect(out).toContain('Acceptable client certificate CA names');
      expect(/alert number (\d+)/.exec(out)?.[1], out).toBe(String(alert));
      expect(out).not.toMatch(/HTTP\/1\.[01] 200/);
    }
  });

  it("caddy: the optional endpoint's tickets and PSKs are resumed on another port (session_tickets shares the keys), and without session_tickets they are not", async (ctx) => {
    const probe = await availability('caddy');
    if (!probe.available && !ON_CI) ctx.skip();
    const fx = fixtures.get();
    let second = 0;
    while (second === 0) second = await freePort();
    // The rendered configuration plus a third server on `second` that asks for no certificate, with or without the
    // TLS app's session_tickets: where a session of the optional endpoint resumes tells whether the servers share keys.
    const withOpenPort = (shared: boolean): ServerAdapter => ({
      ...ADAPTERS.caddy,
      render: (input) => {
        const r = ADAPTERS.caddy.render(input);
        const config = JSON.parse(r.files['caddy.json']!) as {
          apps: { http: { servers: Record<string, unknown> }; tls: Record<string, unknown> };
        };
        expect(config.apps.tls['session_tickets']).toBeDefined();
        if (!shared) delete config.apps.tls['session_tickets'];
        config.apps.http.servers['open'] = {
          listen: [`${input.listenHost}:${second}`],
          routes: [{ handle: [{ handler: 'static_response', status_code: 200, body: 'ok' }] }],
          tls_connection_policies: [{ certificate_selection: { any_tag: ['server'] }, default_sni: 'localhost' }],
          automatic_https: { disable: true },
        };
        return { ...r, files: { ...r.files, 'caddy.json': JSON.stringify(config) } };
      },
    });
    for (const shared of [true, false]) {
      await using target = await startProcessTarget(withOpenPort(shared), fx, 'require');
      const optional = target.resumption!.optionalEndpoint!;
      const open = { host: target.endpoint.host, port: second };
      for (const m of MECHANISMS.filter((x) => x.name !== 'session-id')) {
        const sess = path.join(scratchDir(), `caddy-ports-${m.name}-${shared}.sess`);
        const opts = { tls: m.tls, servername: 'localhost', scratch: scratchDir() } as const;
        const made = await sClientSession(fx, optional, { ...opts, sessOut: sess });
        expect(made, made.out).toMatchObject({ reused: false, http: 200 });
        const back = await sClientSession(fx, optional, { ...opts, sessIn: sess });
        expect(back, `${m.name} back: ${back.out}`).toMatchObject({ reused: true, http: 200 });
        const there = await sClientSession(fx, open, { ...opts, sessIn: sess });
        expect(there, `${m.name} on the open port (shared ${shared}): ${there.out}`).toMatchObject({
          reused: shared,
          http: 200,
        });
      }
    }
  });
});

/**
 * The resumption shapes of Apache, HAProxy and lighttpd (issue 12), run without the products' expectations: openssl
 * s_client makes a session without a certificate where none is asked for (public.localhost on the same port, the
 * optional endpoint) and offers it to localhost, which requires one. Its view — reused or not, and the answer — must
 * agree with the wire client's verdict and finding for the same case. Apache runs a full handshake and refuses;
 * HAProxy and lighttpd resume and serve (the security findings their expectations record), so the scenarios fail.
 */
const SHAPES: readonly (readonly [ProcessTargetName, boolean])[] = [
  ['apache', false],
  ['haproxy', true],
  ['lighttpd', true],
];

describe('openssl s_client and the wire client agree on a session offered across server names and endpoints', () => {
  for (const [name, resumes] of SHAPES) {
    it(
      `${name}: a session made without a certificate is ${resumes ? 'resumed and served (the scenarios fail)' : 'not resumed, and refused'}`,
      { timeout: 180_000 },
      async (ctx) => {
        const probe = await availability(name);
        if (!probe.available && !ON_CI) ctx.skip();
        const fx = fixtures.get();
        await using target = await startProcessTarget(ADAPTERS[name], fx, 'require');
        const run = await runResumption(fx, target, {
          suite: 'resumption::*::resume-cross-sni,resumption::*::resume-optional-to-require',
        });
        expect(run.error, run.error?.message).toBeUndefined();
        expect(run.conformant).toBe(!resumes);
        const origins = {
          'resume-cross-sni': { at: target.endpoint, servername: 'public.localhost' },
          'resume-optional-to-require': { at: target.resumption!.optionalEndpoint!, servername: 'localhost' },
        };
        let compared = 0;
        for (const m of MECHANISMS) {
          const opts = { tls: m.tls, noTicket: m.name === 'session-id', scratch: scratch.path } as const;
          // The control: a full handshake without a certificate on localhost is refused with an alert.
          const fresh = await sClientSession(fx, target.endpoint, { ...opts, servername: 'localhost' });
          expect(fresh, fresh.out).toMatchObject({ reused: false, alert: m.tls === '1.3' ? 116 : 40 });
          expect(fresh.http, fresh.out).toBeUndefined();
          for (const [which, origin] of Object.entries(origins)) {
            const r = result(run, `${m.name}::${which}`);
            const sess = path.join(scratch.path, `${name}-${which}-${m.name}.sess`);
            const made = await sClientSession(fx, origin.at, { ...opts, servername: origin.servername, sessOut: sess });
            expect(made, made.out).toMatchObject({ reused: false, http: 200 });
            const again = await sClientSession(fx, target.endpoint, { ...opts, servername: 'localhost', sessIn: sess });
            const label = `${m.name}::${which}: ${r.finding ?? r.reason}\n${again.out}`;
            if (r.verdict === 'skip') {
              // lighttpd gives no session ID to a client that offers no ticket: nothing to resume for s_client either.
              expect(r.reason, label).toMatch(/lacks session-id resumption here/);
              expect(again.reused, label).not.toBe(true);
              continue;
            }
            compared++;
            expect(r.finding, label).toMatch(resumes ? /; resumed without a certificate / : /; not resumed: /);
            expect(r.verdict, label).toBe(resumes ? 'fail' : 'pass');
            expect(again.reused, label).toBe(resumes);
            if (resumes) expect(again.http, label).toBe(200);
            else expect(again, label).toMatchObject({ alert: m.tls === '1.3' ? 116 : 40 });
            if (!resumes) expect(again.http, label).toBeUndefined();
          }
        }
        expect(compared).toBeGreaterThanOrEqual(4);
      },
    );
  }
});

describe('Apache: a misconfigured virtual-host pair still lets no resumed session without a certificate through', () => {
  it(
    'with one session id context for both names, the session is resumed and closed right after the handshake (AH02011)',
    { timeout: 180_000 },
    async (ctx) => {
      const probe = await availability('apache');
      if (!probe.available && !ON_CI) ctx.skip();
      const fx = fixtures.get();
      // The adapter's shapes, with the no-auth virtual host named as the require one (public.localhost its alias): mod_ssl
      // derives the session id context from ServerName:port, so both names share one and OpenSSL resumes across them.
      const adapter: ServerAdapter = {
        ...ADAPTERS.apache,
        render: (input) => {
          const rendered = ADAPTERS.apache.render(input);
          const conf = rendered.files['httpd.conf']!.replace(
            `  ServerName ${input.sniNoAuth!}\n`,
            `  ServerName localhost:${input.port}\n  ServerAlias ${input.sniNoAuth!}\n`,
          );
          return { ...rendered, files: { ...rendered.files, 'httpd.conf': conf } };
        },
      };
      await using target = await startProcessTarget(adapter, fx, 'require');
      expect(readFileSync(path.join(target.dir, 'httpd.conf'), 'utf8')).toContain(
        `ServerName localhost:${target.endpoint.port}\n  ServerAlias public.localhost\n`,
      );
      for (const m of MECHANISMS) {
        const opts = { tls: m.tls, noTicket: m.name === 'session-id', scratch: scratch.path } as const;
        const sess = path.join(scratch.path, `apache-shared-${m.name}.sess`);
        const made = await sClientSession(fx, target.endpoint, {
          ...opts,
          servername: 'public.localhost',
          sessOut: sess,
        });
        expect(made, made.out).toMatchObject({ reused: false, http: 200 });
        const again = await sClientSession(fx, target.endpoint, { ...opts, servername: 'localhost', sessIn: sess });
        expect(again.reused, `${m.name}: ${again.out}`).toBe(true);
        expect(again.http, `${m.name}: ${again.out}`).toBeUndefined();
      }
      expect(target.logs()).toMatch(/AH02011: No acceptable peer certificate available/);
    },
  );
});
