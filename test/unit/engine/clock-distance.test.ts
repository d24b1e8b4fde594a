import { describe, expect, it } from 'vitest';
import type { Manifest, ManifestCa, ManifestFixture } from '../../../core/manifest.js';
import { clockDistanceProblem, formatDistance } from '../../../engine/clock-distance.js';

const SECOND = 1000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const CLOCK = Date.UTC(2026, 0, 1);
const at = (ms: number) => new Date(CLOCK + ms).toISOString();

/** A CA valid from clock − 30 days for ten years, or as given. */
const ca = (id: string, issuer: string | null, notBefore = -30 * DAY, notAfter = 3650 * DAY) =>
  ({ id, issuer, notBefore: at(notBefore), notAfter: at(notAfter) }) as ManifestCa;
/** A leaf valid as given, issued by `issuer`. */
const leaf = (id: string, notBefore: number, notAfter: number, issuer = 'intermediate') =>
  ({ id, issuer, notBefore: at(notBefore), notAfter: at(notAfter) }) as ManifestFixture;

// The validity periods of fixtures-gen/fixtures.ts, written out: what each scenario's fixture is at the clock.
const manifest = {
  clock: at(0),
  cas: [
    ca('root', null),
    ca('intermediate', 'root'),
    ca('expired-intermediate', 'root', -400 * DAY, -30 * DAY),
    ca('unknown-root', null),
  ],
  fixtures: [
    leaf('valid', -DAY, 365 * DAY),
    leaf('expired', -400 * DAY, -30 * DAY),
    leaf('expired-one-second', -30 * DAY, -SECOND),
    leaf('valid-until-clock', -30 * DAY, 0),
    leaf('not-yet-valid', 30 * DAY, 400 * DAY),
    leaf('expired-intermediate', -60 * DAY, 365 * DAY, 'expired-intermediate'),
    leaf('unknown-ca', -DAY, 365 * DAY, 'unknown-root'),
    leaf('self-signed', -DAY, 365 * DAY, 'self'),
  ],
} as unknown as Manifest;

const problem = (id: string, nowFromClock: number, windowMs = 0) =>
  clockDistanceProblem(manifest, id, CLOCK + nowFromClock, windowMs);

describe('a fixture means at the server clock what it meant at the fixture clock', () => {
  it('at the clock, and minutes after it (a fresh set during a run), nothing is skipped', () => {
    for (const f of manifest.fixtures) {
      if (f.id === 'valid-until-clock') continue; // NOTE: its notAfter is the clock itself: expired a second later.
      expect(problem(f.id, 0), f.id).toBeUndefined();
      expect(problem(f.id, 20 * 60 * SECOND), f.id).toBeUndefined();
    }
  });

  it('40 days on: not-yet-valid is valid now, expired-one-second is no longer at the edge, the rest still hold', () => {
    expect(problem('not-yet-valid', 40 * DAY)).toBe(
      "the fixture clock is 40 days before now: not-yet-valid's notBefore (clock + 30 days) is already past",
    );
    expect(problem('expired-one-second', 40 * DAY)).toMatch(
      /^the fixture clock is 40 days before now: expired-one-second's notAfter \(clock − 1 second\) is 40 days past/,
    );
    for (const id of ['valid', 'expired', 'expired-intermediate', 'unknown-ca', 'self-signed'])
      expect(problem(id, 40 * DAY), id).toBeUndefined();
  });

  it('334 days on (the README clock in November): not-yet-valid too; a year on, the valid client has expired', () => {
    expect(problem('not-yet-valid', 334 * DAY)).toMatch(/^the fixture clock is 334 days before now: not-yet-valid's/);
    expect(problem('valid', 366 * DAY)).toBe(
      "the fixture clock is 366 days before now: valid's notAfter (clock + 365 days) is already past",
    );
    // The expired intermediate's leaf outlives the CA: at 400 days the leaf is expired too, still "expired".
    expect(problem('expired-intermediate', 366 * DAY)).toMatch(/expired-intermediate's notAfter \(clock \+ 365 days\)/);
  });

  it('a clock in the future: the valid client is not valid yet, an expired one is not expired yet', () => {
    expect(problem('valid', -2 * DAY)).toBe(
      "the fixture clock is 2 days after now: valid's notBefore (clock − 1 day) is not reached yet",
    );
    expect(problem('expired', -31 * DAY)).toMatch(/expired's notAfter \(clock − 30 days\) is not reached yet/);
    expect(problem('expired-intermediate', -31 * DAY)).toMatch(
      /expired-intermediate's CA 'expired-intermediate' notAfter \(clock − 30 days\) is not reached yet/,
    );
  });

  it('a boundary fixture keeps its meaning for an hour, then is skipped', () => {
    expect(problem('expired-one-second', HOUR)).toBeUndefined();
    expect(problem('expired-one-second', HOUR + SECOND)).toMatch(/is 1 hour past, so it no longer tests that edge/);
  });

  it('a state change during the probe counts: not-yet-valid a second before its notBefore, with a 5 s timeout', () => {
    expect(problem('not-yet-valid', 30 * DAY - SECOND)).toBeUndefined();
    expect(problem('not-yet-valid', 30 * DAY - SECOND, 5000)).toMatch(/notBefore \(clock \+ 30 days\) is already past/);
  });

  it('a fixture the manifest does not have is not this check’s business', () => {
    expect(problem('nope', 400 * DAY)).toBeUndefined();
  });

  it.each([
    [0, '0 seconds'],
    [SECOND, '1 second'],
    [59 * SECOND, '59 seconds'],
    [90 * SECOND, '1 minute'],
    [2 * HOUR, '2 hours'],
    [DAY, '1 day'],
    [-334 * DAY - HOUR, '334 days'],
  ])('formatDistance(%d) is %s', (ms, text) => {
    expect(formatDistance(ms)).toBe(text);
  });
});
