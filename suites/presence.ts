import { ACCEPT, reject, type ScenarioTemplate } from './define.js';

/** Whether a certificate is sent at all. */
export const presence: readonly ScenarioTemplate[] = [
  {
    name: 'no-certificate',
    severity: { require: 'security', optional: 'protocol', none: 'protocol' },
    title: 'No client certificate',
    description:
      'The client answers the CertificateRequest with an empty Certificate. A server that requires client ' +
      'authentication aborts with certificate_required in TLS 1.3 (RFC 8446 §4.4.2.4) and handshake_failure in TLS 1.2 ' +
      '(RFC 5246 §7.4.6); a server that only requests one, or never asks, continues unauthenticated.',
    spec: ['RFC 8446 §4.4.2.4', 'RFC 5246 §7.4.6'],
    importance: 'high',
    fixture: null,
    expect: {
      require: {
        ...reject(['certificate_required', 'handshake_failure', 'bad_certificate']),
        alertsByTls: {
          '1.3': ['certificate_required', 'handshake_failure', 'bad_certificate'],
          '1.2': ['handshake_failure', 'bad_certificate'],
        },
      },
      optional: ACCEPT,
      none: ACCEPT,
    },
  },
];
