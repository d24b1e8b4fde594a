import type { LoadResult } from '../core/load-result.js';

/**
 * The load results.json contract: the {@link LoadResult} as indented JSON with a final newline, described by
 * `schemas/load-results.schema.json`. It carries the encoded HDR histograms, so `mtls-harness merge` can add runs.
 */
export function formatLoadJson(result: LoadResult): string {
  return JSON.stringify(result, null, 2) + '\n';
}
