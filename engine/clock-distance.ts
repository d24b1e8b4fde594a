import { X509Certificate } from 'node:crypto';
import { HarnessError } from '../core/errors.js';
import type { FixtureSet, Manifest } from '../core/manifest.js';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/**
 * A validity bound this close to the fixture clock makes a fixture a boundary fixture (`expired-one-second`: notAfter
 * one second before the clock; `valid-until-clock`: notAfter at the clock). Its meaning is the edge itself.
 */
export const BOUNDARY_MS = MINUTE;

/**
 * How far now may drift from the fixture clock before a boundary fixture stops meaning what it says. NOTE:
 * `expired-one-second` is there to catch servers that round validity to days or minutes; expired by more than an
 * hour, it is merely expired. An hour leaves room for a long run on fixtures generated at its start (the default).
 */
export const BOUNDARY_DRIFT_MS = HOUR;

/** One certificate whose validity a fixture's meaning rests on. */
interface Validity {
  /** How messages name it, possessive: `<fixture>'s` for the leaf, `<fixture>'s CA '<id>'` above it. */
  readonly whose: string;
  readonly notBefore: number;
  readonly notAfter: number;
}

type State = 'not yet valid' | 'valid' | 'expired';

function stateAt(c: Validity, t: number): State {
  // NOTE: RFC 5280 §4.1.2.5: both bounds are inclusive.
  return t < c.notBefore ? 'not yet valid' : t > c.notAfter ? 'expired' : 'valid';
}

/** `334 days`, `2 hours`, `1 minute`, `12 seconds`: a distance in its largest whole unit. */
export function formatDistance(ms: number): string {
  const a = Math.abs(ms);
  const [n, unit] =
    a >= DAY
      ? [Math.floor(a / DAY), 'day']
      : a >= HOUR
        ? [Math.floor(a / HOUR), 'hour']
        : a >= MINUTE
          ? [Math.floor(a / MINUTE), 'minute']
          : [Math.floor(a / SECOND), 'second'];
  return `${n} ${unit}${n === 1 ? '' : 's'}`;
}

/** `clock + 30 days`, `clock − 1 second`, `the clock`: an instant relative to the fixture clock. */
function relative(t: number, clock: number): string {
  if (t === clock) return 'the clock';
  return `clock ${t > clock ? '+' : '−'} ${formatDistance(t - clock)}`;
}

/** The leaf of a fixture, then each CA up its issuer chain (as far as the manifest names them). */
function chainOf(m: Manifest, fixtureId: string): Validity[] | undefined {
  const f = m.fixtures.find((x) => x.id === fixtureId);
  if (!f) return undefined;
  const chain: Validity[] = [
    { whose: `${f.id}'s`, notBefore: Date.parse(f.notBefore), notAfter: Date.parse(f.notAfter) },
  ];
  const seen = new Set<string>();
  for (let id: string | null = f.issuer; id && id !== 'self' && !seen.has(id);) {
    seen.add(id);
    const ca = m.cas.find((c) => c.id === id);
    if (!ca) break;
    chain.push({
      whose: `${f.id}'s CA '${ca.id}'`,
      notBefore: Date.parse(ca.notBefore),
      notAfter: Date.parse(ca.notAfter),
    });
    id = ca.issuer;
  }
  return chain;
}

/** What changed for one certificate between the fixture clock and `t`, in words; undefined when nothing did. */
function change(c: Validity, clock: number, t: number): string | undefined {
  const then = stateAt(c, clock);
  const now = stateAt(c, t);
  if (then === now) return undefined;
  if (then === 'not yet valid') return `${c.whose} notBefore (${relative(c.notBefore, clock)}) is already past`;
  if (then === 'expired') return `${c.whose} notAfter (${relative(c.notAfter, clock)}) is not reached yet`;
  return now === 'expired'
    ? `${c.whose} notAfter (${relative(c.notAfter, clock)}) is already past`
    : `${c.whose} notBefore (${relative(c.notBefore, clock)}) is not reached yet`;
}

