import { ACCEPT_BOTH, rejectBoth, type ScenarioTemplate } from './define.js';

const EXPIRED = ['certificate_expired', 'bad_certificate', 'certificate_unknown'] as const;

/** Validity periods (RFC 5280 §4.1.2.5). */
export const validity: readonly ScenarioTemplate[] = [
  {
    name: 'expired',
    severity: 'security',
    title: 'Expired client certificate',
    description:
      'notAfter is 30 days in the past. certificate_expired is the RFC alert (OpenSSL maps CERT_HAS_EXPIRED to it).',
    spec: ['RFC 5280 §4.1.2.5', 'RFC 8446 §6.2'],
    importance: 'high',
    fixture: 'expired',
    expect: rejectBoth(EXPIRED),
  },
  {
    name: 'expired-one-second',
    severity: 'security',
    title: 'Client certificate expired one second before the clock',
    description:
      'notAfter is one second before the fixture clock: the first instant of expiry. Catches servers that round validity to days or minutes.',
    spec: ['RFC 5280 §4.1.2.5'],
    importance: 'medium',
    fixture: 'expired-one-second',
    expect: rejectBoth(EXPIRED),
  },
  {
    name: 'valid-until-clock',
    severity: 'protocol',
    title: 'Client certificate whose notAfter equals the clock',
    description:
      'RFC 5280 makes notAfter inclusive, so the certificate is valid exactly at the clock. A live server judges it at ' +
      'its own time, so the scenario only means something when the server clock is pinned to the fixture clock; ' +
      'openssl verify -attime is the offline judge (fixtures-gen tests).',
    spec: ['RFC 5280 §4.1.2.5'],
    importance: 'low',
    fixture: 'valid-until-clock',
    expect: ACCEPT_BOTH,
    requires: ['pinned-clock'],
  },
  {
    name: 'not-yet-valid',
    severity: 'security',
    title: 'Client certificate not yet valid',
    description:
      'notBefore is 30 days in the future. RFC 5246 defines certificate_expired as "expired or not currently valid"; ' +
      'OpenSSL sends bad_certificate, mbedTLS certificate_unknown.',
    spec: ['RFC 5280 §4.1.2.5', 'RFC 5246 §7.2.2'],
    importance: 'high',
    fixture: 'not-yet-valid',
    expect: rejectBoth(EXPIRED),
  },
  {
    name: 'expired-intermediate',
    severity: 'security',
    title: 'Intermediate CA expired',
    description:
      'The leaf is in date but its issuing intermediate expired: every certificate on the path must be valid.',
    spec: ['RFC 5280 §6.1.3 (a)(2)'],
    importance: 'high',
    fixture: 'expired-intermediate',
    expect: rejectBoth([...EXPIRED, 'unknown_ca']),
  },
];
