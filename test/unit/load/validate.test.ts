import { describe, expect, it } from 'vitest';
import { DEFAULT_LOAD_OPTIONS } from '../../../load/default-options.js';
import { validate, type LoadOptions } from '../../../load/validate.js';

const base: LoadOptions = {
  host: '127.0.0.1',
  port: 8443,
  trustPem: '-----BEGIN CERTIFICATE-----\n',
  identities: [{ chainPem: 'c', keyPem: 'k' }],
};

describe('validate()', () => {
  it('fills in the defaults', () => {
    const v = validate(base);
    expect(v).not.toBeInstanceOf(Error);
    if (v instanceof Error) return;
    expect(v.tls).toBe(DEFAULT_LOAD_OPTIONS.tls);
    expect(v.mode).toBe('full');
    expect(v.resumeRatio).toBe(0);
    expect(v.durationS).toBe(DEFAULT_LOAD_OPTIONS.durationS);
    expect(v.handshakes).toBeNull();
    expect(v.rate).toBeNull();
    // Issue 14: the default ticket policy is named: ignore with full handshakes, reuse when resuming.
    expect(v.ticketPolicy).toBe('ignore');
    expect((validate({ ...base, mode: 'resumed' }) as { ticketPolicy: string }).ticketPolicy).toBe('reuse');
    expect(v.tlsShare).toBeNull();
    expect(v.stages).toBeNull();
    // Issue 9: by default a single refused or failed handshake fails the run.
    expect(v.maxErrorRate).toBe(0);
    expect(v.probe).toBe('http');
    expect(v.target.name).toBe('127.0.0.1:8443');
  });

  it('accepts the issue 14 settings and resolves them', () => {
    const both = validate({ ...base, tls: 'both' });
    expect(both).not.toBeInstanceOf(Error);
    expect((both as { tlsShare: unknown }).tlsShare).toEqual({ '1.2': 0.5, '1.3': 0.5 });
    const staged = validate({
      ...base,
      stages: [
        { durationS: 2, target: 10 },
        { durationS: 3, target: 0 },
      ],
    });
    expect(staged).not.toBeInstanceOf(Error);
    // The plan sets how long the run lasts.
    expect((staged as { durationS: number }).durationS).toBe(5);
    const perRequest = validate({ ...base, http: { newHandshakePerRequest: true }, mode: 'resumed', rate: 5 });
    expect(perRequest).not.toBeInstanceOf(Error);
    expect((perRequest as { http: unknown }).http).toEqual({ path: '/', pipelining: 1, newHandshakePerRequest: true });
    expect(validate({ ...base, http: {}, rate: 10 })).not.toBeInstanceOf(Error);
  });

  it('resolves the resumption ratio from the mode', () => {
    expect((validate({ ...base, mode: 'resumed' }) as { resumeRatio: number }).resumeRatio).toBe(1);
    expect((validate({ ...base, mode: 'mixed', resumeRatio: 0.3 }) as { resumeRatio: number }).resumeRatio).toBe(0.3);
  });

  it.each<[Partial<LoadOptions>, RegExp]>([
    [{ durationS: 1, handshakes: 10 }, /exclude each other/],
    [{ mode: 'mixed' }, /needs 'resumeRatio'/],
    [{ mode: 'mixed', resumeRatio: 1 }, /between 0 and 1/],
    [{ resumeRatio: 0.5 }, /needs mode mixed/],
    [{ ticketPolicy: 'fresh' }, /needs mode resumed or mixed/],
    [{ connections: 0 }, /'connections'/],
    [{ workers: 3, connections: 2 }, /exceeds 'connections'/],
    [{ workers: 2, handshakes: 1, connections: 4 }, /smaller than 'workers'/],
    [{ workerKind: 'inline', workers: 2 }, /exactly one worker/],
    [{ rate: 0 }, /'rate'/],
    [{ identities: [] }, /at least one client identity/],
    [{ scenario: { id: 'x::y', fixture: 'x', expect: 'reject', identity: null }, mode: 'resumed' }, /excludes mode/],
    [{ http: {}, mode: 'resumed' }, /unless 'newHandshakePerRequest'/],
    [{ http: {}, tls: 'both' }, /tls both needs 'newHandshakePerRequest'/],
    [{ http: { newHandshakePerRequest: true, pipelining: 2 } }, /excludes 'pipelining'/],
    [{ tls: '1.3', tlsShare: { '1.2': 0.5, '1.3': 0.5 } }, /'tlsShare' needs tls both/],
    [{ tls: 'both', tlsShare: { '1.2': 0.7, '1.3': 0.7 } }, /'tlsShare'/],
    [{ tls: 'both', tlsShare: { '1.2': 0, '1.3': 1 } }, /'tlsShare'/],
    [{ ticketPolicy: 'advertise', mode: 'resumed' }, /advertise needs mode full/],
    [{ ticketPolicy: 'ignore', mode: 'mixed', resumeRatio: 0.5 }, /ignore needs mode full/],
    [{ stages: [{ durationS: 1, target: 10 }], rate: 5 }, /'stages' and 'rate' exclude each other/],
    [{ stages: [{ durationS: 1, target: 10 }], durationS: 5 }, /excludes 'durationS' and 'handshakes'/],
    [{ stages: [] }, /Bad option 'stages': expected at least one stage/],
    [{ stages: [{ durationS: 0, target: 10 }] }, /last no time/],
    [{ stages: [{ durationS: 1, target: -1 }] }, /stage 1: expected a target/],
    [{ stages: [{ durationS: 10, target: 0 }] }, /offer no arrival/],
    [{ http: { pipelining: 0 } }, /'pipelining'/],
    [{ http: { path: 'x' } }, /'path'/],
    [{ maxP99Ms: 0 }, /'maxP99Ms'/],
    [{ maxErrorRate: 1.5 }, /Bad option 'maxErrorRate': expected a share from 0 to 1/],
    [{ maxErrorRate: -0.1 }, /'maxErrorRate'/],
    [{ port: 70000 }, /'port'/],
  ])('%j is an error naming the option', (extra, message) => {
    const v = validate({ ...base, ...extra });
    expect(v).toBeInstanceOf(Error);
    expect((v as Error).message).toMatch(message);
  });
});
