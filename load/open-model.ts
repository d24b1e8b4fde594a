import type { ArrivalSchedule } from './stages.js';

/** What the open model needs from the worker that runs it. */
export interface OpenModelContext {
  readonly schedule: ArrivalSchedule;
  /** `performance.now()` at the start of the measured phase (arrival times count from here). */
  readonly t0: number;
  /** `performance.now()` when the run ends (Infinity when a count bounds it). */
  readonly deadline: number;
  /** Most arrivals in flight at once (`--connections`, times `--pipelining` for HTTP). */
  readonly cap: number;
  /** An arrival that waited longer than this for a slot is dropped (the handshake timeout). */
  readonly maxWaitMs: number;
  /** Takes up to n units of the budget (fewer once a count runs out; 0 after a stop). */
  takeUpTo(n: number): number;
  /** True once a stop was asked for. */
  stopping(): boolean;
  /** True once a count bound is used up. */
  exhausted(): boolean;
  /** Starts arrival `index` on slot `slot`, due at `due` (`performance.now()` time); resolves when it ended. */
  issue(slot: number, due: number): Promise<void>;
  /** `count` arrivals, the k-th due at `dueAt(k)`, dropped at `now` without being issued. */
  drop(count: number, dueAt: (k: number) => number, now: number): void;
  /** Hands over the function that re-runs the scheduler at once (a stop calls it); undefined once finished. */
  setWake(wake: (() => void) | undefined): void;
}

/**
 * Open model: arrivals come due by the schedule (a constant `--rate`, or `--stages`' ramps), whatever the server does.
 * A due arrival starts at once while fewer than `cap` are in flight; otherwise it waits for a slot (first come, first
 * served), and its latency still counts from when it was due. It is dropped — counted, and its wait recorded — when it
 * has waited longer than the handshake timeout, or is still waiting when the run ends (the duration, a stop). The
 * backlog is a range of arrival numbers, not a queue: memory stays constant at any rate, and arrivals are admitted in
 * bulk per timer turn, so even `--rate 1000000` never blocks the event loop (a stop message is always read).
 */
export function runOpenModel(c: OpenModelContext): Promise<void> {
  const { schedule, t0, cap, maxWaitMs } = c;
  const dueAt = (i: number) => t0 + schedule.dueAt(i);
  // NOTE: arrival i is due once N(t) reaches i; a plan with an end makes ceil(N(end)) arrivals in all.
  const limit = schedule.endMs === null ? Infinity : Math.ceil(schedule.arrivals(schedule.endMs) - 1e-9);
  const planEnd = Math.min(c.deadline, schedule.endMs === null ? Infinity : t0 + schedule.endMs);
  const dueBy = (t: number) => (t < t0 ? 0 : Math.min(limit, Math.floor(schedule.arrivals(t - t0) + 1e-9) + 1));
  const dueBefore = (t: number) => (t <= t0 ? 0 : Math.min(limit, Math.ceil(schedule.arrivals(t - t0) - 1e-9)));
  /** Arrivals [0, admitted) came due in the run; [next, admitted) wait for a slot. */
  let admitted = 0;
  let next = 0;
  let inFlight = 0;
  let slot = 0;
  let closed = false;
  return new Promise<void>((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    const drop = (until: number, now: number) => {
      if (until <= next) return;
      const first = next;
      c.drop(until - first, (k) => dueAt(first + k), now);
      next = until;
    };
    const launch = () => {
      while (inFlight < cap && next < admitted) {
        const due = dueAt(next++);
        inFlight++;
        void c.issue(slot++ % cap, due).then(() => {
          inFlight--;
          pump();
        });
      }
    };
    const pump = () => {
      const now = performance.now();
      if (!closed) {
        // NOTE: arrivals due before the end of the run are admitted even when this turn comes after it.
        const horizon = Math.min(now, c.deadline);
        const due = horizon >= c.deadline ? dueBefore(c.deadline) : dueBy(horizon);
        admitted += c.takeUpTo(Math.max(0, due - admitted));
        if (c.stopping() || now >= c.deadline || c.exhausted() || admitted >= limit) closed = true;
      }
      // Waited longer than a handshake may take: it would have timed out.
      drop(Math.min(admitted, dueBefore(now - maxWaitMs)), now);
      launch();
      // The run is over (duration, stop): whoever still waits is dropped.
      if (closed && (c.stopping() || now >= c.deadline)) drop(admitted, now);
      if (timer) clearTimeout(timer);
      timer = undefined;
      if (closed && inFlight === 0 && next === admitted) {
        // NOTE: a plan whose arrivals all ended early still lasts until its end, as k6's ramping arrival rate does:
        // the measured phase then covers the plan's last second (the knee judges only whole seconds).
        if (!c.stopping() && !c.exhausted() && now < planEnd) {
          timer = setTimeout(pump, Math.max(1, planEnd - now));
          return;
        }
        c.setWake(undefined);
        resolve();
        return;
      }
      // Wake for the next arrival, or (when closed) for the next one to go stale.
      const wake = closed ? dueAt(next) + maxWaitMs : Math.min(dueAt(admitted), c.deadline);
      if (!closed || next < admitted) timer = setTimeout(pump, Math.max(1, Math.min(wake, 1e12) - performance.now()));
    };
    c.setWake(pump);
    pump();
  });
}
