/**
 * Named mutations: each rewrites the default conversation (./conversation.ts) into one a correct server must refuse,
 * and names the handshake step at which it deviates (the step a strict server decides at).
 */
import type { HandshakeStep, TlsVersion } from '../core/scenario.js';
import { ExtensionType } from './constants.js';
import {
  defaultConversation,
  type CertificateAlteration,
  type CertificateVerifyAlteration,
  type Step,
} from './conversation.js';

/** The client code paths mutations alter. */
export type MutationFamily = 'certificate' | 'certificate-verify';

/** A named conversation rewrite. */
export interface Mutation {
  readonly name: string;
  readonly description: string;
  /** Versions it applies to. */
  readonly tls: readonly TlsVersion[];
  /** The step at which the conversation deviates from a correct one. */
  readonly step: HandshakeStep;
  /**
   * The client code path the mutation goes through: `certificate` (building the Certificate message) or
   * `certificate-verify` (signing). Scenarios of one family share a positive control that runs the same path
   * unaltered.
   */
  readonly family: MutationFamily;
  /** Returns the altered conversation. */
  apply(steps: readonly Step[], tls: TlsVersion): Step[];
}

function alterSend(
  steps: readonly Step[],
  message: 'certificate' | 'certificate-verify',
  name: string,
  alt: { certificate?: CertificateAlteration; verify?: CertificateVerifyAlteration; when?: 'always' },
): Step[] {
  return steps.map((s) => ('send' in s && s.send === message ? { ...s, ...alt, mutation: name } : s));
}

function omit(steps: readonly Step[], message: 'certificate' | 'certificate-verify'): Step[] {
  return steps.filter((s) => !('send' in s && s.send === message));
}

const certificateMutation = (
  name: string,
  description: string,
  certificate: CertificateAlteration,
  tls: readonly TlsVersion[] = ['1.2', '1.3'],
): Mutation => ({
  name,
  description,
  tls,
  step: 'client-certificate',
  family: 'certificate',
  apply: (steps) => alterSend(steps, 'certificate', name, { certificate }),
});

const verifyMutation = (
  name: string,
  description: string,
  verify: CertificateVerifyAlteration,
  tls: readonly TlsVersion[] = ['1.2', '1.3'],
): Mutation => ({
  name,
  description,
  tls,
  step: 'certificate-verify',
  family: 'certificate-verify',
  apply: (steps) => alterSend(steps, 'certificate-verify', name, { verify }),
});

/** Every mutation, by name. */
export const MUTATIONS: readonly Mutation[] = [
  verifyMutation(
    'cv-foreign-key',
    'CertificateVerify signed by a fresh key of the same kind, not the certificate key',
    { signer: 'foreign' },
  ),
  verifyMutation('cv-bitflip', 'CertificateVerify with one bit of the signature flipped', { signature: 'bitflip' }),
  verifyMutation('cv-empty-signature', 'CertificateVerify with a zero-length signature', { signature: 'empty' }),
  verifyMutation(
    'cv-scheme-not-offered',
    'CertificateVerify labelled with a scheme absent from the CertificateRequest',
    { scheme: 'not-offered' },
  ),
  verifyMutation(
    'cv-rsa-pkcs1-in-tls13',
    'CertificateVerify with rsa_pkcs1_sha256, which TLS 1.3 forbids there',
    { scheme: 'rsa-pkcs1' },
    ['1.3'],
  ),
  {
    name: 'omit-certificate-verify',
    description: 'Certificate sent, CertificateVerify omitted',
    tls: ['1.2', '1.3'],
    step: 'certificate-verify',
    family: 'certificate-verify',
    apply: (steps) => omit(steps, 'certificate-verify'),
  },
  {
    name: 'omit-certificate',
    description: 'Certificate and CertificateVerify omitted although the server asked',
    tls: ['1.2', '1.3'],
    step: 'client-certificate',
    family: 'certificate',
    apply: (steps) => omit(omit(steps, 'certificate'), 'certificate-verify'),
  },
  certificateMutation(
    'empty-certificate-trailing-bytes',
    'an empty Certificate followed by trailing bytes inside the message',
    {
      entries: 'empty',
      trailing: [0, 0, 0],
    },
  ),
  certificateMutation('garbage-leaf-der', 'the leaf certificate replaced by bytes that are not DER', {
    entries: 'garbage-leaf',
  }),
  certificateMutation('zero-length-entry', 'the valid chain followed by a zero-length certificate entry', {
    entries: 'append-empty-entry',
  }),
  certificateMutation('bad-certificate-list-length', 'certificate_list length field 3 bytes longer than its content', {
    listLengthDelta: 3,
  }),
  {
    name: 'double-certificate',
    description: 'two Certificate messages, then one CertificateVerify',
    tls: ['1.2', '1.3'],
    step: 'client-certificate',
    family: 'certificate',
    apply: (steps) =>
      steps.flatMap((s) =>
        'send' in s && s.send === 'certificate'
          ? [
              { ...s, mutation: 'double-certificate' },
              { ...s, mutation: 'double-certificate' },
            ]
          : [s],
      ),
  },
  {
    name: 'unsolicited-certificate',
    description: 'Certificate and CertificateVerify sent although the server sent no CertificateRequest',
    tls: ['1.2', '1.3'],
    step: 'client-certificate',
    family: 'certificate',
    apply: (steps) => alterSend(steps, 'certificate', 'unsolicited-certificate', { when: 'always' }),
  },
  certificateMutation(
    'unrequested-cert-entry-extension',
    'the leaf CertificateEntry carries signed_certificate_timestamp, which the CertificateRequest did not offer',
    { entryExtension: { type: ExtensionType.signedCertificateTimestamp, data: [0, 0] } },
    ['1.3'],
  ),
];

/** Names of every mutation. */
export const MUTATION_NAMES: readonly string[] = MUTATIONS.map((m) => m.name);

/** The mutation of a name, or undefined. */
export function findMutation(name: string): Mutation | undefined {
  return MUTATIONS.find((m) => m.name === name);
}

/** The conversation for a version and optional mutation. */
export function conversationFor(tls: TlsVersion, mutation?: Mutation): Step[] {
  const base = defaultConversation(tls);
  return mutation ? mutation.apply(base, tls) : base;
}
