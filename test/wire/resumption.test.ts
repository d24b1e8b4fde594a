/**
 * TLS 1.2 session resumption (RFC 5246 §7.3 session IDs, RFC 5077 tickets, RFC 7627 §5.3 EMS consistency) against
 * node:tls and openssl s_server with mutual TLS, and against scripted servers for the failure paths.
 */
import { randomBytes } from 'node:crypto';
import type net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALERTS } from '../../core/alerts.js';
import { concat, uint, vec } from '../../wire/bytes.js';
import { CipherSuite, ContentType, ExtensionType, HandshakeType } from '../../wire/constants.js';
import { wireProbe, type Tls12Session, type WireProbeOptions, type WireResult } from '../../wire/index.js';
import { digest, prf12 } from '../../wire/keyschedule.js';
import { encodeExtensions } from '../../wire/messages.js';
import { frameRecord, handshakeMessage, RecordReader, Tls12Protection } from '../../wire/record.js';
import { makePki, nodeServer, opensslServer, rawServer, type Pki } from './helpers.js';

let pki: Pki;
beforeAll(async () => {
  pki = await makePki('ecdsa-p256', ['valid']);
});
afterAll(() => pki.cleanup());

function options(port: number, extra: Partial<WireProbeOptions> = {}): WireProbeOptions {
  return {
    host: '127.0.0.1',
    port,
    servername: 'localhost',
    tls: '1.2',
    trustPem: pki.read('trust.pem'),
    ...pki.client('valid'),
    ...extra,
  };
}

const sentTypes = (r: WireResult): string[] => r.transcript.filter((t) => t.dir === 'sent').map((t) => t.type);
const receivedTypes = (r: WireResult): string[] => r.transcript.filter((t) => t.dir === 'received').map((t) => t.type);
const FULL_HANDSHAKE_SENT = [
  'ClientHello',
  'Certificate',
  'ClientKeyExchange',
  'CertificateVerify',
  'ChangeCipherSpec',
  'Finished',
  'ApplicationData',
  'Alert',
];

/** The resumed handshake: abbreviated (RFC 5246 §7.3), without any client authentication message. */
function expectAbbreviated(r: WireResult, how: 'ticket' | 'session-id'): void {
  expect(r.observation).toMatchObject({
    outcome: 'accepted',
    step: 'application-data',
    handshakeCompleted: true,
    protocol: 'TLSv1.2',
  });
  expect(r.resumed).toBe(true);
  expect(r.observation.detail).toContain(`resumed TLS 1.2 session (${how})`);
  expect(r.observation.detail).toContain('no client Certificate sent');
  expect(sentTypes(r)).toEqual(['ClientHello', 'ChangeCipherSpec', 'Finished', 'ApplicationData', 'Alert']);
  // close_notify: OpenSSL keeps a session in its cache only when the connection closed cleanly.
  expect(r.transcript.at(-1)).toMatchObject({ dir: 'sent', type: 'Alert', fields: { code: ALERTS.close_notify } });
  const received = receivedTypes(r);
  for (const absent of ['Certificate', 'ServerKeyExchange', 'CertificateRequest', 'ServerHelloDone'])
    expect(received).not.toContain(absent);
  // The server's CCS + Finished come before ours.
  const order = r.transcript.map((t) => `${t.dir} ${t.type}`);
  expect(order.indexOf('received Finished')).toBeLessThan(order.indexOf('sent ChangeCipherSpec'));
  expect(r.transcript.find((t) => t.type === 'ServerHello')?.fields).toMatchObject({ resumed: true, resumption: how });
  expect(r.transcript.find((t) => t.type === 'ClientHello')?.fields).toMatchObject({ resumption: how });
}

