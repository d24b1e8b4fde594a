import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FixtureSet } from '../../core/manifest.js';
import type { TlsVersion } from '../../core/scenario.js';
import { ADAPTERS, probeAdapter } from '../../targets/process/index.js';
import { closedPort } from '../helpers/servers.js';
import { bothEnginesJudgedByLog, freshFixtures } from './helpers.js';

// Both load engines (issue 14) against HAProxy, resumption and version proven by HAProxy itself. HAProxy cannot write a
// key log; its log format can say what each connection was: `%[ssl_fc_is_resumed]` (1 when the TLS session was
// resumed) and `%[ssl_fc_protocol]`, one line per request on its stdout. The engines' resumed counts must be what
// HAProxy logged, and both engines must report the same.
const ON_CI = Boolean(process.env.CI);
const probe = await probeAdapter(ADAPTERS.haproxy);
if (!probe.available && !ON_CI) console.warn(`test/load/engines-haproxy: skipping haproxy: ${probe.reason}`);
it.runIf(!probe.available && ON_CI)('haproxy is installed (CI=true: a missing server is a failure)', () => {
  expect.fail(`haproxy is not available, and CI=true: ${probe.available ? '' : probe.reason}`);
});

let fixtures: Awaited<ReturnType<typeof freshFixtures>>;
let fx: FixtureSet;
let haproxy: ChildProcess | undefined;
let port = 0;
let out = '';

async function listening(p: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(p, '127.0.0.1', () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

describe.skipIf(!probe.available)('both engines against HAProxy, ssl_fc_is_resumed as judge', () => {
  beforeAll(async () => {
    fixtures = await freshFixtures();
    fx = fixtures.fx;
    const dir = fixtures.dir;
    const crt = path.join(dir, 'haproxy-crt.pem');
    writeFileSync(
      crt,
      readFileSync(fx.resolve(fx.manifest.server.chain), 'utf8') +
        readFileSync(fx.resolve(fx.manifest.server.key), 'utf8'),
      { mode: 0o600 },
    );
    port = await closedPort();
    const cfg = [
      'global',
      '  log stdout format raw local0 info',
      'defaults',
      '  mode http',
      '  log global',
      '  timeout connect 5s',
      '  timeout client 10s',
      '  timeout server 10s',
      'frontend load',
      `  bind 127.0.0.1:${port} ssl crt ${crt} ca-file ${fx.resolve(fx.manifest.trust)} verify required ssl-min-ver TLSv1.2`,
      '  log-format "reused=%[ssl_fc_is_resumed] %[ssl_fc_protocol]"',
      '  http-request return status 200 content-type text/plain string "ok\\n"',
      '',
    ].join('\n');
    writeFileSync(path.join(dir, 'haproxy.cfg'), cfg);
    haproxy = spawn('haproxy', ['-db', '-f', path.join(dir, 'haproxy.cfg')], { stdio: ['ignore', 'pipe', 'pipe'] });
    haproxy.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    haproxy.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const deadline = Date.now() + 30_000;
    while (!(await listening(port))) {
      if (Date.now() > deadline || haproxy.exitCode !== null) throw new Error(`haproxy did not start:\n${out}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  });
  afterAll(async () => {
    if (haproxy && haproxy.exitCode === null) {
      const exited = new Promise((r) => haproxy!.once('exit', r));
      haproxy.kill('SIGTERM');
      await exited;
    }
    fixtures?.dispose();
  });

  const logged = () => out.split('\n').filter((l) => l.startsWith('reused='));

  describe.each<TlsVersion>(['1.2', '1.3'])('TLS %s', (version) => {
    it.each(['full', 'resumed', 'mixed'] as const)(
      '%s: both engines resume what HAProxy says they resumed',
      async (mode) => {
        const runs = await bothEnginesJudgedByLog({
          fx,
          port,
          tls: version,
          mode,
          logged,
          isReused: (l) => l.startsWith('reused=1 '),
        });
        for (const { result: r, lines, reused } of [runs.wire, runs.node]) {
          // One line per handshake of the run (and the priming one before resumed or mixed runs), no more.
          expect(lines).toHaveLength(r.handshakes.succeeded + (mode === 'full' ? 0 : 1));
          expect(lines.every((l) => l.endsWith(version === '1.3' ? 'TLSv1.3' : 'TLSv1.2'))).toBe(true);
          expect(r.handshakes.succeeded).toBe(30);
          expect(r.handshakes.resumed).toBe(reused);
          // HAProxy resumes every session offered (its session cache and tickets are on by default).
          expect(reused).toBe(mode === 'full' ? 0 : mode === 'resumed' ? 30 : 15);
        }
        expect(runs.wire.counts).toEqual(runs.node.counts);
      },
    );
  });
});
