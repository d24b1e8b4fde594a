import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertName } from '../../core/alerts.js';
import type { HandshakeStep } from '../../core/scenario.js';
import { findMutation, wireProbe, WIRE_MUTATIONS, type WireProbeOptions } from '../../wire/index.js';
import { makePki, nodeServer, opensslServer, type Pki, type TestServer } from './helpers.js';

/**
 * What OpenSSL 3.0 servers (openssl s_server -verify_return_error and node:tls) answer to each mutation, and the
 * step the wire probe attributes it to. Where OpenSSL differs from the catalogue's RFC alert, the comment says so.
 */
const EXPECTED: Record<
  string,
  Partial<Record<'1.2' | '1.3', { alert: AlertName | 'accepted'; step: HandshakeStep }>>
> = {
  'cv-foreign-key': {
    '1.3': { alert: 'decrypt_error', step: 'certificate-verify' },
    '1.2': { alert: 'decrypt_error', step: 'certificate-verify' },
  },
  'cv-bitflip': {
    '1.3': { alert: 'decrypt_error', step: 'certificate-verify' },
    '1.2': { alert: 'decrypt_error', step: 'certificate-verify' },
  },
  'cv-empty-signature': {
    '1.3': { alert: 'decrypt_error', step: 'certificate-verify' },
    '1.2': { alert: 'decrypt_error', step: 'certificate-verify' },
  },
  // TLS 1.2: OpenSSL answers handshake_failure for ecdsa_sha1 (catalogue: illegal_parameter).
  'cv-scheme-not-offered': {
    '1.3': { alert: 'illegal_parameter', step: 'certificate-verify' },
    '1.2': { alert: 'handshake_failure', step: 'certificate-verify' },
  },
  'cv-rsa-pkcs1-in-tls13': { '1.3': { alert: 'illegal_parameter', step: 'certificate-verify' } },
  // Issue 13: a label that does not fit the key's type — OpenSSL checks it before verifying (illegal_parameter).
  'cv-ecdsa-label-on-rsa-key': {
    '1.3': { alert: 'illegal_parameter', step: 'certificate-verify' },
    '1.2': { alert: 'illegal_parameter', step: 'certificate-verify' },
  },
  'cv-ed25519-label-on-ecdsa-key': {
    '1.3': { alert: 'illegal_parameter', step: 'certificate-verify' },
    '1.2': { alert: 'illegal_parameter', step: 'certificate-verify' },
  },
  'cv-rsae-label-on-pss-key': {
    '1.3': { alert: 'illegal_parameter', step: 'certificate-verify' },
    '1.2': { alert: 'illegal_parameter', step: 'certificate-verify' },
  },
  'cv-pss-pss-label-on-rsae-key': {
    '1.3': { alert: 'illegal_parameter', step: 'certificate-verify' },
    '1.2': { alert: 'illegal_parameter', step: 'certificate-verify' },
  },
  // A signature that does not verify as labelled: decrypt_error.
  'cv-hash-mismatch': {
    '1.3': { alert: 'decrypt_error', step: 'certificate-verify' },
    '1.2': { alert: 'decrypt_error', step: 'certificate-verify' },
  },
  'cv-pss-wrong-salt': {
    '1.3': { alert: 'decrypt_error', step: 'certificate-verify' },
    '1.2': { alert: 'decrypt_error', step: 'certificate-verify' },
  },
  'cv-truncated-signature': {
    '1.3': { alert: 'decrypt_error', step: 'certificate-verify' },
    '1.2': { alert: 'decrypt_error', step: 'certificate-verify' },
  },
  'cv-padded-signature': {
    '1.3': { alert: 'decrypt_error', step: 'certificate-verify' },
    '1.2': { alert: 'decrypt_error', step: 'certificate-verify' },
  },
  // TLS 1.2: SHA-1 schemes are known to OpenSSL 3.0 but not offered (security level 1): handshake_failure, as for
  // cv-scheme-not-offered; MD5 schemes it does not know at all: illegal_parameter. TLS 1.3: illegal_parameter.
  'cv-ecdsa-sha1': {
    '1.3': { alert: 'illegal_parameter', step: 'certificate-verify' },
    '1.2': { alert: 'handshake_failure', step: 'certificate-verify' },
  },
  'cv-rsa-pkcs1-sha1': {
    '1.3': { alert: 'illegal_parameter', step: 'certificate-verify' },
    '1.2': { alert: 'handshake_failure', step: 'certificate-verify' },
  },
  'cv-ecdsa-md5': {
    '1.3': { alert: 'illegal_parameter', step: 'certificate-verify' },
    '1.2': { alert: 'illegal_parameter', step: 'certificate-verify' },
  },
  'cv-rsa-pkcs1-md5': {
    '1.3': { alert: 'illegal_parameter', step: 'certificate-verify' },
    '1.2': { alert: 'illegal_parameter', step: 'certificate-verify' },
  },
  'cv-trailing-bytes': {
    '1.3': { alert: 'decode_error', step: 'certificate-verify' },
    '1.2': { alert: 'decode_error', step: 'certificate-verify' },
  },
  'cv-wrong-handshake-type': {
    '1.3': { alert: 'unexpected_message', step: 'certificate-verify' },
    '1.2': { alert: 'unexpected_message', step: 'certificate-verify' },
  },
  'cv-twice': {
    '1.3': { alert: 'unexpected_message', step: 'certificate-verify' },
    '1.2': { alert: 'unexpected_message', step: 'certificate-verify' },
  },
  'certificate-wrong-handshake-type': {
    '1.3': { alert: 'unexpected_message', step: 'client-certificate' },
    '1.2': { alert: 'unexpected_message', step: 'client-certificate' },
  },
  'omit-certificate-verify': {
    '1.3': { alert: 'unexpected_message', step: 'certificate-verify' },
    '1.2': { alert: 'unexpected_message', step: 'certificate-verify' },
  },
  'omit-certificate': {
    '1.3': { alert: 'unexpected_message', step: 'client-certificate' },
    '1.2': { alert: 'unexpected_message', step: 'client-certificate' },
  },
  'empty-certificate-trailing-bytes': {
    '1.3': { alert: 'decode_error', step: 'client-certificate' },
    '1.2': { alert: 'decode_error', step: 'client-certificate' },
  },
  'garbage-leaf-der': {
    '1.3': { alert: 'decode_error', step: 'client-certificate' },
    '1.2': { alert: 'decode_error', step: 'client-certificate' },
  },
  'zero-length-entry': {
    '1.3': { alert: 'decode_error', step: 'client-certificate' },
    '1.2': { alert: 'decode_error', step: 'client-certificate' },
  },
  'bad-certificate-list-length': {
    '1.3': { alert: 'decode_error', step: 'client-certificate' },
    '1.2': { alert: 'decode_error', step: 'client-certificate' },
  },
  'double-certificate': {
    '1.3': { alert: 'unexpected_message', step: 'client-certificate' },
    '1.2': { alert: 'unexpected_message', step: 'client-certificate' },
  },
  'unsolicited-certificate': {
    '1.3': { alert: 'unexpected_message', step: 'client-certificate' },
    '1.2': { alert: 'unexpected_message', step: 'client-certificate' },
  },
  // OpenSSL 3.0 does not enforce RFC 8446 §4.4.2 ("extensions in the client Certificate MUST correspond to the
  // CertificateRequest"): it ignores signed_certificate_timestamp on a client CertificateEntry. BoGo expects
  // unsupported_extension; the probe reports the leniency as an acceptance.
  'unrequested-cert-entry-extension': { '1.3': { alert: 'accepted', step: 'application-data' } },
};

