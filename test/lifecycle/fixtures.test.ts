import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, runCli, TSX } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { eventually, stackLines, startCli } from '../signals/helpers.js';

// Issue 10: interrupting `fixtures` over an existing directory left an old manifest with new files and a 0-byte key;
// directories were created with the umask (0777 under umask 000).

/** Every file under `dir` (relative path → sha256), hidden entries included. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = path.join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out[path.relative(dir, p)] = createHash('sha256').update(readFileSync(p)).digest('hex');
    }
  };
  walk(dir);
  return out;
}

const staging = (dir: string) => readdirSync(dir).filter((n) => n.startsWith('.mtls-harness-'));
const mode = (p: string) => statSync(p).mode & 0o777;

/** Runs the CLI under `umask 000` (the shell sets it, the harness inherits it). */
function underUmask000(args: readonly string[]): Promise<number | null> {
  return new Promise((resolve) => {
    const child = spawn(
      '/bin/sh',
      [
        '-c',
        'umask 000 && exec "$@"',
        'sh',
        process.execPath,
        '--import',
        TSX,
        path.join(ROOT, 'cli/main.ts'),
        ...args,
      ],
      { cwd: ROOT, stdio: 'ignore' },
    );
    child.on('close', resolve);
  });
}

describe('fixtures: modes whatever the umask', () => {
  it('under umask 000: directories holding keys 0700, keys 0600, nothing group- or world-writable', async () => {
    using dir = tempDir('mtls-umask-');
    const out = path.join(dir.path, 'new', 'fx');
    expect(await underUmask000(['fixtures', '--out', out, '--quiet'])).toBe(0);
    expect(mode(out)).toBe(0o700);
    for (const d of ['ca', 'server', 'clients', 'clients/valid', 'clients/expired'])
      expect(mode(path.join(out, d)), d).toBe(0o700);
    expect(mode(path.join(out, 'crl'))).toBe(0o755);
    const files = Object.keys(snapshot(out));
    const keys = files.filter((f) => /key\.pem$/.test(f));
    expect(keys.length).toBeGreaterThan(30);
    for (const f of keys) expect(mode(path.join(out, f)), f).toBe(0o600);
    for (const f of files) expect(mode(path.join(out, f)) & 0o022, f).toBe(0);
    // The parent the command created is not world-writable either.
    expect(mode(path.join(dir.path, 'new')) & 0o022).toBe(0);
  });

  it('under umask 000: the report directory and files of run are 0755 / 0644', async () => {
    using dir = tempDir('mtls-umask-');
    const out = path.join(dir.path, 'report');
    const status = await underUmask000([
      'run',
      '--suite',
      'validity::expired',
      '--policy',
      'require',
      '--tls',
      '1.3',
      '--out',
      out,
      '--quiet',
      '--format',
      'json,junit',
    ]);
    expect(status).toBe(0);
    expect(mode(out)).toBe(0o755);
    expect(readdirSync(out).sort()).toEqual(['junit.xml', 'results.json']);
    for (const f of readdirSync(out)) expect(mode(path.join(out, f)), f).toBe(0o644);
  });
});

describe('fixtures over an existing set: the new set replaces the old one whole, or not at all', () => {
  it('SIGINT while generating leaves the old set byte for byte; SIGKILL too, and the next run sweeps its leftovers', async () => {
    using dir = tempDir('mtls-atomic-');
    const out = path.join(dir.path, 'fx');
    const first = await runCli(['fixtures', '--out', out, '--clock', '2026-01-01T00:00:00Z', '--quiet']);
    expect(first.status, first.stderr).toBe(0);
    const before = snapshot(out);
    // NOTE: rsa-2048 keys take seconds to generate: the staging directory is there long before the swap.
    const args = ['fixtures', '--out', out, '--clock', '2027-01-01T00:00:00Z', '--key-profile', 'rsa-2048', '--quiet'];

    const interrupted = startCli(args);
    expect(await eventually(() => staging(out).length > 0, 30_000)).toBe(true);
    interrupted.signalGroup('SIGINT');
    const ended = await interrupted.ended;
    expect(ended.code, interrupted.stderr()).toBe(130);
    expect(interrupted.stderr().trim()).toBe(
      `mtls-harness: SIGINT received: stopping and writing what was measured (SIGINT again to exit at once)\n` +
        `mtls-harness: interrupted by SIGINT: --out '${out}' was left as it was`,
    );
    expect(stackLines(interrupted.stderr())).toEqual([]);
    expect(snapshot(out)).toEqual(before);

    const killed = startCli(args);
    expect(await eventually(() => staging(out).length > 0, 30_000)).toBe(true);
    process.kill(killed.pid, 'SIGKILL');
    await killed.ended;
    // Killed mid-generation: the old set is whole; the dead process's staging directory is all that is new.
    const left = staging(out);
    expect(left).toEqual([expect.stringMatching(new RegExp(`^\\.mtls-harness-new-${killed.pid}-`))]);
    expect(Object.fromEntries(Object.entries(snapshot(out)).filter(([f]) => !f.startsWith('.')))).toEqual(before);

    const again = await runCli(['fixtures', '--out', out, '--clock', '2027-01-01T00:00:00Z', '--quiet']);
    expect(again.status, again.stderr).toBe(0);
    expect(staging(out)).toEqual([]);
    const manifest = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8')) as { clock: string };
    expect(manifest.clock).toBe('2027-01-01T00:00:00Z');
    // No file is left empty by the swap (issue 10 found a 0-byte key).
    for (const f of Object.keys(snapshot(out))) expect(statSync(path.join(out, f)).size, f).toBeGreaterThan(0);
    // NOTE: five generations, two of them RSA: a bound for a busy two-core machine.
  }, 180_000);
});
