import { statSync } from 'node:fs';
import path from 'node:path';
import { HarnessError } from '../core/errors.js';
import type { LoadResult } from '../core/load-result.js';
import type { LoadRun } from '../load/run-load.js';
import { TimelineFile, timelineLine } from '../load/timeline.js';
import { formatLoadTick } from '../reports/load-index.js';

/**
 * Checks `--timeline FILE` before any work: its directory exists, and FILE is not a directory. Throws MTLS_ERR_USAGE
 * naming the flag.
 */
export function timelineFlag(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const bad = (why: string) => new HarnessError('MTLS_ERR_USAGE', `bad --timeline '${value}': ${why}`);
  const dir = path.dirname(path.resolve(value));
  let dirStat;
  try {
    dirStat = statSync(dir);
  } catch {
    throw bad(`its directory ${dir} does not exist`);
  }
  if (!dirStat.isDirectory()) throw bad(`${dir} is not a directory`);
  let stat;
  try {
    stat = statSync(value);
  } catch {
    return value;
  }
  if (!stat.isFile()) throw bad('it exists and is not a regular file');
  return value;
}

/** How `load` shows a run while it goes on, and where it streams its seconds. */
export interface LiveOptions {
  /** The live line: on (a terminal on stderr, `--live`, `--verbose`) or off (`--quiet`, a log without `--live`). */
  readonly live: boolean;
  /** Rewrite the live line in place (a terminal, not `--verbose`) rather than a line per second. */
  readonly rewrite: boolean;
  readonly color: boolean;
  readonly http: boolean;
  readonly scenario: boolean;
  /** `--timeline FILE`. */
  readonly timeline: string | undefined;
}

/**
 * Wires a run to the live line (on stderr: standard output carries only the report, or the result JSON with
 * `--json`) and to the `--timeline` NDJSON stream. `finish` writes the stream's final state and ends the live line;
 * `close` ends both when the run failed.
 */
export function attachLive(run: LoadRun, o: LiveOptions): { finish(result: LoadResult): void; close(): void } {
  let pending = false;
  const endLine = () => {
    if (pending) process.stderr.write('\n');
    pending = false;
  };
  if (o.live) {
    run.on('tick', (t) => {
      const line = formatLoadTick(t, { color: o.color, http: o.http, scenario: o.scenario });
      if (o.rewrite) {
        process.stderr.write(`\r\u001b[K${line}`);
        pending = true;
      } else process.stderr.write(`${line}\n`);
    });
  }
  // NOTE: the file is made when the measured phase starts: a run refused before (a sanity probe) leaves none.
  let file: TimelineFile | undefined;
  if (o.timeline) {
    const name = o.timeline;
    run.once('start', () => (file = TimelineFile.open(name)));
    run.on('second', (p) => file?.append(timelineLine(p, o.http)));
  }
  return {
    finish(result) {
      endLine();
      file?.finish(
        result.timeline.map((p) => timelineLine(p, o.http)),
        {
          passed: result.passed,
          interrupted: result.interrupted,
          durationMs: result.durationMs,
          ...(result.knee ? { knee: result.knee } : {}),
        },
      );
    },
    close() {
      endLine();
      file?.close();
    },
  };
}
