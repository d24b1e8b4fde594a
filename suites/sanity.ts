import { ACCEPT, ACCEPT_BOTH, type ScenarioTemplate } from './define.js';

/** The sanity scenario: runs first and last; if it does not pass, no other verdict can be trusted. */
export const sanity: readonly ScenarioTemplate[] = [
  {
    name: 'valid',
    severity: 'protocol',
    title: 'A valid client certificate is accepted',
    description:
      'Leaf + intermediate chaining to the configured root, clientAuth EKU, not revoked. The server must complete the ' +
      'handshake and answer application data. Run first and last: a target that fails it is dead, misconfigured or ' +
      'broke mid-run, and the run is an error rather than a list of passes.',
    spec: ['RFC 8446 §4.4.2', 'RFC 5246 §7.4.6'],
    importance: 'high',
    fixture: 'valid',
    // A server that never asks still completes the handshake: the client's certificate is simply not sent.
    expect: { ...ACCEPT_BOTH, none: ACCEPT },
    sanity: true,
  },
];
