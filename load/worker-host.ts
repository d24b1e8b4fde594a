import { WorkerEngine } from './engine.js';
import type { ParentMessage, WorkerMessage } from './protocol.js';

/**
 * The worker side of the parent/worker protocol, independent of the transport (the calling thread, a worker thread or
 * a child process): init → prepare → `ready`; go → run → `progress`/`events` … `done`; stop → stop issuing. Returns
 * the handler for parent messages; `onFinished` runs once `done` or `failed` has been sent.
 */
export function createWorkerHost(
  send: (message: WorkerMessage) => void,
  onFinished: () => void = () => {},
): (message: ParentMessage) => void {
  let engine: WorkerEngine | undefined;
  const fail = (err: unknown) => {
    send({ type: 'failed', message: err instanceof Error ? `${err.message}` : String(err) });
    onFinished();
  };
  return (message) => {
    switch (message.type) {
      case 'init':
        try {
          engine = new WorkerEngine(message.spec);
        } catch (err) {
          fail(err);
          return;
        }
        engine.prepare().then(() => send({ type: 'ready' }), fail);
        return;
      case 'go':
        engine!
          .run(
            (progress, seconds) => send({ type: 'progress', progress, ...(seconds.length ? { seconds } : {}) }),
            (events) => send({ type: 'events', events }),
          )
          .then((part) => {
            send({ type: 'done', part });
            onFinished();
          }, fail);
        return;
      case 'stop':
        engine?.stop();
        return;
    }
  };
}