/**
 * Whether a fixture still means at the server's time what it meant at the fixture clock, judged from the manifest's
 * validity periods: every certificate of its chain (the leaf and its CAs) must be in the same state — not yet
 * valid, valid, expired — at `now` and at `now + windowMs` (the probe's duration) as at the clock, and a boundary
 * fixture (a bound within {@link BOUNDARY_MS} of the clock) must be probed within {@link BOUNDARY_DRIFT_MS} of it.
 * The server's clock is assumed to be the harness's (`now`); a target whose clock is pinned to the fixture clock
 * needs no check.
 *
 * @returns The reason the fixture no longer means what it says ("the fixture clock is 334 days before now:
 *   not-yet-valid's notBefore (clock + 30 days) is already past"), or undefined when it does.
 */
export function clockDistanceProblem(m: Manifest, fixtureId: string, now: number, windowMs = 0): string | undefined {
  return stateProblem(m, fixtureId, now, windowMs) ?? boundaryProblem(m, fixtureId, now);
}

function lead(clock: number, now: number): string {
  const d = now - clock;
  return `the fixture clock is ${formatDistance(d)} ${d >= 0 ? 'before' : 'after'} now`;
}

/** A certificate of the fixture's chain whose state at `now` (or `now + windowMs`) is not its state at the clock. */
function stateProblem(m: Manifest, fixtureId: string, now: number, windowMs: number): string | undefined {
  const chain = chainOf(m, fixtureId) ?? [];
  const clock = Date.parse(m.clock);
  for (const c of chain) {
    const what = change(c, clock, now) ?? change(c, clock, now + windowMs);
    if (what) return `${lead(clock, now)}: ${what}`;
  }
  return undefined;
}

/** A boundary fixture probed too far from its clock. */
function boundaryProblem(m: Manifest, fixtureId: string, now: number): string | undefined {
  const clock = Date.parse(m.clock);
  if (Math.abs(now - clock) <= BOUNDARY_DRIFT_MS) return undefined;
  for (const c of chainOf(m, fixtureId) ?? []) {
    for (const [bound, name] of [
      [c.notBefore, 'notBefore'],
      [c.notAfter, 'notAfter'],
    ] as const) {
      if (Math.abs(bound - clock) <= BOUNDARY_MS)
        return `${lead(clock, now)}: ${c.whose} ${name} (${relative(bound, clock)}) is ${formatDistance(now - bound)} ${now >= bound ? 'past' : 'ahead'}, so it no longer tests that edge (a boundary fixture does within ${formatDistance(BOUNDARY_DRIFT_MS)} of its clock)`;
    }
  }
  return undefined;
}

/**
 * Checks, before a run, that a fixture set can be judged at all at `now`: the valid client's chain and the server
 * certificate are in date. Outside that (a clock more than a year old, or in the future), every verdict would be
 * about expiry, not about what the scenarios test.
 *
 * @throws HarnessError MTLS_ERR_FIXTURES_STALE saying which certificate and how to get a usable set.
 */
export function checkFixturesInDate(fx: FixtureSet, now = Date.now()): void {
  const m = fx.manifest;
  const stale = (why: string) =>
    new HarnessError(
      'MTLS_ERR_FIXTURES_STALE',
      `the fixtures in '${fx.dir}' (clock ${m.clock}) cannot be judged now: ${why}; generate a fresh set (mtls-harness fixtures --out DIR, without --clock), or declare --capabilities pinned-clock for a server whose clock is pinned to the fixture clock`,
    );
  const client = stateProblem(m, 'valid', now, 0);
  if (client) throw stale(client);
  let server: X509Certificate;
  try {
    server = new X509Certificate(fx.read(m.server.cert));
  } catch (cause) {
    if (cause instanceof HarnessError) throw cause;
    throw new HarnessError('MTLS_ERR_PEM_MALFORMED', `the server certificate '${m.server.cert}' is malformed`, {
      cause,
    });
  }
  const clock = Date.parse(m.clock);
  const problem = change(
    {
      whose: "the server certificate's",
      notBefore: Date.parse(server.validFrom),
      notAfter: Date.parse(server.validTo),
    },
    clock,
    now,
  );
  if (problem) throw stale(`${lead(clock, now)}: ${problem}`);
}