describe('TLS 1.2 resumption against node:tls (requestCert + rejectUnauthorized)', () => {
  it('session tickets (RFC 5077): full handshake, then an abbreviated one the server reports as reused', async () => {
    const server = await nodeServer(pki, { maxVersion: 'TLSv1.2' });
    try {
      const first = await wireProbe(options(server.port));
      expect(first.observation).toMatchObject({ outcome: 'accepted', handshakeCompleted: true });
      expect(first.resumed).toBe(false);
      expect(sentTypes(first)).toEqual(FULL_HANDSHAKE_SENT);
      // An empty SessionTicket extension asked for a ticket; it came before the server's CCS.
      expect(first.transcript.find((t) => t.type === 'ClientHello')?.fields).toMatchObject({
        sessionIdLength: 0,
        sessionTicketLength: 0,
      });
      expect(receivedTypes(first)).toContain('NewSessionTicket');
      const session = first.tls12Session!;
      expect(session.ticket?.length).toBeGreaterThan(0);
      expect(session.masterSecret.length).toBe(48);
      expect(session.ems).toBe(true);

      const second = await wireProbe(options(server.port, { resumeFrom: session }));
      expectAbbreviated(second, 'ticket');
      // A fresh session ID accompanied the ticket, and the server echoed it.
      const ch = second.transcript.find((t) => t.type === 'ClientHello')!;
      expect(ch.fields).toMatchObject({ sessionIdLength: 32, sessionTicketLength: session.ticket!.length });
      expect(second.tls12Session?.masterSecret).toEqual(session.masterSecret);
      expect(server.reused).toEqual([false, true]);

      // The session of the resumed handshake resumes again.
      const third = await wireProbe(options(server.port, { resumeFrom: second.tls12Session! }));
      expectAbbreviated(third, 'ticket');
      expect(server.reused).toEqual([false, true, true]);
    } finally {
      await server.close();
    }
  });

  it('session IDs only (SSL_OP_NO_TICKET + newSession/resumeSession cache)', async () => {
    const server = await nodeServer(pki, { maxVersion: 'TLSv1.2', sessions: 'session-ids' });
    try {
      const first = await wireProbe(options(server.port));
      expect(first.observation.outcome).toBe('accepted');
      expect(receivedTypes(first)).not.toContain('NewSessionTicket');
      const session = first.tls12Session!;
      expect(session.ticket).toBeUndefined();
      expect(session.sessionId.length).toBe(32);

      const second = await wireProbe(options(server.port, { resumeFrom: session }));
      expectAbbreviated(second, 'session-id');
      expect(second.tls12Session?.sessionId).toEqual(session.sessionId);
      expect(server.reused).toEqual([false, true]);
    } finally {
      await server.close();
    }
  });

  it('a server without tickets or cache falls back to a full handshake, and the result says so', async () => {
    const server = await nodeServer(pki, { maxVersion: 'TLSv1.2', sessions: 'none' });
    try {
      const first = await wireProbe(options(server.port));
      expect(first.observation.outcome).toBe('accepted');
      const session = first.tls12Session!;
      expect(session.ticket).toBeUndefined();
      const second = await wireProbe(options(server.port, { resumeFrom: session }));
      expect(second.observation).toMatchObject({ outcome: 'accepted', handshakeCompleted: true });
      expect(second.resumed).toBe(false);
      expect(second.observation.detail).toContain('server chose a full handshake');
      expect(sentTypes(second)).toEqual(FULL_HANDSHAKE_SENT);
      expect(second.transcript.find((t) => t.type === 'ServerHello')?.fields).toMatchObject({ resumed: false });
      expect(second.tls12Session?.sessionId).not.toEqual(session.sessionId);
      expect(server.reused).toEqual([false, false]);
    } finally {
      await server.close();
    }
  });

  it('a tampered ticket falls back to a full handshake with client authentication', async () => {
    const server = await nodeServer(pki, { maxVersion: 'TLSv1.2' });
    try {
      const first = await wireProbe(options(server.port));
      const ticket = new Uint8Array(first.tls12Session!.ticket!);
      ticket[ticket.length >> 1]! ^= 0xff;
      const second = await wireProbe(options(server.port, { resumeFrom: { ...first.tls12Session!, ticket } }));
      expect(second.observation.outcome).toBe('accepted');
      expect(second.resumed).toBe(false);
      expect(sentTypes(second)).toEqual(FULL_HANDSHAKE_SENT);
      expect(server.reused).toEqual([false, false]);
    } finally {
      await server.close();
    }
  });

  it.each(['tickets', 'session-ids'] as const)(
    'a wrong master secret (%s) ends in a clear error, not a throw or a hang',
    async (sessions) => {
      const server = await nodeServer(pki, { maxVersion: 'TLSv1.2', sessions });
      try {
        const first = await wireProbe(options(server.port));
        const masterSecret = new Uint8Array(first.tls12Session!.masterSecret);
        masterSecret[0]! ^= 0x01;
        const started = Date.now();
        const r = await wireProbe(
          options(server.port, { resumeFrom: { ...first.tls12Session!, masterSecret }, timeoutMs: 3000 }),
        );
        expect(Date.now() - started).toBeLessThan(3000);
        // The server resumed (it knows the session) and protected its Finished with keys we cannot derive.
        expect(r.resumed).toBe(true);
        expect(r.observation).toMatchObject({
          outcome: 'error',
          handshakeCompleted: false,
          error: { kind: 'not-tls' },
        });
        expect(r.observation.error?.message).toMatch(/cannot decrypt a server record/);
        expect(r.observation.error?.message).toMatch(/master secret is wrong or tampered with/);
        expect(r.transcript.at(-1)).toMatchObject({
          dir: 'sent',
          type: 'Alert',
          fields: { code: ALERTS.bad_record_mac },
        });
        expect(r.tls12Session).toBeUndefined();
        expect(sentTypes(r)).not.toContain('Finished');
      } finally {
        await server.close();
      }
    },
  );

  it('a client-certificate mutation has nothing to alter in a resumed handshake, and the detail says so', async () => {
    const server = await nodeServer(pki, { maxVersion: 'TLSv1.2' });
    try {
      const first = await wireProbe(options(server.port));
      const r = await wireProbe(options(server.port, { resumeFrom: first.tls12Session!, mutation: 'cv-bitflip' }));
      expectAbbreviated(r, 'ticket');
      expect(r.observation.detail).toContain("mutation 'cv-bitflip' not applied");
      expect(r.transcript.some((t) => t.mutation)).toBe(false);
    } finally {
      await server.close();
    }
  });

  it('does not offer a session without the extended master secret (RFC 7627 §5.3)', async () => {
    const server = await nodeServer(pki, { maxVersion: 'TLSv1.2' });
    try {
      const first = await wireProbe(options(server.port));
      const r = await wireProbe(options(server.port, { resumeFrom: { ...first.tls12Session!, ems: false } }));
      expect(r.observation.outcome).toBe('accepted');
      expect(r.resumed).toBe(false);
      expect(r.observation.detail).toContain('lacks the extended master secret');
      expect(r.transcript.find((t) => t.type === 'ClientHello')?.fields).toMatchObject({
        sessionIdLength: 0,
        sessionTicketLength: 0,
        resumption: 'not-offered-no-ems',
      });
      expect(server.reused).toEqual([false, false]);
    } finally {
      await server.close();
    }
  });

  it('refuses a session of the other TLS version, without connecting', async () => {
    const session: Tls12Session = {
      sessionId: new Uint8Array(32),
      masterSecret: new Uint8Array(48),
      cipherSuite: CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
      ems: true,
    };
    const r = await wireProbe({ ...options(1, { resumeFrom: session }), tls: '1.3' });
    expect(r.observation).toMatchObject({ outcome: 'error', error: { kind: 'client-setup' } });
    expect(r.resumed).toBe(false);
  });

  it('TLS 1.3 PSK resumption reports resumed too', async () => {
    const server = await nodeServer(pki);
    try {
      const first = await wireProbe(options(server.port, { tls: '1.3' }));
      expect(first.resumed).toBe(false);
      const second = await wireProbe(options(server.port, { tls: '1.3', resumeFrom: first.ticket! }));
      expect(second.observation.outcome).toBe('accepted');
      expect(second.resumed).toBe(true);
      expect(second.observation.detail).toContain('resumed TLS 1.3 PSK');
      const r12 = await wireProbe(options(server.port, { resumeFrom: first.ticket! }));
      expect(r12.observation).toMatchObject({ outcome: 'error', error: { kind: 'client-setup' } });
    } finally {
      await server.close();
    }
  });
});

