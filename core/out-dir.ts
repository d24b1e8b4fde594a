import { mkdtempSync, rmdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { HarnessError } from './errors.js';

/** Where an output directory stands before anything is written. */
export interface OutDirCheck {
  /** The directory, absolute. */
  readonly dir: string;
  /** True when it already exists. */
  readonly exists: boolean;
  /** The nearest existing directory at or above it: where it would be created. */
  readonly base: string;
}

/**
 * Checks, before any work, that `dir` can be an output directory: an existing directory we can write into, or a
 * path whose nearest existing ancestor is such a directory. Nothing outlives the call: writability is proven by
 * making and removing an empty probe directory (NOTE: a permission check alone says yes to root on a read-only or
 * pseudo file system such as /proc).
 *
 * @param flag The flag that named it, for the message (e.g. `--out`).
 * @throws HarnessError MTLS_ERR_OUT_UNWRITABLE naming the flag and the path.
 */
export function checkOutDir(dir: string, flag: string): OutDirCheck {
  if (dir === '') throw new HarnessError('MTLS_ERR_OUT_UNWRITABLE', `${flag} is empty: name a directory`);
  const abs = path.resolve(dir);
  let base = abs;
  for (;;) {
    let isDir: boolean | undefined;
    try {
      isDir = statSync(base).isDirectory();
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR')
        throw new HarnessError('MTLS_ERR_OUT_UNWRITABLE', `${flag} '${dir}': cannot look at '${base}' (${code})`, {
          cause: err,
        });
    }
    if (isDir === true) break;
    if (isDir === false) {
      throw new HarnessError(
        'MTLS_ERR_OUT_UNWRITABLE',
        base === abs
          ? `${flag} '${dir}' is a file, not a directory`
          : `${flag} '${dir}': '${base}' is a file, so no directory can be made under it`,
      );
    }
    const parent = path.dirname(base);
    if (parent === base) break;
    base = parent;
  }
  try {
    rmdirSync(mkdtempSync(path.join(base, '.mtls-harness-probe-')));
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code ?? 'error';
    throw new HarnessError(
      'MTLS_ERR_OUT_UNWRITABLE',
      base === abs
        ? `${flag} '${dir}' is not writable (${code})`
        : `${flag} '${dir}' cannot be created: '${base}' is not writable (${code})`,
      { cause },
    );
  }
  return { dir: abs, exists: base === abs, base };
}
