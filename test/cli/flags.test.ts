import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoadResult } from '../../core/load-result.js';
import { loadManifest } from '../../core/manifest.js';
import type { RunResult } from '../../core/result.js';
import { startBuiltinServer } from '../../targets/builtin.js';
import type { StartedTarget } from '../../targets/target.js';
import { ROOT, runCli, TSX, type CliResult } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

/**
 * Issue 11, one vocabulary of flags: `--json` is `--format json` everywhere, `--format` chooses what `matrix` writes,
 * `load -a` is the handshake count and `-n` is no flag, and `--quiet`, `--verbose` and `--color` mean one thing on
 * every reporting command.
 */
const ANSI = /\u001b\[[\d;]*m/;

let tmp: ReturnType<typeof tempDir>;
let fx: string;
/** One server for agents that are merged: merge takes only results of one target. */
let server: StartedTarget;
beforeAll(async () => {
  tmp = tempDir('mtls-flags-');
  fx = path.join(tmp.path, 'fx');
  const r = await runCli(['fixtures', '--out', fx, '--quiet']);
  expect(r.status, r.stderr).toBe(0);
  server = await startBuiltinServer({ fixtures: loadManifest(fx), policy: 'require' });
});
afterAll(async () => {
  await server?.stop();
  tmp[Symbol.dispose]();
});

const out = (name: string) => path.join(tmp.path, name);
const files = (dir: string) => readdirSync(dir).sort();
const readLoad = (dir: string) => JSON.parse(readFileSync(path.join(dir, 'results.json'), 'utf8')) as LoadResult;
/** A small load run against the built-in server, with the shared fixtures: one worker, one connection. */
const load = (args: readonly string[], env?: NodeJS.ProcessEnv) =>
  runCli(['load', '--fixtures', fx, '-c', '1', '-w', '1', ...args], env ? { env } : {});

/** Runs the CLI under a pseudo-terminal (`script`), so standard output is a TTY; returns what the terminal got. */
function runTty(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const command = [process.execPath, '--import', TSX, path.join(ROOT, 'cli/main.ts'), ...args].map(quote).join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qec', command, '/dev/null'], {
      cwd: tmp.path,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

describe('--json is --format json', () => {
  it('list and targets print the same bytes either way, as before', async () => {
    for (const command of ['list', 'targets']) {
      const [json, format] = await Promise.all([runCli([command, '--json']), runCli([command, '--format', 'json'])]);
      expect(json.status, json.stderr).toBe(0);
      expect(format.status, format.stderr).toBe(0);
      expect(format.stdout).toBe(json.stdout);
      expect(() => JSON.parse(json.stdout) as unknown).not.toThrow();
      const [plain, consoleFormat] = await Promise.all([runCli([command]), runCli([command, '--format', 'console'])]);
      expect(consoleFormat.stdout).toBe(plain.stdout);
      expect(plain.stdout.trimStart().startsWith('{') || plain.stdout.trimStart().startsWith('[')).toBe(false);
    }
  });

  it('run writes the same files, results.json alone', async () => {
    const args = ['run', '--fixtures', fx, '--suite', 'trust::unknown-ca', '--tls', '1.3', '--policy', 'require'];
    const [json, format] = await Promise.all([
      runCli([...args, '--json', '--out', out('run-json')]),
      runCli([...args, '--format', 'json', '--out', out('run-format')]),
    ]);
    expect(json.status, json.stderr).toBe(0);
    expect(format.status, format.stderr).toBe(0);
    expect(files(out('run-json'))).toEqual(['results.json']);
    expect(files(out('run-format'))).toEqual(['results.json']);
    const verdicts = (dir: string) =>
      (JSON.parse(readFileSync(path.join(dir, 'results.json'), 'utf8')) as RunResult).results.map(
        (r) => `${r.id} ${r.tls} ${r.verdict}`,
      );
    expect(verdicts(out('run-json'))).toEqual(verdicts(out('run-format')));
  });

  it('load writes the same files, results.json alone, with the same settings', async () => {
    const [json, format] = await Promise.all([
      load(['-a', '10', '--json', '--out', out('load-json')]),
      load(['-a', '10', '--format', 'json', '--out', out('load-format')]),
    ]);
    expect(json.status, json.stderr).toBe(0);
    expect(format.status, format.stderr).toBe(0);
    expect(files(out('load-json'))).toEqual(['results.json']);
    expect(files(out('load-format'))).toEqual(['results.json']);
    expect(readLoad(out('load-json')).config).toEqual(readLoad(out('load-format')).config);
    // Nothing but the live lines and the list of files: no console report was asked for.
    expect(json.stdout).not.toMatch(/handshakes\/s +\d/);
  });

  it('--json beside a --format that says something else is refused in a line', async () => {
    const r = await runCli(['list', '--json', '--format', 'console']);
    expect(r.status).toBe(2);
    expect(r.stderr.trimEnd().split('\n')).toEqual([
      "mtls-harness: error MTLS_ERR_USAGE: --json is --format json: it contradicts --format 'console' (give one of them)",
    ]);
    const same = await runCli(['list', '--json', '--format', 'json']);
    expect(same.status, same.stderr).toBe(0);
  });
});

describe('matrix --format', () => {
  const base = ['matrix', '--targets', 'builtin', '--fixtures', '', '--suite', 'trust::unknown-ca', '--tls', '1.3'];
  const args = () => base.map((a) => (a === '' ? fx : a));

  it('json writes matrix.json alone and prints no summary', async () => {
    const r = await runCli([...args(), '--policy', 'require', '--format', 'json', '--out', out('matrix-json')]);
    expect(r.status, r.stderr).toBe(0);
    expect(files(out('matrix-json'))).toEqual(['matrix.json']);
    expect(r.stdout).not.toMatch(/^mtls-harness matrix: |^CONFORMANT/m);
    const same = await runCli([...args(), '--policy', 'require', '--json', '--out', out('matrix-alias')]);
    expect(same.status, same.stderr).toBe(0);
    expect(files(out('matrix-alias'))).toEqual(['matrix.json']);
  });

  it('the default writes all three files and prints the summary, the verdict last; --quiet prints the verdict alone', async () => {
    const [all, quiet] = await Promise.all([
      runCli([...args(), '--policy', 'require', '--out', out('matrix-all')]),
      runCli([...args(), '--policy', 'require', '--quiet', '--out', out('matrix-quiet')]),
    ]);
    expect(all.status, all.stderr).toBe(0);
    expect(files(out('matrix-all'))).toEqual(['matrix.html', 'matrix.json', 'matrix.md']);
    expect(all.stdout).toMatch(/^builtin: started /m);
    expect(all.stdout).toMatch(/^ {2}builtin +conformant +.*\d+ pass$/m);
    expect(all.stdout).toMatch(/^CONFORMANT: 1 target\(s\)$/m);
    expect(quiet.status, quiet.stderr).toBe(0);
    expect(quiet.stdout).toBe('CONFORMANT: 1 target(s)\n');
    expect(files(out('matrix-quiet'))).toEqual(['matrix.html', 'matrix.json', 'matrix.md']);
  });

  it('--verbose prints every result as it comes, named by its target', async () => {
    const r = await runCli([...args(), '--policy', 'require', '--verbose', '--format', 'console']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^builtin: {2}pass +require::trust::unknown-ca \[TLS 1\.3\] /m);
    expect(r.stdout).toMatch(/^builtin: {2}pass +require::sanity::valid \[TLS 1\.3\] accepted/m);
  });

  it('--policy takes run`s values: none against builtin runs, against a server the harness starts it is refused as run refuses it', async () => {
    const none = await runCli([
      'matrix',
      '--targets',
      'builtin',
      '--fixtures',
      fx,
      '--policy',
      'none',
      '--tls',
      '1.3',
      '--format',
      'json',
      '--out',
      out('matrix-none'),
    ]);
    expect(none.status, none.stderr).toBe(0);
    const matrix = JSON.parse(readFileSync(path.join(out('matrix-none'), 'matrix.json'), 'utf8')) as {
      policies: string[];
      rows: { id: string }[];
    };
    expect(matrix.policies).toEqual(['none']);
    expect(matrix.rows.map((r) => r.id)).toContain('none::presence::no-certificate');
    const [matrixRefusal, runRefusal] = await Promise.all([
      runCli(['matrix', '--targets', 'builtin,openssl-s-server', '--policy', 'none']),
      runCli(['run', '--target', 'openssl-s-server', '--policy', 'none']),
    ]);
    expect(matrixRefusal.status).toBe(2);
    expect(matrixRefusal.stderr).toBe(
      "mtls-harness: error MTLS_ERR_USAGE: --policy none is supported by the builtin and HOST:PORT targets, not by 'openssl-s-server'\n",
    );
    expect(runRefusal.stderr).toBe(matrixRefusal.stderr);
  });
});

describe('load: -a, --handshakes; no -n', () => {
  it('-a 20 makes 20 handshakes', async () => {
    const r = await load(['-a', '20', '--format', 'json', '--out', out('a20')]);
    expect(r.status, r.stderr).toBe(0);
    const result = readLoad(out('a20'));
    expect(result.config.handshakes).toBe(20);
    expect(result.handshakes.attempted).toBe(20);
    expect(result.handshakes.succeeded).toBe(20);
  });

  it('-n 20 is an unknown flag: exit 2, one line naming the flag that replaced it', async () => {
    const r = await load(['-n', '20', '--format', 'json', '--out', out('n20')]);
    expect(r.status).toBe(2);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(
      /^mtls-harness: error MTLS_ERR_USAGE: load: Unknown option '-n': the handshake count is -a, --handshakes/,
    );
    expect(readdirSync(tmp.path)).not.toContain('n20');
  });

  it('--tls both runs both versions, as run does (issue 14: it was refused in a line)', async () => {
    const r = await load(['--tls', 'both', '-a', '10', '--format', 'console', '--out', out('tls-both')]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/TLS 1\.2 50 % \+ 1\.3 50 %/);
    expect(r.stdout).toMatch(/^ {2}TLS 1\.2 .* hs\/s · 5 ok of 5 /m);
    expect(r.stdout).toMatch(/^ {2}TLS 1\.3 .* hs\/s · 5 ok of 5 /m);
  });
});

describe('--quiet: the verdict line alone', () => {
  it('load and merge print one line', async () => {
    const [a, b] = await Promise.all([
      load(['--target', `127.0.0.1:${server.endpoint.port}`, '-a', '10', '--quiet', '--out', out('quiet-a')]),
      load(['--target', `127.0.0.1:${server.endpoint.port}`, '-a', '10', '--quiet', '--out', out('quiet-b')]),
    ]);
    for (const r of [a, b]) {
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^PASS · \d+(\.\d+)? handshakes\/s · p99 [\d.]+ ms · error rate 0\.00 %\n$/);
      expect(r.stderr).toBe('');
    }
    const merged = await runCli([
      'merge',
      path.join(out('quiet-a'), 'results.json'),
      path.join(out('quiet-b'), 'results.json'),
      '--quiet',
      '--out',
      out('quiet-merged'),
    ]);
    expect(merged.status, merged.stderr).toBe(0);
    expect(merged.stdout).toMatch(/^PASS · \d+(\.\d+)? handshakes\/s · p99 [\d.]+ ms · error rate 0\.00 %\n$/);
    expect(files(out('quiet-merged'))).toEqual(['junit.xml', 'report.html', 'results.json', 'summary.md']);
  });

  it('a failing load prints its failure in that line', async () => {
    const r = await load(['-a', '10', '--max-p99', '0.001', '--quiet', '--format', 'console']);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/^FAIL: p99 latency [\d.]+ ms exceeds --max-p99 0\.001 ms · .*\n$/);
  });
});

