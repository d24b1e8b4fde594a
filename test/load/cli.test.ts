import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCommand } from '../../cli/commands/load.js';
import { isHarnessError } from '../../core/errors.js';
import type { LoadResult } from '../../core/load-result.js';
import { decodeHistogram } from '../../load/histogram.js';
import { startBuiltinServer } from '../../targets/builtin.js';
import type { StartedTarget } from '../../targets/target.js';
import { ROOT, runCli, TSX } from '../helpers/cli.js';
import { validate, type Schema } from '../helpers/json-schema.js';
import { freshFixtures } from './helpers.js';

let fixtures: Awaited<ReturnType<typeof freshFixtures>>;
let server: StartedTarget;
let target: string;
let fxDir: string;
beforeAll(async () => {
  fixtures = await freshFixtures();
  fxDir = path.join(fixtures.dir, 'fx');
  server = await startBuiltinServer({ fixtures: fixtures.fx, policy: 'require' });
  target = `127.0.0.1:${server.endpoint.port}`;
});
afterAll(async () => {
  await server?.stop();
  fixtures?.dispose();
});

const read = (file: string): LoadResult => JSON.parse(readFileSync(file, 'utf8')) as LoadResult;
const schema = JSON.parse(readFileSync(path.join(ROOT, 'schemas/load-results.schema.json'), 'utf8')) as Schema;
const common = () => ['--target', target, '--fixtures', fxDir, '--quiet', '--connections', '4'];
/** As {@link common}, for a test that reads the console report (`--quiet` prints the verdict line alone). */
const loud = () => common().filter((a) => a !== '--quiet');

describe('bad flags: one line, MTLS_ERR_USAGE, exit 2, before any work', () => {
  it.each([
    [['--duration', '5', '--handshakes', '10'], /exclude each other/],
    [['--mode', 'banana'], /bad --mode 'banana'/],
    [['--resume-ratio', '0.5'], /'resumeRatio' needs mode mixed/],
    [['--mode', 'mixed'], /needs 'resumeRatio'/],
    [['--ticket-policy', 'fresh'], /needs mode resumed or mixed/],
    [['--workers', '9', '--connections', '4'], /exceeds 'connections'/],
    [['--http', '--handshakes', '10'], /bounded by time/],
    [['--pipelining', '2'], /need --http/],
    [['--scenario', 'nope::nothing'], /no such scenario/],
    [['--scenario', 'handshake::cv-bitflip'], /wire-level client/],
    [['--frobnicate'], /Unknown option/],
    [['--rate', 'fast'], /bad --rate 'fast'/],
    [['--max-error-rate', 'x'], /bad --max-error-rate 'x'/],
    [['--max-error-rate', '1.5'], /Bad option 'maxErrorRate': expected a share from 0 to 1/],
    [['--target', '127.0.0.1:1'], /needs --fixtures/],
    [['--format', 'pdf'], /Bad value 'pdf'/],
  ])('%j', async (args, message) => {
    // In-process: the command throws the usage error before generating fixtures or starting anything.
    const err = await loadCommand(args).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isHarnessError(err) && err.code).toBe('MTLS_ERR_USAGE');
    expect((err as Error).message).toMatch(message);
  });

  it.each([
    [['load', '--duration', '5', '--handshakes', '10']],
    [['merge', '--max-p99', 'x', 'a.json']],
    [['merge', '--max-error-rate', '2', 'a.json']],
  ])('through the CLI %j', async (args) => {
    const r = await runCli(args, { timeoutMs: 30_000 });
    expect(r.status).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^mtls-harness: error MTLS_ERR_USAGE: /);
  });
});

it('writes console, results.json (schema-valid) and report.html; --max-p99 0.001 breaches and exits 1', async () => {
  const out = path.join(fixtures.dir, 'p99');
  const r = await runCli(['load', ...loud(), '--handshakes', '60', '--max-p99', '0.001', '--out', out]);
  expect(r.status).toBe(1);
  expect(r.stdout).toMatch(/handshakes\/s/);
  expect(r.stdout).toMatch(/FAIL p99 latency .* exceeds --max-p99 0.001 ms/);
  const result = read(path.join(out, 'results.json'));
  expect(validate(schema, result)).toEqual([]);
  expect(result.handshakes.succeeded).toBe(60);
  expect(result.passed).toBe(false);
  const html = readFileSync(path.join(out, 'report.html'), 'utf8');
  expect(html).toMatch(/<svg[^>]*aria-label="handshake latency distribution"/);
  expect(html).toMatch(/<svg[^>]*aria-label="Throughput per second"/);
  expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
});

