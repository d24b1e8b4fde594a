import type { RunResult } from '../core/result.js';

/**
 * The results.json contract: the {@link RunResult} as indented JSON with a final newline. Its shape is described by
 * `schemas/results.schema.json` (draft 2020-12) and versioned by `schemaVersion`.
 */
export function formatJson(run: RunResult): string {
  return JSON.stringify(run, null, 2) + '\n';
}
