import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadManifest } from '../core/manifest.js';
import type { TlsVersion } from '../core/scenario.js';
import { clientContext, probeNode } from '../engine/probe-node.js';
import { generateFixtures } from '../fixtures-gen/generate.js';
import { wireProbe } from '../wire/index.js';
import { row } from './util.js';

const N = 150;

/**
 * Client CPU per full mTLS handshake (plus one HTTP round trip): our wire client next to node:tls, both against the
 * same built-in server running in another process, measured with process.cpuUsage() around N sequential handshakes.
 */
export async function benchWire(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mtls-bench-wire-'));
  await generateFixtures({ out: dir });
  const fx = loadManifest(dir);
  const cli = path.resolve(import.meta.dirname, '../dist/cli/main.js');
  const server = spawn(process.execPath, [cli, 'serve', '--fixtures', dir, '--port', '0'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      let out = '';
      server.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /:(\d+)\//.exec(out);
        if (m) resolve(Number(m[1]));
      });
      server.on('exit', () => reject(new Error(`server exited: ${out}`)));
    });
    const trustPem = readFileSync(fx.resolve(fx.manifest.trust), 'utf8');
    const valid = fx.fixture('valid');
    const chainPem = readFileSync(fx.resolve(valid.chain), 'utf8');
    const keyPem = readFileSync(fx.resolve(valid.key), 'utf8');
    console.log(
      `client CPU per full handshake + HTTP round trip (ecdsa-p256 client, ${N} sequential, server in another process)`,
    );
    for (const tls of ['1.2', '1.3'] as TlsVersion[]) {
      const ctx = clientContext({ tls, trustPem, chainPem, keyPem });
      const measure = async (fn: () => Promise<{ outcome: string }>) => {
        for (let i = 0; i < 20; i++) await fn(); // warm-up
        const cpu = process.cpuUsage();
        const t = performance.now();
        for (let i = 0; i < N; i++) {
          const o = await fn();
          if (o.outcome !== 'accepted') throw new Error(`handshake not accepted: ${o.outcome}`);
        }
        const used = process.cpuUsage(cpu);
        return { cpuMs: (used.user + used.system) / 1000 / N, wallMs: (performance.now() - t) / N };
      };
      const node = await measure(() =>
        probeNode({ host: '127.0.0.1', port, tls, secureContext: ctx, mode: 'http', timeoutMs: 5000 }),
      );
      const wire = await measure(
        async () =>
          (
            await wireProbe({
              host: '127.0.0.1',
              port,
              servername: 'localhost',
              tls,
              trustPem,
              chainPem,
              keyPem,
              http: true,
            })
          ).observation,
      );
      row(`TLS ${tls} node:tls (OpenSSL)`, `${node.cpuMs.toFixed(2)} ms CPU, ${node.wallMs.toFixed(2)} ms wall`);
      row(`TLS ${tls} wire client (node:crypto)`, `${wire.cpuMs.toFixed(2)} ms CPU, ${wire.wallMs.toFixed(2)} ms wall`);
      row(`TLS ${tls} ratio wire / node:tls CPU`, (wire.cpuMs / node.cpuMs).toFixed(2));
    }
  } finally {
    server.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}
