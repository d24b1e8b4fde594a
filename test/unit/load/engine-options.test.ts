import { describe, expect, it } from 'vitest';
import { validate, type LoadOptions } from '../../../load/validate.js';
import { nodeTlsOptions } from '../../../load/wire-engine/names.js';

const base: LoadOptions = {
  host: '127.0.0.1',
  port: 443,
  trustPem: '-----BEGIN CERTIFICATE-----\n',
  identities: [{ chainPem: 'x', keyPem: 'y' }],
};

describe('engine choice (issue 14)', () => {
  it('defaults to the wire engine, the cheapest that supports plain handshakes', () => {
    expect(validate(base)).toMatchObject({ engine: 'wire', groups: null, ciphers: null, sigalgs: null });
  });
  it('falls back to node:tls for what only it supports (--http, --scenario, X448)', () => {
    expect(validate({ ...base, http: {} })).toMatchObject({ engine: 'node' });
    const scenario = { id: 's', fixture: null, expect: 'reject' as const, identity: null };
    expect(validate({ ...base, scenario })).toMatchObject({ engine: 'node' });
    expect(validate({ ...base, groups: ['X448'] })).toMatchObject({ engine: 'node' });
  });
  it('refuses --engine wire for what it cannot do, naming it', () => {
    const e = validate({ ...base, engine: 'wire', groups: ['X25519', 'X448'] });
    expect(e).toBeInstanceOf(Error);
    expect((e as Error).message).toMatch(/engine.*wire.*X448/);
  });
  it('keeps an explicit node engine', () => {
    expect(validate({ ...base, engine: 'node' })).toMatchObject({ engine: 'node' });
  });
  it('refuses a cipher list without a suite of the version run', () => {
    const e = validate({ ...base, tls: '1.2', ciphers: ['TLS_AES_128_GCM_SHA256'] });
    expect((e as Error).message).toMatch(/no TLS 1\.2 suite/);
  });
});

describe('node:tls options of the lists', () => {
  it('spells groups, suites and schemes as OpenSSL does', () => {
    expect(
      nodeTlsOptions({
        groups: ['X25519', 'p-256'],
        ciphers: ['TLS_AES_128_GCM_SHA256', 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256'],
        sigalgs: ['ecdsa_secp256r1_sha256', 'rsa_pss_rsae_sha256'],
      }),
    ).toEqual({
      ecdhCurve: 'X25519:P-256',
      ciphers: 'TLS_AES_128_GCM_SHA256:ECDHE-ECDSA-AES128-GCM-SHA256:@SECLEVEL=0',
      sigalgs: 'ECDSA+SHA256:rsa_pss_rsae_sha256',
    });
  });
  it('keeps OpenSSL DEFAULT for TLS 1.2 when only TLS 1.3 suites are named', () => {
    expect(nodeTlsOptions({ groups: null, ciphers: ['TLS_AES_256_GCM_SHA384'], sigalgs: null })).toEqual({
      ciphers: 'TLS_AES_256_GCM_SHA384:DEFAULT:@SECLEVEL=0',
    });
  });
});
