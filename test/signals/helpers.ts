import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ROOT, TSX } from '../helpers/cli.js';

/** How a process ended. */
export interface Ended {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** A CLI process under test, in its own process group (as a shell runs a foreground job). */
export interface CliProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  stdout(): string;
  stderr(): string;
  /** Resolves with the first match of `pattern` in stdout (or stderr with `from: 'stderr'`); rejects if it ends first. */
  waitFor(pattern: RegExp, options?: { from?: 'stdout' | 'stderr'; timeoutMs?: number }): Promise<RegExpExecArray>;
  /** Resolves when the process has ended (`close`: its output is complete). */
  readonly ended: Promise<Ended>;
  /** Sends a signal to the process's group, as a terminal's Ctrl-C does (SIGINT to every process of the job). */
  signalGroup(signal: NodeJS.Signals): void;
}

/**
 * Starts `mtls-harness <args>` from source in its own process group (detached), with `env` over ours. Its stdout and
 * stderr are collected.
 */
export function startCli(args: readonly string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): CliProcess {
  const child = spawn(process.execPath, ['--import', TSX, path.join(ROOT, 'cli/main.ts'), ...args], {
    cwd: options.cwd ?? ROOT,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let out = '';
  let err = '';
  const listeners = new Set<() => void>();
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    for (const l of listeners) l();
  });
  child.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
    for (const l of listeners) l();
  });
  const ended = new Promise<Ended>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  return {
    child,
    pid: child.pid!,
    stdout: () => out,
    stderr: () => err,
    ended,
    signalGroup: (signal) => process.kill(-child.pid!, signal),
    waitFor(pattern, { from = 'stdout', timeoutMs = 60_000 } = {}) {
      return new Promise((resolve, reject) => {
        let done = false;
        const check = () => {
          const m = pattern.exec(from === 'stdout' ? out : err);
          if (m && !done) {
            done = true;
            listeners.delete(check);
            clearTimeout(timer);
            resolve(m);
          }
        };
        const timer = setTimeout(() => {
          done = true;
          listeners.delete(check);
          reject(new Error(`no ${pattern} within ${timeoutMs} ms:\n${out}\n${err}`));
        }, timeoutMs);
        listeners.add(check);
        void ended.then((e) => {
          if (done) return;
          done = true;
          clearTimeout(timer);
          reject(new Error(`ended (${e.code ?? e.signal}) before ${pattern}:\n${out}\n${err}`));
        });
        check();
      });
    },
  };
}

/**
 * A private TMPDIR for one CLI process, so a test can see every temporary file the harness made and check none is
 * left. Mode 0711, as /tmp is traversable: servers started as root drop their workers to `nobody`.
 */
export function privateTmp(): { path: string; [Symbol.dispose](): void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mtls-signals-'));
  chmodSync(dir, 0o711);
  return { path: dir, [Symbol.dispose]: () => rmSync(dir, { recursive: true, force: true }) };
}

/** What the harness left in a TMPDIR: its directories (`mtls-harness-*`) and every private key file under it. */
export function leftovers(tmp: string): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const p = path.join(dir, name);
      const st = statSync(p, { throwIfNoEntry: false });
      if (!st) continue;
      if (dir === tmp && name.startsWith('mtls-harness-')) found.push(p);
      if (st.isDirectory()) walk(p);
      else if (/key/.test(name) && /PRIVATE KEY/.test(readFileSync(p, 'utf8').slice(0, 4096))) found.push(p);
    }
  };
  walk(tmp);
  return found;
}

/** PIDs of the processes listening on a TCP port of 127.0.0.1, from `ss -ltnp` (the kernel's view). */
export function listenerPids(port: number): number[] {
  const out = execFileSync('ss', ['-Hltnp', `sport = :${port}`], { encoding: 'utf8' });
  return [...new Set([...out.matchAll(/pid=(\d+)/g)].map((m) => Number(m[1])))];
}

/** True while a process with this PID runs (exists and is not a zombie waiting to be reaped). */
export function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The state follows the command name in parentheses (which may itself hold spaces or parentheses).
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** True when nothing accepts a TCP connection on 127.0.0.1:port. */
export function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.on('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.on('error', () => resolve(true));
  });
}

/**
 * Polls `state` every 50 ms until it holds, for at most `boundMs`; returns whether it held. A wait for a state with a
 * bound (the bound is the claim being tested), never a fixed delay.
 */
export async function eventually(state: () => boolean | Promise<boolean>, boundMs: number): Promise<boolean> {
  const deadline = Date.now() + boundMs;
  for (;;) {
    if (await state()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The ports in a `… against nginx 127.0.0.1:PORT (require), nginx 127.0.0.1:PORT (optional)` line. */
export function portsIn(line: string): number[] {
  return [...line.matchAll(/127\.0\.0\.1:(\d+)/g)].map((m) => Number(m[1]));
}

/** Lines of stderr that look like a stack trace. */
export function stackLines(stderr: string): string[] {
  return stderr.split('\n').filter((l) => /^\s+at /.test(l));
}

/** True when the file exists. */
export const exists = (p: string): boolean => existsSync(p);
