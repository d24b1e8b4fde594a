/**
 * TLS 1.2 renegotiation (RFC 5246 §7.4.1.1, RFC 5746) against `openssl s_server -tls1_2 -verify_return_error`
 * without -verify/-Verify (no CertificateRequest in the handshake), driven through stdin as a web server with a
 * per-location client certificate behaves: the client sends its request right after the handshake, then `R` sends a
 * HelloRequest and asks for a certificate in the renegotiated handshake (`r`: a renegotiation without one), and the
 * test types the response once s_server judged it. Only application data after the renegotiation proves acceptance.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALERTS } from '../../core/alerts.js';
import { NO_RENEGOTIATION } from '../../wire/constants.js';
import { wireProbe, type TranscriptEntry, type WireProbeOptions, type WireResult } from '../../wire/index.js';
import { makePki, opensslServer, waitFor, type Pki } from './helpers.js';

const REQUEST_LINE = 'GET /protected HTTP/1.0';
const RESPONSE = 'HTTP/1.0 200 ok';

let pki: Pki;
beforeAll(async () => {
  pki = await makePki('ecdsa-p256', ['valid', 'expired', 'unknown-ca', 'mismatched-key']);
});
afterAll(() => pki.cleanup());

function options(port: number, extra: Partial<WireProbeOptions> = {}): WireProbeOptions {
  return {
    host: '127.0.0.1',
    port,
    servername: 'localhost',
    tls: '1.2',
    trustPem: pki.read('trust.pem'),
    appData: new TextEncoder().encode(`${REQUEST_LINE}\n`),
    ...extra,
  };
}

function identity(fixture: string): { chainPem: string; keyPem: string } {
  const { chainPem, keyPem } = pki.client(fixture);
  return { chainPem, keyPem };
}

/**
 * Starts s_server, runs a probe and plays the web server: once s_server printed the request, each command is typed
 * and s_server's judgement awaited (it went back to reading, `Read BLOCK`: the renegotiation completed; or it failed,
 * `ERROR`); then the response is typed unless s_server failed. Returns the result and what s_server printed from the
 * first command on, once that includes `serverSays` (its stderr, where OpenSSL's reasons go, is another pipe than the
 * connection: it may be read after the probe ended).
 */
async function renegotiate(
  commands: readonly ('R' | 'r')[],
  extra: Partial<WireProbeOptions>,
  serverSays: RegExp,
): Promise<{ result: WireResult; said: string }> {
  const server = await opensslServer(pki, ['-tls1_2'], 'interactive', 'when-asked');
  try {
    const probe = wireProbe(options(server.port, extra));
    await waitFor(() => server.output().includes(REQUEST_LINE), 's_server printing the request');
    const start = server.output().length;
    for (const command of commands) {
      const mark = server.output().length;
      server.proc.stdin!.write(`${command}\n`);
      await waitFor(() => /Read BLOCK|ERROR/.test(server.output().slice(mark)), `s_server judging after ${command}`);
      if (server.output().slice(mark).includes('ERROR')) break;
    }
    if (!server.output().slice(start).includes('ERROR')) server.proc.stdin!.write(`${RESPONSE}\n`);
    const result = await probe;
    await waitFor(() => serverSays.test(server.output().slice(start)), `s_server saying ${String(serverSays)}`);
    return { result, said: server.output().slice(start) };
  } finally {
    await server.close();
  }
}

const entries = (r: WireResult, dir: TranscriptEntry['dir'], type: string): TranscriptEntry[] =>
  r.transcript.filter((t) => t.dir === dir && t.type === type);
const verifyData = (e: TranscriptEntry | undefined): string => String(e?.fields?.['verifyData']);

