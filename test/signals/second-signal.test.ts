import path from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import type { Availability } from '../../targets/process/index.js';
import { availability, ON_CI } from '../targets/harness.js';
import { eventually, leftovers, listenerPids, privateTmp, running, stackLines, startCli } from './helpers.js';

// Issue 10: a second Ctrl-C while stopping printed a stack trace. It exits at once, with what was already written,
// and still takes down every server and temporary file.

let nginx: Availability = { available: false, reason: 'not probed' };
beforeAll(async () => {
  nginx = await availability('nginx');
});

it('a second SIGINT while the stop waits for stalled handshakes: exit 130 at once, no stack, nothing left', async (ctx) => {
  if (!nginx.available && !ON_CI) ctx.skip();
  using tmp = privateTmp();
  const cli = startCli(
    [
      'load',
      '--target',
      'nginx',
      '--connections',
      '4',
      '--workers',
      '1',
      '--duration',
      '120',
      '--live',
      '--timeout',
      '60000',
      '--out',
      path.join(tmp.path, 'load'),
    ],
    { env: { TMPDIR: tmp.path } },
  );
  const port = Number((await cli.waitFor(/nginx 127\.0\.0\.1:(\d+) /))[1]);
  // The live line goes to stderr (issue 14), forced by --live when stderr is not a terminal.
  await cli.waitFor(/^ +\d+\/120 s +[1-9]\d* hs\/s/m, { from: 'stderr' });
  const pids = listenerPids(port);
  // Freeze the server: the handshakes in flight now hang, so a graceful stop would wait up to --timeout (60 s).
  for (const pid of pids) process.kill(pid, 'SIGSTOP');
  cli.signalGroup('SIGINT');
  await cli.waitFor(/SIGINT received: stopping/, { from: 'stderr' });
  const t0 = Date.now();
  cli.signalGroup('SIGINT');
  const ended = await cli.ended;
  // NOTE: the bound is the claim: at once, not after the 60 s the stalled handshakes would take.
  expect(Date.now() - t0).toBeLessThan(10_000);
  expect(ended.code, cli.stderr()).toBe(130);
  expect(stackLines(cli.stderr())).toEqual([]);
  expect(cli.stderr()).toMatch(/SIGINT again while stopping: exiting now \(status 130\)/);
  // The exit hooks killed the (stopped) server group and removed the temporary directory.
  expect(await eventually(() => pids.every((pid) => !running(pid)), 5000)).toBe(true);
  expect(listenerPids(port)).toEqual([]);
  expect(leftovers(tmp.path)).toEqual([]);
});
