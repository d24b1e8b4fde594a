import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import { HarnessError } from '../../core/errors.js';
import { removeTempDir } from '../../core/fs.js';

/**
 * Live server processes we started, by PID. Each runs in its own process group (its PID is the group id), so a server
 * that forks workers (apache, nginx) is stopped as a whole, and only by the id we were given — never by name.
 */
const live = new Map<number, { readonly dir?: string }>();
let hooked = false;

/** Stops every live server at once (SIGKILL to its process group) and removes its temp dir: the last-resort path. */
function killAllNow(): void {
  for (const [pid, entry] of live) {
    signalGroup(pid, 'SIGKILL');
    if (entry.dir) rmSync(entry.dir, { recursive: true, force: true });
  }
  live.clear();
}

// NOTE: no SIGINT/SIGTERM handler here. The CLI owns the signals (cli/signals.ts) and stops the load generator and
// the runner before the servers; a library user that dies by a signal, or anyone killed by SIGKILL, is covered by the
// watchdog each server runs beside (see SUPERVISOR), which kills the server's group when our end of its pipe closes.
function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', killAllNow);
}

function unhookIfIdle(): void {
  if (live.size > 0 || !hooked) return;
  hooked = false;
  process.off('exit', killAllNow);
}

/**
 * The supervisor every server is started through: a POSIX shell that keeps the harness's pipe (its stdin) on fd 3,
 * starts a watcher in the background — in the same process group — and then execs the server, so the server keeps
 * the PID the harness knows and leads the group. The watcher blocks reading the pipe; the harness never writes to it,
 * so the read returns only when the harness's end closes: when the harness exits in any way, SIGKILL included (the
 * kernel closes its descriptors). The watcher then kills its own process group — the server, its workers and itself.
 * `kill 0` names the watcher's own group, which exists as long as the watcher does, so no other process can be hit
 * by a reused PID. The watcher ignores SIGTERM/SIGINT/SIGHUP so a graceful stop (SIGTERM to the group) leaves it
 * watching until the final SIGKILL of {@link ServerProcess.stop}.
 *
 * NOTE: Linux's PR_SET_PDEATHSIG is not reachable from Node, and a Node watchdog per server would cost ~40 MB each;
 * dash costs a few hundred KB. Background jobs of a non-interactive shell get /dev/null as stdin, hence fd 3.
 */
export const SUPERVISOR = [
  'exec 3<&0 </dev/null',
  "{ trap '' TERM INT HUP; while read -r _ <&3; do :; done; kill -KILL 0; } >/dev/null 2>&1 &",
  'exec 3<&- "$@"',
].join('\n');

function signalGroup(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    try {
      process.kill(pid, signal);
      return true;
    } catch {
      return false;
    }
  }
}

/** True while a process with this PID exists (signal 0 probes without sending anything). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** PIDs of the server processes this process started and has not stopped yet. */
export function liveServerPids(): number[] {
  return [...live.keys()];
}

/**
 * A free TCP port on `host`: bind port 0, read the port, release it. Another process may take it before the server
 * binds it, so {@link startServerProcess} retries on "address in use".
 */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', (cause: NodeJS.ErrnoException) =>
      reject(new HarnessError('MTLS_ERR_PORT', `cannot bind a free port on ${host}: ${cause.code ?? cause.message}`)),
    );
    server.listen(0, host, () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

/**
 * True once something on host:port answers a TLS ClientHello with any TLS bytes (a ServerHello, or an alert: a
 * server that requires a client certificate may refuse our certificate-less probe, and that still proves it is up).
 */
export function answersTls(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const raw = net.connect({ host, port });
    let done = false;
    const finish = (ok: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      raw.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => finish(raw.bytesRead > 0), timeoutMs);
    const socket = tls.connect({ socket: raw, rejectUnauthorized: false, servername: 'localhost' });
    socket.on('secureConnect', () => finish(true));
    socket.on('error', () => finish(raw.bytesRead > 0));
    socket.on('close', () => finish(raw.bytesRead > 0));
    raw.on('error', () => finish(false));
  });
}

/** What to run and how to tell it is ready. */
export interface ProcessSpec {
  /** Adapter name, for messages. */
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd: string;
  /** Extra environment (merged over a minimal PATH/HOME/LANG environment). */
  readonly env?: Readonly<Record<string, string>>;
  readonly host: string;
  readonly port: number;
  /** Log files the server writes (absolute paths), appended to {@link ServerProcess.logs}. */
  readonly logFiles?: readonly string[];
  /** Removed when the process is stopped (also on Ctrl-C and on exit). */
  readonly tempDir?: string;
  /** How long to wait for a TLS answer (default 10 s). */
  readonly readyTimeoutMs?: number;
}

/** A started server process. */
export interface ServerProcess {
  readonly pid: number;
  /** Captured stdout/stderr (bounded) followed by the log files. */
  logs(): string;
  /** SIGTERM to its process group, SIGKILL after `graceMs` (default 3 s); removes the temp dir. Idempotent. */
  stop(graceMs?: number): Promise<void>;
  /** Whether the process has exited (by itself or after stop). */
  readonly exited: boolean;
  /**
   * How the server ended when it ended on its own, before {@link stop} was called (`exited with status 1`, `killed by
   * SIGKILL`); undefined while it runs and after a stop.
   */
  readonly died: string | undefined;
}

