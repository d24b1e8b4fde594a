import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { LoadResult } from '../../core/load-result.js';
import { ROOT, runCli } from '../helpers/cli.js';
import { validate, type Schema } from '../helpers/json-schema.js';
import { freshFixtures } from './helpers.js';
import { startDecidingServer, startHttpsServer } from './refusing-servers.js';

// Issue 9 through the CLI (`mtls-harness load --target HOST:PORT --fixtures DIR`): servers that refuse clients after
// the handshake are reported with 0 (or fewer) successes, their refusals counted by kind, and a non-zero exit.
let fixtures: Awaited<ReturnType<typeof freshFixtures>>;
let fxDir: string;
beforeAll(async () => {
  fixtures = await freshFixtures();
  fxDir = path.join(fixtures.dir, 'fx');
});
afterAll(() => fixtures?.dispose());

const schema = JSON.parse(readFileSync(path.join(ROOT, 'schemas/load-results.schema.json'), 'utf8')) as Schema;
let runs = 0;

/**
 * `mtls-harness load` against a test server: one worker, JSON and console reports (not `--quiet`, which prints the
 * verdict line alone); returns the exit and results.
 */
async function load(port: number, args: readonly string[]) {
  const out = path.join(fixtures.dir, `run-${++runs}`);
  const r = await runCli([
    'load',
    '--target',
    `127.0.0.1:${port}`,
    '--fixtures',
    fxDir,
    '--workers',
    '1',
    '--connections',
    '2',
    '--format',
    'console,json',
    '--out',
    out,
    ...args,
  ]);
  const result = JSON.parse(readFileSync(path.join(out, 'results.json'), 'utf8')) as LoadResult;
  expect(validate(schema, result)).toEqual([]);
  return { ...r, result };
}

it('TLS 1.3: a server that refuses every client after the handshake (past the sanity probe): 0 ok, exit 1', async () => {
  await using server = await startDecidingServer(fixtures.fx, (c) => (c.index === 0 ? 'answer' : 'close'));
  const { status, stdout, result } = await load(server.endpoint.port, ['--tls', '1.3', '--handshakes', '30']);
  expect(status).toBe(1);
  expect(result.handshakes).toMatchObject({ attempted: 30, succeeded: 0, rejected: 30, rejectedAfterHandshake: 30 });
  expect(Object.keys(result.rejections).every((k) => k === 'closed' || k === 'reset')).toBe(true);
  expect(result.resumedRatio).toBeNull();
  // The server's own count: 30 load connections and the sanity probe after the load, all closed unanswered.
  expect(server.counts.close).toBe(31);
  expect(stdout).toMatch(/handshakes +0 ok of 30 \(full 0, resumed 0; rejected 30, failed 0\)/);
  expect(stdout).toMatch(/rejected +30 \(.*\) · 30 after the handshake completed/);
  expect(stdout).toMatch(/FAIL no handshake was accepted/);
  expect(stdout).toMatch(/FAIL error rate 100 % exceeds --max-error-rate 0: 30 of 30 handshakes failed/);
  expect(stdout).not.toMatch(/PASS/);
});

it('every second connection answered 403: refusals counted, exit 1 by default, exit 0 with --max-error-rate 0.6', async () => {
  const run = async (extra: readonly string[]) => {
    // Connections 0 and 42 are the sanity probes (answered); 1..41 the load: 21 refused, 20 answered.
    await using server = await startDecidingServer(fixtures.fx, (c) => (c.index % 2 === 1 ? 'forbid' : 'answer'));
    const r = await load(server.endpoint.port, ['--tls', '1.2', '--handshakes', '41', ...extra]);
    return { ...r, counts: { ...server.counts } };
  };
  const strict = await run([]);
  expect(strict.status).toBe(1);
  expect(strict.result.rejections).toEqual({ 'http:403': 21 });
  expect(strict.counts.forbid).toBe(21);
  expect(strict.result.handshakes.succeeded).toBe(strict.counts.answer - 2);
  expect(strict.result.errorRate).toBe(0.5122);
  expect(strict.result.failures).toEqual([
    'error rate 51.22 % exceeds --max-error-rate 0: 21 of 41 handshakes failed: 21 rejected (http:403 21), 0 errors',
  ]);
  const lenient = await run(['--max-error-rate', '0.6']);
  expect(lenient.status, lenient.stderr).toBe(0);
  expect(lenient.result.rejections).toEqual({ 'http:403': 21 });
  expect(lenient.result.thresholds.maxErrorRate).toBe(0.6);
  expect(lenient.stdout).toMatch(/PASS/);
});

it('--mode resumed against a server that refuses resumed sessions: refusals counted, no resumed ratio, exit 1', async () => {
  await using server = await startDecidingServer(fixtures.fx, (c) => (c.reused ? 'forbid' : 'answer'));
  const { status, result } = await load(server.endpoint.port, [
    '--tls',
    '1.3',
    '--mode',
    'resumed',
    '--handshakes',
    '30',
  ]);
  expect(status).toBe(1);
  expect(result.handshakes).toMatchObject({ succeeded: 0, rejected: 30, rejectedResumed: 30 });
  expect(result.rejections).toEqual({ 'http:403': 30 });
  expect(server.counts.forbid).toBe(30);
  // Nothing accepted, so no resumed ratio: before issue 9 this run read "resumed 100 %, PASS".
  expect(result.resumedRatio).toBeNull();
  expect(result.passed).toBe(false);
});

it('--http: requests answered 403 fail the default --max-error-rate; 0.5 allows every second one', async () => {
  const run = async (extra: readonly string[]) => {
    await using server = await startHttpsServer(fixtures.fx, (n) => (n % 2 === 0 ? 403 : 200));
    const r = await load(server.endpoint.port, ['--http', '--duration', '1', ...extra]);
    return { ...r, statuses: { ...server.statuses } };
  };
  const strict = await run([]);
  expect(strict.status).toBe(1);
  expect(strict.result.http?.rejected).toBe(strict.statuses[403]);
  expect(strict.result.http?.rejected).toBeGreaterThan(0);
  expect(strict.result.failures.join('\n')).toMatch(
    /error rate .* exceeds --max-error-rate 0: \d+ of \d+ requests failed: \d+ rejected \(http:403 \d+\)/,
  );
  // Every second request on a connection at most: the error rate cannot exceed 0.5.
  const lenient = await run(['--max-error-rate', '0.5']);
  expect(lenient.status, lenient.stdout).toBe(0);
  expect(lenient.result.http?.rejected).toBe(lenient.statuses[403]);
});

it('--scenario with no probe decided (every probe timed out) exits 2 with MTLS_ERR_UNDECIDED', async () => {
  // Answers a valid client (the sanity probes), and holds the scenario's unknown-CA client without a word.
  await using server = await startDecidingServer(fixtures.fx, (c) => (c.authorized ? 'answer' : 'hang'), {
    rejectUnauthorized: false,
  });
  const { status, stderr, result } = await load(server.endpoint.port, [
    '--scenario',
    'trust::unknown-ca',
    '--handshakes',
    '4',
    '--timeout',
    '300',
  ]);
  expect(status).toBe(2);
  const lines = stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(
    /^mtls-harness: error MTLS_ERR_UNDECIDED: load: no probe of require::trust::unknown-ca was decided: 4 probe\(s\), none accepted or rejected .*\(errors: timeout 4\)/,
  );
  expect(server.counts.hang).toBe(4);
  expect(result.acceptances).toBe(0);
  expect(result.rejectionsTotal).toBe(0);
  expect(result.errors).toEqual({ timeout: 4 });
});
