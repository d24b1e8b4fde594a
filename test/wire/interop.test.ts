import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALERTS } from '../../core/alerts.js';
import { toHex } from '../../wire/bytes.js';
import { Connection } from '../../wire/connection.js';
import { CipherSuite } from '../../wire/constants.js';
import { defaultConversation } from '../../wire/conversation.js';
import { pemCertificatesToDer } from '../../wire/crypto.js';
import { wireProbe, type WireProbeOptions } from '../../wire/index.js';
import { Session } from '../../wire/session.js';
import { Tls12Client } from '../../wire/tls12.js';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { makePki, nodeServer, opensslServer, type Pki, type TestServer } from './helpers.js';

const PROFILES = ['ecdsa-p256', 'rsa-2048', 'ed25519'] as const;
const VERSIONS = ['1.3', '1.2'] as const;

interface Env {
  pki: Pki;
  node: TestServer;
  openssl: TestServer;
}
const envs = new Map<string, Env>();

beforeAll(async () => {
  for (const profile of PROFILES) {
    const pki = await makePki(profile, ['valid']);
    envs.set(profile, { pki, node: await nodeServer(pki), openssl: await opensslServer(pki) });
  }
});

afterAll(async () => {
  for (const env of envs.values()) {
    await env.node.close();
    await env.openssl.close();
    env.pki.cleanup();
  }
});

function probeOptions(
  env: Env,
  port: number,
  tls: '1.2' | '1.3',
  extra: Partial<WireProbeOptions> = {},
): WireProbeOptions {
  return {
    host: '127.0.0.1',
    port,
    servername: 'localhost',
    tls,
    trustPem: env.pki.read('trust.pem'),
    ...env.pki.client('valid'),
    ...extra,
  };
}

describe.each(PROFILES)(
  '%s: full handshake with a client certificate and an application-data round trip',
  (profile) => {
    for (const server of ['node', 'openssl'] as const) {
      for (const tls of VERSIONS) {
        it(`${server} TLS ${tls}`, async () => {
          const env = envs.get(profile)!;
          const { observation, transcript, certificateRequest } = await wireProbe(
            probeOptions(env, env[server].port, tls),
          );
          expect(observation).toMatchObject({
            outcome: 'accepted',
            probe: 'wire',
            handshakeCompleted: true,
            protocol: tls === '1.3' ? 'TLSv1.3' : 'TLSv1.2',
            step: 'application-data',
          });
          // The server's CertificateRequest names the fixture root as an acceptable CA.
          const root = new X509Certificate(env.pki.read('trust.pem')).subject.split('\n').join(', ');
          expect(certificateRequest?.certificateAuthorities).toContain(root);
          expect(certificateRequest?.signatureAlgorithms.length).toBeGreaterThan(0);
          const sent = transcript.filter((t) => t.dir === 'sent').map((t) => t.type);
          expect(sent).toEqual(
            tls === '1.3'
              ? [
                  'ClientHello',
                  'ChangeCipherSpec',
                  'Certificate',
                  'CertificateVerify',
                  'Finished',
                  'ApplicationData',
                  'Alert',
                ]
              : [
                  'ClientHello',
                  'Certificate',
                  'ClientKeyExchange',
                  'CertificateVerify',
                  'ChangeCipherSpec',
                  'Finished',
                  'ApplicationData',
                  'Alert',
                ],
          );
          // A clean close: close_notify after the round trip.
          expect(transcript.at(-1)).toMatchObject({
            dir: 'sent',
            type: 'Alert',
            fields: { code: ALERTS.close_notify },
          });
          expect(observation.detail).not.toMatch(/resum/);
          const received = transcript.filter((t) => t.dir === 'received').map((t) => t.type);
          expect(received).toContain('CertificateRequest');
          expect(received.at(-1)).toBe('ApplicationData');
          const cr = transcript.find((t) => t.type === 'CertificateRequest')!;
          expect(cr.fields).toMatchObject({ certificateAuthorities: [root] });
        });
      }
    }
  },
);

