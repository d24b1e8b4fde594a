import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { FixtureSet } from '../../core/manifest.js';
import { closedPort } from './servers.js';

/** A running `openssl s_server`, stopped by its own PID. */
export interface SServer {
  readonly port: number;
  readonly pid: number;
  output(): string;
  stop(): Promise<void>;
}

/**
 * Starts `openssl s_server -Verify 5 -verify_return_error -crl_check_all -www` on a free loopback port, trusting the
 * fixtures' root with every CA level's CRL (s_server has no -CRLfile; CRLs load from the -CAfile bundle).
 */
export async function startSServer(fx: FixtureSet, extra: readonly string[] = []): Promise<SServer> {
  const bundle = path.join(fx.dir, 'trust-with-crls.pem');
  writeFileSync(
    bundle,
    readFileSync(fx.resolve(fx.manifest.trust), 'utf8') + readFileSync(fx.resolve(fx.manifest.crl.bundle), 'utf8'),
  );
  for (let attempt = 0; ; attempt++) {
    const port = await closedPort();
    const child: ChildProcess = spawn(
      'openssl',
      [
        's_server',
        '-accept',
        `127.0.0.1:${port}`,
        '-cert',
        fx.resolve(fx.manifest.server.cert),
        '-key',
        fx.resolve(fx.manifest.server.key),
        '-cert_chain',
        fx.resolve(fx.manifest.server.chain),
        '-CAfile',
        bundle,
        '-Verify',
        '5',
        '-verify_return_error',
        '-crl_check_all',
        '-www',
        ...extra,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const up = await waitForPort(port, child, 5000);
    if (up) {
      const stop = () =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
        });
      return { port, pid: child.pid!, output: () => out, stop };
    }
    child.kill('SIGKILL');
    if (attempt >= 3) throw new Error(`openssl s_server did not start: ${out}`);
  }
}

async function waitForPort(port: number, child: ChildProcess, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) return false;
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port }, () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}
