import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  fsyncSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  renameSync,
  rmdirSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * Creates `dir` and its missing parents with `mode` (default 0755; the umask can only narrow it, so a umask of 000
 * never makes a world-writable directory). NOTE: Node 20's `mkdirSync(..., { recursive: true })` spins forever on
 * some pseudo file systems (e.g. a path under /proc), so parents are created one at a time here.
 */
export function ensureDir(dir: string, mode = 0o755): void {
  const missing: string[] = [];
  let current = path.resolve(dir);
  for (;;) {
    try {
      if (statSync(current).isDirectory()) break;
      throw Object.assign(new Error(`'${current}' exists and is not a directory`), { code: 'ENOTDIR' });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    missing.push(current);
    const parent = path.dirname(current);
    if (parent === current) break;
    current = parent;
  }
  for (const d of missing.reverse()) mkdirSync(d, { mode });
}

/**
 * Creates a directory that holds private keys: mode 0700 whatever the umask (chmod after mkdir), parents as
 * {@link ensureDir}. An existing directory keeps its mode: it is the caller's.
 */
export function ensurePrivateDir(dir: string): void {
  const existed = isDir(dir);
  ensureDir(dir, 0o700);
  if (!existed) chmodSync(dir, 0o700);
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** A temporary name next to `file` (same directory, so a rename is atomic), obviously ours and of this process. */
function tempNameFor(file: string): string {
  return path.join(
    path.dirname(file),
    `.${path.basename(file)}.mtls-harness-${process.pid}-${randomBytes(4).toString('hex')}.tmp`,
  );
}

/** Writes `data` to a new file with `mode` (chmod after open: the umask cannot change it) and flushes it to disk. */
function writeNew(file: string, data: string | Uint8Array, mode: number): void {
  const fd = openSync(file, 'wx', mode);
  try {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    let off = 0;
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
    // NOTE: flushed before the rename, so a crash never leaves the final name pointing at a short file.
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  chmodSync(file, mode);
}

/**
 * Writes a file atomically: the bytes go to a temporary name in the same directory, are flushed, then renamed over
 * `file`. A reader (or an interruption, or a full disk) sees the old file or the new one, never a mix or a short file;
 * on failure the temporary file is removed and the error rethrown.
 */
export function writeFileAtomic(file: string, data: string | Uint8Array, mode = 0o644): void {
  const temp = tempNameFor(file);
  try {
    writeNew(temp, data, mode);
    renameSync(temp, file);
  } catch (err) {
    rmSync(temp, { force: true });
    throw err;
  }
}

/**
 * Writes several files of one report atomically as a set: every file is first written in full under a temporary name;
 * only when all are written are they renamed into place. If any write fails (a full disk), every temporary file is
 * removed and the error rethrown: no file of the set is replaced, none is left short.
 */
export function writeFilesAtomic(files: readonly { path: string; data: string | Uint8Array; mode?: number }[]): void {
  const staged: { temp: string; file: string }[] = [];
  try {
    for (const f of files) {
      const temp = tempNameFor(f.path);
      staged.push({ temp, file: f.path });
      writeNew(temp, f.data, f.mode ?? 0o644);
    }
  } catch (err) {
    for (const s of staged) rmSync(s.temp, { force: true });
    throw err;
  }
  for (const s of staged) renameSync(s.temp, s.file);
}

/** Paths removed when the process exits (normally, by an error, or through process.exit after a second signal). */
const removeAtExit = new Set<string>();
let exitHooked = false;

/**
 * Removes `p` (recursively) when the process exits, unless {@link keepAtExit} is called first. NOTE: 'exit' handlers
 * run for a normal end and for process.exit() (the CLI's signal path), not after SIGKILL: {@link sweepStaleTempDirs}
 * removes those leftovers on the next start.
 */
export function removeAtProcessExit(p: string): void {
  removeAtExit.add(p);
  if (exitHooked) return;
  exitHooked = true;
  process.on('exit', () => {
    for (const q of removeAtExit) rmSync(q, { recursive: true, force: true });
    removeAtExit.clear();
  });
}

/** Forgets a path registered with {@link removeAtProcessExit} (it was removed, or renamed into place). */
export function keepAtExit(p: string): void {
  removeAtExit.delete(p);
}

/**
 * Prefix of every temporary directory of the harness: `mtls-harness-<pid>-<host>-XXXXXX` under the system temp dir.
 * The PID and host name say whose it is, so a later run can remove the leftovers of a killed one.
 */
export const TEMP_ROOT_PREFIX = 'mtls-harness-';
const TEMP_ROOT_PATTERN = /^mtls-harness-(\d+)-(.+)-[A-Za-z0-9]{6}$/;

const hostTag = (): string => os.hostname().replace(/[^A-Za-z0-9.]/g, '_') || 'host';

let tempRoot: string | undefined;

/**
 * This process's one temporary directory, created on first use in `os.tmpdir()` and removed at exit: generated
 * fixtures, the configuration and PKI copies of the servers the harness starts, issued identities — every temporary
 * key lives under it. Mode 0711: servers started as root drop their workers to `nobody`, which must traverse it to
 * reach its own directory (never list it); each directory in it that holds keys is 0700.
 */
export function harnessTempRoot(): string {
  if (tempRoot && isDir(tempRoot)) return tempRoot;
  tempRoot = mkdtempSync(path.join(os.tmpdir(), `${TEMP_ROOT_PREFIX}${process.pid}-${hostTag()}-`));
  chmodSync(tempRoot, 0o711);
  removeAtProcessExit(tempRoot);
  return tempRoot;
}

/**
 * A new directory inside {@link harnessTempRoot}, `<prefix>XXXXXX`, with `mode` (default 0700: it may hold keys)
 * whatever the umask. Its owner removes it when done; whatever is left goes with the root at exit.
 */
export function makeTempDir(prefix: string, mode = 0o700): string {
  const dir = mkdtempSync(path.join(harnessTempRoot(), prefix));
  chmodSync(dir, mode);
  return dir;
}

/**
 * Removes a directory made by {@link makeTempDir} (or any path), and the process's temporary directory with it once
 * that is empty: a process that cleans up after itself leaves nothing behind even when its 'exit' hooks never run
 * (a test runner's worker killed at the end).
 */
export function removeTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  if (!tempRoot || path.dirname(dir) !== tempRoot) return;
  try {
    rmdirSync(tempRoot);
  } catch {
    return; // not empty: something else of this process still lives in it
  }
  keepAtExit(tempRoot);
  tempRoot = undefined;
}

/** True while a process with this PID exists (EPERM: it exists, but is another user's). */
function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the temporary directories of harness processes of this host that no longer exist (a run killed with
 * SIGKILL cannot remove its own), and returns their paths. A directory of a live process, of another host (a /tmp
 * shared between containers) or not named by {@link harnessTempRoot} is left alone.
 */
export function sweepStaleTempDirs(tmp = os.tmpdir()): string[] {
  const removed: string[] = [];
  let names: string[];
  try {
    names = readdirSync(tmp);
  } catch {
    return removed;
  }
  const host = hostTag();
  for (const name of names) {
    const m = TEMP_ROOT_PATTERN.exec(name);
    if (!m || m[2] !== host) continue;
    const pid = Number(m[1]);
    if (pid === process.pid || pidAlive(pid)) continue;
    const p = path.join(tmp, name);
    try {
      rmSync(p, { recursive: true, force: true });
      removed.push(p);
    } catch {
      // another user's, or busy: not ours to force
    }
  }
  return removed;
}

/**
 * A staging directory next to `dir`'s contents (`<dir>/.mtls-harness-<kind>-<pid>-XXXXXX`, 0700), on the same file
 * system so its entries can be renamed into `dir`; removed at exit unless kept.
 */
export function makeStagingDir(dir: string, kind: 'new' | 'old'): string {
  const staging = mkdtempSync(path.join(dir, `.mtls-harness-${kind}-${process.pid}-`));
  chmodSync(staging, 0o700);
  removeAtProcessExit(staging);
  return staging;
}

/** Removes `<dir>/.mtls-harness-{new,old}-<pid>-*` staging directories left by processes that no longer exist. */
export function sweepStaleStaging(dir: string): string[] {
  const removed: string[] = [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return removed;
  }
  for (const name of names) {
    const m = /^\.mtls-harness-(?:new|old)-(\d+)-[A-Za-z0-9]{6}$/.exec(name);
    if (!m || pidAlive(Number(m[1]))) continue;
    rmSync(path.join(dir, name), { recursive: true, force: true });
    removed.push(path.join(dir, name));
  }
  return removed;
}
