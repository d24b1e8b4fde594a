import { describe, expect, it } from 'vitest';
import { ALERTS } from '../../core/alerts.js';
import { initialState, type ClientState } from '../../wire/flight.js';
import { conversationFor, findMutation, stepForAlert, WIRE_MUTATIONS } from '../../wire/index.js';

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
