/**
 * The real servers that cannot ask for a client certificate per location after the handshake (issue 12): each is
 * started as the harness starts it, and every post-handshake scenario is skipped with the product's own reason (what
 * its documentation or an experiment shows), never run against a location it does not have.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { stagePki, writeRendered, type ProcessTargetName, type ServerAdapter } from '../../targets/process/adapter.js';
import { ADAPTERS, isAlive, startProcessTarget, type Availability } from '../../targets/process/index.js';
import { wireProbe } from '../../wire/index.js';
import { availability, ON_CI, sharedFixtures } from '../targets/harness.js';
import { runPostHandshake } from './helpers.js';

const fixtures = sharedFixtures();

/** Each product, and what its skip reason must say about it. */
const PRODUCTS: readonly (readonly [ProcessTargetName, RegExp])[] = [
  ['nginx', /^nginx cannot ask for a client certificate per location after the handshake: ssl_verify_client/],
  ['haproxy', /^HAProxy cannot ask for a client certificate per location after the handshake: verify is a bind/],
  ['stunnel', /^stunnel cannot ask for a client certificate per location after the handshake: it relays bytes/],
  [
    'lighttpd',
    /^lighttpd cannot ask for a client certificate per location after the handshake: .*the server serves the path without asking/,
  ],
  ['caddy', /^Caddy cannot ask for a client certificate per location after the handshake: .*golang\/go#40521/],
  ['openssl-s-server', /^openssl s_server cannot require a client certificate for a location after the handshake/],
];

const probes = new Map<ProcessTargetName, Availability>();
beforeAll(async () => {
  for (const [name] of PRODUCTS) probes.set(name, await availability(name));
});

describe('servers without per-location client authentication after the handshake', () => {
  it.for(PRODUCTS)(
    '%s: every post-handshake scenario is skipped with the product’s reason',
    async ([name, says], ctx) => {
      const probe = probes.get(name)!;
      if (!probe.available && !ON_CI) ctx.skip();
      expect(probe.available, probe.available ? '' : probe.reason).toBe(true);
      const fx = fixtures.get();
      const target = await startProcessTarget(ADAPTERS[name], fx, 'optional');
      try {
        expect(target.capabilities.has('per-location-auth')).toBe(false);
        expect(target.protectedLocation).toBeUndefined();
        const run = await runPostHandshake(fx, target, { concurrency: target.maxConcurrency ?? 4 });
        // The sanity scenario ran and passed: the target was up, and only the topic was skipped.
        expect(run.error, run.error?.message).toBeUndefined();
        const topic = run.results.filter((r) => r.id.includes('::post-handshake::'));
        expect(topic).toHaveLength(10);
        for (const r of topic) {
          expect(r, r.id).toMatchObject({ verdict: 'skip', skip: { kind: 'capability' } });
          expect(r.reason.startsWith(`target '${name}' lacks 'per-location-auth': `), r.reason).toBe(true);
          expect(r.reason.slice(`target '${name}' lacks 'per-location-auth': `.length)).toMatch(says);
          expect(r.observations).toEqual([]);
        }
      } finally {
        await target.stop();
      }
      expect(isAlive(target.pid)).toBe(false);
    },
  );
});

describe('the claims in those reasons, by experiment', () => {
  it('nginx refuses ssl_verify_client inside a location ("directive is not allowed here")', async (ctx) => {
    const probe = probes.get('nginx')!;
    if (!probe.available && !ON_CI) ctx.skip();
    if (!probe.available) throw new Error(probe.reason);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'mtls-pha-nginx-'));
    try {
      stagePki(fixtures.get(), dir);
      const rendered = ADAPTERS.nginx.render({
        policy: 'optional',
        root: dir,
        listenHost: '127.0.0.1',
        port: 1,
        asRoot: process.getuid?.() === 0,
      });
      const conf = rendered.files['nginx.conf']!.replace(
        / {4}ssl_verify_client \w+;\n/,
        '    location /protected/ { ssl_verify_client on; return 200 "protected\\n"; }\n',
      );
      expect(conf).toContain('location /protected/ { ssl_verify_client on;');
      writeRendered({ ...rendered, files: { 'nginx.conf': conf } }, dir);
      const checked = spawnSync(
        probe.binary,
        ['-t', '-p', `${dir}/`, '-c', path.join(dir, 'nginx.conf'), '-e', 'stderr'],
        {
          encoding: 'utf8',
        },
      );
      expect(checked.status).not.toBe(0);
      expect(checked.stderr).toMatch(/"ssl_verify_client" directive is not allowed here/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('lighttpd with ssl.verifyclient.* inside $HTTP["url"] never asks: the path is served without a certificate, in TLS 1.2 and 1.3', async (ctx) => {
    const probe = probes.get('lighttpd')!;
    if (!probe.available && !ON_CI) ctx.skip();
    const fx = fixtures.get();
    // The adapter's configuration with client verification moved from the server into a URL condition.
    const adapter: ServerAdapter = {
      ...ADAPTERS.lighttpd,
      render: (input) => {
        const rendered = ADAPTERS.lighttpd.render({ ...input, policy: 'require' });
        const conf = rendered.files['lighttpd.conf']!.replace(/ssl\.verifyclient\.[a-z]+ = .*\n/g, '').concat(
          '$HTTP["url"] =~ "^/protected/" {\n  ssl.verifyclient.activate = "enable"\n  ssl.verifyclient.enforce = "enable"\n  ssl.verifyclient.depth = 5\n}\n',
        );
        return {
          ...rendered,
          files: { ...rendered.files, 'lighttpd.conf': conf, 'www/protected/index.html': 'protected\n' },
        };
      },
    };
    const target = await startProcessTarget(adapter, fx, 'optional');
    try {
      const trustPem = fx.read(fx.manifest.trust);
      const valid = fx.fixture('valid');
      const identity = { chainPem: fx.read(valid.chain), keyPem: fx.read(valid.key) };
      const request = new TextEncoder().encode(
        'GET /protected/ HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n',
      );
      const common = { host: '127.0.0.1', port: target.endpoint.port, servername: 'localhost', trustPem, http: true };
      const tls12 = await wireProbe({
        ...common,
        tls: '1.2',
        appData: request,
        renegotiation: { answer: 'accept', ...identity },
      });
      const tls13 = await wireProbe({ ...common, tls: '1.3', appData: request, postHandshakeAuth: identity });
      for (const r of [tls12, tls13]) {
        // NOTE: lighttpd -tt accepts the condition, and it has no effect: the protected page is served.
        expect(r.observation).toMatchObject({ outcome: 'accepted', httpStatus: 200 });
        // Nothing was asked: no CertificateRequest in the handshake, none after it, no HelloRequest.
        expect(r.certificateRequest).toBeUndefined();
      }
      expect(tls12.renegotiation?.helloRequests ?? 0).toBe(0);
      expect(tls13.postHandshakeAuth).toMatchObject({ offered: true, exchanges: [] });
    } finally {
      await target.stop();
    }
  });
});
