/**
 * The post-handshake topic as data (issue 12): ten scenarios, once, under the optional policy, each naming a
 * registered procedure with an answer it knows, on the TLS version its mechanism exists in, with the severity the
 * issue gives it.
 */
import { describe, expect, it } from 'vitest';
import { findProcedure } from '../../engine/procedures/index.js';
import '../../engine/procedures/all.js';
import { catalogue } from '../../suites/index.js';

const topic = catalogue().filter((s) => s.id.split('::')[1] === 'post-handshake');

describe('the post-handshake topic', () => {
  it('holds the ten scenarios of the issue, under the optional policy only', () => {
    expect(topic.map((s) => s.id)).toEqual(
      [
        'pha-valid',
        'pha-expired',
        'pha-unknown-ca',
        'pha-mismatched-key',
        'pha-no-certificate',
        'pha-not-offered',
        'reneg-valid',
        'reneg-expired',
        'reneg-unknown-ca',
        'reneg-refused',
      ].map((n) => `optional::post-handshake::${n}`),
    );
  });

  it('runs pha-* over TLS 1.3 and reneg-* over TLS 1.2, through a registered procedure', () => {
    for (const s of topic) {
      const pha = s.id.includes('::pha-');
      expect(s.tls, s.id).toEqual([pha ? '1.3' : '1.2']);
      expect(s.procedure?.name, s.id).toBe(pha ? 'post-handshake-auth' : 'renegotiation');
      expect(findProcedure(s.procedure!.name), s.id).toBeDefined();
      expect(s.requires, s.id).toEqual(expect.arrayContaining(['wire-client', 'per-location-auth']));
    }
    const answers = Object.fromEntries(topic.map((s) => [s.id.split('::').pop(), s.procedure?.params?.['answer']]));
    expect(answers).toEqual({
      'pha-valid': 'identity',
      'pha-expired': 'identity',
      'pha-unknown-ca': 'identity',
      'pha-mismatched-key': 'identity',
      'pha-no-certificate': 'identity',
      'pha-not-offered': 'not-offered',
      'reneg-valid': 'identity',
      'reneg-expired': 'identity',
      'reneg-unknown-ca': 'identity',
      'reneg-refused': 'refuse',
    });
  });

  it('accepts the valid identity (protocol on failure) and refuses the rest at post-handshake (security)', () => {
    for (const s of topic) {
      const valid = s.id.endsWith('-valid');
      expect(s.expect.decision, s.id).toBe(valid ? 'accept' : 'reject');
      expect(s.severity, s.id).toBe(valid ? 'protocol' : 'security');
      if (!valid) expect(s.expect.step, s.id).toBe('post-handshake');
    }
    const first = (name: string) => topic.find((s) => s.id.endsWith(`::${name}`))!.expect.alerts[0];
    expect(first('pha-no-certificate')).toBe('certificate_required');
    expect(first('pha-mismatched-key')).toBe('decrypt_error');
    expect(first('reneg-refused')).toBe('handshake_failure');
    expect(topic.find((s) => s.id.endsWith('::pha-mismatched-key'))!.requires).toContain('foreign-key-signing');
  });
});
