import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { MatrixJson } from '../../reports/matrix.js';
import type { Availability } from '../../targets/process/index.js';
import { availability, ON_CI } from '../targets/harness.js';
import { leftovers, listenerPids, portsIn, privateTmp, refused, running, stackLines, startCli } from './helpers.js';

// Issue 10: an interrupted matrix wrote a report that blamed the target it was running ("broke during the run").

const SERVERS = ['nginx', 'haproxy', 'openssl-s-server'] as const;
const probes: Record<string, Availability> = {};
beforeAll(async () => {
  for (const s of SERVERS) probes[s] = await availability(s);
});

describe('matrix over three servers, interrupted', () => {
  it.for([
    ['SIGINT', 130, 'group'],
    ['SIGTERM', 143, 'pid'],
  ] as const)(
    '%s: exit %i, every target interrupted (none blamed), the matrix written, nothing left',
    async ([signal, status, to], ctx) => {
      if (SERVERS.some((s) => !probes[s]!.available) && !ON_CI) ctx.skip();
      using tmp = privateTmp();
      const out = path.join(tmp.path, 'matrix');
      const cli = startCli(['matrix', '--targets', SERVERS.join(','), '--timeout', '4000', '--out', out], {
        env: { TMPDIR: tmp.path },
      });
      // The first target is started (its ports printed) and its run under way.
      const ports = portsIn((await cli.waitFor(/^nginx: started (.*)$/m))[1]!);
      const pids = ports.flatMap(listenerPids);
      expect(pids.length).toBeGreaterThanOrEqual(2);
      if (to === 'group') cli.signalGroup(signal);
      else process.kill(cli.pid, signal);
      const ended = await cli.ended;

      expect(ended.code, cli.stderr()).toBe(status);
      expect(stackLines(cli.stderr())).toEqual([]);
      expect(cli.stderr()).toMatch(new RegExp(`INTERRUPTED by ${signal}: 0 of 3 target\\(s\\) finished`));
      const matrix = JSON.parse(readFileSync(path.join(out, 'matrix.json'), 'utf8')) as MatrixJson;
      expect(matrix.conformant).toBe(false);
      expect(matrix.targets.map((t) => [t.name, t.status])).toEqual(SERVERS.map((s) => [s, 'interrupted']));
      // The targets never reached are not run, by the interruption, not by a fault of theirs.
      for (const t of matrix.targets.slice(1))
        expect(t.reason).toBe(`not run: the matrix was interrupted by ${signal}`);
      // No cell blames a target: no failure, no error, no unexpected pass.
      const blamed = matrix.rows.flatMap((r) =>
        Object.entries(r.cells)
          .filter(([, c]) => c && ['fail', 'error', 'xpass'].includes(c.verdict))
          .map(([t, c]) => `${t} ${r.id} ${r.tls}: ${c!.reason}`),
      );
      expect(blamed).toEqual([]);
      const md = readFileSync(path.join(out, 'matrix.md'), 'utf8');
      expect(md).not.toMatch(/NOT CONFORMANT|ERROR/);
      for (const pid of pids) expect(running(pid), `pid ${pid}`).toBe(false);
      for (const port of ports) expect(await refused(port), `port ${port}`).toBe(true);
      expect(leftovers(tmp.path)).toEqual([]);
    },
  );
});
