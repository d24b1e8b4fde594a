import type { LoadStage } from '../core/load-result.js';

/**
 * When the open model's arrivals come due: arrival i (from 0) is due `dueAt(i)` ms after the start of the measured
 * phase, and `arrivals(t)` is how many have come due by `t` ms (a continuous count: arrival i is due once it reaches i).
 */
export interface ArrivalSchedule {
  /** The cumulative arrivals N(t) at `t` ms after the start (continuous, non-decreasing; N(0) = 0). */
  arrivals(tMs: number): number;
  /** When arrival i is due, in ms after the start (the first t with N(t) ≥ i); Infinity when it never is. */
  dueAt(i: number): number;
  /** Where the schedule ends (the last stage's end), or null for a constant rate bounded elsewhere. */
  readonly endMs: number | null;
}

/** `--rate R`: arrival i due at i / R seconds. */
export function constantSchedule(ratePerS: number): ArrivalSchedule {
  return {
    arrivals: (t) => (Math.max(0, t) * ratePerS) / 1000,
    dueAt: (i) => (i * 1000) / ratePerS,
    endMs: null,
  };
}

/** Most stages a plan may have (a plan is typed by hand; a longer one is a mistake). */
export const MAX_STAGES = 100;

/** The highest target rate of a stage (per second), as for `--rate`. */
export const MAX_STAGE_RATE = 1_000_000;

/**
 * k6's ramping arrival rate: each stage ramps linearly from the previous stage's target (0 before the first) to its
 * own target over its duration; a stage of 0 s jumps. `scale` splits the plan over workers (each gets 1/k of every
 * rate). Arrivals are the integral of the rate: N(t) = ∫ r.
 */
export function stagedSchedule(stages: readonly LoadStage[], scale = 1): ArrivalSchedule {
  interface Piece {
    start: number;
    end: number;
    r0: number;
    r1: number;
    before: number;
    after: number;
  }
  const pieces: Piece[] = [];
  let t = 0;
  let rate = 0;
  let total = 0;
  for (const s of stages) {
    const d = s.durationS * 1000;
    const r1 = s.target * scale;
    if (d > 0) {
      const added = (((rate + r1) / 2) * d) / 1000;
      pieces.push({ start: t, end: t + d, r0: rate, r1, before: total, after: total + added });
      total += added;
      t += d;
    }
    rate = r1;
  }
  const endMs = t;
  const within = (p: Piece, x: number) => {
    const u = x - p.start;
    const slope = (p.r1 - p.r0) / (p.end - p.start);
    return p.before + (p.r0 * u + (slope * u * u) / 2) / 1000;
  };
  return {
    endMs,
    arrivals(x) {
      if (x <= 0) return 0;
      if (x >= endMs) return total;
      // NOTE: plans are short (≤ MAX_STAGES pieces): a linear scan is cheaper than keeping an index.
      for (const p of pieces) if (x < p.end) return within(p, x);
      return total;
    },
    dueAt(i) {
      if (i <= 0) return 0;
      if (i > total + 1e-9) return Infinity;
      for (const p of pieces) {
        if (i > p.after + 1e-9) continue;
        // Solve before + (r0·u + slope·u²/2)/1000 = i for u ≥ 0, u ≤ length.
        const need = (i - p.before) * 1000;
        const slope = (p.r1 - p.r0) / (p.end - p.start);
        let u: number;
        if (Math.abs(slope) < 1e-12) u = p.r0 > 0 ? need / p.r0 : 0;
        else {
          const disc = p.r0 * p.r0 + 2 * slope * need;
          u = (-p.r0 + Math.sqrt(Math.max(0, disc))) / slope;
        }
        return p.start + Math.min(p.end - p.start, Math.max(0, u));
      }
      return endMs;
    },
  };
}

/** The arrivals a schedule makes due in second s ([s, s + 1) s after the start). */
export function offeredInSecond(schedule: ArrivalSchedule, second: number): number {
  return schedule.arrivals((second + 1) * 1000) - schedule.arrivals(second * 1000);
}