/** The client identity a mutation is about, where it needs a key type (default `valid`, ECDSA P-256 here). */
const FIXTURE_OF: Readonly<Record<string, string>> = {
  'cv-ecdsa-label-on-rsa-key': 'valid-rsa-2048',
  'cv-pss-pss-label-on-rsae-key': 'valid-rsa-2048',
  'cv-rsae-label-on-pss-key': 'valid-rsassa-pss',
  'cv-pss-wrong-salt': 'valid-rsa-2048',
  'cv-rsa-pkcs1-sha1': 'valid-rsa-2048',
  'cv-rsa-pkcs1-md5': 'valid-rsa-2048',
  'cv-ed25519-label-on-ecdsa-key': 'valid-ecdsa-p256',
  'cv-hash-mismatch': 'valid-ecdsa-p256',
  'cv-ecdsa-sha1': 'valid-ecdsa-p256',
  'cv-ecdsa-md5': 'valid-ecdsa-p256',
};

/** The scheme label a mutation puts on the wire, as the transcript decodes it. */
const LABEL_OF: Readonly<Record<string, string>> = {
  'cv-ecdsa-label-on-rsa-key': 'ecdsa_secp256r1_sha256',
  'cv-ed25519-label-on-ecdsa-key': 'ed25519',
  'cv-pss-pss-label-on-rsae-key': 'rsa_pss_pss_sha256',
  'cv-rsae-label-on-pss-key': 'rsa_pss_rsae_sha256',
  'cv-ecdsa-sha1': 'ecdsa_sha1',
  'cv-ecdsa-md5': 'ecdsa_md5',
  'cv-rsa-pkcs1-sha1': 'rsa_pkcs1_sha1',
  'cv-rsa-pkcs1-md5': 'rsa_pkcs1_md5',
};