describe('openssl s_server 3.0: R (renegotiation asking for a certificate) after the request', () => {
  it('valid: renegotiated with the certificate, bound to the first handshake (RFC 5746), then the response', async () => {
    const verified = /depth=0 CN = mtls-harness client valid[^\n]*\nverify return:1/;
    const { result, said } = await renegotiate(
      ['R'],
      { renegotiation: { answer: 'accept', ...identity('valid') } },
      verified,
    );
    expect(result.observation).toMatchObject({
      outcome: 'accepted',
      step: 'application-data',
      handshakeCompleted: true,
      protocol: 'TLSv1.2',
    });
    expect(result.observation.detail).toContain(
      '1 HelloRequest received, renegotiated (Certificate (2 entries), ClientKeyExchange, CertificateVerify, ChangeCipherSpec, Finished; completed)',
    );
    // The first handshake asked for nothing; the renegotiated one asked and got the certificate.
    expect(result.certificateRequest).toBeUndefined();
    expect(result.renegotiation).toMatchObject({
      secureRenegotiation: true,
      helloRequests: 1,
      answer: 'renegotiated',
      completed: true,
      sent: [
        { message: 'certificate', entries: 2 },
        { message: 'client-key-exchange' },
        { message: 'certificate-verify' },
        { message: 'change-cipher-spec' },
        { message: 'finished' },
      ],
    });
    expect(result.renegotiation!.certificateRequest?.certificateAuthorities).toEqual([
      'CN=mtls-harness root CA, O=mtls-harness test PKI',
    ]);
    // Every message of the renegotiation is in the transcript, marked, inside the protected connection.
    const phase = result.transcript.filter((t) => t.phase === 'renegotiation');
    expect(phase.map((t) => `${t.dir} ${t.type}`)).toEqual([
      'received HelloRequest',
      'sent ClientHello',
      'received ServerHello',
      'received Certificate',
      'received ServerKeyExchange',
      'received CertificateRequest',
      'received ServerHelloDone',
      'sent Certificate',
      'sent ClientKeyExchange',
      'sent CertificateVerify',
      'sent ChangeCipherSpec',
      'sent Finished',
      'received NewSessionTicket',
      'received ChangeCipherSpec',
      'received Finished',
    ]);
    expect(phase.every((t) => t.encrypted)).toBe(true);
    // NOTE: RFC 5746 §3.5 — our ClientHello carries our first Finished's verify_data; the server answers with both
    // Finished messages' verify_data, from its own record of them.
    const [firstOurs, renegotiatedOurs] = entries(result, 'sent', 'Finished');
    const [firstTheirs] = entries(result, 'received', 'Finished');
    const [, hello] = entries(result, 'sent', 'ClientHello');
    const [, serverHello] = entries(result, 'received', 'ServerHello');
    expect(hello!.fields).toMatchObject({ renegotiation: 'correct', renegotiationInfo: verifyData(firstOurs) });
    expect(serverHello!.fields?.['renegotiationInfo']).toBe(verifyData(firstOurs) + verifyData(firstTheirs));
    expect(verifyData(renegotiatedOurs)).not.toBe(verifyData(firstOurs));
    expect(entries(result, 'received', 'ApplicationData')).toHaveLength(1);
    // s_server verified the certificate in the renegotiated handshake and went on.
    expect(said).not.toContain('ERROR');
    expect(said).toMatch(verified);
  });

  it('a second renegotiation binds to the first renegotiated handshake, not to the initial one', async () => {
    const { result, said } = await renegotiate(
      ['R', 'R'],
      { renegotiation: { answer: 'accept', ...identity('valid') } },
      /verify return:1/,
    );
    expect(result.observation.outcome).toBe('accepted');
    expect(result.renegotiation).toMatchObject({ helloRequests: 2, answer: 'renegotiated', completed: true });
    const ours = entries(result, 'sent', 'Finished');
    const theirs = entries(result, 'received', 'Finished');
    const hellos = entries(result, 'sent', 'ClientHello');
    const serverHellos = entries(result, 'received', 'ServerHello');
    expect(hellos).toHaveLength(3);
    expect(hellos[2]!.fields?.['renegotiationInfo']).toBe(verifyData(ours[1]));
    expect(serverHellos[2]!.fields?.['renegotiationInfo']).toBe(verifyData(ours[1]) + verifyData(theirs[1]));
    // SSL_VERIFY_CLIENT_ONCE: s_server has the certificate and does not ask again.
    expect(result.renegotiation!.sent.map((s) => s.message)).toEqual([
      'client-key-exchange',
      'change-cipher-spec',
      'finished',
    ]);
    expect(said).not.toContain('ERROR');
  });

  it('r: a renegotiation without a CertificateRequest sends no Certificate', async () => {
    const { result, said } = await renegotiate(
      ['r'],
      { renegotiation: { answer: 'accept', ...identity('valid') } },
      /Read BLOCK/,
    );
    expect(said).not.toContain('ERROR');
    expect(result.observation.outcome).toBe('accepted');
    expect(result.renegotiation).toMatchObject({ answer: 'renegotiated', completed: true });
    expect(result.renegotiation!.certificateRequest).toBeUndefined();
    expect(result.renegotiation!.sent.map((s) => s.message)).toEqual([
      'client-key-exchange',
      'change-cipher-spec',
      'finished',
    ]);
  });

  it.each([
    ['expired', 'certificate_expired', 'client-certificate', 'verify error:num=10:certificate has expired'],
    ['unknown-ca', 'unknown_ca', 'client-certificate', 'verify error:num=20:unable to get local issuer certificate'],
    ['mismatched-key', 'decrypt_error', 'certificate-verify', 'bad signature'],
  ])('%s is refused with %s at post-handshake (renegotiated %s)', async (fixture, alert, step, reason) => {
    const { result, said } = await renegotiate(
      ['R'],
      { renegotiation: { answer: 'accept', ...identity(fixture) } },
      new RegExp(reason),
    );
    expect(result.observation).toMatchObject({
      outcome: 'rejected-alert',
      alert: { name: alert, code: ALERTS[alert as keyof typeof ALERTS] },
      alertTiming: 'post-handshake',
      step: 'post-handshake',
      handshakeCompleted: true,
    });
    expect(result.renegotiation).toMatchObject({ answer: 'renegotiated', completed: false, step });
    expect(result.transcript.at(-1)).toMatchObject({ dir: 'received', type: 'Alert', phase: 'renegotiation' });
    expect(entries(result, 'received', 'ApplicationData')).toHaveLength(0);
    expect(said).toContain('ERROR');
    expect(said).toContain(reason);
  });

  it('the cv-foreign-key mutation applies to the renegotiated CertificateVerify: decrypt_error', async () => {
    const { result, said } = await renegotiate(
      ['R'],
      { renegotiation: { answer: 'accept', ...identity('valid'), mutation: 'cv-foreign-key' } },
      /bad signature/,
    );
    expect(result.observation).toMatchObject({ outcome: 'rejected-alert', alert: { name: 'decrypt_error' } });
    expect(result.renegotiation).toMatchObject({ step: 'certificate-verify' });
    expect(result.renegotiation!.sent).toContainEqual({ message: 'certificate-verify', mutation: 'cv-foreign-key' });
    expect(said).toContain('bad signature');
  });

  it('refuse: a no_renegotiation warning, which s_server answers with handshake_failure', async () => {
    const { result, said } = await renegotiate(
      ['R'],
      { renegotiation: { answer: 'refuse', ...identity('valid') } },
      /no renegotiation/,
    );
    expect(result.observation).toMatchObject({
      outcome: 'rejected-alert',
      alert: { name: 'handshake_failure', code: ALERTS.handshake_failure },
      alertTiming: 'post-handshake',
      step: 'post-handshake',
    });
    expect(result.observation.detail).toContain('1 HelloRequest received, refused with a no_renegotiation warning');
    expect(result.renegotiation).toMatchObject({ answer: 'refused', sent: [], completed: false });
    const refusal = result.transcript.find(
      (t) => t.dir === 'sent' && t.type === 'Alert' && t.phase === 'renegotiation',
    );
    expect(refusal).toMatchObject({
      encrypted: true,
      fields: { level: 1, code: NO_RENEGOTIATION, name: 'no_renegotiation' },
    });
    expect(entries(result, 'sent', 'ClientHello')).toHaveLength(1);
    expect(said).toContain('no renegotiation');
  });

  it('ignore: nothing is sent, and s_server writes the typed response all the same', async () => {
    const server = await opensslServer(pki, ['-tls1_2'], 'interactive', 'when-asked');
    try {
      let helloRequest = false;
      const probe = wireProbe(
        options(server.port, {
          renegotiation: { answer: 'ignore' },
          onTranscript: (e) => {
            if (e.type === 'HelloRequest') helloRequest = true;
          },
        }),
      );
      await waitFor(() => server.output().includes(REQUEST_LINE), 's_server printing the request');
      server.proc.stdin!.write('R\n');
      await waitFor(() => helloRequest, 'the HelloRequest');
      server.proc.stdin!.write(`${RESPONSE}\n`);
      const result = await probe;
      // NOTE: s_server's interactive mode does not hold data back while its renegotiation is pending: refusing the
      // resource to a client that ignores the request is the server application's decision (Apache's per-location
      // SSLVerifyClient withholds it).
      expect(result.observation).toMatchObject({ outcome: 'accepted' });
      expect(result.observation.detail).toContain('1 HelloRequest received, ignored');
      expect(result.renegotiation).toMatchObject({ helloRequests: 1, answer: 'ignored', sent: [], completed: false });
      expect(entries(result, 'sent', 'ClientHello')).toHaveLength(1);
      expect(result.transcript.filter((t) => t.dir === 'sent' && t.phase)).toEqual([]);
    } finally {
      await server.close();
    }
  });
});

