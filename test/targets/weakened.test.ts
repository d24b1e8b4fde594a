import { describe, expect, it } from 'vitest';
import { ADAPTERS, isAlive, startProcessTarget, type ProcessTargetName } from '../../targets/process/index.js';
import { availability, idsWith, ON_CI, runAgainst, sharedFixtures } from './harness.js';

/** The CRL-bundle scenarios a server that checks no CRL (or forgives their errors) lets through (issue 13). */
const BAD_CRL_BUNDLES = ['expired', 'wrong-key', 'no-crl-sign', 'missing-level'].map(
  (v) => `require::revocation::crl-${v}`,
);

const both = (ids: readonly string[]) => ids.flatMap((id) => [`${id} 1.2`, `${id} 1.3`]).sort();

/**
 * Deliberately weakened configurations, run with the server's shipped expectations: each must be reported
 * non-conformant, with exactly the scenarios that slipped through as failures.
 */
const CASES: readonly { name: ProcessTargetName; weaken: string; slipped: readonly string[] }[] = [
  {
    name: 'nginx',
    weaken: 'optional-no-ca',
    // optional_no_ca forgives "no trusted issuer" errors; nginx also refuses ssl_ocsp with it.
    slipped: both([
      'require::presence::no-certificate',
      'require::trust::unknown-ca',
      'require::chain::missing-intermediate',
      'require::revocation::revoked-ocsp',
      // Without ssl_ocsp every OCSP failure-mode client gets through (no-answer is a known skip for nginx).
      ...['try-later', 'unknown', 'unauthorized', 'wrong-signer', 'other-serial', 'stale', 'future', 'refused'].map(
        (mode) => `require::revocation::ocsp-${mode}`,
      ),
    ]),
  },
  {
    name: 'apache',
    weaken: 'no-crl',
    // OCSP still catches a revoked leaf; the revoked intermediate (on the root's CRL) gets through, and so does every
    // client a bad CRL bundle should have refused (delta stays the known xfail: apache ignores deltas anyway).
    slipped: both(['require::revocation::revoked-intermediate', ...BAD_CRL_BUNDLES]),
  },
  {
    name: 'haproxy',
    weaken: 'ignore-errors',
    slipped: both([
      'require::validity::expired',
      'require::validity::expired-one-second',
      'require::validity::not-yet-valid',
      'require::validity::expired-intermediate',
      'require::trust::unknown-ca',
      'require::trust::self-signed',
      'require::chain::missing-intermediate',
      'require::chain::intermediate-not-ca',
      'require::chain::intermediate-no-basic-constraints',
      'require::chain::v1-intermediate',
      'require::chain::pathlen-exceeded',
      // Issue 13's chains whose only fault is a verification error HAProxy's crt-ignore-err ignores.
      'require::chain::expired-root',
      'require::chain::intermediate-eku-server-auth-only',
      'require::chain::chain-cycle',
      'require::revocation::revoked-crl',
      'require::revocation::revoked-intermediate',
      ...BAD_CRL_BUNDLES,
      'require::purpose::eku-server-auth-only',
      'require::purpose::eku-code-signing-only',
      'require::purpose::ku-no-digital-signature',
      'require::crypto::weak-rsa-1024',
      'require::crypto::sha1-signature',
      'require::crypto::bad-issuer-signature',
    ]),
  },
];

describe('weakened servers are reported non-conformant with exactly what slipped through', () => {
  const fixtures = sharedFixtures();
  for (const c of CASES) {
    it(`${c.name} with ${c.weaken}`, async (ctx) => {
      const probe = await availability(c.name);
      if (!probe.available && !ON_CI) ctx.skip();
      const target = await startProcessTarget(ADAPTERS[c.name], fixtures.get(), 'require', { weaken: c.weaken });
      try {
        const run = await runAgainst(fixtures.get(), target, {
          suite: 'presence::*,validity::*,trust::*,chain::*,revocation::*,purpose::*,crypto::*',
        });
        expect(run.conformant).toBe(false);
        expect(run.error).toBeUndefined();
        expect(idsWith(run, ['fail']).sort()).toEqual(c.slipped);
        expect(idsWith(run, ['error', 'xpass'])).toEqual([]);
        for (const r of run.results.filter((x) => x.verdict === 'fail')) expect(r.observed.outcome).toBe('accepted');
      } finally {
        await target.stop();
      }
      expect(isAlive(target.pid)).toBe(false);
    });
  }
});
