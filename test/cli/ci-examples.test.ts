import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, TSX } from '../helpers/cli.js';
import { closedPort } from '../helpers/servers.js';
import { tempDir } from '../helpers/tmp.js';
import { availability, ON_CI } from '../targets/harness.js';

/**
 * The CI recipes in examples/ run as a CI job would run them: their shell steps, in order, in one job directory, with
 * the CI environment set (`CI`, `GITHUB_ACTIONS`, `GITHUB_STEP_SUMMARY`), the harness standing in for the npm package.
 * Each must exit 0 against the nginx it configures, and produce every file it uploads.
 */
interface Recipe {
  readonly file: string;
  /** The shell commands of the job, in order. */
  readonly commands: string[];
  /** The paths the job uploads. */
  readonly uploads: string[];
}

/** The `run:` commands (single-line or `|` blocks) and the upload-artifact paths of a GitHub workflow. */
function githubRecipe(text: string): Recipe {
  const lines = text.split('\n');
  const commands: string[] = [];
  const uploads: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const run = /^(\s*)run: (.*)$/.exec(line);
    if (run) {
      if (run[2] !== '|') {
        commands.push(run[2]!);
        continue;
      }
      const indent = run[1]!.length;
      for (i++; i < lines.length && (lines[i]!.trim() === '' || lines[i]!.search(/\S/) > indent); i++) {
        if (lines[i]!.trim()) commands.push(lines[i]!.trim());
      }
      i--;
      continue;
    }
    if (/^\s*path: \|$/.test(line)) {
      for (i++; i < lines.length && /^\s+mtls-report\//.test(lines[i]!); i++) uploads.push(lines[i]!.trim());
      i--;
    }
  }
  return { file: 'examples/github-actions.yml', commands, uploads };
}

/** The `before_script` and `script` items and the artifact paths (junit report included) of a GitLab job. */
function gitlabRecipe(text: string): Recipe {
  const commands: string[] = [];
  const uploads: string[] = [];
  let section = '';
  for (const line of text.split('\n')) {
    const key = /^ {2}(\w+):/.exec(line)?.[1];
    if (key) section = key;
    const item = /^ {4}- (.*)$/.exec(line)?.[1];
    if (item && (section === 'before_script' || section === 'script')) commands.push(item);
    const artifact = /^\s+(?:- |junit: )(mtls-report\/\S+)$/.exec(line)?.[1];
    if (artifact && section === 'artifacts') uploads.push(artifact);
  }
  return { file: 'examples/gitlab-ci.yml', commands, uploads };
}

const RECIPES = [
  githubRecipe(readFileSync(path.join(ROOT, 'examples/github-actions.yml'), 'utf8')),
  gitlabRecipe(readFileSync(path.join(ROOT, 'examples/gitlab-ci.yml'), 'utf8')),
];
const dirs: ReturnType<typeof tempDir>[] = [];
afterAll(() => dirs.forEach((d) => d[Symbol.dispose]()));

describe('the CI recipes in examples/', () => {
  it('are read completely', () => {
    for (const r of RECIPES) {
      expect(
        r.commands.some((c) => / run --target /.test(c)),
        r.file,
      ).toBe(true);
      expect(r.uploads, r.file).toContain('mtls-report/junit.xml');
      expect(r.uploads, r.file).toContain('mtls-report/report.html');
    }
  });

  for (const recipe of RECIPES) {
    it(`${recipe.file}: its steps exit 0 and produce what it uploads`, async (ctx) => {
      const probe = await availability('nginx');
      if (!probe.available && !ON_CI) ctx.skip();
      const job = tempDir('mtls-ci-job-');
      dirs.push(job);
      // A stand-in for `npx --yes mtls-harness@VERSION` that runs the CLI from source.
      mkdirSync(path.join(job.path, '.bin'));
      writeFileSync(
        path.join(job.path, '.bin/npx'),
        `#!/bin/sh\n[ "$1" = --yes ] && shift\ncase "$1" in mtls-harness*) shift ;; esac\nexec ${JSON.stringify(process.execPath)} --import ${TSX} ${JSON.stringify(path.join(ROOT, 'cli/main.ts'))} "$@"\n`,
        { mode: 0o755 },
      );
      const port = String(await closedPort());
      const ocspPort = String(await closedPort());
      const script = recipe.commands
        // The packages are installed here already (.ci/run installs them; a missing one fails under CI=true above).
        .filter((c) => !/apt-get install/.test(c))
        .map((c) => c.replaceAll('8443', port).replaceAll('18888', ocspPort))
        .join('\n');
      const summary = path.join(job.path, 'step-summary.md');
      const result = await new Promise<{ code: number | null; out: string }>((resolve) => {
        const child = spawn('bash', ['-e', '-c', script], {
          cwd: job.path,
          env: {
            ...process.env,
            PATH: `${path.join(job.path, '.bin')}:${process.env.PATH}`,
            CI: 'true',
            GITHUB_ACTIONS: 'true',
            GITHUB_STEP_SUMMARY: summary,
          },
          stdio: ['ignore', 'pipe', 'pipe'],
          detached: true,
        });
        let out = '';
        child.stdout.on('data', (d: Buffer) => (out += d.toString()));
        child.stderr.on('data', (d: Buffer) => (out += d.toString()));
        child.on('exit', (code) => {
          // The job's end stops what it left running (the server), as a CI runner does.
          try {
            process.kill(-child.pid!, 'SIGTERM');
          } catch {
            // already gone
          }
          resolve({ code, out });
        });
      });
      expect(result.code, result.out).toBe(0);
      for (const upload of recipe.uploads) expect(existsSync(path.join(job.path, upload)), upload).toBe(true);
      expect(readFileSync(path.join(job.path, 'mtls-report/junit.xml'), 'utf8')).toMatch(/<testsuites /);
      if (recipe.file.includes('github')) expect(readFileSync(summary, 'utf8')).toMatch(/^## ✅ CONFORMANT/m);
    });
  }
});