/** The target rate of a plan at `t` ms (what the plan asks for at that instant). */
export function targetAt(stages: readonly LoadStage[], tMs: number): number {
  let t = 0;
  let rate = 0;
  for (const s of stages) {
    const d = s.durationS * 1000;
    if (tMs < t + d) return rate + ((s.target - rate) * (tMs - t)) / d;
    t += d;
    rate = s.target;
  }
  return rate;
}

/** The plan's length in seconds. */
export function stagesDurationS(stages: readonly LoadStage[]): number {
  return stages.reduce((a, s) => a + s.durationS, 0);
}

/** A duration of `--stages`: `500ms`, `10s`, `2m`, `1h`, or bare seconds; undefined when it is none of these. */
function parseDuration(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text);
  if (!m) return undefined;
  const v = Number(m[1]);
  const unit = m[2] ?? 's';
  return unit === 'ms' ? v / 1000 : unit === 'm' ? v * 60 : unit === 'h' ? v * 3600 : v;
}

/**
 * Parses `--stages 10s:100,30s:500,10s:0` (k6's stages of a ramping arrival rate: DURATION:TARGET per second, each
 * ramping linearly from the previous target, 0 before the first). Returns the stages, or an Error naming the item at
 * fault: an empty item, a duration or target that is not a number, more than {@link MAX_STAGES} stages, a target above
 * {@link MAX_STAGE_RATE}, a plan that lasts no time, more than a day, or offers no arrival.
 */
export function parseStages(text: string): LoadStage[] | Error {
  const items = text.split(',').map((s) => s.trim());
  if (items.length > MAX_STAGES) return new Error(`more than ${MAX_STAGES} stages`);
  const stages: LoadStage[] = [];
  for (const item of items) {
    if (item === '') return new Error('an empty stage');
    const parts = item.split(':');
    if (parts.length !== 2) return new Error(`stage '${item}': expected DURATION:TARGET, e.g. 30s:500`);
    const durationS = parseDuration(parts[0]!);
    if (durationS === undefined)
      return new Error(`stage '${item}': the duration '${parts[0]}' is not a number of ms, s, m or h`);
    if (!/^\d+(\.\d+)?$/.test(parts[1]!))
      return new Error(`stage '${item}': the target '${parts[1]}' is not a rate per second (0 or more)`);
    const target = Number(parts[1]);
    if (target > MAX_STAGE_RATE) return new Error(`stage '${item}': the target is above ${MAX_STAGE_RATE}/s`);
    stages.push({ durationS, target });
  }
  return checkStages(stages);
}

/** Checks a stage plan given as data (the library's `stages` option); the plan, or an Error naming the fault. */
export function checkStages(stages: readonly LoadStage[]): LoadStage[] | Error {
  if (!Array.isArray(stages) || stages.length === 0) return new Error('expected at least one stage');
  if (stages.length > MAX_STAGES) return new Error(`more than ${MAX_STAGES} stages`);
  for (const [i, s] of stages.entries()) {
    const okDuration = typeof s?.durationS === 'number' && Number.isFinite(s.durationS) && s.durationS >= 0;
    const okTarget =
      typeof s?.target === 'number' && Number.isFinite(s.target) && s.target >= 0 && s.target <= MAX_STAGE_RATE;
    if (!okDuration) return new Error(`stage ${i + 1}: expected a duration of 0 s or more`);
    if (!okTarget) return new Error(`stage ${i + 1}: expected a target from 0 to ${MAX_STAGE_RATE} per second`);
  }
  const total = stagesDurationS(stages);
  if (total <= 0) return new Error('the stages last no time: give at least one a duration');
  if (total > 86_400) return new Error('the stages last more than a day (86400 s)');
  if (stagedSchedule(stages).arrivals(total * 1000) < 1) return new Error('the stages offer no arrival');
  return stages.map((s) => ({ durationS: s.durationS, target: s.target }));
}
