import { KEY_PROFILES } from '../core/manifest.js';
import { ACCEPT_BOTH, type ScenarioTemplate } from './define.js';

/** Valid clients of every key profile. */
export const profiles: readonly ScenarioTemplate[] = KEY_PROFILES.map((profile) => ({
  name: `valid-${profile}`,
  title: `Valid ${profile} client certificate`,
  description: `A valid client with a ${profile} key: the server must accept every common key type (and sign/verify its CertificateVerify).`,
  spec: ['RFC 8446 §4.2.3', 'RFC 8446 §4.4.3'],
  importance: 'medium' as const,
  // Rejecting a valid client is an interoperability failure: it lets nobody in.
  severity: 'protocol' as const,
  fixture: `valid-${profile}`,
  expect: ACCEPT_BOTH,
}));
