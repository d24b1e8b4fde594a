import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { LoadResult } from '../../core/load-result.js';
import { decodeHistogram } from '../../load/histogram.js';
import type { Availability } from '../../targets/process/index.js';
import { runCli } from '../helpers/cli.js';
import { availability, ON_CI } from '../targets/harness.js';
import { leftovers, listenerPids, privateTmp, refused, running, stackLines, startCli } from './helpers.js';

// Issue 10: a real Ctrl-C (SIGINT to the process group) on `load` with process workers ended in
// "MTLS_ERR_INTERNAL: load worker 0: worker process exited with SIGINT" and no report; SIGTERM exited 0 with PASS;
// the target was killed before the generator stopped; `--rate` above capacity ignored --duration and the first Ctrl-C.

let nginx: Availability = { available: false, reason: 'not probed' };
beforeAll(async () => {
  nginx = await availability('nginx');
});

const read = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as LoadResult;
const CASES = [
  ['SIGINT', 130, 'group'],
  ['SIGTERM', 143, 'pid'],
  ['SIGHUP', 129, 'group'],
] as const;

describe('load --target nginx, interrupted', () => {
  for (const kind of ['thread', 'process'] as const) {
    it.for(CASES)(
      `${kind} workers, %s: exit %i, the report of what was measured, no error from the stop, nothing left`,
      async ([signal, status, to], ctx) => {
        if (!nginx.available && !ON_CI) ctx.skip();
        using tmp = privateTmp();
        const out = path.join(tmp.path, 'load');
        const cli = startCli(
          [
            'load',
            '--target',
            'nginx',
            '--workers',
            '2',
            '--worker-kind',
            kind,
            '--connections',
            '4',
            '--duration',
            '120',
            '--live',
            '--out',
            out,
            '--format',
            'console,json',
          ],
          { env: { TMPDIR: tmp.path } },
        );
        const port = Number((await cli.waitFor(/nginx 127\.0\.0\.1:(\d+) /))[1]);
        // Measuring: a live line with accepted handshakes.
        // The live line goes to stderr (issue 14), forced by --live when stderr is not a terminal.
        await cli.waitFor(/^ +\d+\/120 s +[1-9]\d* hs\/s/m, { from: 'stderr' });
        const pids = listenerPids(port);
        expect(pids.length).toBeGreaterThanOrEqual(2);
        if (to === 'group') cli.signalGroup(signal);
        else process.kill(cli.pid, signal);
        const ended = await cli.ended;

        expect(ended.code, cli.stderr()).toBe(status);
        expect(cli.stderr()).not.toMatch(/MTLS_ERR_INTERNAL/);
        expect(stackLines(cli.stderr())).toEqual([]);
        expect(cli.stdout()).toMatch(new RegExp(`INTERRUPTED by ${signal}: no verdict`));
        expect(cli.stdout()).not.toMatch(/^ +PASS$/m);
        const result = read(path.join(out, 'results.json'));
        expect(result.interrupted).toBe(true);
        expect(result.signal).toBe(signal);
        expect(result.passed).toBe(false);
        expect(result.config.workerKind).toBe(kind);
        expect(result.handshakes.succeeded).toBeGreaterThan(0);
        // The generator stopped before the server: not one handshake refused or failed because of the stop.
        expect(result.errors).toEqual({});
        expect(result.rejections).toEqual({});
        expect(result.handshakes.attempted).toBe(result.handshakes.succeeded);
        for (const pid of pids) expect(running(pid), `pid ${pid}`).toBe(false);
        expect(await refused(port)).toBe(true);
        expect(leftovers(tmp.path)).toEqual([]);
      },
    );
  }
});

describe('load --rate above what the server can do', () => {
  it('stops at --duration: arrivals the --connections cap could not issue are dropped and counted', async () => {
    using tmp = privateTmp();
    const out = path.join(tmp.path, 'rate');
    const t0 = Date.now();
    // 1 000 000 arrivals/s for 2 s against the built-in server, at most 2 handshakes in flight.
    const r = await runCli(
      [
        'load',
        '--rate',
        '1000000',
        '--duration',
        '2',
        '--connections',
        '2',
        '--workers',
        '1',
        '--out',
        out,
        '--format',
        'console,json',
      ],
      { env: { TMPDIR: tmp.path }, timeoutMs: 60_000 },
    );
    // NOTE: the bound is the claim: 2 s of load, the in-flight handshakes (within --timeout), the reports.
    expect(Date.now() - t0).toBeLessThan(30_000);
    expect(r.status, r.stderr).toBe(1);
    const result = read(path.join(out, 'results.json'));
    // Every arrival of the 2 s is accounted for, once: issued or dropped (2 s × 1 000 000/s).
    expect(result.handshakes.attempted + result.dropped).toBe(2_000_000);
    expect(result.dropped).toBeGreaterThan(1_900_000);
    expect(result.counters.dropped).toBe(result.dropped);
    // A dropped arrival's wait counts in the latency (coordinated omission): the histogram holds every arrival.
    expect(decodeHistogram(result.histograms.handshake).totalCount).toBe(2_000_000);
    expect(result.latencyMs.max).toBeGreaterThan(1000);
    expect(result.passed).toBe(false);
    expect(result.failures.join('\n')).toMatch(/\d+ dropped \(never issued: 2 in flight at --rate 1000000/);
    expect(r.stdout).toMatch(new RegExp(`dropped +${result.dropped} arrivals never issued`));
    expect(leftovers(tmp.path)).toEqual([]);
  });

  it.for(CASES)('%s stops it at once (exit %i) and writes the report', async ([signal, status, to]) => {
    using tmp = privateTmp();
    const out = path.join(tmp.path, 'rate');
    const cli = startCli(
      [
        'load',
        '--rate',
        '1000000',
        '--duration',
        '120',
        '--connections',
        '2',
        '--workers',
        '1',
        '--live',
        '--out',
        out,
      ],
      { env: { TMPDIR: tmp.path } },
    );
    // Measuring, with a backlog: the arrivals waiting for one of the 2 slots are dropped by the stop.
    // The live line goes to stderr (issue 14), forced by --live when stderr is not a terminal.
    await cli.waitFor(/^ +\d+\/120 s +[1-9]\d* hs\/s/m, { from: 'stderr' });
    if (to === 'group') cli.signalGroup(signal);
    else process.kill(cli.pid, signal);
    const ended = await cli.ended;
    expect(ended.code, cli.stderr()).toBe(status);
    expect(stackLines(cli.stderr())).toEqual([]);
    const result = read(path.join(out, 'results.json'));
    expect(result.interrupted).toBe(true);
    expect(result.signal).toBe(signal);
    expect(result.dropped).toBeGreaterThan(0);
    // Stopped by the signal, long before the 120 s asked for.
    expect(result.durationMs).toBeLessThan(60_000);
    expect(leftovers(tmp.path)).toEqual([]);
  });
});
