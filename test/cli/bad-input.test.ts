import { execFile, spawn } from 'node:child_process';
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../core/errors.js';
import { ROOT } from '../helpers/cli.js';
import { openssl } from '../helpers/openssl.js';
import { CASES, type BadInputCase, type CaseContext, type Shared } from './bad-input.cases.js';

const MAIN = path.join(ROOT, 'dist/cli/main.js');
const DAY = 86_400_000;

interface Outcome {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the built CLI (plain node: a tenth of a second where tsx takes one) in `cwd`, with its own TMPDIR. */
function cli(args: readonly string[], cwd: string, tmp: string): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN, ...args], {
      cwd,
      env: { ...process.env, TMPDIR: tmp, MTLS_DEBUG: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    // NOTE: a case that does not fail would serve forever (serve, ocsp): bound it, and let the assertions say so.
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

/** Every path under `dir` with its kind, sorted: what a command left behind shows up as a difference. */
function tree(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const name of readdirSync(path.join(dir, rel))) {
      const p = path.join(rel, name);
      const st = lstatSync(path.join(dir, p));
      out.push(`${p}${st.isDirectory() ? '/' : st.isSymbolicLink() ? '@' : ''}`);
      if (st.isDirectory()) walk(p);
    }
  };
  walk('');
  return out.sort();
}

let root: string;
let shared: Shared;
let usage = '';
const seen: { name: string; line: string }[] = [];

beforeAll(async () => {
  // One build for the whole corpus: 150 spawns of plain node instead of tsx.
  await promisify(execFile)('npm', ['run', 'build'], { cwd: ROOT });
  root = mkdtempSync(path.join(os.tmpdir(), 'mtls-bad-input-'));
  usage = (await cli(['--help'], root, os.tmpdir())).stdout;
  const s = path.join(root, 'shared');
  mkdirSync(s);
  const make = async (args: string[]) => {
    const r = await cli(args, s, os.tmpdir());
    expect(r.status, `${args.join(' ')}: ${r.stderr}`).toBe(0);
  };
  const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
  await make(['fixtures', '--out', 'fx', '--quiet']);
  await make(['fixtures', '--out', 'stale', '--clock', iso(Date.now() - 400 * DAY), '--quiet']);
  await make(['fixtures', '--out', 'future', '--clock', iso(Date.now() + 10 * DAY), '--quiet']);
  await make(['fixtures', '--out', 'old', '--clock', iso(Date.now() - 40 * DAY), '--quiet']);
  await make([
    'load',
    '--fixtures',
    'fx',
    '--handshakes',
    '20',
    '-c',
    '1',
    '-w',
    '1',
    '--format',
    'json',
    '--out',
    'load',
    '--quiet',
  ]);
  await make([
    'run',
    '--fixtures',
    'fx',
    '--suite',
    'trust::unknown-ca',
    '--tls',
    '1.3',
    '--policy',
    'require',
    '--format',
    'json',
    '--out',
    'run',
    '--quiet',
  ]);
  const ecKey = (out: string) =>
    openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', out], { cwd: s });
  await ecKey('ca.key');
  await ecKey('other.key');
  const cert = (key: string, out: string, bc: string) =>
    openssl(
      [
        'req',
        '-x509',
        '-key',
        key,
        '-out',
        out,
        '-subj',
        `/CN=${out}`,
        '-days',
        '30',
        '-addext',
        `basicConstraints=critical,${bc}`,
      ],
      { cwd: s },
    );
  await cert('ca.key', 'ca.pem', 'CA:TRUE');
  await cert('other.key', 'leaf.pem', 'CA:FALSE');
  writeFileSync(path.join(s, 'garbage.pem'), '-----BEGIN CERTIFICATE-----\nnot base64 !!\n-----END CERTIFICATE-----\n');
  shared = {
    fx: path.join(s, 'fx'),
    staleFx: path.join(s, 'stale'),
    futureFx: path.join(s, 'future'),
    oldFx: path.join(s, 'old'),
    loadResult: path.join(s, 'load/results.json'),
    runResult: path.join(s, 'run/results.json'),
    caCert: path.join(s, 'ca.pem'),
    caKey: path.join(s, 'ca.key'),
    otherKey: path.join(s, 'other.key'),
    leafCert: path.join(s, 'leaf.pem'),
    garbagePem: path.join(s, 'garbage.pem'),
  };
}, 180_000);

afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('the corpus', () => {
  it('has at least 100 cases, covering every command, none expecting MTLS_ERR_INTERNAL', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(100);
    const commands = new Set(CASES.map((c) => c.command));
    // Every command the CLI lists in its usage, and the forms without one.
    const listed = /^Commands: (.+)\. Each takes --help\.$/m.exec(usage)?.[1]?.split(', ') ?? [];
    expect(listed.length).toBeGreaterThan(5);
    for (const command of [...listed, '(none)', 'help']) expect(commands, command).toContain(command);
    expect(CASES.filter((c) => c.code === 'MTLS_ERR_INTERNAL')).toEqual([]);
    expect(new Set(CASES.map((c) => `${c.command}: ${c.name}`)).size).toBe(CASES.length);
    for (const c of CASES) expect(Object.keys(ERROR_CODES)).toContain(c.code);
  });
});

describe('bad input: exit 2, one line with its code naming the fault, no stack, nothing left behind', () => {
  it.concurrent.each(CASES.map((c) => [`${c.command}: ${c.name}`, c] as [string, BadInputCase]))(
    '%s',
    async (name, c) => {
      const dir = mkdtempSync(path.join(root, 'case-'));
      const cwd = path.join(dir, 'cwd');
      const tmp = path.join(dir, 'tmp');
      mkdirSync(cwd);
      mkdirSync(tmp);
      const ctx: CaseContext = { ...shared, cwd, vars: {} };
      const cleanup = await c.setup?.(ctx);
      try {
        const before = tree(dir);
        const r = await cli(c.args(ctx), cwd, tmp);
        const lines = r.stderr.split('\n').filter((l) => l !== '');
        seen.push({ name, line: lines.join(' | ') });
        expect(r.status, r.stderr).toBe(2);
        expect(lines, r.stderr).toHaveLength(1);
        expect(lines[0]).toMatch(new RegExp(`^mtls-harness: error ${c.code}: \\S`));
        expect(lines[0]).toMatch(c.names);
        expect(r.stderr).not.toMatch(/\n\s+at |MTLS_ERR_INTERNAL/);
        expect(r.stdout + r.stderr).not.toMatch(/PRIVATE KEY/);
        expect(tree(dir)).toEqual(before);
      } finally {
        await cleanup?.();
        rmSync(dir, { recursive: true, force: true });
      }
    },
    90_000,
  );
});

describe('after the corpus', () => {
  it('no case produced MTLS_ERR_INTERNAL', () => {
    expect(seen.length).toBe(CASES.length);
    expect(seen.filter((s) => /MTLS_ERR_INTERNAL/.test(s.line))).toEqual([]);
  });
});
