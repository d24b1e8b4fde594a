import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { median, row } from './util.js';

/**
 * The default run (every scenario × TLS 1.2 and 1.3, both policies, against the built-in server, fixtures included),
 * as a user runs it, next to the bare cost of starting the CLI (`mtls-harness version`) as the reference.
 */
export async function benchRun(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mtls-bench-run-'));
  const cli = path.resolve(import.meta.dirname, '../dist/cli/main.js');
  try {
    const time = (args: string[]) => {
      const t = performance.now();
      const r = spawnSync(process.execPath, [cli, ...args], { cwd: dir, encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`mtls-harness ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
      return { ms: performance.now() - t, out: r.stdout };
    };
    const runs = [1, 2, 3].map(() => time(['run', '--quiet', '--format', 'json', '--out', path.join(dir, 'rep')]));
    const startup = [1, 2, 3].map(() => time(['version']).ms);
    const json = JSON.parse(readFileSync(path.join(dir, 'rep', 'results.json'), 'utf8')) as {
      results: { observations: unknown[] }[];
      controls: unknown[];
    };
    const probes = json.results.reduce((n, r) => n + r.observations.length, 0) + json.controls.length;
    const wall = median(runs.map((r) => r.ms));
    console.log('run: default catalogue against the built-in server (node dist/cli/main.js run)');
    row(
      `wall time, median of 3 (${json.results.length} results, both clients: ${probes} probes of which ` +
        `${json.controls.length} controls; fixtures generated each time)`,
      `${(wall / 1000).toFixed(2)} s`,
    );
    row('reference: CLI start-up alone (mtls-harness version)', `${median(startup).toFixed(0)} ms`);
    row('ratio (run / start-up)', (wall / median(startup)).toFixed(1));
    row('aim: under 10 s on 2 cores', wall < 10_000 ? 'met' : 'NOT met');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