it('multi-core: K workers as threads or processes split the count exactly', async () => {
  for (const kind of ['thread', 'process']) {
    const out = path.join(fixtures.dir, `w-${kind}`);
    const r = await runCli([
      'load',
      ...common(),
      '--handshakes',
      '101',
      '--workers',
      '2',
      '--worker-kind',
      kind,
      '--out',
      out,
      '--format',
      'json',
    ]);
    expect(r.status, r.stderr).toBe(0);
    const result = read(path.join(out, 'results.json'));
    expect(result.config.workerKind).toBe(kind);
    expect(result.config.workers).toBe(2);
    expect(result.handshakes.succeeded).toBe(101);
    expect(decodeHistogram(result.histograms.handshake).totalCount).toBe(101);
    expect(result.clientCpuMsPerHandshake).toBeGreaterThan(0);
  }
});

it('merge: two agents of N/2 handshakes add up to the counts of one run of N', async () => {
  const agent = (name: string, n: number) =>
    runCli([
      'load',
      ...common(),
      '--tls',
      '1.2',
      '--mode',
      'resumed',
      '--handshakes',
      String(n),
      '--out',
      path.join(fixtures.dir, name),
      '--format',
      'json',
    ]);
  const [a, b, single] = await Promise.all([agent('agent-a', 100), agent('agent-b', 100), agent('single', 200)]);
  expect([a.status, b.status, single.status]).toEqual([0, 0, 0]);
  const out = path.join(fixtures.dir, 'merged');
  const m = await runCli([
    'merge',
    path.join(fixtures.dir, 'agent-a/results.json'),
    path.join(fixtures.dir, 'agent-b/results.json'),
    '--out',
    out,
    '--format',
    'json,html',
  ]);
  expect(m.status, m.stderr).toBe(0);
  const merged = read(path.join(out, 'results.json'));
  const one = read(path.join(fixtures.dir, 'single/results.json'));
  expect(validate(schema, merged)).toEqual([]);
  expect(merged.agents).toBe(2);
  expect(merged.handshakes).toEqual(one.handshakes);
  expect(merged.handshakes.attempted).toBe(200);
  expect(merged.resumption.wanted).toBe(one.resumption.wanted);
  expect(merged.latencyMs.count).toBe(200);
  expect(decodeHistogram(merged.histograms.handshake).totalCount).toBe(200);
  expect(merged.timeline.reduce((s, p) => s + p.full + p.resumed, 0)).toBe(200);
  expect(existsSync(path.join(out, 'report.html'))).toBe(true);
  // Rates over the union of the two windows: |A ∪ B| = |A| + |B| - |A ∩ B| (overlapping or not).
  const [wa, wb] = [
    read(path.join(fixtures.dir, 'agent-a/results.json')),
    read(path.join(fixtures.dir, 'agent-b/results.json')),
  ].map((r) => r.window);
  const overlap = Math.max(0, Math.min(wa!.endMs, wb!.endMs) - Math.max(wa!.startMs, wb!.startMs));
  const union = wa!.endMs - wa!.startMs + (wb!.endMs - wb!.startMs) - overlap;
  expect(merged.durationMs).toBe(union);
  expect(merged.handshakesPerSecond.total).toBeCloseTo(200 / (union / 1000), 1);
  // Bad input: not a load results.json.
  const bad = await runCli(['merge', path.join(ROOT, 'package.json')]);
  expect(bad.status).toBe(2);
  expect(bad.stderr).toMatch(/MTLS_ERR_MERGE_INPUT: merge: .* is not a load results.json/);
});

/** The parts of a results.json the mismatch test edits. */
type Editable = { schemaVersion: number; config: Record<string, unknown>; target: Record<string, unknown> };

