import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { HarnessError } from '../core/errors.js';
import { packageRoot } from '../core/package-root.js';
import type { TlsVersion } from '../core/scenario.js';

/** One known deviation: scenario-id glob → skip (cannot express) or xfail (known bug), with the reason observed. */
export interface DeviationEntry {
  readonly pattern: string;
  readonly status: 'skip' | 'xfail';
  readonly reason: string;
  readonly tls?: TlsVersion;
}

/** The file format of `targets/expectations/<target>.json`. */
export interface ExpectationFile {
  readonly target: string;
  readonly deviations: readonly DeviationEntry[];
}

/** Path of a target's shipped expectation file. */
export function expectationPath(target: string): string {
  return path.join(packageRoot(), 'targets', 'expectations', `${target}.json`);
}

/** Reads and checks an expectation file; a missing shipped file means "no known deviations". */
export function loadExpectations(target: string, file?: string): DeviationEntry[] {
  const p = file ?? expectationPath(target);
  if (!file && !existsSync(p)) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(p, 'utf8'));
  } catch (cause) {
    throw new HarnessError('MTLS_ERR_FILE_MISSING', `cannot read expectations file '${p}'`, { cause });
  }
  const f = parsed as Partial<ExpectationFile>;
  if (!Array.isArray(f.deviations))
    throw new HarnessError('MTLS_ERR_USAGE', `expectations file '${p}' has no 'deviations' array`);
  f.deviations.forEach((d, i) => {
    if (
      typeof d.pattern !== 'string' ||
      !['skip', 'xfail'].includes(d.status) ||
      typeof d.reason !== 'string' ||
      !d.reason
    ) {
      throw new HarnessError(
        'MTLS_ERR_USAGE',
        `expectations file '${p}': deviation ${i} needs pattern, status skip|xfail and a reason`,
      );
    }
  });
  return [...f.deviations];
}
