import { spawn, spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';

/**
 * Issue 11 ("Ready for the people who use it"): what a user gets from the npm package, proven with real commands.
 * A copy of the working tree stands in for a fresh clone (its `prepare`, then `npx mtls-harness run`); `npm pack` of
 * that copy gives the tarball, which is installed into an empty project without dev dependencies and run there.
 */

interface Ran {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** The environment of the npm we start: none of the outer `npm test`'s npm_* settings (e.g. its npm_command). */
const ENV: NodeJS.ProcessEnv = {
  ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k))),
  npm_config_update_notifier: 'false',
  npm_config_fund: 'false',
  npm_config_audit: 'false',
};

/** Runs a command to its end (its own process group, killed as a whole on the time limit). */
function run(command: string, args: readonly string[], cwd: string, timeoutMs: number): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: ENV, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      stderr += `\n[test: ${command} ${args.join(' ')} killed after ${timeoutMs} ms]`;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

const show = (r: Ran) => `exit ${r.status}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;

/** `npx mtls-harness …`; `--no` so that npx never fetches a package of that name from the registry instead. */
const npx = (cwd: string, args: readonly string[], timeoutMs = 60_000) =>
  run('npx', ['--no', 'mtls-harness', ...args], cwd, timeoutMs);

// NOTE: what this test needs besides Node: npm (packs and installs) and git (lists the working tree's files).
const missing = (['npm', 'git'] as const).filter((tool) => spawnSync(tool, ['--version']).status !== 0);
if (!spawnSync('git', ['rev-parse', '--is-inside-work-tree'], { cwd: ROOT }).stdout?.toString().startsWith('true'))
  missing.push('git');
const skip = missing.length > 0 && !process.env.CI;
if (skip) console.log(`SKIP package tests: ${missing.join(', ')} not available (they need npm and a git checkout)`);

describe.skipIf(skip)('the npm package (issue 11)', () => {
  let work: string;
  let src: string;
  let consumer: string;
  let tarball: string;
  let packed: string[] = [];
  const installed = () => path.join(consumer, 'node_modules', 'mtls-harness');

  beforeAll(() => {
    expect(missing, 'tools the package tests need').toEqual([]);
    work = mkdtempSync(path.join(os.tmpdir(), 'mtls-package-'));
    src = path.join(work, 'clone');
    consumer = path.join(work, 'consumer');
    // The working tree as a clone has it: tracked files and new files not yet committed, nothing git ignores (no
    // dist/, no fixtures); node_modules linked, as `npm ci` would have installed it.
    const files = spawnSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT })
      .stdout.toString()
      .split('\0')
      .filter((f) => f && !/^(node_modules|dist)(\/|$)/.test(f) && existsSync(path.join(ROOT, f)));
    for (const f of files) {
      mkdirSync(path.dirname(path.join(src, f)), { recursive: true });
      copyFileSync(path.join(ROOT, f), path.join(src, f));
    }
    symlinkSync(path.join(ROOT, 'node_modules'), path.join(src, 'node_modules'), 'dir');
    mkdirSync(consumer);
    writeFileSync(
      path.join(consumer, 'package.json'),
      JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, type: 'module' }, null, 2),
    );
  });

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('in a clone, npm ci’s prepare builds dist/ and `npx mtls-harness run` is CONFORMANT', async () => {
    expect(existsSync(path.join(src, 'dist'))).toBe(false);
    // `npm ci` installs, then runs the project's `prepare` script: this is that step.
    const prepare = await run('npm', ['run', 'prepare'], src, 120_000);
    expect(prepare.status, show(prepare)).toBe(0);
    expect(existsSync(path.join(src, 'dist', 'cli', 'main.js'))).toBe(true);
    const r = await npx(src, ['run', '--quiet', '--out', path.join(work, 'clone-report')], 120_000);
    expect(r.status, show(r)).toBe(0);
    expect(r.stdout).toMatch(/^CONFORMANT\b/m);
  }, 240_000);

  it('npm pack ships what the commands read at run time, and no tests or TypeScript sources', async () => {
    // A module left in dist/ by an earlier build, whose source is gone: prepack's clean build must not ship it.
    writeFileSync(path.join(src, 'dist', 'stale.js'), 'export {};\n');
    const r = await run('npm', ['pack', '--json', '--pack-destination', work], src, 180_000);
    expect(r.status, show(r)).toBe(0);
    // prepack builds; prepare, which npm pack runs next, does not build again.
    expect(r.stdout + r.stderr).toMatch(/mtls-harness prepare: built /);
    expect(r.stdout + r.stderr).toMatch(/mtls-harness prepare: npm pack: dist\/ was built by prepack/);
    // NOTE: prepack runs first and may print; the JSON report is the last thing on stdout.
    const report = JSON.parse(r.stdout.slice(r.stdout.lastIndexOf('\n[\n') + 1)) as {
      filename: string;
      files: { path: string; mode: number }[];
    }[];
    tarball = path.join(work, report[0]!.filename);
    expect(existsSync(tarball)).toBe(true);
    packed = report[0]!.files.map((f) => f.path);
    // The list is independent of the code under test: the files the commands and the README name.
    const expectations = readdirSync(path.join(ROOT, 'targets', 'expectations')).filter((f) => f.endsWith('.json'));
    expect(expectations).toContain('builtin.json');
    for (const f of [
      'package.json',
      'LICENSE',
      'README.md',
      'CHANGELOG.md',
      'dist/cli/main.js',
      'dist/index.js',
      'dist/index.d.ts',
      'schemas/manifest.schema.json',
      'schemas/results.schema.json',
      'schemas/load-results.schema.json',
      'scripts/install-targets.sh',
      'scripts/prepare.mjs',
      'deploy/k8s/load-job.yaml',
      'docs/architecture.md',
      ...expectations.map((e) => `targets/expectations/${e}`),
    ]) {
      expect(packed, f).toContain(f);
    }
    const script = report[0]!.files.find((f) => f.path === 'scripts/install-targets.sh')!;
    expect(script.mode & 0o111, 'install-targets.sh is executable').not.toBe(0);
    const unwanted = packed.filter(
      (f) =>
        f === 'dist/stale.js' ||
        /^(test|bench|\.ci|node_modules|dist\/test|dist\/bench|dist\/scripts)\//.test(f) ||
        (f.endsWith('.ts') && !f.endsWith('.d.ts')) ||
        f.endsWith('.map') ||
        /^(tsconfig.*\.json|eslint\.config\.js|vitest\.config\.ts|package-lock\.json|\.prettierrc)$/.test(f),
    );
    expect(unwanted).toEqual([]);
    expect(readFileSync(path.join(src, 'LICENSE'), 'utf8')).toMatch(
      /^MIT License\n\nCopyright \(c\) \d{4} mtls-harness contributors$/m,
    );
  }, 240_000);

  it('installs into an empty project without dev dependencies, runs no install script, and is CONFORMANT', async () => {
    expect(tarball, 'the tarball from the previous test').toBeDefined();
    const i = await run(
      'npm',
      ['install', '--omit=dev', '--prefer-offline', '--no-audit', '--no-fund', tarball],
      consumer,
      300_000,
    );
    expect(i.status, show(i)).toBe(0);
    const modules = path.join(consumer, 'node_modules');
    for (const absent of ['typescript', 'tsx', 'vitest', 'testcontainers', 'autocannon'])
      expect(existsSync(path.join(modules, absent)), absent).toBe(false);
    // NOTE: no dependency runs a native build or any other install-time script (issue 11: testcontainers brought
    // 150+ packages, some with native install scripts).
    const withScripts: string[] = [];
    const walk = (dir: string) => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        if (!e.isDirectory() || e.name === '.bin') continue;
        const p = path.join(dir, e.name);
        if (e.name.startsWith('@')) {
          walk(p);
          continue;
        }
        const pj = path.join(p, 'package.json');
        if (existsSync(pj)) {
          const { scripts = {} } = JSON.parse(readFileSync(pj, 'utf8')) as { scripts?: Record<string, string> };
          if (
            ['preinstall', 'install', 'postinstall'].some((s) => s in scripts) ||
            existsSync(path.join(p, 'binding.gyp'))
          )
            withScripts.push(path.relative(modules, p));
        }
        if (existsSync(path.join(p, 'node_modules'))) walk(path.join(p, 'node_modules'));
      }
    };
    walk(modules);
    expect(withScripts).toEqual([]);

    const manifest = JSON.parse(readFileSync(path.join(installed(), 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
      peerDependenciesMeta: Record<string, { optional: boolean }>;
    };
    expect(Object.keys(manifest.dependencies)).not.toContain('testcontainers');
    expect(manifest.peerDependenciesMeta.testcontainers).toEqual({ optional: true });

    const r = await npx(consumer, ['run', '--quiet', '--out', path.join(work, 'consumer-report')], 120_000);
    expect(r.status, show(r)).toBe(0);
    expect(r.stdout).toMatch(/^CONFORMANT\b/m);
    // A shipped schema is found from dist/ and is the committed file.
    const schema = await npx(consumer, ['schema', 'manifest']);
    expect(schema.status, show(schema)).toBe(0);
    expect(schema.stdout).toBe(readFileSync(path.join(ROOT, 'schemas', 'manifest.schema.json'), 'utf8'));
  }, 420_000);

  it('runs no build in the consumer: its prepare script finds no sources and leaves dist/ alone', async () => {
    const main = path.join(installed(), 'dist', 'cli', 'main.js');
    const before = statSync(main).mtimeMs;
    expect(existsSync(path.join(installed(), 'tsconfig.build.json'))).toBe(false);
    const r = await run(process.execPath, [path.join(installed(), 'scripts', 'prepare.mjs')], installed(), 30_000);
    expect(r.status, show(r)).toBe(0);
    expect(r.stderr).toMatch(/nothing to build/);
    expect(statSync(main).mtimeMs).toBe(before);
  }, 60_000);

  it('the library API type-checks from a TypeScript consumer (nodenext)', async () => {
    writeFileSync(
      path.join(consumer, 'check.ts'),
      [
        "import { catalogue, CATALOGUE_VERSION, HarnessError, loadExpectations, parseTarget } from 'mtls-harness';",
        "import type { RunResult, Scenario, TargetSpec } from 'mtls-harness';",
        "const spec: TargetSpec = parseTarget('builtin');",
        'const scenarios: readonly Scenario[] = catalogue();',
        "const version: number = CATALOGUE_VERSION + loadExpectations('builtin').length;",
        "const error: HarnessError = new HarnessError('MTLS_ERR_USAGE', 'x');",
        'let result: RunResult | undefined;',
        '// @ts-expect-error parseTarget takes a string: proves the types are real, not any',
        'parseTarget(8443);',
        'export { spec, scenarios, version, error, result };',
        '',
      ].join('\n'),
    );
    writeFileSync(
      path.join(consumer, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'nodenext',
          moduleResolution: 'nodenext',
          target: 'ES2023',
          strict: true,
          noEmit: true,
          // NOTE: the consumer has no dev dependencies; Node's types come from ours.
          types: ['node'],
          typeRoots: [path.join(ROOT, 'node_modules', '@types')],
        },
        files: ['check.ts'],
      }),
    );
    const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const r = await run(process.execPath, [tsc, '-p', path.join(consumer, 'tsconfig.json')], consumer, 120_000);
    expect(r.status, show(r)).toBe(0);
  }, 180_000);

  it('without testcontainers, container targets are unavailable and say what to install', async () => {
    const list = await npx(consumer, ['targets', '--json']);
    expect(list.status, show(list)).toBe(0);
    const containers = (
      JSON.parse(list.stdout) as { name: string; kind: string; available: boolean; reason?: string }[]
    ).filter((t) => t.kind === 'container');
    expect(containers.map((t) => t.name)).toContain('container:nginx');
    for (const t of containers) {
      expect(t.available, t.name).toBe(false);
      expect(t.reason, t.name).toMatch(/testcontainers is not installed \(npm i testcontainers@11/);
    }
    const r = await npx(consumer, ['run', '--target', 'container:nginx', '--quiet', '--out', path.join(work, 'c')]);
    expect(r.status, show(r)).toBe(2);
    expect(r.stderr.trim().split('\n'), show(r)).toHaveLength(1);
    expect(r.stderr.trim()).toMatch(
      /^mtls-harness: error MTLS_ERR_TARGET_UNAVAILABLE: target 'container:nginx': .*npm i testcontainers@11/,
    );
  }, 120_000);

  it('an --expectations file that is missing, unreadable or not JSON is a one-line error, exit 2', async () => {
    const cases: [string, RegExp][] = [
      [
        path.join(work, 'no-such.json'),
        /^mtls-harness: error MTLS_ERR_FILE_MISSING: cannot read expectations file '.*no-such\.json' \(ENOENT\)$/,
      ],
      [work, /^mtls-harness: error MTLS_ERR_FILE_MISSING: cannot read expectations file '.*' \(EISDIR\)$/],
      [
        path.join(work, 'bad.json'),
        /^mtls-harness: error MTLS_ERR_USAGE: expectations file '.*bad\.json' is not JSON$/,
      ],
    ];
    writeFileSync(path.join(work, 'bad.json'), '{ "deviations": [');
    for (const [file, expected] of cases) {
      const r = await npx(consumer, ['run', '--quiet', '--expectations', file, '--out', path.join(work, 'e')]);
      expect(r.status, show(r)).toBe(2);
      expect(r.stderr.trim(), show(r)).toMatch(expected);
    }
  }, 120_000);

  it('a shipped expectations file missing from the installed package is an error, not "no known deviations"', async () => {
    // NOTE: the packaging bug of issue 11: without targets/expectations/ in the package, the built-in server's known
    // deviation became a failure and a conformant server was reported NOT CONFORMANT.
    rmSync(path.join(installed(), 'targets', 'expectations', 'builtin.json'));
    const r = await npx(consumer, ['run', '--quiet', '--out', path.join(work, 'm')]);
    expect(r.status, show(r)).toBe(2);
    expect(r.stderr.trim(), show(r)).toMatch(
      /^mtls-harness: error MTLS_ERR_FILE_MISSING: the expectations file of target 'builtin' is missing from the installed package \('.*builtin\.json'\)/,
    );
    expect(r.stdout).not.toMatch(/CONFORMANT/);
  }, 120_000);
});