describe('negotiation', () => {
  it.each([
    ['1.3', CipherSuite.TLS_AES_128_GCM_SHA256],
    ['1.3', CipherSuite.TLS_AES_256_GCM_SHA384],
    ['1.3', CipherSuite.TLS_CHACHA20_POLY1305_SHA256],
    ['1.2', CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256],
    ['1.2', CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384],
    ['1.2', CipherSuite.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256],
  ] as const)('TLS %s with suite %d against openssl', async (tls, suite) => {
    const env = envs.get('ecdsa-p256')!;
    const r = await wireProbe(probeOptions(env, env.openssl.port, tls, { cipherSuites: [suite] }));
    expect(r.observation.outcome).toBe('accepted');
    expect(r.transcript.find((t) => t.type === 'ServerHello')?.fields?.['cipherSuite']).toBeDefined();
  });

  it.each([
    ['1.2', CipherSuite.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384],
    ['1.2', CipherSuite.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256],
  ] as const)('TLS %s ECDHE-RSA suite %d against an RSA server', async (tls, suite) => {
    const env = envs.get('rsa-2048')!;
    const r = await wireProbe(probeOptions(env, env.node.port, tls, { cipherSuites: [suite] }));
    expect(r.observation.outcome).toBe('accepted');
  });

  it('answers a HelloRetryRequest for P-384 (TLS 1.3)', async () => {
    const env = envs.get('ecdsa-p256')!;
    const server = await nodeServer(env.pki, { ecdhCurve: 'secp384r1' });
    try {
      const r = await wireProbe(probeOptions(env, server.port, '1.3'));
      expect(r.observation.outcome).toBe('accepted');
      const hellos = r.transcript.filter((t) => t.type === 'ClientHello' || t.type === 'ServerHello');
      expect(hellos.map((t) => `${t.dir} ${t.type}`)).toEqual([
        'sent ClientHello',
        'received ServerHello',
        'sent ClientHello',
        'received ServerHello',
      ]);
      expect(hellos[1]!.fields).toMatchObject({ helloRetryRequest: true, keyShareGroup: 'secp384r1' });
      expect(hellos[3]!.fields).toMatchObject({ keyShareGroup: 'secp384r1' });
    } finally {
      await server.close();
    }
  });

  it('parses the NewSessionTickets a TLS 1.3 server sends after the client Finished', async () => {
    const env = envs.get('ecdsa-p256')!;
    const r = await wireProbe(probeOptions(env, env.node.port, '1.3'));
    const tickets = r.transcript.filter((t) => t.type === 'NewSessionTicket');
    expect(tickets.length).toBeGreaterThan(0);
    expect(tickets[0]!.encrypted).toBe(true);
    expect(tickets[0]!.fields?.['ticketLength']).toBeGreaterThan(0);
  });

  it('computes the same TLS 1.2 extended master secret as the server (server key log)', async () => {
    const env = envs.get('ecdsa-p256')!;
    const deadline = Date.now() + 5000;
    const conn = await Connection.connect('127.0.0.1', env.node.port, deadline);
    const session = new Session(conn, '1.2', Date.now());
    const c = env.pki.client('valid');
    const client = new Tls12Client(session, {
      servername: 'localhost',
      trustPem: env.pki.read('trust.pem'),
      chain: pemCertificatesToDer(c.chainPem),
      key: createPrivateKey(c.keyPem),
      appData: new TextEncoder().encode('ping'),
    });
    try {
      for (const step of defaultConversation('1.2')) await client.run(step);
    } finally {
      conn.destroy();
    }
    expect(client.state.appDataReceived).toBeDefined();
    expect(session.transcript.find((t) => t.type === 'ServerHello')?.fields).toMatchObject({
      extendedMasterSecret: true,
    });
    const line = env.node.keylog.find((l) => l.startsWith(`CLIENT_RANDOM ${toHex(client.clientRandom)}`));
    expect(line?.split(' ')[2]).toBe(toHex(client.masterSecret!));
  });

  it('refuses to talk to a server whose chain is not under the trust root', async () => {
    const env = envs.get('ecdsa-p256')!;
    const other = envs.get('ed25519')!;
    const r = await wireProbe(probeOptions(env, env.node.port, '1.3', { trustPem: other.pki.read('trust.pem') }));
    expect(r.observation).toMatchObject({ outcome: 'error', error: { kind: 'server-untrusted' } });
    expect(r.transcript.at(-1)).toMatchObject({ dir: 'sent', type: 'Alert', fields: { code: ALERTS.unknown_ca } });
  });

  it('reports a version the server does not speak as protocol-version', async () => {
    const env = envs.get('ecdsa-p256')!;
    const server = await nodeServer(env.pki, { minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3' });
    try {
      const r = await wireProbe(probeOptions(env, server.port, '1.2'));
      expect(r.observation).toMatchObject({
        outcome: 'error',
        error: { kind: 'protocol-version' },
        step: 'client-hello',
      });
    } finally {
      await server.close();
    }
  });
});

describe('no client certificate', () => {
  it.each([
    ['1.3', 'certificate_required'],
    ['1.2', 'handshake_failure'],
  ] as const)('TLS %s: an empty Certificate gets %s at client-certificate', async (tls, alert) => {
    const env = envs.get('ecdsa-p256')!;
    for (const server of [env.openssl, env.node]) {
      const { chainPem: _c, keyPem: _k, ...rest } = probeOptions(env, server.port, tls);
      const r = await wireProbe(rest);
      expect(r.observation).toMatchObject({
        outcome: 'rejected-alert',
        alert: { name: alert },
        step: 'client-certificate',
      });
      expect(r.transcript.find((t) => t.dir === 'sent' && t.type === 'Certificate')?.fields).toMatchObject({
        entries: 0,
      });
    }
  });
});

describe('records and post-handshake messages', () => {
  it.each(VERSIONS)('reassembles a server flight split into 512-byte records (TLS %s)', async (tls) => {
    const env = envs.get('rsa-2048')!;
    const server = await opensslServer(env.pki, ['-max_send_frag', '512']);
    try {
      const r = await wireProbe(probeOptions(env, server.port, tls));
      expect(r.observation.outcome).toBe('accepted');
      const cert = r.transcript.find((t) => t.dir === 'received' && t.type === 'Certificate')!;
      expect(cert.length).toBeGreaterThan(512);
    } finally {
      await server.close();
    }
  });

  it('answers a KeyUpdate(update_requested) and keeps talking under the new keys (TLS 1.3)', async () => {
    const env = envs.get('ecdsa-p256')!;
    const server = await opensslServer(env.pki, [], 'interactive');
    try {
      const ping = 'ping-from-wire';
      let keyUpdateSeen = false;
      const probe = wireProbe(
        probeOptions(env, server.port, '1.3', {
          appData: new TextEncoder().encode(`${ping}\n`),
          conversation: [...defaultConversation('1.3'), { send: 'application-data' }],
          onTranscript: (e) => {
            if (e.dir === 'received' && e.type === 'KeyUpdate') keyUpdateSeen = true;
          },
        }),
      );
      // Once s_server printed our data the handshake is done: ask it for a KeyUpdate; once the client has it,
      // send data (s_server reads one command line at a time: the data must not arrive with the K).
      await waitFor(() => server.output().includes(ping));
      server.proc.stdin!.write('K\n');
      await waitFor(() => keyUpdateSeen);
      server.proc.stdin!.write('pong\n');
      const r = await probe;
      expect(r.observation.outcome).toBe('accepted');
      const received = r.transcript.filter((t) => t.dir === 'received').map((t) => t.type);
      expect(received.slice(-2)).toEqual(['KeyUpdate', 'ApplicationData']);
      expect(r.transcript.find((t) => t.dir === 'received' && t.type === 'KeyUpdate')?.fields).toEqual({
        requestUpdate: true,
      });
      expect(r.transcript.filter((t) => t.dir === 'sent' && t.type === 'KeyUpdate')).toHaveLength(1);
      // The second ping travelled under our updated keys, and the server decrypted it.
      await waitFor(() => server.output().split(ping).length - 1 >= 2);
    } finally {
      await server.close();
    }
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 3000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('TLS 1.3 PSK resumption (psk_dhe_ke)', () => {
  it.each(['node', 'openssl'] as const)(
    'resumes with a ticket from %s: no server Certificate the second time',
    async (server) => {
      const env = envs.get('ecdsa-p256')!;
      const first = await wireProbe(probeOptions(env, env[server].port, '1.3'));
      expect(first.observation.outcome).toBe('accepted');
      expect(first.ticket).toBeDefined();
      const second = await wireProbe(probeOptions(env, env[server].port, '1.3', { resumeFrom: first.ticket! }));
      expect(second.observation.outcome).toBe('accepted');
      expect(second.transcript.find((t) => t.type === 'ServerHello')?.fields).toMatchObject({ preSharedKey: 0 });
      const received = second.transcript.filter((t) => t.dir === 'received').map((t) => t.type);
      expect(received).not.toContain('Certificate');
      expect(received).not.toContain('CertificateRequest');
      expect(second.transcript.some((t) => t.dir === 'sent' && t.type === 'Certificate')).toBe(false);
    },
  );
});