describe('TLS 1.2 resumption against openssl s_server (-Verify, its own session cache)', () => {
  it.each([
    ['tickets', []],
    ['session IDs (-no_ticket)', ['-no_ticket']],
  ] as const)('%s', async (_name, extra) => {
    const server = await opensslServer(pki, extra, 'interactive');
    try {
      /** One probe: s_server prints our data, we answer through its stdin. */
      const exchange = async (ping: string, more: Partial<WireProbeOptions> = {}): Promise<WireResult> => {
        const probe = wireProbe(options(server.port, { appData: new TextEncoder().encode(`${ping}\n`), ...more }));
        await waitFor(() => server.output().includes(ping));
        server.proc.stdin!.write('pong\n');
        return probe;
      };
      const first = await exchange('ping-first');
      expect(first.observation.outcome).toBe('accepted');
      expect(first.resumed).toBe(false);
      const session = first.tls12Session!;
      if (extra.length) expect(session.ticket).toBeUndefined();
      else expect(session.ticket?.length).toBeGreaterThan(0);
      expect(server.output()).not.toContain('Reused session-id');

      const second = await exchange('ping-second', { resumeFrom: session });
      expectAbbreviated(second, extra.length ? 'session-id' : 'ticket');
      const out = server.output();
      const reusedAt = out.indexOf('Reused session-id');
      expect(reusedAt).toBeGreaterThan(out.indexOf('ping-first'));
      expect(reusedAt).toBeLessThan(out.indexOf('ping-second'));
      expect(out.split('Reused session-id').length - 1).toBe(1);
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

/**
 * A scripted TLS 1.2 server that "resumes" whatever session ID the client offers, with the master secret it is
 * given: ServerHello echoing the session ID, CCS, Finished (correct or corrupted), then checks the client's Finished
 * and echoes application data.
 */
async function scriptedResumption(script: {
  masterSecret: Uint8Array;
  suite?: number;
  ems?: boolean;
  badFinished?: boolean;
}): Promise<{ port: number; clientFinishedOk: () => boolean | undefined; close(): Promise<void> }> {
  let clientFinishedOk: boolean | undefined;
  const server = await rawServer((s: net.Socket) => {
    const reader = new RecordReader();
    const hash = 'sha256';
    const transcript: Uint8Array[] = [];
    let read: Tls12Protection | undefined;
    let write: Tls12Protection | undefined;
    let clientWrite: Tls12Protection | undefined;
    s.on('data', (chunk: Buffer) => {
      reader.push(new Uint8Array(chunk));
      for (let rec = reader.next(); rec; rec = reader.next()) {
        if (rec.type === ContentType.handshake && !read) {
          // ClientHello: 4-byte handshake header, version, random, session_id.
          const ch = rec.payload;
          transcript.push(ch);
          const clientRandom = ch.subarray(6, 38);
          const sessionId = ch.subarray(39, 39 + ch[38]!);
          const serverRandom = new Uint8Array(randomBytes(32));
          const exts = [{ type: ExtensionType.renegotiationInfo, data: Uint8Array.of(0) }] as {
            type: number;
            data: Uint8Array;
          }[];
          if (script.ems ?? true) exts.push({ type: ExtensionType.extendedMasterSecret, data: new Uint8Array(0) });
          const sh = handshakeMessage(
            HandshakeType.serverHello,
            concat(
              uint(0x0303, 2),
              serverRandom,
              vec(1, sessionId),
              uint(script.suite ?? CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, 2),
              Uint8Array.of(0),
              encodeExtensions(exts),
            ),
          );
          transcript.push(sh);
          const block = prf12(hash, script.masterSecret, 'key expansion', concat(serverRandom, clientRandom), 40);
          clientWrite = new Tls12Protection('aes-128-gcm', block.subarray(0, 16), block.subarray(32, 36));
          write = new Tls12Protection('aes-128-gcm', block.subarray(16, 32), block.subarray(36, 40));
          const verify = prf12(hash, script.masterSecret, 'server finished', digest(hash, ...transcript), 12);
          if (script.badFinished) verify[0]! ^= 0x01;
          const fin = handshakeMessage(HandshakeType.finished, verify);
          s.write(frameRecord(ContentType.handshake, sh));
          s.write(frameRecord(ContentType.changeCipherSpec, Uint8Array.of(1)));
          s.write(write.seal(ContentType.handshake, fin));
          transcript.push(fin);
        } else if (rec.type === ContentType.changeCipherSpec) {
          read = clientWrite;
        } else if (read && rec.type === ContentType.handshake) {
          const fin = read.open(rec).content;
          const expected = prf12(hash, script.masterSecret, 'client finished', digest(hash, ...transcript), 12);
          clientFinishedOk = Buffer.from(fin.subarray(4)).equals(Buffer.from(expected));
        } else if (read && rec.type === ContentType.applicationData) {
          s.write(write!.seal(ContentType.applicationData, read.open(rec).content));
        }
      }
    });
  });
  return { port: server.port, clientFinishedOk: () => clientFinishedOk, close: () => server.close() };
}

describe('TLS 1.2 resumption against a scripted server', () => {
  const session = (): Tls12Session => ({
    sessionId: new Uint8Array(randomBytes(32)),
    masterSecret: new Uint8Array(randomBytes(48)),
    cipherSuite: CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    ems: true,
  });

  it('completes an abbreviated handshake whose client Finished the server verifies', async () => {
    const s = session();
    const server = await scriptedResumption({ masterSecret: s.masterSecret });
    try {
      const r = await wireProbe(options(server.port, { resumeFrom: s, timeoutMs: 2000 }));
      expectAbbreviated(r, 'session-id');
      expect(server.clientFinishedOk()).toBe(true);
      expect(r.tls12Session).toMatchObject({ sessionId: s.sessionId, masterSecret: s.masterSecret, ems: true });
    } finally {
      await server.close();
    }
  });

  it('a server Finished that does not verify → error, decrypt_error sent', async () => {
    const s = session();
    const server = await scriptedResumption({ masterSecret: s.masterSecret, badFinished: true });
    try {
      const r = await wireProbe(options(server.port, { resumeFrom: s, timeoutMs: 2000 }));
      expect(r.observation).toMatchObject({ outcome: 'error', handshakeCompleted: false, error: { kind: 'not-tls' } });
      expect(r.observation.error?.message).toMatch(/server Finished does not verify/);
      expect(r.transcript.at(-1)).toMatchObject({ dir: 'sent', type: 'Alert', fields: { code: ALERTS.decrypt_error } });
      expect(sentTypes(r)).toEqual(['ClientHello', 'Alert']);
    } finally {
      await server.close();
    }
  });

  it('a server resuming an EMS session without extended_master_secret → handshake_failure (RFC 7627 §5.3)', async () => {
    const s = session();
    const server = await scriptedResumption({ masterSecret: s.masterSecret, ems: false });
    try {
      const r = await wireProbe(options(server.port, { resumeFrom: s, timeoutMs: 2000 }));
      expect(r.observation).toMatchObject({ outcome: 'error', error: { kind: 'not-tls' } });
      expect(r.observation.error?.message).toMatch(/without the extended_master_secret extension/);
      expect(r.transcript.at(-1)).toMatchObject({
        dir: 'sent',
        type: 'Alert',
        fields: { code: ALERTS.handshake_failure },
      });
      expect(r.resumed).toBe(false);
    } finally {
      await server.close();
    }
  });

  it('a server resuming with another cipher suite → illegal_parameter', async () => {
    const s = session();
    const server = await scriptedResumption({
      masterSecret: s.masterSecret,
      suite: CipherSuite.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
    });
    try {
      const r = await wireProbe(options(server.port, { resumeFrom: s, timeoutMs: 2000 }));
      expect(r.observation).toMatchObject({ outcome: 'error', error: { kind: 'not-tls' } });
      expect(r.observation.error?.message).toMatch(/the session used/);
      expect(r.transcript.at(-1)).toMatchObject({
        dir: 'sent',
        type: 'Alert',
        fields: { code: ALERTS.illegal_parameter },
      });
    } finally {
      await server.close();
    }
  });
});

describe('sessionTickets: false (issue 12: the TLS 1.2 session ID variant)', () => {
  it('offers no ticket: a server that issues tickets issues none; one with a session cache resumes by session ID', async () => {
    const tickets = await nodeServer(pki, { maxVersion: 'TLSv1.2' });
    try {
      const asked = await wireProbe(options(tickets.port));
      expect(receivedTypes(asked)).toContain('NewSessionTicket');
      const notAsked = await wireProbe(options(tickets.port, { sessionTickets: false }));
      expect(notAsked.observation).toMatchObject({ outcome: 'accepted', handshakeCompleted: true });
      // RFC 5077 §3.2: without the client's SessionTicket extension the server sends no NewSessionTicket.
      expect(receivedTypes(notAsked)).not.toContain('NewSessionTicket');
      expect(notAsked.tls12Session?.ticket).toBeUndefined();
    } finally {
      await tickets.close();
    }
    const ids = await nodeServer(pki, { maxVersion: 'TLSv1.2', sessions: 'session-ids' });
    try {
      const first = await wireProbe(options(ids.port, { sessionTickets: false }));
      expect(first.tls12Session?.sessionId.length).toBe(32);
      const again = await wireProbe(options(ids.port, { sessionTickets: false, resumeFrom: first.tls12Session! }));
      expectAbbreviated(again, 'session-id');
      expect(ids.reused).toEqual([false, true]);
    } finally {
      await ids.close();
    }
  });
});
