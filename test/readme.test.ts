import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, TSX } from './helpers/cli.js';
import { closedPort } from './helpers/servers.js';

const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const blocks = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);

describe('README', () => {
  it('starts with the two set-up commands', () => {
    const first = blocks[0]!;
    expect(first).toMatch(/^npm ci && npx mtls-harness run\b/m);
    expect(first).toMatch(/^npm ci && npm test\b/m);
    expect(readme.indexOf(first)).toBeLessThan(200);
    expect(readFileSync(path.join(ROOT, '.ci/run'), 'utf8')).toMatch(/^npm ci && npm test$/m);
  });

  const examples = blocks.filter((b) => /npx mtls-harness/.test(b) && !/\bnpm (ci|test|run)\b/.test(b));
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it.each(examples.map((b, i) => [i + 1, b] as const))(
    'example %i runs and exits 0',
    async (_i, block) => {
      const cwd = mkdtempSync(path.join(os.tmpdir(), 'mtls-readme-'));
      dirs.push(cwd);
      let script = block;
      for (const port of ['8443', '18888']) script = script.replaceAll(port, String(await closedPort()));
      // A stand-in for npx that runs the CLI from source; a real executable, so `kill %1` stops the server itself.
      mkdirSync(path.join(cwd, '.bin'));
      writeFileSync(
        path.join(cwd, '.bin/npx'),
        `#!/bin/sh\n[ "$1" = mtls-harness ] && shift\nexec ${JSON.stringify(process.execPath)} --import ${TSX} ${JSON.stringify(path.join(ROOT, 'cli/main.ts'))} "$@"\n`,
        { mode: 0o755 },
      );
      const env = { ...process.env, PATH: `${path.join(cwd, '.bin')}:${process.env.PATH}` };
      const result = await new Promise<{ code: number | null; out: string }>((resolve) => {
        // Its own process group, so whatever the example leaves behind (a failed step skips its `kill %1`) is stopped.
        const child = spawn('bash', ['-e', '-c', script], {
          cwd,
          env,
          stdio: ['ignore', 'pipe', 'pipe'],
          detached: true,
        });
        let out = '';
        child.stdout.on('data', (d: Buffer) => (out += d.toString()));
        child.stderr.on('data', (d: Buffer) => (out += d.toString()));
        const stopGroup = () => {
          try {
            process.kill(-child.pid!, 'SIGKILL');
          } catch {
            // already gone
          }
        };
        // NOTE: a bound, not a speed goal: an example that runs the whole catalogue (262 scenarios since issue 13) against
        // a real server takes tens of seconds on a busy two-core machine.
        const timer = setTimeout(stopGroup, 170_000);
        child.on('exit', (code) => {
          clearTimeout(timer);
          stopGroup();
          resolve({ code, out });
        });
      });
      expect(result.code, result.out).toBe(0);
    },
    180_000,
  );

  it('documents every error code the code defines', async () => {
    const { ERROR_CODES } = await import('../core/errors.js');
    for (const code of Object.keys(ERROR_CODES)) expect(readme, code).toContain(`\`${code}\``);
  });
});
