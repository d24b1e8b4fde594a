import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import { HarnessError } from '../../core/errors.js';

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

function onSignal(signal: NodeJS.Signals): void {
  killAllNow();
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  hooked = false;
  // NOTE: with our handler gone and no other listener, re-raising gives the default action (terminate by signal),
  // as if we had never listened. A command with its own handler (e.g. `serve`) keeps control instead.
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', killAllNow);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

function unhookIfIdle(): void {
  if (live.size > 0 || !hooked) return;
  hooked = false;
  process.off('exit', killAllNow);
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
}

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
    child = spawn(spec.command, [...spec.args], {
      cwd: spec.cwd,
      env: {
        PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
        HOME: spec.cwd,
        LANG: 'C.UTF-8',
        ...spec.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
  } catch (cause) {
    throw new HarnessError('MTLS_ERR_TARGET_START', `${spec.name}: cannot spawn ${spec.command}`, { cause });
  }
  const pid = child.pid;
  if (pid === undefined) {
    const err = await new Promise<Error>((resolve) => child.once('error', resolve));
    if (spec.tempDir) rmSync(spec.tempDir, { recursive: true, force: true });
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
    stopping ??= (async () => {
      if (!exited) {
        signalGroup(pid, 'SIGTERM');
        const timer = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), graceMs).unref());
        if ((await Promise.race([exitPromise.then(() => 'exited' as const), timer])) === 'timeout') {
          signalGroup(pid, 'SIGKILL');
          await exitPromise;
        }
      }
      // Workers of a forking server may outlive their parent for a moment: finish the group off.
      signalGroup(pid, 'SIGKILL');
      finalLogs = logs();
      live.delete(pid);
      if (spec.tempDir) rmSync(spec.tempDir, { recursive: true, force: true });
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
  };
}
