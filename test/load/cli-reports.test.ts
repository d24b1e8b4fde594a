import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoadResult } from '../../core/load-result.js';
import { startBuiltinServer } from '../../targets/builtin.js';
import type { StartedTarget } from '../../targets/target.js';
import { runCli } from '../helpers/cli.js';
import { findAll, parseXml, type XmlElement } from '../unit/reports/xml.js';
import { freshFixtures } from './helpers.js';
import { startDecidingServer } from './refusing-servers.js';

// Issue 11: `load` and `merge` write summary.md and junit.xml, as `run` does. What must fail is known from each run's
// own inputs: a p99 limit of 0.001 ms no handshake meets, a server that refuses every second connection.
let fixtures: Awaited<ReturnType<typeof freshFixtures>>;
let fxDir: string;
let server: StartedTarget;
beforeAll(async () => {
  fixtures = await freshFixtures();
  fxDir = path.join(fixtures.dir, 'fx');
  server = await startBuiltinServer({ fixtures: fixtures.fx, policy: 'require' });
});
afterAll(async () => {
  await server?.stop();
  fixtures?.dispose();
});

const dir = (name: string) => path.join(fixtures.dir, name);
const read = (d: string, file: string) => readFileSync(path.join(d, file), 'utf8');
const loadArgs = (port: number, out: string, extra: readonly string[]) => [
  'load',
  '--target',
  `127.0.0.1:${port}`,
  '--fixtures',
  fxDir,
  '--workers',
  '1',
  '--connections',
  '2',
  '--out',
  out,
  '--quiet',
  ...extra,
];
const testcases = (xml: string) => findAll(parseXml(xml), 'testcase');
const testcase = (xml: string, name: string): XmlElement => testcases(xml).find((c) => c.attrs.name === name)!;
const failuresOf = (xml: string, name: string) => findAll(testcase(xml, name), 'failure').map((f) => f.attrs.message);

