import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VERSION } from '../../core/version.js';
import { ROOT, runCli } from '../helpers/cli.js';
import { openssl } from '../helpers/openssl.js';

let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'mtls-cli-'));
  const r = await runCli(['fixtures', '--out', path.join(dir, 'fx'), '--clock', '2026-03-01T00:00:00Z']);
  expect(r.status).toBe(0);
  writeFileSync(
    path.join(dir, 'garbage.pem'),
    '-----BEGIN CERTIFICATE-----\nnot base64 !!\n-----END CERTIFICATE-----\n',
  );
  await openssl(
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      'a.key',
      '-out',
      'a.pem',
      '-subj',
      '/CN=A',
      '-days',
      '30',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
    ],
    { cwd: dir },
  );
  await openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', 'b.key'], { cwd: dir });
  await openssl(
    [
      'req',
      '-x509',
      '-key',
      'b.key',
      '-out',
      'leaf.pem',
      '-subj',
      '/CN=leaf',
      '-days',
      '30',
      '-addext',
      'basicConstraints=critical,CA:FALSE',
    ],
    { cwd: dir },
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Golden cases: argv → exit status and the one-line error code on stderr. */
const ERRORS: readonly [string, () => string[], string][] = [
  ['unknown command', () => ['frobnicate'], 'MTLS_ERR_USAGE'],
  ['unknown flag', () => ['fixtures', '--out', dir, '--bogus'], 'MTLS_ERR_USAGE'],
  ['missing --out', () => ['fixtures'], 'MTLS_ERR_USAGE'],
  ['bad clock', () => ['fixtures', '--out', path.join(dir, 'x'), '--clock', 'yesterday'], 'MTLS_ERR_CLOCK'],
  ['unknown profile', () => ['fixtures', '--out', path.join(dir, 'x'), '--key-profile', 'dsa-512'], 'MTLS_ERR_PROFILE'],
  ['unwritable --out', () => ['fixtures', '--out', '/proc/mtls-harness-cannot-write'], 'MTLS_ERR_OUT_UNWRITABLE'],
  [
    '--ca-cert without --ca-key',
    () => ['fixtures', '--out', path.join(dir, 'x'), '--ca-cert', path.join(dir, 'a.pem')],
    'MTLS_ERR_USAGE',
  ],
  [
    'unreadable CA',
    () => [
      'fixtures',
      '--out',
      path.join(dir, 'x'),
      '--ca-cert',
      path.join(dir, 'nope.pem'),
      '--ca-key',
      path.join(dir, 'a.key'),
    ],
    'MTLS_ERR_CA_READ',
  ],
  [
    'malformed CA PEM',
    () => [
      'fixtures',
      '--out',
      path.join(dir, 'x'),
      '--ca-cert',
      path.join(dir, 'garbage.pem'),
      '--ca-key',
      path.join(dir, 'a.key'),
    ],
    'MTLS_ERR_CA_READ',
  ],
  [
    'mismatched CA key',
    () => [
      'fixtures',
      '--out',
      path.join(dir, 'x'),
      '--ca-cert',
      path.join(dir, 'a.pem'),
      '--ca-key',
      path.join(dir, 'b.key'),
    ],
    'MTLS_ERR_CA_MISMATCH',
  ],
  [
    'CA that is not a CA',
    () => [
      'fixtures',
      '--out',
      path.join(dir, 'x'),
      '--ca-cert',
      path.join(dir, 'leaf.pem'),
      '--ca-key',
      path.join(dir, 'b.key'),
    ],
    'MTLS_ERR_CA_MISMATCH',
  ],
  ['bad --ocsp-url', () => ['fixtures', '--out', path.join(dir, 'x'), '--ocsp-url', 'ftp://x'], 'MTLS_ERR_USAGE'],
  [
    'run: missing fixtures',
    () => ['run', '--target', '127.0.0.1:1', '--fixtures', path.join(dir, 'none')],
    'MTLS_ERR_FIXTURES_MISSING',
  ],
  ['run: bad target', () => ['run', '--target', 'not a target'], 'MTLS_ERR_USAGE'],
  [
    'run: port out of range',
    () => ['run', '--target', 'localhost:70000', '--fixtures', path.join(dir, 'fx')],
    'MTLS_ERR_USAGE',
  ],
  ['run: external target without fixtures', () => ['run', '--target', '127.0.0.1:8443'], 'MTLS_ERR_USAGE'],
  ['run: bad --tls', () => ['run', '--tls', '1.1'], 'MTLS_ERR_USAGE'],
  ['run: bad --format', () => ['run', '--format', 'pdf'], 'MTLS_ERR_USAGE'],
  ['run: bad --policy', () => ['run', '--policy', 'maybe'], 'MTLS_ERR_USAGE'],
  ['run: policy none on a process target', () => ['run', '--target', 'nginx', '--policy', 'none'], 'MTLS_ERR_USAGE'],
  ['run: bad --strictness', () => ['run', '--strictness', 'lax'], 'MTLS_ERR_USAGE'],
  ['run: bad --concurrency', () => ['run', '--concurrency', '0'], 'MTLS_ERR_USAGE'],
  ['run: empty suite', () => ['run', '--suite', 'no-such::*'], 'MTLS_ERR_SUITE_EMPTY'],
  ['run: regressions gate without baseline', () => ['run', '--gate', 'regressions'], 'MTLS_ERR_USAGE'],
  ['run: bad baseline', () => ['run', '--baseline', path.join(dir, 'garbage.pem')], 'MTLS_ERR_BASELINE'],
  ['run: bad capability', () => ['run', '--capabilities', 'magic'], 'MTLS_ERR_USAGE'],
  ['serve: missing fixtures', () => ['serve', '--fixtures', path.join(dir, 'none')], 'MTLS_ERR_FIXTURES_MISSING'],
  ['ocsp: bad port', () => ['ocsp', '--fixtures', path.join(dir, 'fx'), '--port', 'http'], 'MTLS_ERR_USAGE'],
  ['schema: unknown', () => ['schema', 'nope'], 'MTLS_ERR_USAGE'],
];

describe('bad input: one line, a stable code, exit 2, never a stack trace', () => {
  it.each(ERRORS)('%s', async (_name, argv, code) => {
    const r = await runCli(argv(), { timeoutMs: 30_000 });
    expect(r.status).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^mtls-harness: error ${code}: \\S`));
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stdout).not.toMatch(/PRIVATE KEY/);
  });

  it('a malformed manifest is MTLS_ERR_MANIFEST_INVALID', async () => {
    const bad = path.join(dir, 'badfx');
    await runCli(['fixtures', '--out', bad, '--quiet']);
    writeFileSync(path.join(bad, 'manifest.json'), '{"schemaVersion": 7}');
    const r = await runCli(['run', '--target', '127.0.0.1:1', '--fixtures', bad]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^mtls-harness: error MTLS_ERR_MANIFEST_INVALID: .*schemaVersion 7/);
  });
});

describe('commands', () => {
  it('prints usage with examples and the version', async () => {
    const help = await runCli(['--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/mtls-harness run/);
    const none = await runCli([]);
    expect(none.status).toBe(2);
    const v = await runCli(['version']);
    expect(v.stdout.trim()).toBe(VERSION);
    expect(JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version).toBe(VERSION);
    for (const cmd of ['run', 'fixtures', 'serve', 'ocsp', 'list']) {
      const r = await runCli([cmd, '--help']);
      expect(r.status, cmd).toBe(0);
      expect(r.stdout, cmd).toMatch(new RegExp(`mtls-harness ${cmd}`));
    }
  });

  it('fixtures prints a summary and writes manifest.json', async () => {
    const out = path.join(dir, 'fx2');
    const r = await runCli(['fixtures', '--out', out, '--clock', '2026-03-01T00:00:00Z']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(
      /^wrote \d+ client fixtures, \d+ CAs, \d+ CRLs \(ecdsa-p256, clock 2026-03-01T00:00:00Z\)/,
    );
    expect(JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8')).schemaVersion).toBe(1);
    expect(r.stdout + r.stderr).not.toMatch(/PRIVATE KEY/);
  });

  it('list and schema print the catalogue and the committed schemas', async () => {
    const list = await runCli(['list', '--suite', 'trust::*']);
    expect(list.stdout).toMatch(/require::trust::unknown-ca\s+reject unknown_ca/);
    const json = await runCli(['list', '--json']);
    expect(JSON.parse(json.stdout).scenarios.length).toBeGreaterThan(50);
    for (const name of ['manifest', 'results']) {
      const s = await runCli(['schema', name]);
      expect(s.stdout).toBe(readFileSync(path.join(ROOT, 'schemas', `${name}.schema.json`), 'utf8'));
    }
  });

  it('list counts the conditions per topic and in total, each counted once whatever its policies', async () => {
    const [table, json] = await Promise.all([runCli(['list']), runCli(['list', '--json'])]);
    expect(table.status).toBe(0);
    // Counted here from the portable catalogue: a condition is an id without its policy.
    const ids: string[] = JSON.parse(json.stdout).scenarios.map((s: { id: string }) => s.id);
    const perTopic = new Map<string, Set<string>>();
    for (const id of ids) {
      const [, topic, ...name] = id.split('::');
      perTopic.set(topic!, (perTopic.get(topic!) ?? new Set()).add(name.join('::')));
    }
    for (const [topic, names] of perTopic) {
      const scenarios = ids.filter((id) => id.split('::')[1] === topic).length;
      expect(table.stdout, topic).toMatch(new RegExp(`^${topic} +${names.size} +${scenarios}$`, 'm'));
    }
    const total = [...perTopic.values()].reduce((n, s) => n + s.size, 0);
    expect(table.stdout).toMatch(new RegExp(`^distinct conditions: ${total} `, 'm'));
    // Issue 13's topics are there, with the conditions the issue names.
    expect(perTopic.get('structure')).toEqual(
      new Set([
        'leaf-ca-true',
        'leaf-key-cert-sign',
        'duplicate-extension',
        'signature-algorithm-mismatch',
        'serial-zero',
        'serial-negative',
        'serial-too-long',
      ]),
    );
    expect(perTopic.get('keys')).toEqual(new Set(['ec-point-not-on-curve', 'unsupported-curve']));
    const narrowed = await runCli(['list', '--suite', 'keys::*']);
    expect(narrowed.stdout).toMatch(/^keys +2 +4$/m);
    expect(narrowed.stdout).toMatch(/^sanity +1 +3$/m);
    expect(narrowed.stdout).toMatch(/^distinct conditions: 3 /m);
  });

  it('ocsp serves until Ctrl-C, then exits 0', async () => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(ROOT, 'cli/main.ts'), 'ocsp', '--fixtures', path.join(dir, 'fx'), '--port', '0'],
      {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /listening on (http:\/\/127\.0\.0\.1:\d+\/ocsp)/.exec(out);
        if (m) resolve(m[1]!);
      });
      child.on('exit', () => reject(new Error(`exited early: ${out}`)));
    });
    const check = await openssl(
      [
        'ocsp',
        '-issuer',
        'ca/intermediate.pem',
        '-cert',
        'clients/revoked/cert.pem',
        '-url',
        url,
        '-CAfile',
        'trust.pem',
        '-no_nonce',
      ],
      { cwd: path.join(dir, 'fx') },
    );
    expect(check.out).toMatch(/clients\/revoked\/cert\.pem: revoked/);
    const status = await new Promise<number | null>((resolve) => {
      child.on('exit', (code) => resolve(code));
      child.kill('SIGINT');
    });
    expect(status).toBe(0);
    expect(out).toMatch(/answered 1 OCSP requests/);
  });
});
