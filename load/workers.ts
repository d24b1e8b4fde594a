import { fork, type ChildProcess } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import type { WorkerKind } from '../core/load-result.js';
import type { ParentMessage, WorkerMessage } from './protocol.js';
import { createWorkerHost } from './worker-host.js';

/** The parent's end of one worker, whatever carries the messages. */
export interface WorkerChannel {
  readonly kind: WorkerKind;
  send(message: ParentMessage): void;
  /** Called for every worker message, and with `exit` when the worker ended (code, or an error message). */
  onMessage(handler: (message: WorkerMessage) => void): void;
  onExit(handler: (reason: string) => void): void;
  /** Ends the worker (after its 'done'); resolves when it is gone. */
  close(): Promise<void>;
}

/**
 * NOTE: when this module runs from TypeScript source (tests, `tsx`), workers must load TypeScript too: a worker
 * thread cannot take `--import tsx` in its execArgv on Node 20 (the loader hooks do not reach it), so it starts
 * from a small eval script that imports the entry through tsx's `tsImport`; a child process takes `--import tsx`.
 */
const FROM_SOURCE = import.meta.url.endsWith('.ts');
const ENTRY = new URL(FROM_SOURCE ? './worker.ts' : './worker.js', import.meta.url);

function threadChannel(): WorkerChannel {
  const worker = FROM_SOURCE
    ? new Worker(
        `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then(({ tsImport }) => tsImport(${JSON.stringify(
          ENTRY.href,
        )}, ${JSON.stringify(import.meta.url)}))`,
        { eval: true },
      )
    : new Worker(ENTRY);
  let exitHandler: ((reason: string) => void) | undefined;
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    worker.once('exit', (code) => {
      exited = true;
      exitHandler?.(`worker thread exited with code ${code}`);
      resolve();
    }),
  );
  worker.on('error', (err) => exitHandler?.(`worker thread failed: ${err.message}`));
  return {
    kind: 'thread',
    send: (m) => worker.postMessage(m),
    onMessage: (h) => void worker.on('message', h),
    onExit: (h) => (exitHandler = h),
    async close() {
      exitHandler = undefined;
      if (!exited) await worker.terminate();
      await exit;
    },
  };
}

/** Worker processes still running: killed when this process exits (a second Ctrl-C exits at once). */
const liveChildren = new Set<ChildProcess>();
let exitHooked = false;
function killChildrenNow(): void {
  for (const c of liveChildren) c.kill('SIGKILL');
  liveChildren.clear();
}

function processChannel(): WorkerChannel {
  const child: ChildProcess = fork(ENTRY, [], {
    execArgv: FROM_SOURCE ? ['--import', import.meta.resolve('tsx')] : [],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  liveChildren.add(child);
  if (!exitHooked) {
    exitHooked = true;
    process.on('exit', killChildrenNow);
  }
  let exitHandler: ((reason: string) => void) | undefined;
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      exited = true;
      liveChildren.delete(child);
      exitHandler?.(`worker process exited with ${signal ?? `code ${code}`}`);
      resolve();
    }),
  );
  child.on('error', (err) => exitHandler?.(`worker process failed: ${err.message}`));
  return {
    kind: 'process',
    send: (m) => void child.send(m),
    onMessage: (h) => void child.on('message', (m) => h(m as WorkerMessage)),
    onExit: (h) => (exitHandler = h),
    async close() {
      exitHandler = undefined;
      if (!exited) {
        if (child.connected) child.disconnect();
        const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
        await exit;
        clearTimeout(timer);
      }
    },
  };
}

/** The worker protocol in the calling thread (one worker: no transport at all). */
function inlineChannel(): WorkerChannel {
  let handler: ((m: WorkerMessage) => void) | undefined;
  const host = createWorkerHost((m) => setImmediate(() => handler?.(m)));
  return {
    kind: 'inline',
    send: (m) => setImmediate(() => host(m)),
    onMessage: (h) => (handler = h),
    onExit: () => {},
    close: async () => {},
  };
}

/** Starts one worker of the given kind. */
export function startWorker(kind: WorkerKind): WorkerChannel {
  switch (kind) {
    case 'thread':
      return threadChannel();
    case 'process':
      return processChannel();
    case 'inline':
      return inlineChannel();
  }
}
