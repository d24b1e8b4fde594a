import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isHarnessError } from '../../../core/errors.js';
import { loadManifest, type FixtureSet } from '../../../core/manifest.js';
import { PkiBuilder } from '../../../fixtures-gen/builder.js';
import {
  CLOCK_RANGE,
  EARLIEST_OFFSET_MS,
  generateFixtures,
  LATEST_OFFSET_MS,
  parseClock,
} from '../../../fixtures-gen/generate.js';
import { generateKey } from '../../../fixtures-gen/profiles.js';
import { openssl } from '../../helpers/openssl.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const temp = () => {
  const d = mkdtempSync(path.join(os.tmpdir(), 'mtls-clock-'));
  dirs.push(d);
  return d;
};

const codeOf = (f: () => unknown): string | undefined => {
  try {
    f();
  } catch (err) {
    return isHarnessError(err) ? err.code : `not a HarnessError: ${String(err)}`;
  }
  return undefined;
};

describe('parseClock: a real calendar instant', () => {
  it.each([
    ['2026-01-01T00:00:00Z', Date.UTC(2026, 0, 1)],
    ['2026-01-01', Date.UTC(2026, 0, 1)],
    ['2026-01-01T01:00:00+01:00', Date.UTC(2026, 0, 1)],
    ['2026-01-01T01:00:00+0100', Date.UTC(2026, 0, 1)],
    ['2025-12-31T23:30:00-00:30', Date.UTC(2026, 0, 1)],
    ['2024-02-29T12:00:00Z', Date.UTC(2024, 1, 29, 12)],
    ['2000-02-29', Date.UTC(2000, 1, 29)],
    ['2026-03-01T12:34:56.789Z', Date.UTC(2026, 2, 1, 12, 34, 56)],
    ['2026-03-01T12:34Z', Date.UTC(2026, 2, 1, 12, 34)],
  ])('%s is %d (whole seconds, UTC)', (value, ms) => {
    expect(parseClock(value).getTime()).toBe(ms);
  });

  it.each([
    ['2026-02-30T00:00:00Z', /February 2026 has no day 30/],
    ['2100-02-29', /February 2100 has no day 29/],
    ['2026-04-31', /April 2026 has no day 31/],
    ['2026-00-10', /month 00/],
    ['2026-01-01T24:00:00Z', /not a time of day/],
    ['2026-01-01T23:59:60Z', /not a time of day/],
    ['2026-01-01T00:00:00', /needs a zone/],
    ['2026-01-01T00:00:00+14:01', /offset/],
    ['2026-1-1', /ISO-8601/],
    ['', /ISO-8601/],
    ['now', /ISO-8601/],
  ])('%j is refused: %s', (value, why) => {
    expect(codeOf(() => parseClock(value))).toBe('MTLS_ERR_CLOCK');
    expect(() => parseClock(value)).toThrow(why);
  });

  it('an invalid Date from the library is refused too', () => {
    expect(codeOf(() => parseClock(new Date('not a date')))).toBe('MTLS_ERR_CLOCK');
  });
});