it('merge refuses results of different runs and version-1 results: one line, MTLS_ERR_MERGE_MISMATCH, exit 2', async () => {
  // Variants of one real agent's results.json that differ in one thing each.
  const src = path.join(fixtures.dir, 'mismatch-src');
  const r = await runCli(['load', ...common(), '--handshakes', '20', '--out', src, '--format', 'json']);
  expect(r.status, r.stderr).toBe(0);
  const base = read(path.join(src, 'results.json'));
  const variants: [string, (x: Editable) => void, RegExp][] = [
    ['tls', (x) => (x.config.tls = '1.2'), /differ in TLS version: TLS 1.3 in .*, TLS 1.2 in .*tls\.json/],
    ['mode', (x) => (x.config.mode = 'resumed'), /differ in handshake mode: full in .*, resumed in/],
    ['http', (x) => (x.config.http = { path: '/', pipelining: 1 }), /differ in kind of load .*HTTP GET \//],
    ['target', (x) => (x.target.endpoint = '10.0.0.5:8443'), /differ in target endpoint: 127\.0\.0\.1:\d+ in/],
    ['v1', (x) => (x.schemaVersion = 1), /v1\.json' is a load results\.json of schemaVersion 1, which counted/],
  ];
  for (const [name, change, message] of variants) {
    const copy = JSON.parse(JSON.stringify(base)) as Editable;
    change(copy);
    const file = path.join(fixtures.dir, `${name}.json`);
    writeFileSync(file, JSON.stringify(copy));
    const m = await runCli(['merge', path.join(src, 'results.json'), file, '--format', 'json', '--out', src + name]);
    expect(m.status, name).toBe(2);
    const lines = m.stderr.trim().split('\n');
    expect(lines, name).toHaveLength(1);
    expect(lines[0], name).toMatch(/^mtls-harness: error MTLS_ERR_MERGE_MISMATCH: merge: /);
    expect(lines[0], name).toMatch(message);
    expect(existsSync(path.join(src + name, 'results.json')), name).toBe(false);
  }
});

it('HTTP over mTLS: requests/s and latency through an undici Pool with the server verified', async () => {
  const out = path.join(fixtures.dir, 'http');
  const r = await runCli([
    'load',
    ...common(),
    '--http',
    '--duration',
    '1',
    '--pipelining',
    '2',
    '--out',
    out,
    '--format',
    'json',
  ]);
  expect(r.status, r.stderr).toBe(0);
  const result = read(path.join(out, 'results.json'));
  expect(result.http?.requests).toBeGreaterThan(10);
  expect(result.http?.statusCodes['200']).toBe(result.http?.requests);
  expect(result.http?.succeeded).toBe(result.http?.requests);
  expect(result.http?.rejected).toBe(0);
  expect(result.errorRate).toBe(0);
  expect(result.http?.connections).toBeGreaterThan(0);
  // The built-in echo closes every connection: the report says each request paid a handshake.
  expect(result.notes.join('\n')).toMatch(/closed the connection after every response/);
});

it('an untrusted server is an error before any load (verification stays on)', async () => {
  const other = await freshFixtures();
  try {
    const r = await runCli([
      'load',
      '--target',
      target,
      '--fixtures',
      path.join(other.dir, 'fx'),
      '--quiet',
      '--handshakes',
      '10',
    ]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/MTLS_ERR_TARGET_UNTRUSTED/);
  } finally {
    other.dispose();
  }
});

it('Ctrl-C stops the run, prints what was measured and exits 130', async () => {
  const out = path.join(fixtures.dir, 'sigint');
  const child = spawn(
    process.execPath,
    [
      '--import',
      TSX,
      path.join(ROOT, 'cli/main.ts'),
      'load',
      '--target',
      target,
      '--fixtures',
      fxDir,
      '--connections',
      '4',
      '--duration',
      '60',
      '--out',
      out,
      '--format',
      'console,json',
      '--live',
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
  // Wait for a state: the first live line (on stderr, issue 14) with accepted handshakes, then interrupt.
  await new Promise<void>((resolve, reject) => {
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (/^ +\d+\/60 s +[1-9]\d* hs\/s/m.test(stderr)) resolve();
    });
    void closed.then((status) => reject(new Error(`load ended (${status}) before measuring:\n${stdout}${stderr}`)));
  });
  child.kill('SIGINT');
  const status = await closed;
  // Issue 10: interrupted is never a pass: 130, as a shell reports a Ctrl-C.
  expect(status).toBe(130);
  expect(stdout).toMatch(/INTERRUPTED \(SIGINT\): partial figures/);
  const result = read(path.join(out, 'results.json'));
  expect(result.interrupted).toBe(true);
  expect(result.signal).toBe('SIGINT');
  expect(result.passed).toBe(false);
  expect(result.handshakes.succeeded).toBeGreaterThan(0);
  expect(result.durationMs).toBeLessThan(30_000);
});
