import { describe, expect, it } from 'vitest';
import { ALERTS } from '../../core/alerts.js';
import { initialState, type ClientState } from '../../wire/flight.js';
import {
  conversationFor,
  findMutation,
  postHandshakeAuthConversation,
  renegotiationConversation,
  stepForAlert,
  WIRE_MUTATIONS,
  wireProbe,
  type Step,
  type WireProbeOptions,
} from '../../wire/index.js';

function stateAfter(...sent: ClientState['sent']): ClientState {
  const state = initialState();
  state.sent.push(...sent);
  return state;
}

describe('step attribution (documented in wire/probe.ts)', () => {
  const fullFlight = stateAfter(
    { message: 'change-cipher-spec' },
    { message: 'certificate', entries: 2 },
    { message: 'certificate-verify' },
    { message: 'finished' },
  );

  it('attributes alerts before our flight to the ClientHello', () => {
    expect(stepForAlert(ALERTS.handshake_failure, initialState(), undefined)).toBe('client-hello');
  });

  it('attributes decrypt_error to CertificateVerify when one was sent, else to Finished', () => {
    expect(stepForAlert(ALERTS.decrypt_error, fullFlight, undefined)).toBe('certificate-verify');
    expect(
      stepForAlert(
        ALERTS.decrypt_error,
        stateAfter({ message: 'certificate', entries: 0 }, { message: 'finished' }),
        undefined,
      ),
    ).toBe('client-finished');
  });

  it('attributes certificate alerts, and handshake_failure after an empty Certificate, to the Certificate', () => {
    for (const code of [
      ALERTS.bad_certificate,
      ALERTS.unknown_ca,
      ALERTS.certificate_expired,
      ALERTS.certificate_required,
    ]) {
      expect(stepForAlert(code, fullFlight, undefined)).toBe('client-certificate');
    }
    expect(
      stepForAlert(
        ALERTS.handshake_failure,
        stateAfter({ message: 'certificate', entries: 0 }, { message: 'finished' }),
        undefined,
      ),
    ).toBe('client-certificate');
  });

  it('attributes protocol alerts to the mutation, else to the last handshake message sent', () => {
    expect(stepForAlert(ALERTS.unexpected_message, fullFlight, findMutation('omit-certificate-verify'))).toBe(
      'certificate-verify',
    );
    expect(stepForAlert(ALERTS.decode_error, fullFlight, findMutation('zero-length-entry'))).toBe('client-certificate');
    expect(stepForAlert(ALERTS.unexpected_message, fullFlight, undefined)).toBe('client-finished');
  });
});

describe('mutations rewrite the default conversation', () => {
  it('every mutation changes the conversation of each version it applies to', () => {
    for (const name of WIRE_MUTATIONS) {
      const m = findMutation(name)!;
      for (const tls of m.tls) expect(conversationFor(tls, m), `${name} ${tls}`).not.toEqual(conversationFor(tls));
    }
  });

  it('omit-certificate-verify drops only the CertificateVerify', () => {
    const steps = conversationFor('1.2', findMutation('omit-certificate-verify'));
    expect(steps.filter((s) => 'send' in s).map((s) => ('send' in s ? s.send : ''))).toEqual([
      'client-hello',
      'certificate',
      'client-key-exchange',
      'change-cipher-spec',
      'finished',
      'application-data',
    ]);
  });
});

describe('options after the handshake are checked before connecting', () => {
  // Port 9 on 127.0.0.1: a connection attempt would surface as 'refused', not as the client-setup error expected.
  const base = { host: '127.0.0.1', port: 9, servername: 'localhost', trustPem: '' } as const;

  it.each([
    [
      'postHandshakeAuth with TLS 1.2',
      { ...base, tls: '1.2', postHandshakeAuth: {} },
      /postHandshakeAuth is TLS 1.3 only/,
    ],
    [
      'renegotiation with TLS 1.3',
      { ...base, tls: '1.3', renegotiation: { answer: 'accept' } },
      /renegotiation is TLS 1.2 only/,
    ],
    [
      'an unknown answer',
      { ...base, tls: '1.2', renegotiation: { answer: 'maybe' } },
      /renegotiation.answer 'maybe' is not one of/,
    ],
    [
      'an unknown renegotiationInfo',
      { ...base, tls: '1.2', renegotiation: { answer: 'accept', renegotiationInfo: 'garbled' } },
      /renegotiation.renegotiationInfo 'garbled' is not one of/,
    ],
    [
      'an unknown mutation',
      { ...base, tls: '1.3', postHandshakeAuth: { mutation: 'nope' } },
      /unknown wire mutation 'nope' in postHandshakeAuth/,
    ],
    [
      'a TLS 1.3 mutation in a renegotiation',
      { ...base, tls: '1.2', renegotiation: { answer: 'accept', mutation: 'unrequested-cert-entry-extension' } },
      /mutation 'unrequested-cert-entry-extension' in renegotiation does not apply to TLS 1.2/,
    ],
    [
      'a key that does not load',
      { ...base, tls: '1.3', postHandshakeAuth: { chainPem: 'not a pem', keyPem: 'not a key' } },
      /cannot load/,
    ],
  ])('%s', async (_name, opts, message) => {
    const { observation, transcript } = await wireProbe(opts as unknown as WireProbeOptions);
    expect(observation).toMatchObject({ outcome: 'error', error: { kind: 'client-setup' } });
    expect(observation.error?.message).toMatch(message);
    expect(transcript).toEqual([]);
  });
});

describe('conversations after the handshake', () => {
  const sends = (steps: readonly Step[]): string[] => steps.map((s) => ('send' in s ? s.send : `expect ${s.expect}`));

  it('post-handshake authentication answers Certificate, CertificateVerify (with a certificate), Finished', () => {
    expect(postHandshakeAuthConversation()).toEqual([
      { send: 'certificate', when: 'requested' },
      { send: 'certificate-verify', when: 'certificate-sent' },
      { send: 'finished' },
    ]);
    expect(sends(findMutation('omit-certificate-verify')!.apply(postHandshakeAuthConversation(), '1.3'))).toEqual([
      'certificate',
      'finished',
    ]);
    expect(sends(findMutation('double-certificate')!.apply(postHandshakeAuthConversation(), '1.3'))).toEqual([
      'certificate',
      'certificate',
      'certificate-verify',
      'finished',
    ]);
  });

  it('a renegotiation is the TLS 1.2 handshake without its application data', () => {
    expect(sends(renegotiationConversation())).toEqual([
      'client-hello',
      'expect server-hello',
      'expect server-flight',
      'certificate',
      'client-key-exchange',
      'certificate-verify',
      'change-cipher-spec',
      'finished',
      'expect server-finished',
    ]);
  });
});
