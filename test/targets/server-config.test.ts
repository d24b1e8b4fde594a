import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadManifest, type FixtureSet } from '../../core/manifest.js';
import { generateFixtures } from '../../fixtures-gen/generate.js';
import { ADAPTERS, type ProcessTargetName } from '../../targets/process/index.js';
import { answersTls, freePort, isAlive } from '../../targets/process/spawn.js';
import { CONFIG_PRODUCTS } from '../../targets/server-config.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { availability, ON_CI } from './harness.js';

/**
 * `server-config` for every product: the configuration it writes, started exactly as printed (its start.sh), is a
 * server `run --target HOST:PORT --product NAME` finds conformant (exit 0), with the fixtures' OCSP responder started
 * by `--ocsp-responder` where the product checks OCSP.
 */
let tmp: ReturnType<typeof tempDir>;
let fx: FixtureSet;

beforeAll(async () => {
  tmp = tempDir('mtls-server-config-');
  // NOTE: as root, nginx, apache and lighttpd workers run as nobody: the configuration's directory must be reachable.
  chmodSync(tmp.path, 0o711);
  // The responder must be where the certificates say: a free port, not the default 18888 other tests may hold.
  const ocspPort = await freePort();
  await generateFixtures({ out: path.join(tmp.path, 'fx'), ocspUrl: `http://127.0.0.1:${ocspPort}/ocsp` });
  fx = loadManifest(path.join(tmp.path, 'fx'));
});
afterAll(() => tmp[Symbol.dispose]());

/** Waits (bounded) until the port answers TLS, or the process died. */
async function ready(child: ChildProcess, port: number): Promise<boolean> {
  const until = Date.now() + 15_000;
  while (Date.now() < until) {
    if (child.exitCode !== null) return false;
    if (await answersTls('127.0.0.1', port, 500)) return true;
  }
  return false;
}

describe('server-config', () => {
  for (const product of CONFIG_PRODUCTS) {
    it(`${product}: started from its start.sh, run --product ${product} exits 0`, async (ctx) => {
      if (product !== 'node') {
        const probe = await availability(ADAPTERS[product as ProcessTargetName].name);
        if (!probe.available && !ON_CI) ctx.skip();
      }
      const port = await freePort();
      const out = path.join(tmp.path, `cfg-${product}`);
      const rendered = await runCli([
        'server-config',
        '--product',
        product,
        '--fixtures',
        fx.dir,
        '--port',
        String(port),
        '--out',
        out,
      ]);
      expect(rendered.status, rendered.stderr).toBe(0);
      // What was printed is what was written.
      const written = readFileSync(path.join(out, 'start.sh'), 'utf8');
      expect(rendered.stdout).toContain(`# or: ${path.join(out, 'start.sh')}`);
      for (const line of rendered.stdout
        .split('\n')
        .filter((l) => l.startsWith('# ---- ') && !l.includes('start it'))) {
        const file = line.slice('# ---- '.length, -' ----'.length);
        const content = readFileSync(file, 'utf8').trimEnd();
        expect(rendered.stdout).toContain(content);
      }
      const server = spawn(path.join(out, 'start.sh'), [], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
      let log = '';
      server.stdout!.on('data', (d: Buffer) => (log += d.toString()));
      server.stderr!.on('data', (d: Buffer) => (log += d.toString()));
      try {
        expect(await ready(server, port), `${written}\n${log}`).toBe(true);
        const ocsp =
          product === 'node' ? false : ADAPTERS[product as ProcessTargetName].capabilities.features.includes('ocsp');
        const run = await runCli(
          [
            'run',
            '--target',
            `127.0.0.1:${port}`,
            '--fixtures',
            fx.dir,
            '--product',
            product,
            ...(ocsp ? ['--ocsp-responder'] : []),
            '--format',
            'json',
            '--quiet',
            '--out',
            path.join(out, 'report'),
          ],
          { timeoutMs: 170_000 },
        );
        const results = JSON.parse(readFileSync(path.join(out, 'report', 'results.json'), 'utf8')) as {
          results: { id: string; tls: string; verdict: string; reason: string }[];
        };
        const bad = results.results
          .filter((r) => !['pass', 'skip', 'xfail'].includes(r.verdict))
          .map((r) => `${r.id} ${r.tls} ${r.verdict}: ${r.reason}`);
        expect(run.status, `${run.stderr}\n${bad.join('\n')}\n${log}`).toBe(0);
        // The product's OCSP check was exercised, not skipped.
        if (ocsp) {
          const revoked = results.results.filter((r) => r.id === 'require::revocation::revoked-ocsp');
          expect(revoked.map((r) => r.verdict)).toEqual(['pass', 'pass']);
        }
      } finally {
        const exited =
          server.exitCode !== null || server.signalCode !== null
            ? Promise.resolve()
            : new Promise<void>((resolve) => server.once('exit', () => resolve()));
        try {
          process.kill(-server.pid!, 'SIGTERM');
        } catch {
          // already gone
        }
        await exited;
      }
      expect(isAlive(server.pid!)).toBe(false);
      // NOTE: the whole catalogue against a real server, with the OCSP failure modes (issue 13) waiting on it.
    }, 180_000);
  }
});