describe('secure renegotiation (RFC 5746 §3.7): s_server refuses a renegotiation_info that does not bind', () => {
  it.each([
    ['wrong-verify-data', 'renegotiation mismatch'],
    ['empty', 'renegotiation mismatch'],
    ['absent', 'unsafe legacy renegotiation disabled'],
  ] as const)('%s: handshake_failure at the renegotiated ClientHello', async (renegotiationInfo, reason) => {
    const { result, said } = await renegotiate(
      ['R'],
      { renegotiation: { answer: 'accept', ...identity('valid'), renegotiationInfo } },
      new RegExp(reason),
    );
    expect(result.observation).toMatchObject({
      outcome: 'rejected-alert',
      alert: { name: 'handshake_failure' },
      step: 'post-handshake',
    });
    expect(result.renegotiation).toMatchObject({
      answer: 'renegotiated',
      sent: [],
      completed: false,
      step: 'client-hello',
    });
    const [first] = entries(result, 'sent', 'Finished');
    const [, hello] = entries(result, 'sent', 'ClientHello');
    expect(hello!.fields?.['renegotiation']).toBe(renegotiationInfo);
    expect(hello!.fields?.['renegotiationInfo']).not.toBe(verifyData(first));
    expect(entries(result, 'received', 'ServerHello')).toHaveLength(1);
    expect(said).toContain(reason);
  });
});

