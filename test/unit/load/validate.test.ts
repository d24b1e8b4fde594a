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
    expect(v.ticketPolicy).toBe('reuse');
    // Issue 9: by default a single refused or failed handshake fails the run.
    expect(v.maxErrorRate).toBe(0);
    expect(v.probe).toBe('http');
    expect(v.target.name).toBe('127.0.0.1:8443');
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
    [{ http: {}, rate: 10 }, /excludes 'rate'/],
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
