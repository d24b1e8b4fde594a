import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { HarnessError } from '../../core/errors.js';
import {
  ADAPTERS,
  freePort,
  isAlive,
  liveServerPids,
  startProcessTarget,
  type ServerAdapter,
} from '../../targets/process/index.js';
import { ROOT, TSX } from '../helpers/cli.js';
import { availability, ON_CI, sharedFixtures } from './harness.js';

function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.on('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.on('error', () => resolve(true));
  });
}

describe('server processes never outlive a run', () => {
  const fixtures = sharedFixtures();

  it('a server that fails to start is reported with its log tail and leaves nothing behind', async (ctx) => {
    if (!(await availability('nginx')).available && !ON_CI) ctx.skip();
    const broken: ServerAdapter = {
      ...ADAPTERS.nginx,
      render: (input) => {
        const good = ADAPTERS.nginx.render(input);
        return {
          ...good,
          files: { ...good.files, 'nginx.conf': `${good.files['nginx.conf']}\nthis_is_not_a_directive on;\n` },
        };
      },
    };
    const err = await startProcessTarget(broken, fixtures.get(), 'require').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HarnessError);
    expect((err as HarnessError).code).toBe('MTLS_ERR_TARGET_START');
    expect((err as HarnessError).message).toMatch(/this_is_not_a_directive/);
    expect(liveServerPids()).toEqual([]);
  });

  it('a server that never answers TLS times out (MTLS_ERR_TARGET_START) and is killed', async (ctx) => {
    if (!(await availability('nginx')).available && !ON_CI) ctx.skip();
    // nginx on another port than the one probed: it runs, but nothing answers where the harness waits.
    const other = await freePort();
    const elsewhere: ServerAdapter = {
      ...ADAPTERS.nginx,
      render: (input) => ADAPTERS.nginx.render({ ...input, port: other }),
    };
    const t0 = Date.now();
    const err = await startProcessTarget(elsewhere, fixtures.get(), 'require', { readyTimeoutMs: 1500 }).catch(
      (e: unknown) => e,
    );
    expect((err as HarnessError).code).toBe('MTLS_ERR_TARGET_START');
    expect((err as HarnessError).message).toMatch(/did not answer TLS .* within 1500 ms/);
    expect(Date.now() - t0).toBeLessThan(8000);
    expect(liveServerPids()).toEqual([]);
  });

  it('stop() kills the whole process group (nginx master and worker) by PID', async (ctx) => {
    if (!(await availability('nginx')).available && !ON_CI) ctx.skip();
    const target = await startProcessTarget(ADAPTERS.nginx, fixtures.get(), 'require');
    expect(isAlive(target.pid)).toBe(true);
    await target.stop();
    expect(isAlive(target.pid)).toBe(false);
    expect(await refused(target.endpoint.port)).toBe(true);
    expect(liveServerPids()).toEqual([]);
  });

  it('Ctrl-C (SIGINT) during `mtls-harness run --target nginx` stops the servers it started', async (ctx) => {
    if (!(await availability('nginx')).available && !ON_CI) ctx.skip();
    const child = spawn(
      process.execPath,
      [
        '--import',
        TSX,
        path.join(ROOT, 'cli/main.ts'),
        'run',
        '--target',
        'nginx',
        '--timeout',
        '4000',
        '--out',
        path.join(fixtures.get().dir, '..', 'report'),
      ],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    const ports = await new Promise<number[]>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no start line: ${out}`)), 30_000);
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const line = /against (.*)\n/.exec(out)?.[1];
        if (line) {
          clearTimeout(timer);
          resolve([...line.matchAll(/127\.0\.0\.1:(\d+)/g)].map((m) => Number(m[1])));
        }
      });
    });
    expect(ports).toHaveLength(2);
    child.kill('SIGINT');
    const status = await new Promise<{ code: number | null; signal: string | null }>((resolve) =>
      child.on('exit', (code, signal) => resolve({ code, signal })),
    );
    // Issue 10: it stops on its own, after stopping the servers, with the status a shell gives a Ctrl-C.
    expect(status).toEqual({ code: 130, signal: null });
    for (const port of ports) expect(await refused(port), `port ${port}`).toBe(true);
  });
});
