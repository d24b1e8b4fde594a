import { parentPort } from 'node:worker_threads';
import type { ParentMessage, WorkerMessage } from './protocol.js';
import { createWorkerHost } from './worker-host.js';

// Entry point of a load worker, as a worker thread (parentPort) or a child process (process.send). The parent ends
// the worker once it has the worker's 'done' message.
if (parentPort) {
  const port = parentPort;
  const handle = createWorkerHost((m: WorkerMessage) => port.postMessage(m));
  port.on('message', (m: ParentMessage) => handle(m));
} else if (process.send) {
  const handle = createWorkerHost((m: WorkerMessage) => void process.send!(m));
  process.on('message', (m: ParentMessage) => handle(m));
}