describe('a server that answers while its renegotiation waits for the ServerHello (issue 12)', () => {
  // NOTE: `openssl s_server -www` renegotiates asking for a certificate on `GET /renegcert`, then reads one more line
  // before it writes the page: the blank line that ends our request is already there, so the page leaves before the
  // renegotiated ServerHello. The page is the answer to the request: it was served without any certificate.
  it('the application data that comes before the renegotiated ServerHello is the decision: accepted', async () => {
    const server = await opensslServer(pki, ['-tls1_2'], '-www', 'when-asked');
    try {
      const result = await wireProbe(
        options(server.port, {
          appData: new TextEncoder().encode('GET /renegcert HTTP/1.0\r\n\r\n'),
          http: true,
          renegotiation: { answer: 'accept', ...identity('expired') },
        }),
      );
      expect(result.observation).toMatchObject({
        outcome: 'accepted',
        step: 'application-data',
        httpStatus: 200,
        handshakeCompleted: true,
      });
      expect(result.observation.detail).toContain(
        '1 HelloRequest received, renegotiated (ClientHello only; not completed: the server sent application data before its ServerHello)',
      );
      expect(result.renegotiation).toMatchObject({
        helloRequests: 1,
        answer: 'renegotiated',
        sent: [],
        completed: false,
        answeredBeforeServerHello: true,
      });
      // Our renegotiating ClientHello went out, and the page came back before any ServerHello.
      const order = result.transcript.map((t) => `${t.dir} ${t.type}`);
      const hello = order.lastIndexOf('sent ClientHello');
      expect(order.indexOf('received HelloRequest')).toBeLessThan(hello);
      expect(order.slice(hello + 1, hello + 2)).toEqual(['received ApplicationData']);
      expect(entries(result, 'received', 'ServerHello')).toHaveLength(1);
      expect(entries(result, 'sent', 'Certificate')).toEqual([]);
    } finally {
      await server.close();
    }
  });
});