/**
 * NOTE: the node:tls server runs the OpenSSL inside Node, not the system's. To a TLS 1.2 CertificateVerify signed with
 * a scheme it did not offer (ecdsa_sha1), OpenSSL 3.0 (Node 20) answers handshake_failure and OpenSSL 3.5 (Node 22
 * and 24) illegal_parameter, the RFC's alert. Observed with 3.0.19 (Node 20.20) and 3.5.8 (Node 22.23, 24.21).
 */
function expectedOf(server: 'openssl' | 'node', name: string, tls: '1.2' | '1.3') {
  const nodeOpenssl30 = process.versions.openssl.startsWith('3.0.');
  const notOffered = ['cv-scheme-not-offered', 'cv-ecdsa-sha1', 'cv-rsa-pkcs1-sha1'];
  if (server === 'node' && notOffered.includes(name) && tls === '1.2' && !nodeOpenssl30)
    return { alert: 'illegal_parameter', step: 'certificate-verify' } as const;
  return EXPECTED[name]![tls]!;
}

let pki: Pki;
let openssl: TestServer;
let node: TestServer;
let noRequest: TestServer;

beforeAll(async () => {
  pki = await makePki('ecdsa-p256', [
    'valid',
    'mismatched-key',
    'valid-rsa-2048',
    'valid-ecdsa-p256',
    'valid-rsassa-pss',
  ]);
  openssl = await opensslServer(pki);
  node = await nodeServer(pki);
  noRequest = await nodeServer(pki, { requestCert: false });
});

afterAll(async () => {
  await openssl.close();
  await node.close();
  await noRequest.close();
  pki.cleanup();
});

function options(port: number, tls: '1.2' | '1.3', mutation?: string, fixture = 'valid'): WireProbeOptions {
  return {
    host: '127.0.0.1',
    port,
    servername: 'localhost',
    tls,
    trustPem: pki.read('trust.pem'),
    ...pki.client(fixture),
    ...(mutation ? { mutation } : {}),
  };
}

it('every supported mutation has an expectation here', () => {
  expect(Object.keys(EXPECTED).sort()).toEqual([...WIRE_MUTATIONS].sort());
});

describe('mismatched key (certificate of key A, CertificateVerify signed by key B)', () => {
  it.each(['1.3', '1.2'] as const)(
    'openssl s_server -verify_return_error rejects it with decrypt_error at certificate-verify (TLS %s)',
    async (tls) => {
      const { observation, transcript } = await wireProbe(options(openssl.port, tls, undefined, 'mismatched-key'));
      expect(observation).toMatchObject({
        outcome: 'rejected-alert',
        alert: { name: 'decrypt_error', code: 51 },
        step: 'certificate-verify',
        probe: 'wire',
      });
      expect(observation.alertTiming).toBe(tls === '1.3' ? 'post-handshake' : 'handshake');
      expect(transcript.at(-1)).toMatchObject({ dir: 'received', type: 'Alert', fields: { code: 51 } });
    },
  );
});

