import { readFileSync } from 'node:fs';
import path from 'node:path';
import { HarnessError } from '../core/errors.js';
import { packageRoot } from '../core/package-root.js';
import type { TlsVersion } from '../core/scenario.js';
import { PROCESS_TARGET_NAMES } from './process/adapter.js';

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

/**
 * The targets whose expectation file ships in the package (`targets/expectations/<name>.json`): the built-in server
 * and every process adapter (a container form uses its adapter's file).
 */
export const SHIPPED_EXPECTATIONS: readonly string[] = ['builtin', ...PROCESS_TARGET_NAMES];

/** Path of a target's shipped expectation file. */
export function expectationPath(target: string): string {
  return path.join(packageRoot(), 'targets', 'expectations', `${target}.json`);
}

/**
 * Reads and checks a target's known deviations: from `file` when given (`--expectations FILE`), else from the
 * target's shipped file. A target with no shipped file (an external `HOST:PORT` server) has no known deviations.
 *
 * @throws HarnessError MTLS_ERR_FILE_MISSING when `file` cannot be read, or when the shipped file of a target in
 *   {@link SHIPPED_EXPECTATIONS} is missing from the installed package; MTLS_ERR_USAGE when the content is not an
 *   expectation file.
 */
export function loadExpectations(target: string, file?: string): DeviationEntry[] {
  const shipped = file === undefined && SHIPPED_EXPECTATIONS.includes(target);
  if (file === undefined && !shipped) return [];
  const p = file ?? expectationPath(target);
  let text: string;
  try {
    text = readFileSync(p, 'utf8');
  } catch (cause) {
    // NOTE: a shipped file that is missing is a packaging bug, not "no known deviations": treating it as empty turned
    // every known deviation of the target into a failure and the run into NOT CONFORMANT (issue 11).
    const why = shipped
      ? `the expectations file of target '${target}' is missing from the installed package ('${p}'): reinstall mtls-harness, or pass --expectations FILE`
      : `cannot read expectations file '${p}' (${(cause as NodeJS.ErrnoException).code ?? 'unreadable'})`;
    throw new HarnessError('MTLS_ERR_FILE_MISSING', why, { cause });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new HarnessError('MTLS_ERR_USAGE', `expectations file '${p}' is not JSON`, { cause });
  }
  const f = (parsed ?? {}) as Partial<ExpectationFile>;
  if (!Array.isArray(f.deviations))
    throw new HarnessError('MTLS_ERR_USAGE', `expectations file '${p}' has no 'deviations' array`);
  f.deviations.forEach((d, i) => {
    if (
      typeof d !== 'object' ||
      d === null ||
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