describe('the clock range our certificates can carry (found with openssl at the edges)', () => {
  it('is 1951-02-05T00:00:00Z to 9990-01-02T23:59:59Z, inclusive', () => {
    // NOTE: the literal edges were found by generating sets one second either side and reading them with openssl.
    expect(CLOCK_RANGE.earliest.toISOString()).toBe('1951-02-05T00:00:00.000Z');
    expect(CLOCK_RANGE.latest.toISOString()).toBe('9990-01-02T23:59:59.000Z');
    expect(parseClock('1951-02-05T00:00:00Z').getTime()).toBe(CLOCK_RANGE.earliest.getTime());
    expect(parseClock('9990-01-02T23:59:59Z').getTime()).toBe(CLOCK_RANGE.latest.getTime());
    for (const beyond of ['1951-02-04T23:59:59Z', '9990-01-03T00:00:00Z', '0000-01-01T00:00:00Z', '9999-06-01'])
      expect(
        codeOf(() => parseClock(beyond)),
        beyond,
      ).toBe('MTLS_ERR_CLOCK');
  });

  /** openssl's reading of a certificate's validity, or of a CRL's update times, as epoch milliseconds. */
  async function dates(args: string[], cwd: string): Promise<number[]> {
    const r = await openssl(args, { cwd });
    expect(r.code, r.out).toBe(0);
    return [...r.out.matchAll(/=(.+ GMT)$/gm)].map((m) => Date.parse(m[1]!));
  }

  /** openssl storeutl's reading of each object in a bundle, in order: the two dates `pattern` captures. */
  async function storeDates(args: string[], pattern: RegExp, cwd: string): Promise<number[][]> {
    const r = await openssl(['storeutl', '-noout', '-text', ...args], { cwd });
    expect(r.code, r.out).toBe(0);
    return r.out
      .split(/^\d+: (?:Certificate|CRL)$/m)
      .slice(1)
      .map((block) => {
        const m = pattern.exec(block);
        return m ? [Date.parse(m[1]!), Date.parse(m[2]!)] : [];
      });
  }

  async function verifyError(fx: FixtureSet, chain: string, cert: string, epoch: number): Promise<number> {
    const { out } = await openssl(
      [
        'verify',
        '-purpose',
        'sslclient',
        '-auth_level',
        '2',
        '-attime',
        String(epoch),
        '-CAfile',
        'trust.pem',
        '-crl_check_all',
        '-CRLfile',
        'crl/all.crl.pem',
        '-untrusted',
        chain,
        cert,
      ],
      { cwd: fx.dir },
    );
    const match = /error (\d+) at \d+ depth/.exec(out);
    if (match) return Number(match[1]);
    if (/: OK\s*$/m.test(out)) return 0;
    throw new Error(`unexpected openssl verify output: ${out}`);
  }

  it.each([
    ['earliest', '1951-02-05T00:00:00Z'],
    ['latest', '9990-01-02T23:59:59Z'],
  ])(
    'at the %s clock openssl reads every date as written and verifies every fixture as expected',
    async (_edge, clock) => {
      const dir = temp();
      await generateFixtures({ out: dir, clock });
      const fx = loadManifest(dir);
      const at = Date.parse(clock);
      const all: { what: string; cert: string; notBefore: string; notAfter: string }[] = [
        ...fx.manifest.cas.map((c) => ({ what: `ca ${c.id}`, ...c })),
        ...fx.manifest.fixtures.map((f) => ({ what: f.id, ...f })),
      ];
      const span: number[] = [];
      // NOTE: one openssl storeutl over a bundle of every certificate (and one over every CRL), in manifest order,
      // instead of one openssl per file: issue 13's chains put ~90 CAs in a set.
      const read = (rel: string) => readFileSync(path.join(dir, rel), 'utf8');
      writeFileSync(path.join(dir, 'all-certs.pem'), all.map((c) => read(c.cert)).join(''));
      const certDates = await storeDates(
        ['-certs', 'all-certs.pem'],
        /Not Before: (.+ GMT)\n\s*Not After : (.+ GMT)/,
        dir,
      );
      expect(certDates).toHaveLength(all.length);
      all.forEach((c, i) => {
        const [notBefore, notAfter] = certDates[i]!;
        expect([notBefore, notAfter], c.what).toEqual([Date.parse(c.notBefore), Date.parse(c.notAfter)]);
        span.push(notBefore! - at, notAfter! - at);
      });
      const withCrl = fx.manifest.cas.filter((c) => c.crl);
      writeFileSync(path.join(dir, 'all-crls.pem'), withCrl.map((c) => read(c.crl!.pem)).join(''));
      const crlDates = await storeDates(
        ['-crls', 'all-crls.pem'],
        /Last Update: (.+ GMT)\n\s*Next Update: (.+ GMT)/,
        dir,
      );
      expect(crlDates).toHaveLength(withCrl.length);
      withCrl.forEach((ca, i) => {
        const [last, next] = crlDates[i]!;
        expect(last! >= at + EARLIEST_OFFSET_MS && next! <= at + LATEST_OFFSET_MS, ca.id).toBe(true);
      });
      // The offsets the range rests on are exactly the widest of the set.
      expect(Math.min(...span)).toBe(EARLIEST_OFFSET_MS);
      expect(Math.max(...span)).toBe(LATEST_OFFSET_MS);
      const mismatches: string[] = [];
      for (const f of fx.manifest.fixtures) {
        if (f.expect.opensslVerifyError === null) continue;
        const got = await verifyError(fx, f.chain, f.cert, at / 1000);
        if (got !== f.expect.opensslVerifyError)
          mismatches.push(`${f.id}: expected ${f.expect.opensslVerifyError}, openssl ${got}`);
      }
      expect(mismatches).toEqual([]);
    },
    120_000,
  );

  it('one second beyond either edge a date no longer survives: 1949 reads as 2049, year 10000 is a bad time', async () => {
    const dir = temp();
    const b = new PkiBuilder(new Date(Date.UTC(1960, 0, 1)), {
      ocspUrl: 'http://127.0.0.1:1/ocsp',
      crlUrl: 'http://127.0.0.1:1/crl',
    });
    const key = await generateKey('ecdsa-p256');
    const issue = async (file: string, notBefore: Date, notAfter: Date) => {
      const ca = await b.ca({ id: file, description: file, key, notBefore, notAfter });
      writeFileSync(path.join(dir, file), ca.cert.toString('pem'));
    };
    const lastUtcTime = new Date(Date.UTC(1950, 0, 1));
    await issue('low.pem', new Date(lastUtcTime.getTime() - 1000), new Date(Date.UTC(1960, 0, 1)));
    const [low] = await dates(['x509', '-noout', '-startdate', '-in', 'low.pem'], dir);
    expect(new Date(low!).getUTCFullYear()).toBe(2049);
    await issue('edge.pem', lastUtcTime, new Date(Date.UTC(9999, 11, 31, 23, 59, 59)));
    expect(await dates(['x509', '-noout', '-startdate', '-enddate', '-in', 'edge.pem'], dir)).toEqual([
      lastUtcTime.getTime(),
      Date.UTC(9999, 11, 31, 23, 59, 59),
    ]);
    const tooLate = new Date(Date.UTC(9999, 11, 31, 23, 59, 59) + 1000);
    await issue('high.pem', lastUtcTime, tooLate);
    const high = await openssl(['x509', '-noout', '-enddate', '-in', 'high.pem'], { cwd: dir });
    expect(high.out).toMatch(/notAfter=Bad time value/);
  });
});
