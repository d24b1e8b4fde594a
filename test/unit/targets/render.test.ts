import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { HarnessError } from '../../../core/errors.js';
import { catalogue } from '../../../suites/index.js';
import { CONTAINER_ROOT, renderForContainer } from '../../../targets/container/container-target.js';
import { loadExpectations } from '../../../targets/expectations.js';
import { stagePki, writeRendered } from '../../../targets/process/adapter.js';
import { ADAPTERS, PROCESS_TARGET_NAMES, type RenderInput } from '../../../targets/process/index.js';
import { parseTarget, targetName, TARGET_NAMES } from '../../../targets/registry.js';
import { globMatcher } from '../../../engine/select.js';
import { ROOT } from '../../helpers/cli.js';
import { tempDir } from '../../helpers/tmp.js';
import { sharedFixtures } from '../../targets/harness.js';

const base: RenderInput = { policy: 'require', root: '/srv/x', listenHost: '127.0.0.1', port: 12345, asRoot: false };
const text = (r: { files: Readonly<Record<string, string>>; args: readonly string[] }) =>
  [...Object.values(r.files), r.args.join(' ')].join('\n');

const fixtures = sharedFixtures();

describe('config renderers', () => {
  it.each(PROCESS_TARGET_NAMES)('%s: pure, on the given port, with the fixture PKI and the policy', (name) => {
    const a = ADAPTERS[name];
    const r = a.render(base);
    expect(a.render(base)).toEqual(r);
    const all = text(r);
    expect(all).toContain('12345');
    expect(all).toContain('/srv/x/pki/trust');
    expect(all).toMatch(/\/srv\/x\/pki\/server-(chain|cert|chain-key)\.pem/);
    if (a.capabilities.features.includes('crl')) expect(all).toMatch(/\/srv\/x\/pki\/(crls|trust-and-crls)\.pem/);
    // require and optional render differently; nothing names a path outside the root or a system service.
    expect(text(a.render({ ...base, policy: 'optional' }))).not.toEqual(all);
    expect(all).not.toMatch(/(^|[\s"'=])\/(etc|var\/run|run|var\/log)\//m);
  });

  it('Caddy names every trust anchor, one file each, in every client-authentication policy', () => {
    type Policy = { client_authentication?: { trusted_ca_certs_pem_files: string[]; mode: string } };
    type Config = { apps: { http: { servers: Record<string, { tls_connection_policies: Policy[] }> } } };
    const policies = (input: Partial<RenderInput>) => {
      const config = JSON.parse(ADAPTERS.caddy.render({ ...base, ...input }).files['caddy.json']!) as Config;
      return Object.values(config.apps.http.servers).flatMap((s) => s.tls_connection_policies);
    };
    const anchors = (input: Partial<RenderInput>) =>
      policies(input).flatMap((p) =>
        p.client_authentication ? [p.client_authentication.trusted_ca_certs_pem_files] : [],
      );
    expect(anchors({ trustAnchors: 2 })).toEqual([['/srv/x/pki/trust-1.pem', '/srv/x/pki/trust-2.pem']]);
    expect(anchors({})).toEqual([['/srv/x/pki/trust.pem']]);
    // The resumption shapes: public.localhost without client authentication, the optional endpoint verify_if_given.
    const shaped = policies({ trustAnchors: 2, sniNoAuth: 'public.localhost', optionalPort: 23457 });
    expect(shaped.map((p) => p.client_authentication?.mode)).toEqual([
      undefined,
      'require_and_verify',
      'verify_if_given',
    ]);
    expect(
      shaped.filter((p) => p.client_authentication).map((p) => p.client_authentication!.trusted_ca_certs_pem_files),
    ).toEqual([
      ['/srv/x/pki/trust-1.pem', '/srv/x/pki/trust-2.pem'],
      ['/srv/x/pki/trust-1.pem', '/srv/x/pki/trust-2.pem'],
    ]);
  });

  it('stage each trust anchor of trust.pem alone, in order, beside trust.pem', () => {
    const fx = fixtures.get();
    using scratch = tempDir('mtls-stage-');
    const dir = scratch.path;
    const { trustAnchors } = stagePki(fx, dir);
    const trust = readFileSync(path.join(dir, 'pki/trust.pem'), 'utf8');
    // Independent of the code under test: openssl names the subjects of the bundle and of each file.
    const subjects = (file: string) =>
      execFileSync('openssl', ['storeutl', '-noout', '-certs', '-text', file], { encoding: 'utf8' }).match(
        /Subject: .*/g,
      ) ?? [];
    const all = subjects(path.join(dir, 'pki/trust.pem'));
    expect(all.length).toBeGreaterThanOrEqual(2);
    expect(trustAnchors).toBe(all.length);
    expect(Array.from({ length: trustAnchors }, (_, i) => subjects(path.join(dir, `pki/trust-${i + 1}.pem`)))).toEqual(
      all.map((s) => [s]),
    );
    expect(trust).toContain('-----BEGIN CERTIFICATE-----');
  });

  it('express require and optional with each server own switch', () => {
    const pick = (name: keyof typeof ADAPTERS, policy: 'require' | 'optional') =>
      text(ADAPTERS[name].render({ ...base, policy }));
    expect(pick('nginx', 'require')).toContain('ssl_verify_client on;');
    expect(pick('nginx', 'optional')).toContain('ssl_verify_client optional;');
    expect(pick('haproxy', 'require')).toContain('verify required');
    expect(pick('haproxy', 'optional')).toContain('verify optional');
    expect(pick('apache', 'require')).toContain('SSLVerifyClient require');
    expect(pick('apache', 'optional')).toContain('SSLVerifyClient optional');
    expect(pick('apache', 'require')).toContain('SSLCARevocationCheck chain');
    expect(pick('stunnel', 'require')).toMatch(/verifyChain = yes\nrequireCert = yes/);
    expect(pick('stunnel', 'optional')).toMatch(/verifyChain = yes\nrequireCert = no/);
    expect(pick('lighttpd', 'require')).toContain('ssl.verifyclient.enforce = "enable"');
    expect(pick('lighttpd', 'optional')).toContain('ssl.verifyclient.enforce = "disable"');
    expect(pick('caddy', 'require')).toContain('"mode": "require_and_verify"');
    expect(pick('caddy', 'optional')).toContain('"mode": "verify_if_given"');
    expect(pick('openssl-s-server', 'require')).toMatch(/-Verify 5 -verify_return_error -crl_check_all/);
    expect(pick('openssl-s-server', 'optional')).toMatch(/-verify 5 -verify_return_error -crl_check_all/);
  });

  it('check OCSP only where the server can, against the given responder', () => {
    const withOcsp = { ...base, ocspUrl: 'http://127.0.0.1:1/ocsp' };
    for (const name of PROCESS_TARGET_NAMES) {
      const a = ADAPTERS[name];
      expect(text(a.render(withOcsp)).includes('127.0.0.1:1/ocsp'), name).toBe(
        a.capabilities.features.includes('ocsp'),
      );
    }
  });

  it('each weakening changes the configuration', () => {
    for (const name of PROCESS_TARGET_NAMES) {
      const a = ADAPTERS[name];
      for (const w of Object.keys(a.weakenings)) {
        // A weakening of the proxy mode (issue 12) weakens a configuration rendered in proxy mode.
        const input = w.startsWith('proxy-') ? { ...base, proxy: { host: '127.0.0.1', port: 23456 } } : base;
        expect(text(a.render({ ...input, weaken: w })), `${name} ${w}`).not.toEqual(text(a.render(input)));
      }
    }
  });

  it('render a proxy mode (/proxied/ to the echo backend) exactly for the adapters that declare one', () => {
    const proxied = { ...base, proxy: { host: '127.0.0.1', port: 23456 } };
    for (const name of PROCESS_TARGET_NAMES) {
      const a = ADAPTERS[name];
      const all = text(a.render(proxied));
      expect(all.includes('127.0.0.1:23456') || all.includes('"port" => 23456'), name).toBe(Boolean(a.proxyIdentity));
      expect(all.includes('/proxied/'), name).toBe(Boolean(a.proxyIdentity));
      if (a.proxyIdentity) expect(Object.keys(a.weakenings), name).toContain('proxy-passthrough');
    }
  });

  it('render the resumption shapes (issue 12) for the adapters that declare them, with ticket key files 0600', () => {
    const shaped = { ...base, sniNoAuth: 'public.localhost', optionalPort: 23457 };
    for (const name of PROCESS_TARGET_NAMES) {
      const a = ADAPTERS[name];
      const r = a.render(shaped);
      if (!a.resumptionShapes) continue;
      const all = text(r);
      expect(all.includes('public.localhost'), name).toBe(Boolean(a.resumptionShapes.sniNoAuth));
      expect(all.includes('23457'), name).toBe(Boolean(a.resumptionShapes.optionalEndpoint));
      // The shapes share ticket keys through a file of key material: named a secret file, written 0600 (Caddy's keys
      // live in its Go process, shared by its servers through the TLS app's session_tickets: no file).
      if (name === 'caddy') expect(r.secretFiles, name).toBeUndefined();
      else expect(r.secretFiles?.length, name).toBeGreaterThan(0);
      for (const f of r.secretFiles ?? []) {
        expect(Object.keys(r.files), name).toContain(f);
        expect(all, name).toContain(`/srv/x/${f}`);
      }
      expect(a.render(base).secretFiles, name).toBeUndefined();
    }
    const pick = (name: keyof typeof ADAPTERS) => text(ADAPTERS[name].render(shaped));
    expect(pick('apache')).toMatch(/ServerName public\.localhost\n(.*\n)*?\s*SSLVerifyClient none\n/);
    expect(pick('apache')).toMatch(/Listen 127\.0\.0\.1:23457\n(.*\n)*?\s*SSLVerifyClient optional\n/);
    expect(pick('apache')).toContain('SSLSessionTicketKeyFile /srv/x/ticket.key');
    expect(pick('haproxy')).toContain('/srv/x/pki/server-chain-key.pem [verify none] public.localhost');
    expect(pick('haproxy')).toMatch(
      /bind 127\.0\.0\.1:23457 ssl .* verify optional .* tls-ticket-keys \/srv\/x\/tls-ticket-keys/,
    );
    expect(pick('lighttpd')).toMatch(
      /\$HTTP\["host"\] == "public\.localhost" \{\n\s*ssl\.verifyclient\.activate = "disable"/,
    );
    expect(pick('lighttpd')).toMatch(
      /\$SERVER\["socket"\] == "127\.0\.0\.1:23457"(.*\n)*?\s*ssl\.verifyclient\.enforce = "disable"/,
    );
    expect(pick('lighttpd')).toContain('ssl.stek-file = "/srv/x/stek"');
    // The key files in each product's format: HAProxy three base64 80-byte keys, Apache 48 bytes, lighttpd 92.
    const file = (name: keyof typeof ADAPTERS, f: string) => ADAPTERS[name].render(shaped).files[f]!;
    const keys = file('haproxy', 'tls-ticket-keys').trim().split('\n');
    expect(keys.map((k) => Buffer.from(k, 'base64').length)).toEqual([80, 80, 80]);
    expect(Buffer.byteLength(file('apache', 'ticket.key'))).toBe(48);
    expect(Buffer.byteLength(file('lighttpd', 'stek'))).toBe(92);
    // Keys differ per root (each run its own) and are written 0600 whatever else is.
    expect(ADAPTERS.haproxy.render({ ...shaped, root: '/srv/y' }).files['tls-ticket-keys']).not.toBe(
      keys.join('\n') + '\n',
    );
    using dir = tempDir('mtls-render-secret-');
    const r = ADAPTERS.haproxy.render({ ...shaped, root: dir.path });
    writeRendered(r, dir.path);
    expect(statSync(path.join(dir.path, 'tls-ticket-keys')).mode & 0o777).toBe(0o600);
    expect(statSync(path.join(dir.path, 'haproxy.cfg')).mode & 0o777).toBe(0o644);
  });

  it.each(PROCESS_TARGET_NAMES)('%s: the container form mounts the same rendering under /mtls', (name) => {
    const a = ADAPTERS[name];
    const c = renderForContainer(a, 'require');
    const p = a.render({
      ...base,
      root: CONTAINER_ROOT,
      listenHost: '0.0.0.0',
      port: 8443,
      asRoot: true,
      flavor: 'image',
    });
    expect(c).toEqual(p);
    expect(text(c)).toContain(`${CONTAINER_ROOT}/pki/`);
  });
});

describe('target names', () => {
  it('parses every adapter, containers, builtin and HOST:PORT', () => {
    for (const n of PROCESS_TARGET_NAMES) expect(parseTarget(n)).toEqual({ kind: 'process', name: n });
    expect(parseTarget('container:nginx')).toEqual({ kind: 'container', name: 'nginx' });
    expect(parseTarget('builtin')).toEqual({ kind: 'builtin' });
    expect(parseTarget('127.0.0.1:8443')).toEqual({ kind: 'external', host: '127.0.0.1', port: 8443 });
    expect(() => parseTarget('container:iis')).toThrow(HarnessError);
    expect(() => parseTarget('iis')).toThrow(/nginx, haproxy/);
    expect(TARGET_NAMES).toContain('openssl-s-server');
    expect(targetName(parseTarget('container:caddy'))).toBe('container:caddy');
  });
});

describe('expectation files', () => {
  const dir = path.join(ROOT, 'targets/expectations');
  const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
  it('exist for every target, load, name their target, and every deviation matches a scenario and says what was observed', () => {
    for (const n of ['builtin', ...PROCESS_TARGET_NAMES]) expect(files).toContain(`${n}.json`);
    const ids = catalogue().map((s) => s.id);
    for (const f of files) {
      const name = f.replace(/\.json$/, '');
      expect(JSON.parse(readFileSync(path.join(dir, f), 'utf8')).target).toBe(name);
      for (const d of loadExpectations(name)) {
        expect(ids.some(globMatcher(d.pattern)), `${f}: ${d.pattern}`).toBe(true);
        expect(d.reason, `${f}: ${d.pattern}`).toMatch(/observed/);
      }
    }
  });
});