const MAX_CAPTURE = 256 * 1024;

/** The last `lines` lines of a text. */
export function tail(text: string, lines = 20): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/** Thrown internally when the server died because its port was taken between {@link freePort} and its bind. */
export class PortTakenError extends Error {}

/**
 * Starts a server in the foreground in its own process group, captures its output, and waits until it answers TLS
 * on host:port. On failure (exit, timeout) it is stopped and the error is MTLS_ERR_TARGET_START with the log tail;
 * a death by "address already in use" is a {@link PortTakenError} so the caller can retry on another port.
 */
export async function startServerProcess(spec: ProcessSpec): Promise<ServerProcess> {
  hookExit();
  let captured = '';
  const capture = (d: Buffer) => {
    captured += d.toString('utf8');
    if (captured.length > MAX_CAPTURE) captured = captured.slice(-MAX_CAPTURE);
  };
  let child: ChildProcess;
  try {
    // NOTE: detached: the server leads its own process group, out of the terminal's, so a Ctrl-C reaches the harness
    // alone and the harness stops the load generator and the runner before the servers.
    child = spawn('/bin/sh', ['-c', SUPERVISOR, 'mtls-harness-supervisor', spec.command, ...spec.args], {
      cwd: spec.cwd,
      env: {
        PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
        HOME: spec.cwd,
        LANG: 'C.UTF-8',
        ...spec.env,
      },
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
    });
  } catch (cause) {
    throw new HarnessError('MTLS_ERR_TARGET_START', `${spec.name}: cannot spawn ${spec.command}`, { cause });
  }
  const pid = child.pid;
  // Our end of the supervisor's pipe: never written, closed by the kernel when this process dies.
  child.stdin?.on('error', () => {});
  if (pid === undefined) {
    const err = await new Promise<Error>((resolve) => child.once('error', resolve));
    if (spec.tempDir) removeTempDir(spec.tempDir);
    unhookIfIdle();
    throw new HarnessError('MTLS_ERR_TARGET_START', `${spec.name}: cannot start ${spec.command}: ${err.message}`, {
      cause: err,
    });
  }
  live.set(pid, spec.tempDir ? { dir: spec.tempDir } : {});
  child.stdout?.on('data', capture);
  child.stderr?.on('data', capture);
  child.on('error', (err) => capture(Buffer.from(`\n[spawn error] ${err.message}\n`)));
  let exited = false;
  let exitInfo = '';
  let stopRequested = false;
  const exitPromise = new Promise<void>((resolve) => {
    child.on('exit', (code, signal) => {
      exited = true;
      exitInfo = signal ? `killed by ${signal}` : `exited with status ${code}`;
      resolve();
    });
  });

  let finalLogs: string | undefined;
  const logs = () => {
    if (finalLogs !== undefined) return finalLogs;
    let text = captured;
    for (const f of spec.logFiles ?? []) {
      if (!existsSync(f)) continue;
      try {
        const content = readFileSync(f, 'utf8');
        text += `\n== ${f.slice(spec.cwd.length + 1) || f}\n${content.slice(-MAX_CAPTURE)}`;
      } catch {
        // unreadable log: skip
      }
    }
    return text;
  };

  let stopping: Promise<void> | undefined;
  const stop = (graceMs = 3000): Promise<void> => {
    stopRequested = true;
    stopping ??= (async () => {
      if (!exited) {
        signalGroup(pid, 'SIGTERM');
        const timer = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), graceMs).unref());
        if ((await Promise.race([exitPromise.then(() => 'exited' as const), timer])) === 'timeout') {
          signalGroup(pid, 'SIGKILL');
          await exitPromise;
        }
      }
      // Workers of a forking server may outlive their parent for a moment, and the supervisor's watcher waits for
      // this: finish the group off, then let go of the pipe.
      signalGroup(pid, 'SIGKILL');
      child.stdin?.destroy();
      finalLogs = logs();
      live.delete(pid);
      if (spec.tempDir) removeTempDir(spec.tempDir);
      unhookIfIdle();
    })();
    return stopping;
  };

  const deadline = Date.now() + (spec.readyTimeoutMs ?? 10_000);
  while (!(await answersTls(spec.host, spec.port, 500))) {
    if (exited) {
      const text = logs();
      await stop();
      if (/address already in use|EADDRINUSE|cannot bind|could not bind|Address in use/i.test(text)) {
        throw new PortTakenError(`${spec.name}: port ${spec.port} was taken`);
      }
      throw new HarnessError(
        'MTLS_ERR_TARGET_START',
        `${spec.name} ${exitInfo} before answering TLS on ${spec.host}:${spec.port}; log tail:\n${tail(text)}`,
      );
    }
    if (Date.now() > deadline) {
      const text = logs();
      await stop();
      throw new HarnessError(
        'MTLS_ERR_TARGET_START',
        `${spec.name} did not answer TLS on ${spec.host}:${spec.port} within ${spec.readyTimeoutMs ?? 10_000} ms; log tail:\n${tail(text)}`,
      );
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    pid,
    logs,
    stop,
    get exited() {
      return exited;
    },
    get died() {
      return exited && !stopRequested ? exitInfo : undefined;
    },
  };
}
