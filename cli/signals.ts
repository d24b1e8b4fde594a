/**
 * The signals that stop a command: Ctrl-C (SIGINT, to the terminal's process group), SIGTERM (kill, a pod stop) and
 * SIGHUP (the terminal or SSH session closed: by default it would kill the process without its exit hooks).
 */
export type StopSignal = 'SIGINT' | 'SIGTERM' | 'SIGHUP';

/** The stop signals, in the order their handlers are installed. */
export const STOP_SIGNALS: readonly StopSignal[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/** Exit status of a command stopped by a signal: 128 + the signal number, as shells report a death by that signal. */
export const SIGNAL_EXIT: Readonly<Record<StopSignal, number>> = {
  SIGINT: 130,
  SIGTERM: 143,
  SIGHUP: 129,
};

/**
 * How long a command may take to stop after the first signal (the probes and handshakes in flight end within their
 * own timeouts, then the servers stop and the reports are written); past it the process exits at once.
 */
export const STOP_GRACE_MS = 30_000;

/**
 * The process's interruption: aborted (with the signal's name as the reason) on the first SIGINT or SIGTERM. Commands
 * hand {@link Interruption.signal} to what they run, so it stops starting work, and write what was measured.
 */
export class Interruption {
  private readonly controller = new AbortController();
  private first: StopSignal | undefined;

  /** Aborted on the first stop signal; `reason` is the signal's name. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** The first stop signal received, if any. */
  get received(): StopSignal | undefined {
    return this.first;
  }

  /** Resolves with the first stop signal (at once if one was already received). */
  wait(): Promise<StopSignal> {
    if (this.first) return Promise.resolve(this.first);
    return new Promise((resolve) =>
      this.controller.signal.addEventListener('abort', () => resolve(this.first!), { once: true }),
    );
  }

  /** Records the first stop signal and aborts {@link signal}; later calls are ignored. */
  trigger(sig: StopSignal): void {
    if (this.first) return;
    this.first = sig;
    this.controller.abort(sig);
  }
}

let current = new Interruption();

/** The process-wide {@link Interruption} (never aborted unless {@link installSignalHandlers} was called). */
export function interruption(): Interruption {
  return current;
}

/**
 * Thrown by a command stopped before it measured anything (while generating fixtures or starting servers): the CLI
 * exits with the signal's status and prints one line, no error.
 */
export class Interrupted extends Error {
  override readonly name = 'Interrupted';
  /**
   * @param by the signal
   * @param detail what was (not) written, for the one line the CLI prints
   */
  constructor(
    readonly by: StopSignal,
    readonly detail = 'stopped before anything was measured: no report written',
  ) {
    super(`interrupted by ${by}: ${detail}`);
  }
}

/** Throws {@link Interrupted} (with `detail`) once a stop signal was received. */
export function throwIfInterrupted(detail?: string): void {
  const sig = current.received;
  if (sig) throw new Interrupted(sig, detail);
}

/** Options of {@link installSignalHandlers}. */
export interface SignalHandlerOptions {
  /** Bound on the stop after the first signal (default {@link STOP_GRACE_MS}). */
  readonly graceMs?: number;
  /** Where the one-line notices go (default stderr). */
  readonly log?: (line: string) => void;
}

/**
 * Makes SIGINT and SIGTERM stop the command instead of killing the process: the first one aborts
 * {@link interruption}'s signal and starts a bounded grace period; a second one, or the end of the grace period,
 * exits at once with the signal's status (130, 143) — the 'exit' hooks still stop every server by PID and remove the
 * temporary directory, and nothing is printed but one line. Returns a function that removes the handlers.
 */
export function installSignalHandlers(options: SignalHandlerOptions = {}): () => void {
  current = new Interruption();
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const graceMs = options.graceMs ?? STOP_GRACE_MS;
  let timer: NodeJS.Timeout | undefined;
  const exitNow = (sig: StopSignal, why: string) => {
    log(`mtls-harness: ${why}: exiting now (status ${SIGNAL_EXIT[sig]})`);
    // NOTE: the one place besides main that ends the process: a second signal means "now", and a stop that overruns
    // its bound must not hang a CI job or a pod. 'exit' hooks kill the servers and remove the temporary files.
    // eslint-disable-next-line no-restricted-syntax
    process.exit(SIGNAL_EXIT[sig]);
  };
  const handlers = STOP_SIGNALS.map((sig) => {
    const handler = () => {
      if (current.received) return exitNow(sig, `${sig} again while stopping`);
      current.trigger(sig);
      log(`mtls-harness: ${sig} received: stopping and writing what was measured (${sig} again to exit at once)`);
      timer = setTimeout(() => exitNow(sig, `still stopping ${Math.round(graceMs / 1000)} s after ${sig}`), graceMs);
      timer.unref();
    };
    process.on(sig, handler);
    return [sig, handler] as const;
  });
  return () => {
    if (timer) clearTimeout(timer);
    for (const [sig, handler] of handlers) process.off(sig, handler);
  };
}
