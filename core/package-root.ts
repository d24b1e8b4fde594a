import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { HarnessError } from './errors.js';

/** The `name` in our package.json: the directory whose package.json carries it is the package root. */
export const PACKAGE_NAME = 'mtls-harness';

let root: string | undefined;

function isOurPackageJson(file: string): boolean {
  if (!existsSync(file)) return false;
  try {
    return (JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown }).name === PACKAGE_NAME;
  } catch {
    return false;
  }
}

/**
 * The directory holding our package.json, whether running from source (tsx: `<root>/core/`), from a build
 * (`<root>/dist/core/`) or from an installed package (`node_modules/mtls-harness/dist/core/`). The files the commands
 * read at run time (`schemas/`, `targets/expectations/`, `scripts/`) are resolved against it, so they ship in the
 * package next to `dist/` (package.json `files`).
 *
 * NOTE: the walk stops at the package.json *named* mtls-harness, not at the first package.json: a package.json placed
 * in `dist/` (e.g. `{"type":"module"}`) would otherwise become the root and every shipped file would look missing.
 *
 * @throws HarnessError MTLS_ERR_INTERNAL when no such package.json is above this module (a broken install or bundle).
 */
export function packageRoot(): string {
  if (root) return root;
  const start = path.dirname(fileURLToPath(import.meta.url));
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (isOurPackageJson(path.join(dir, 'package.json'))) {
      root = dir;
      return dir;
    }
    if (path.dirname(dir) === dir) break;
  }
  throw new HarnessError(
    'MTLS_ERR_INTERNAL',
    `no package.json named '${PACKAGE_NAME}' above '${start}': the package is incomplete (reinstall mtls-harness)`,
  );
}
