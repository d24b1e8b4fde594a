/**
 * Named mutations: each rewrites the default conversation (./conversation.ts) into one a correct server must refuse,
 * and names the handshake step at which it deviates (the step a strict server decides at).
 */
import type { HandshakeStep, TlsVersion } from '../core/scenario.js';
import { ExtensionType, HandshakeType, SignatureScheme } from './constants.js';
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
  // NOTE: issue 13 — CertificateVerify binding: the label must fit the certified key's type and say how it was signed.
  verifyMutation('cv-ecdsa-label-on-rsa-key', 'an RSA key’s own signature labelled ecdsa_secp256r1_sha256', {
    label: { scheme: SignatureScheme.ecdsa_secp256r1_sha256, sign: 'natural' },
  }),
  verifyMutation('cv-ed25519-label-on-ecdsa-key', 'an ECDSA key’s own signature labelled ed25519', {
    label: { scheme: SignatureScheme.ed25519, sign: 'natural' },
  }),
  verifyMutation(
    'cv-pss-pss-label-on-rsae-key',
    'an rsaEncryption key’s RSA-PSS signature labelled rsa_pss_pss_sha256, the label for RSASSA-PSS keys',
    { label: { scheme: SignatureScheme.rsa_pss_pss_sha256, sign: 'natural' } },
  ),
  verifyMutation(
    'cv-rsae-label-on-pss-key',
    'an RSASSA-PSS key’s signature labelled rsa_pss_rsae_sha256, the label for rsaEncryption keys',
    { label: { scheme: SignatureScheme.rsa_pss_rsae_sha256, sign: 'natural' } },
  ),
  verifyMutation('cv-hash-mismatch', 'the signature made over another hash than its label names', {
    hash: 'other',
  }),
  verifyMutation('cv-pss-wrong-salt', 'an RSA-PSS signature with the largest salt instead of the digest length', {
    pssSalt: 'max',
  }),
  verifyMutation('cv-ecdsa-sha1', 'a genuine ecdsa_sha1 signature (SHA-1)', {
    label: { scheme: SignatureScheme.ecdsa_sha1, sign: 'label' },
  }),
  verifyMutation('cv-ecdsa-md5', 'a genuine ECDSA-with-MD5 signature (0x0103)', {
    label: { scheme: SignatureScheme.ecdsa_md5, sign: 'label' },
  }),
  verifyMutation('cv-rsa-pkcs1-sha1', 'a genuine rsa_pkcs1_sha1 signature (SHA-1)', {
    label: { scheme: SignatureScheme.rsa_pkcs1_sha1, sign: 'label' },
  }),
  verifyMutation('cv-rsa-pkcs1-md5', 'a genuine RSA PKCS#1 v1.5 signature with MD5 (0x0101)', {
    label: { scheme: SignatureScheme.rsa_pkcs1_md5, sign: 'label' },
  }),
  // NOTE: issue 13 — CertificateVerify framing.
  verifyMutation('cv-truncated-signature', 'the signature without its last byte (its length field agrees)', {
    signature: 'truncate',
  }),
  verifyMutation('cv-padded-signature', 'the signature followed by a zero byte (its length field agrees)', {
    signature: 'pad',
  }),
  verifyMutation('cv-trailing-bytes', 'three bytes after the signature, inside the CertificateVerify message', {
    trailing: [0, 0, 0],
  }),
  verifyMutation('cv-wrong-handshake-type', 'CertificateVerify framed with the handshake type of Certificate (11)', {
    handshakeType: HandshakeType.certificate,
  }),
  {
    name: 'cv-twice',
    description: 'the CertificateVerify sent twice',
    tls: ['1.2', '1.3'],
    step: 'certificate-verify',
    family: 'certificate-verify',
    apply: (steps) =>
      steps.flatMap((s) =>
        'send' in s && s.send === 'certificate-verify'
          ? [
              { ...s, mutation: 'cv-twice' },
              { ...s, mutation: 'cv-twice' },
            ]
          : [s],
      ),
  },
  certificateMutation(
    'certificate-wrong-handshake-type',
    'Certificate framed with the handshake type of CertificateVerify (15)',
    { handshakeType: HandshakeType.certificateVerify },
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
