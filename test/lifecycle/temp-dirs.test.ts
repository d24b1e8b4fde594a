import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { harnessTempRoot, makeTempDir, removeTempDir, sweepStaleTempDirs } from '../../core/fs.js';
import { tempDir } from '../helpers/tmp.js';

/** The PID of a process that has run and exited (and been reaped: its PID is free). */
async function deadPid(): Promise<number> {
  const child = spawn('/bin/true');
  await new Promise((resolve) => child.on('close', resolve));
  return child.pid!;
}

describe('the temporary directory of a harness process', () => {
  it('is one directory named with the PID and host, 0711, holding 0700 directories for keys', () => {
    const root = harnessTempRoot();
    expect(path.basename(root)).toMatch(new RegExp(`^mtls-harness-${process.pid}-.+-[A-Za-z0-9]{6}$`));
    expect(statSync(root).mode & 0o777).toBe(0o711);
    const dir = makeTempDir('fixtures-');
    expect(path.dirname(dir)).toBe(root);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    // Removing the last directory in it removes it too: nothing is left even if 'exit' hooks never run.
    removeTempDir(dir);
    expect(existsSync(root)).toBe(false);
  });

  it('sweeping removes those of dead processes of this host only', async () => {
    using tmp = tempDir('mtls-sweep-');
    // This host's tag, as this process's own directory spells it.
    const probe = makeTempDir('probe-');
    const host = /^mtls-harness-\d+-(.+)-[A-Za-z0-9]{6}$/.exec(path.basename(path.dirname(probe)))![1]!;
    removeTempDir(probe);
    const dead = await deadPid();
    const names = {
      dead: `mtls-harness-${dead}-${host}-aaaaaa`,
      alive: `mtls-harness-${process.ppid}-${host}-bbbbbb`,
      self: `mtls-harness-${process.pid}-${host}-cccccc`,
      otherHost: `mtls-harness-${dead}-elsewhere.example-dddddd`,
      notOurs: `mtls-harness-fixtures-eeeeee`,
    };
    for (const n of Object.values(names)) mkdirSync(path.join(tmp.path, n, 'keys'), { recursive: true });
    expect(sweepStaleTempDirs(tmp.path)).toEqual([path.join(tmp.path, names.dead)]);
    expect(readdirSync(tmp.path).sort()).toEqual([names.alive, names.self, names.otherHost, names.notOurs].sort());
  });
});
