import { KEY_PROFILES } from '../core/manifest.js';
import { ACCEPT_BOTH, type ScenarioTemplate } from './define.js';

/** Valid clients of every key profile, then of the larger key kinds only leaves use (issue 13). */
export const profiles: readonly ScenarioTemplate[] = [
  ...KEY_PROFILES,
  'rsa-3072',
  'rsa-4096',
  'ecdsa-p521',
  'ed448',
].map((profile) => ({
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