for (const tls of ['1.3', '1.2'] as const) {
  describe(`TLS ${tls} mutations`, () => {
    const names = WIRE_MUTATIONS.filter((m) => findMutation(m)!.tls.includes(tls));
    for (const server of ['openssl', 'node'] as const) {
      it.each(names)(`${server}: %s`, async (name) => {
        const expected = expectedOf(server, name, tls);
        // A Certificate the server did not ask for needs a server that does not request one.
        const port =
          name === 'unsolicited-certificate' ? noRequest.port : server === 'openssl' ? openssl.port : node.port;
        const { observation, transcript } = await wireProbe(options(port, tls, name, FIXTURE_OF[name]));
        if (expected.alert === 'accepted') {
          expect(observation.outcome).toBe('accepted');
        } else {
          expect(observation).toMatchObject({
            outcome: 'rejected-alert',
            alert: { name: expected.alert },
            step: expected.step,
          });
        }
        expect(observation.protocol).toBe(tls === '1.3' ? 'TLSv1.3' : 'TLSv1.2');
        const mutated = transcript.filter((t) => t.mutation === name);
        if (!name.startsWith('omit-')) expect(mutated.length).toBeGreaterThan(0);
        if (name === 'double-certificate') expect(mutated.map((t) => t.type)).toEqual(['Certificate', 'Certificate']);
        const label = LABEL_OF[name];
        if (label) expect(mutated.map((t) => t.fields?.['scheme'])).toEqual([label]);
        if (name === 'cv-twice') expect(mutated.map((t) => t.type)).toEqual(['CertificateVerify', 'CertificateVerify']);
        // The wrong handshake types: the transcript names the type on the wire, not the message it carries.
        if (name === 'cv-wrong-handshake-type') expect(mutated.map((t) => t.type)).toEqual(['Certificate']);
        if (name === 'certificate-wrong-handshake-type')
          expect(mutated.map((t) => t.type)).toEqual(['CertificateVerify']);
        if (name === 'omit-certificate-verify')
          expect(transcript.some((t) => t.dir === 'sent' && t.type === 'CertificateVerify')).toBe(false);
        if (name === 'unsolicited-certificate')
          expect(transcript.some((t) => t.type === 'CertificateRequest')).toBe(false);
      });
    }
  });
}

describe('CertificateVerify mutations across key profiles (openssl s_server)', () => {
  const servers = new Map<string, { pki: Pki; server: TestServer }>();
  beforeAll(async () => {
    for (const profile of ['rsa-2048', 'ed25519']) {
      const p = await makePki(profile, ['valid']);
      servers.set(profile, { pki: p, server: await opensslServer(p) });
    }
  });
  afterAll(async () => {
    for (const { pki: p, server } of servers.values()) {
      await server.close();
      p.cleanup();
    }
  });

  for (const profile of ['rsa-2048', 'ed25519']) {
    for (const tls of ['1.3', '1.2'] as const) {
      it(`${profile} TLS ${tls}`, async () => {
        const { pki: p, server } = servers.get(profile)!;
        const base = {
          host: '127.0.0.1',
          port: server.port,
          servername: 'localhost',
          tls,
          trustPem: p.read('trust.pem'),
          ...p.client('valid'),
        };
        for (const [mutation, alerts] of [
          ['cv-foreign-key', ['decrypt_error']],
          ['cv-bitflip', ['decrypt_error']],
          ['cv-empty-signature', ['decrypt_error']],
          ['cv-truncated-signature', ['decrypt_error']],
          ['cv-padded-signature', ['decrypt_error']],
          ['cv-trailing-bytes', ['decode_error']],
          // OpenSSL: illegal_parameter in TLS 1.3 and for Ed25519; handshake_failure for an RSA scheme it did not offer in 1.2.
          ['cv-scheme-not-offered', ['illegal_parameter', 'handshake_failure']],
          ...(tls === '1.3' ? [['cv-rsa-pkcs1-in-tls13', ['illegal_parameter']] as const] : []),
        ] as const) {
          const { observation } = await wireProbe({ ...base, mutation });
          expect(observation.outcome, `${mutation}: ${JSON.stringify(observation)}`).toBe('rejected-alert');
          expect(alerts, mutation).toContain(observation.alert?.name);
          expect(observation.step).toBe('certificate-verify');
        }
      });
    }
  }
});
