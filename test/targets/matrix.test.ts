import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { containerRuntime } from '../../targets/container/container-target.js';
import { runCli } from '../helpers/cli.js';
import { availability, ON_CI } from './harness.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'mtls-matrix-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('mtls-harness matrix', () => {
  it('writes matrix.md, matrix.html and matrix.json with a column per target and a row per scenario × TLS', async (ctx) => {
    if (!(await availability('nginx')).available && !ON_CI) ctx.skip();
    const out = path.join(dir, 'm1');
    const r = await runCli([
      'matrix',
      '--targets',
      'builtin,nginx,openssl-s-server',
      '--suite',
      'validity::*,trust::*',
      '--parallel',
      '2',
      '--out',
      out,
      '--quiet',
    ]);
    expect(r.status, r.stderr).toBe(0);
    for (const f of ['matrix.md', 'matrix.html', 'matrix.json']) expect(existsSync(path.join(out, f))).toBe(true);
    const json = JSON.parse(readFileSync(path.join(out, 'matrix.json'), 'utf8'));
    expect(json.targets.map((t: { name: string; status: string }) => `${t.name} ${t.status}`)).toEqual([
      'builtin conformant',
      'nginx conformant',
      'openssl-s-server conformant',
    ]);
    const expired = json.rows.find(
      (x: { id: string; tls: string }) => x.id === 'require::validity::expired' && x.tls === '1.3',
    );
    expect(expired.cells.nginx.observed).toBe('http 400');
    expect(expired.cells['openssl-s-server'].observed).toMatch(/^alert certificate_expired/);
    expect(expired.cells.builtin.observed).toBe('http 495');
    expect(expired.differs).toBe(false);
    expect(readFileSync(path.join(out, 'matrix.html'), 'utf8')).not.toMatch(/https?:\/\//);
  });

  it('an unavailable target makes the exit status 2, unless --allow-unavailable', async (ctx) => {
    if ((await containerRuntime()).available) ctx.skip();
    const args = [
      'matrix',
      '--targets',
      'builtin,container:nginx',
      '--suite',
      'trust::unknown-ca',
      '--tls',
      '1.3',
      '--quiet',
    ];
    const r = await runCli([...args, '--out', path.join(dir, 'm2')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/container:nginx: unavailable/);
    const ok = await runCli([...args, '--allow-unavailable', '--out', path.join(dir, 'm3')]);
    expect(ok.status, ok.stderr).toBe(0);
    const json = JSON.parse(readFileSync(path.join(dir, 'm3', 'matrix.json'), 'utf8'));
    expect(json.targets[1]).toMatchObject({ name: 'container:nginx', status: 'unavailable' });
  });

  it('`targets` lists every adapter with availability and version or the reason', async () => {
    const r = await runCli(['targets', '--json']);
    expect(r.status).toBe(0);
    const list = JSON.parse(r.stdout) as { name: string; available: boolean; version?: string; reason?: string }[];
    for (const n of [
      'builtin',
      'nginx',
      'haproxy',
      'apache',
      'stunnel',
      'lighttpd',
      'caddy',
      'openssl-s-server',
      'container:nginx',
    ]) {
      const t = list.find((x) => x.name === n);
      expect(t, n).toBeDefined();
      expect(t!.available ? t!.version : t!.reason, n).toBeTruthy();
    }
  });
});
