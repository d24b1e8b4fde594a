/**
 * The resumption topic as data (issue 12): five scenarios under three mechanisms each, under the require policy,
 * each naming the registered procedure `resume` on the TLS version of its mechanism, with the severity the issue
 * gives it (cross-SNI and optional-to-require security, revocation and expiry advisory).
 */
import { describe, expect, it } from 'vitest';
import { findProcedure } from '../../engine/procedures/index.js';
import '../../engine/procedures/all.js';
import { isGating } from '../../core/gate.js';
import { catalogue } from '../../suites/index.js';
import { MECHANISMS } from './helpers.js';

const topic = catalogue().filter((s) => s.id.split('::')[1] === 'resumption');
const NAMES = [
  'resume-no-certificate',
  'resume-cross-sni',
  'resume-optional-to-require',
  'resume-after-revocation',
  'resume-after-expiry',
];

describe('the resumption topic', () => {
  it('holds every scenario of the issue per mechanism, under require only, the name as last id component', () => {
    expect(topic.map((s) => s.id)).toEqual(
      NAMES.flatMap((n) => MECHANISMS.map((m) => `require::resumption::${m.name}::${n}`)),
    );
  });

  it('runs each mechanism on its TLS version through the registered procedure', () => {
    for (const s of topic) {
      const [, , mechanism, name] = s.id.split('::');
      const tls = MECHANISMS.find((m) => m.name === mechanism)!.tls;
      expect(s.tls, s.id).toEqual([tls]);
      expect(s.procedure, s.id).toEqual({ name: 'resume', params: { mechanism, case: name } });
      expect(findProcedure('resume')).toBeDefined();
      expect(s.requires, s.id).toEqual(expect.arrayContaining(['wire-client', 'resumption']));
    }
    const needs = (name: string) => topic.find((s) => s.id.endsWith(`::psk::${name}`))!.requires;
    expect(needs('resume-cross-sni')).toContain('sni-no-auth');
    expect(needs('resume-optional-to-require')).toContain('shared-sessions');
    expect(needs('resume-after-revocation')).toEqual(expect.arrayContaining(['ocsp', 'ocsp-control']));
  });

  it('gives each its severity and expectation: the advisory ones never gate, even under --strict', () => {
    const of = (name: string) => topic.filter((s) => s.id.endsWith(`::${name}`));
    for (const s of of('resume-no-certificate'))
      expect(s, s.id).toMatchObject({ severity: 'protocol', fixture: 'valid', expect: { decision: 'accept' } });
    for (const name of ['resume-cross-sni', 'resume-optional-to-require'])
      for (const s of of(name)) {
        expect(s, s.id).toMatchObject({ severity: 'security', fixture: null, expect: { decision: 'reject' } });
        expect(isGating({ verdict: 'fail', severity: s.severity }, false), s.id).toBe(true);
      }
    for (const name of ['resume-after-revocation', 'resume-after-expiry'])
      for (const s of of(name)) {
        expect(s, s.id).toMatchObject({ severity: 'advisory', expect: { decision: 'reject' } });
        expect(isGating({ verdict: 'fail', severity: s.severity }, true), s.id).toBe(false);
      }
    expect(of('resume-after-revocation')[0]!.expect.alerts[0]).toBe('certificate_revoked');
    expect(of('resume-after-expiry')[0]!.expect.alerts[0]).toBe('certificate_expired');
  });
});
