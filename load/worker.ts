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
  const handle = createWorkerHost((m: WorkerMessage) => {
    if (process.connected) process.send!(m);
  });
  process.on('message', (m: ParentMessage) => handle(m));
  // NOTE: a Ctrl-C reaches every process of the terminal's group, this worker included. The parent decides: it tells
  // the worker to stop, collects its figures and writes the report (issue 10: the worker died of SIGINT and the run
  // ended in MTLS_ERR_INTERNAL with no report). Ignored only while the parent is there to decide.
  const ignore = () => {};
  process.on('SIGINT', ignore);
  process.on('SIGTERM', ignore);
  process.on('SIGHUP', ignore);
  // The parent is gone (it exited, or was killed): stop issuing, so the handshakes in flight end and the process exits
  // by itself (within the handshake timeout); signals are the default again.
  process.once('disconnect', () => {
    process.off('SIGINT', ignore);
    process.off('SIGTERM', ignore);
    process.off('SIGHUP', ignore);
    handle({ type: 'stop' });
  });
}
