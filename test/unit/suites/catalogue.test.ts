import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SCENARIO_ID_PATTERN, type Scenario } from '../../../core/scenario.js';
import { FIXTURES } from '../../../fixtures-gen/fixtures.js';
import { catalogue, checkCatalogue, TOPICS } from '../../../suites/index.js';
import { catalogueJson } from '../../../cli/commands/list.js';
import { WIRE_MUTATIONS } from '../../../wire/index.js';
import { ROOT } from '../../helpers/cli.js';

const all = catalogue();

describe('the scenario catalogue', () => {
  it('has unique ids of the form policy::topic::kebab-name', () => {
    const ids = all.map((s) => s.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const s of all) {
      expect(s.id).toMatch(SCENARIO_ID_PATTERN);
      const [policy, topic] = s.id.split('::');
      expect(policy).toBe(s.policy);
      expect(Object.keys(TOPICS)).toContain(topic);
    }
  });

  it('checkCatalogue rejects duplicates, bad ids and missing references', () => {
    const good = all[0]!;
    expect(() => checkCatalogue([good, good])).toThrow(/duplicate/);
    expect(() => checkCatalogue([{ ...good, id: 'Bad Id::x' as Scenario['id'] }])).toThrow(/does not match/);
    expect(() => checkCatalogue([{ ...good, spec: [] }])).toThrow(/no spec/);
    expect(() => checkCatalogue([{ ...good, expect: { decision: 'reject', alerts: [] } }])).toThrow(
      /no acceptable alert/,
    );
  });

  it('registers every topic file under suites/ and names each topic after its file', () => {
    const files = readdirSync(path.join(ROOT, 'suites'))
      .filter((f) => f.endsWith('.ts') && !['index.ts', 'define.ts'].includes(f))
      .map((f) => f.replace(/\.ts$/, ''));
    expect(Object.keys(TOPICS).sort()).toEqual(files.sort());
  });

  it('carries the names reports and CI rules rely on', () => {
    const names = new Set(all.map((s) => s.id.split('::').pop()));
    for (const name of [
      'valid',
      'no-certificate',
      'expired',
      'not-yet-valid',
      'unknown-ca',
      'self-signed',
      'missing-intermediate',
      'revoked-crl',
      'revoked-ocsp',
      'eku-server-auth-only',
      'bad-issuer-signature',
      'intermediate-not-ca',
      'pathlen-exceeded',
      'weak-rsa-1024',
      'mismatched-key',
    ]) {
      expect(names, name).toContain(name);
    }
  });

  it('covers every fixture and no certificate under both policies', () => {
    for (const policy of ['require', 'optional'] as const) {
      const fixtures = new Set(all.filter((s) => s.policy === policy).map((s) => s.fixture));
      for (const f of FIXTURES) expect(fixtures, `${policy} ${f.id}`).toContain(f.id);
      expect(fixtures).toContain(null);
    }
  });

  it('an optional server accepts no certificate but still rejects bad ones', () => {
    const opt = all.filter((s) => s.policy === 'optional');
    expect(opt.find((s) => s.fixture === null)?.expect.decision).toBe('accept');
    expect(opt.find((s) => s.id === 'optional::validity::expired')?.expect.decision).toBe('reject');
    expect(all.find((s) => s.id === 'require::presence::no-certificate')?.expect.alertsByTls?.['1.3']?.[0]).toBe(
      'certificate_required',
    );
  });

  it('agrees with the fixture manifest expectations where the scenario is not marked either-way', () => {
    for (const s of all) {
      const f = FIXTURES.find((x) => x.id === s.fixture);
      // NOTE: a procedure's expectation is about what it checks past the certificate (issue 12: the identity a proxy
      // forwards for a valid client must not be a forged one), not about the certificate itself.
      // NOTE: a scenario on an alternative CRL bundle judges its fixture against that bundle (issue 13), which the
      // manifest's crlVariants[].verify records and test/integration/ocsp-modes.test.ts holds openssl verify to.
      if (!f || s.expect.eitherDecision || s.wire?.mutation || s.procedure || s.crlVariant) continue;
      expect(s.expect.decision, s.id).toBe(f.decision);
    }
  });

  it('only uses wire mutations the wire client implements, with one sanity scenario per policy', () => {
    for (const s of all.filter((x) => x.wire?.mutation)) expect(WIRE_MUTATIONS).toContain(s.wire!.mutation);
    expect(all.filter((s) => s.sanity).map((s) => s.id)).toEqual([
      'require::sanity::valid',
      'optional::sanity::valid',
      'none::sanity::valid',
    ]);
  });

  it('matches the committed schemas/catalogue.json (regenerate with: mtls-harness list --json > schemas/catalogue.json)', () => {
    expect(readFileSync(path.join(ROOT, 'schemas/catalogue.json'), 'utf8')).toBe(catalogueJson());
  });
});