describe('load --format markdown,junit', () => {
  it('a passing run: summary.md says PASS, junit.xml has a passing test case per gate checked', async () => {
    const out = dir('pass');
    const r = await runCli(loadArgs(server.endpoint.port, out, ['-a', '20', '--format', 'markdown,junit']));
    expect(r.status, r.stderr).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['junit.xml', 'summary.md']);
    const md = read(out, 'summary.md');
    expect(md).toMatch(/^## ✅ PASS: mtls-harness load against 127\.0\.0\.1:\d+ \(127\.0\.0\.1:\d+\)$/m);
    expect(md).toMatch(/^TLS 1\.3 · full handshakes · 2 connections · 20 handshakes · 1 \w+ worker\(s\)/m);
    expect(md).toMatch(/^\| \*\*[\d.]+\*\* \| [\d.]+ \| 0\.00 \| 20 of 20 \| 0 \| 0 \|/m);
    expect(md).not.toMatch(/Failures|breached/);
    const xml = read(out, 'junit.xml');
    expect(testcases(xml).map((c) => c.attrs.name)).toEqual(['error rate', 'valid client accepted', 'completed']);
    expect(findAll(parseXml(xml), 'failure')).toEqual([]);
    expect(parseXml(xml).attrs).toMatchObject({ tests: '3', failures: '0', errors: '0' });
  });

  it('--max-p99 0.001: the p99 test case fails, and only it; summary.md says FAIL and marks the gate', async () => {
    const out = dir('p99');
    const r = await runCli(
      loadArgs(server.endpoint.port, out, ['-a', '20', '--max-p99', '0.001', '--format', 'json,markdown,junit']),
    );
    expect(r.status).toBe(1);
    const xml = read(out, 'junit.xml');
    expect(failuresOf(xml, 'p99 latency')).toHaveLength(1);
    expect(failuresOf(xml, 'p99 latency')[0]).toMatch(/^p99 latency [\d.]+ ms exceeds --max-p99 0\.001 ms$/);
    expect(failuresOf(xml, 'error rate')).toEqual([]);
    expect(failuresOf(xml, 'valid client accepted')).toEqual([]);
    expect(parseXml(xml).attrs).toMatchObject({ tests: '4', failures: '1', errors: '0' });
    const md = read(out, 'summary.md');
    expect(md).toMatch(/^## ❌ FAIL: /);
    expect(md).toMatch(/^### Failures \(1\)\n\n- p99 latency [\d.]+ ms exceeds --max-p99 0\.001 ms$/m);
    expect(md).toMatch(/^\| p99 latency \| ≤ 0\.001 ms \(--max-p99\) \| [\d.]+ ms \| ❌ breached \|$/m);
    expect(md).toMatch(/^\| error rate \| .* \| ✅ held \|$/m);
    // The reports say what results.json says.
    const result = JSON.parse(read(out, 'results.json')) as LoadResult;
    expect(findAll(parseXml(xml), 'failure').map((f) => f.attrs.message)).toEqual([...result.failures]);
  });

  it('a server that refuses every second connection: the error-rate test case fails; refusals by kind in summary.md', async () => {
    // Connections 0 and 42 are the sanity probes (answered); 1..41 the load: 21 refused with 403, 20 answered.
    await using refusing = await startDecidingServer(fixtures.fx, (c) => (c.index % 2 === 1 ? 'forbid' : 'answer'));
    const out = dir('refused');
    const r = await runCli(
      loadArgs(refusing.endpoint.port, out, ['--tls', '1.2', '-a', '41', '--format', 'markdown,junit']),
    );
    expect(r.status).toBe(1);
    expect(refusing.counts.forbid).toBe(21);
    const xml = read(out, 'junit.xml');
    expect(failuresOf(xml, 'error rate')).toEqual([
      'error rate 51.22 % exceeds --max-error-rate 0: 21 of 41 handshakes failed: 21 rejected (http:403 21), 0 errors',
    ]);
    expect(failuresOf(xml, 'valid client accepted')).toEqual([]);
    const md = read(out, 'summary.md');
    expect(md).toMatch(/^## ❌ FAIL: /);
    expect(md).toMatch(/^### Refusals by kind \(21\)$/m);
    expect(md).toMatch(/^\| http:403 \| 21 \| 51\.22 % \|$/m);
    expect(md).toMatch(/^\| \*\*[\d.]+\*\* \| [\d.]+ \| 0\.00 \| 20 of 41 \| 21 \| 0 \|/m);
  });

  it('on GitHub Actions summary.md is appended to $GITHUB_STEP_SUMMARY', async () => {
    const out = dir('step');
    const summary = dir('step-summary.md');
    writeFileSync(summary, 'an earlier step\n');
    const r = await runCli(loadArgs(server.endpoint.port, out, ['-a', '10', '--format', 'markdown']), {
      env: { GITHUB_STEP_SUMMARY: summary },
    });
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(summary, 'utf8')).toBe(`an earlier step\n${read(out, 'summary.md')}`);
  });
});

describe('merge --format markdown,junit', () => {
  it('the merged figures, the agents counted, a breach of a merged threshold a <failure>', async () => {
    const agents = ['agent-a', 'agent-b'].map(dir);
    const runs = await Promise.all(
      agents.map((out) => runCli(loadArgs(server.endpoint.port, out, ['-a', '15', '--format', 'json']))),
    );
    for (const r of runs) expect(r.status, r.stderr).toBe(0);
    const inputs = agents.map((a) => path.join(a, 'results.json'));
    const [pass, fail] = await Promise.all([
      runCli(['merge', ...inputs, '--format', 'markdown,junit', '--out', dir('merged-pass'), '--quiet']),
      runCli([
        'merge',
        ...inputs,
        '--max-p99',
        '0.001',
        '--format',
        'markdown,junit',
        '--out',
        dir('merged-fail'),
        '--quiet',
      ]),
    ]);
    expect(pass.status, pass.stderr).toBe(0);
    expect(readdirSync(dir('merged-pass')).sort()).toEqual(['junit.xml', 'summary.md']);
    const md = read(dir('merged-pass'), 'summary.md');
    expect(md).toMatch(/^## ✅ PASS: /);
    expect(md).toMatch(/ · 2 agents merged · /);
    expect(md).toMatch(/^\| \*\*[\d.]+\*\* \| [\d.]+ \| 0\.00 \| 30 of 30 \| 0 \| 0 \|/m);
    const passXml = read(dir('merged-pass'), 'junit.xml');
    expect(findAll(parseXml(passXml), 'failure')).toEqual([]);
    expect(findAll(parseXml(passXml), 'property').find((p) => p.attrs.name === 'agents')?.attrs.value).toBe('2');

    expect(fail.status).toBe(1);
    const failXml = read(dir('merged-fail'), 'junit.xml');
    expect(failuresOf(failXml, 'p99 latency')).toHaveLength(1);
    expect(failuresOf(failXml, 'p99 latency')[0]).toMatch(/^p99 latency [\d.]+ ms exceeds --max-p99 0\.001 ms$/);
    expect(findAll(parseXml(failXml), 'failure')).toHaveLength(1);
    expect(read(dir('merged-fail'), 'summary.md')).toMatch(/^## ❌ FAIL: /);
  });
});
