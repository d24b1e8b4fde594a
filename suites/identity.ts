import { rejectBoth, type ScenarioTemplate } from './define.js';

/** Authorisation of an authenticated identity. */
export const identity: readonly ScenarioTemplate[] = [
  {
    name: 'identity-not-allowed',
    severity: 'security',
    title: 'Valid certificate of an identity not on the allow-list',
    description:
      'The chain validates but the subject is not in manifest.identityAllowList. A server with an identity policy ' +
      'refuses it after validation, under either policy (access_denied is the RFC alert; many servers answer 403 at the HTTP layer).',
    spec: ['RFC 8446 §6.2'],
    importance: 'medium',
    fixture: 'identity-not-allowed',
    expect: rejectBoth(['access_denied', 'handshake_failure', 'certificate_unknown', 'bad_certificate']),
    requires: ['identity-policy'],
  },
];
