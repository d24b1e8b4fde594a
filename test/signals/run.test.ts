import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RunResult } from '../../core/result.js';
import { runCli } from '../helpers/cli.js';
import type { Availability } from '../../targets/process/index.js';
import { availability, ON_CI } from '../targets/harness.js';
import {
  eventually,
  leftovers,
  listenerPids,
  portsIn,
  privateTmp,
  refused,
  running,
  stackLines,
  startCli,
} from './helpers.js';

// Issue 10: Ctrl-C and SIGTERM during `run --target nginx` write an interrupted report, blame nothing, exit 130/143,
// and leave no server, socket or key behind; SIGKILL of the harness leaves no server running.

let nginx: Availability = { available: false, reason: 'not probed' };
beforeAll(async () => {
  nginx = await availability('nginx');
});

/** Starts `run --target nginx` in a private TMPDIR and waits until it is probing; returns the servers' PIDs and ports. */
async function startedRun(tmp: string, out: string) {
  const cli = startCli(['run', '--target', 'nginx', '--timeout', '4000', '--verbose', '--out', out], {
    env: { TMPDIR: tmp },
  });
  const ports = portsIn((await cli.waitFor(/against (.*)\n/))[1]!);
  // A state, not a delay: the first judged result means the runner is probing the servers.
  await cli.waitFor(/^ +(pass|xfail|skip) /m);
  const pids = ports.flatMap(listenerPids);
  return { cli, ports, pids };
}

describe('run --target nginx, interrupted', () => {
  it.for([
    ['SIGINT', 130, 'group'],
    ['SIGTERM', 143, 'pid'],
    // A closed terminal or SSH session hangs up the whole foreground group.
    ['SIGHUP', 129, 'group'],
  ] as const)(
    '%s: exit %i, an interrupted report that blames nothing, and no server, socket or key left',
    async ([signal, status, to], ctx) => {
      if (!nginx.available && !ON_CI) ctx.skip();
      using tmp = privateTmp();
      const out = path.join(tmp.path, 'report');
      const { cli, ports, pids } = await startedRun(tmp.path, out);
      expect(ports).toHaveLength(2);
      expect(pids.length).toBeGreaterThanOrEqual(2);
      expect(pids.every(running)).toBe(true);
      // Ctrl-C reaches the terminal's whole process group; a pod stop sends SIGTERM to the process.
      if (to === 'group') cli.signalGroup(signal);
      else process.kill(cli.pid, signal);
      const ended = await cli.ended;

      expect(ended.code, cli.stderr()).toBe(status);
      expect(stackLines(cli.stderr())).toEqual([]);
      expect(cli.stderr()).toMatch(new RegExp(`INTERRUPTED by ${signal}: \\d+ of \\d+ results run`));
      const run = JSON.parse(readFileSync(path.join(out, 'results.json'), 'utf8')) as RunResult;
      expect(run.interrupted).toBe(true);
      expect(run.signal).toBe(signal);
      expect(run.conformant).toBe(false);
      // Nothing invented from the interruption: no run error, no failure, no error, no closing sanity re-check.
      expect(run.error).toBeUndefined();
      expect(run.results.filter((r) => ['fail', 'error', 'xpass'].includes(r.verdict))).toEqual([]);
      expect(run.results.some((r) => /sanity re-check/.test(r.reason))).toBe(false);
      const notRun = run.results.filter((r) => r.skip?.kind === 'interrupted');
      expect(notRun.length).toBeGreaterThan(0);
      for (const r of notRun) expect(r.reason).toBe(`not run: the run was interrupted by ${signal}`);
      expect(run.summary.pass).toBeGreaterThan(0);
      const md = readFileSync(path.join(out, 'summary.md'), 'utf8');
      expect(md).toMatch(new RegExp(`^## ⏹️ INTERRUPTED: .*\\n\\n\\*\\*interrupted by ${signal}: `));
      expect(md.split('\n').filter((l) => l.startsWith('| `') && /❌|⚠️/.test(l))).toEqual([]);
      // Every process, socket and key the run made is gone.
      for (const pid of pids) expect(running(pid), `pid ${pid}`).toBe(false);
      for (const port of ports) expect(await refused(port), `port ${port}`).toBe(true);
      expect(leftovers(tmp.path)).toEqual([]);
    },
  );

  it('SIGKILL of the harness: its servers die within seconds, and the next run removes what it left', async (ctx) => {
    if (!nginx.available && !ON_CI) ctx.skip();
    using tmp = privateTmp();
    const { cli, ports, pids } = await startedRun(tmp.path, path.join(tmp.path, 'report'));
    expect(pids.every(running)).toBe(true);
    process.kill(cli.pid, 'SIGKILL');
    expect((await cli.ended).signal).toBe('SIGKILL');
    // The supervisors see their pipe close and kill each server's process group.
    expect(await eventually(() => pids.every((pid) => !running(pid)), 5000), `still running: ${pids}`).toBe(true);
    for (const port of ports) expect(listenerPids(port), `port ${port}`).toEqual([]);
    // A killed process cannot clean up: its directory (named with its PID) is there until the next start.
    const left = readdirSync(tmp.path).filter((n) => n.startsWith(`mtls-harness-${cli.pid}-`));
    expect(left).toHaveLength(1);
    const next = await runCli(['list', '--suite', 'sanity::*'], { env: { TMPDIR: tmp.path } });
    expect(next.status, next.stderr).toBe(0);
    expect(leftovers(tmp.path)).toEqual([]);
  });
});