describe('load --verbose and --color', () => {
  it('--verbose adds the per-kind details', async () => {
    const r = await load(['-a', '10', '--verbose', '--format', 'console']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^ {2}thresholds +--max-p99 none · --min-rate none · --max-error-rate 0$/m);
    expect(r.stdout).toMatch(/^ {4}full +p50 .* \(10\)$/m);
    expect(r.stdout).toMatch(/^ {2}timeline +second: /m);
  });

  it('--color always colours, NO_COLOR=1 does not (on a terminal), --color never does not', async () => {
    const always = await load(['-a', '10', '--color', 'always', '--format', 'console'], { NO_COLOR: '' });
    expect(always.status, always.stderr).toBe(0);
    expect(always.stdout).toMatch(ANSI);
    const piped = await load(['-a', '10', '--format', 'console'], { NO_COLOR: '' });
    expect(piped.stdout).not.toMatch(ANSI);
    const common = ['load', '--fixtures', fx, '-c', '1', '-w', '1', '-a', '10', '--format', 'console'];
    const [tty, noColor, never] = await Promise.all([
      runTty(common, { NO_COLOR: '' }),
      runTty(common, { NO_COLOR: '1' }),
      runTty([...common, '--color', 'never'], { NO_COLOR: '' }),
    ]);
    expect(tty.stdout).toMatch(/PASS/);
    expect(tty.stdout).toMatch(ANSI);
    expect(noColor.stdout).toMatch(/PASS/);
    expect(noColor.stdout).not.toMatch(ANSI);
    expect(never.stdout).not.toMatch(ANSI);
  });

  it('on a terminal the live line is rewritten in place; --verbose gives every tick its own line', async () => {
    const common = ['load', '--fixtures', fx, '-c', '1', '-w', '1', '-d', '2', '--format', 'console'];
    const [rewritten, lines] = await Promise.all([runTty(common), runTty([...common, '--verbose'])]);
    expect(rewritten.status, rewritten.stdout).toBe(0);
    // Issue 14: on stderr (script(1) shows both streams), elapsed of the total, the rate and the p99.
    expect(rewritten.stdout).toMatch(/\r\u001b\[K +1\/2 s +\d+ hs\/s .* p99 /);
    expect(lines.status, lines.stdout).toBe(0);
    expect(lines.stdout).not.toMatch(/\u001b\[K/);
    expect(lines.stdout).toMatch(/\n +1\/2 s +\d+ hs\/s/);
  });
});
