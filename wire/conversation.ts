/**
 * Conversations as data: ordered steps that send a client message (built normally or altered) or expect a server
 * milestone. The default conversations follow RFC 8446 §2 / RFC 5246 §7.3; mutations (./mutations.ts) rewrite them.
 */
import type { TlsVersion } from '../core/scenario.js';

/** How a Certificate message is altered. */
export interface CertificateAlteration {
  /** Replace the certificate_list: no entries, the leaf replaced by garbage, or a zero-length entry appended. */
  readonly entries?: 'empty' | 'garbage-leaf' | 'append-empty-entry';
  /** Added to the certificate_list length field. */
  readonly listLengthDelta?: number;
  /** Bytes appended after the certificate_list. */
  readonly trailing?: readonly number[];
  /** A TLS 1.3 CertificateEntry extension on the leaf. */
  readonly entryExtension?: { readonly type: number; readonly data: readonly number[] };
  /** The handshake type the message is framed with, instead of certificate(11). */
  readonly handshakeType?: number;
}

/** How a CertificateVerify is altered. */
export interface CertificateVerifyAlteration {
  /** Sign with a fresh key of the same kind instead of the given key. */
  readonly signer?: 'foreign';
  /** Label the signature with a scheme the server did not offer, or rsa_pkcs1_sha256 (forbidden in TLS 1.3). */
  readonly scheme?: 'not-offered' | 'rsa-pkcs1';
  /**
   * The scheme code point written on the wire. `sign: 'label'` signs as that scheme prescribes (a genuine SHA-1 or
   * MD5 signature); `sign: 'natural'` signs with the key's own scheme, so only the label is wrong (a label that does
   * not fit the key type).
   */
  readonly label?: { readonly scheme: number; readonly sign: 'label' | 'natural' };
  /** Sign with another hash than the scheme names (SHA-384, or SHA-256 when it names SHA-384); the label stays. */
  readonly hash?: 'other';
  /** RSA-PSS: the salt length, `max` (the largest the modulus allows) instead of the digest length. */
  readonly pssSalt?: 'max';
  /**
   * Corrupt the signature: flip one bit, send zero bytes, drop its last byte (`truncate`), or append a zero byte
   * (`pad`); the signature's length field always matches what is sent.
   */
  readonly signature?: 'bitflip' | 'empty' | 'truncate' | 'pad';
  /** Bytes appended after the signature, inside the message (the message length covers them). */
  readonly trailing?: readonly number[];
  /** The handshake type the message is framed with, instead of certificate_verify(15). */
  readonly handshakeType?: number;
}

/** Messages the client can send. */
export type ClientMessage =
  | 'client-hello'
  | 'certificate'
  | 'client-key-exchange'
  | 'certificate-verify'
  | 'change-cipher-spec'
  | 'finished'
  | 'application-data';

/** What the client waits for. */
export type ServerMilestone =
  /** ServerHello (after any HelloRetryRequest). */
  | 'server-hello'
  /** TLS 1.3: EncryptedExtensions..Finished; TLS 1.2: Certificate..ServerHelloDone. */
  | 'server-flight'
  /** TLS 1.2: ChangeCipherSpec + Finished. */
  | 'server-finished'
  /** Application data back from the server: the only proof of acceptance. */
  | 'application-data';

/** When a send step runs. */
export type SendCondition =
  /** Always. */
  | 'always'
  /** Only when the server sent a CertificateRequest. */
  | 'requested'
  /** Only when a Certificate with at least one entry was sent (CertificateVerify proves possession of its key). */
  | 'certificate-sent';

/** One step of a conversation. */
export type Step =
  | {
      readonly send: ClientMessage;
      readonly when?: SendCondition;
      readonly certificate?: CertificateAlteration;
      readonly verify?: CertificateVerifyAlteration;
      /** Name of the mutation that shaped this step (recorded in the transcript). */
      readonly mutation?: string;
    }
  | { readonly expect: ServerMilestone };

/** The default conversation of a version: a complete handshake with client authentication when asked. */
export function defaultConversation(tls: TlsVersion): Step[] {
  if (tls === '1.3') {
    return [
      { send: 'client-hello' },
      { expect: 'server-hello' },
      { expect: 'server-flight' },
      // NOTE: RFC 8446 §D.4 — middlebox compatibility mode; harmless, and what OpenSSL clients send.
      { send: 'change-cipher-spec' },
      { send: 'certificate', when: 'requested' },
      { send: 'certificate-verify', when: 'certificate-sent' },
      { send: 'finished' },
      { send: 'application-data' },
      { expect: 'application-data' },
    ];
  }
  return [
    { send: 'client-hello' },
    { expect: 'server-hello' },
    { expect: 'server-flight' },
    { send: 'certificate', when: 'requested' },
    { send: 'client-key-exchange' },
    { send: 'certificate-verify', when: 'certificate-sent' },
    { send: 'change-cipher-spec' },
    { send: 'finished' },
    { expect: 'server-finished' },
    { send: 'application-data' },
    { expect: 'application-data' },
  ];
}

/**
 * The client's answer to a TLS 1.3 post-handshake CertificateRequest (RFC 8446 §4.6.2): Certificate (empty when the
 * client has none), CertificateVerify when the Certificate carried one, Finished. Mutations rewrite it as they rewrite
 * the handshake's flight.
 */
export function postHandshakeAuthConversation(): Step[] {
  return [
    { send: 'certificate', when: 'requested' },
    { send: 'certificate-verify', when: 'certificate-sent' },
    { send: 'finished' },
  ];
}

/**
 * The handshake a TLS 1.2 client runs when it accepts a renegotiation (RFC 5246 §7.4.1.1): the default conversation
 * without its application data, run again inside the protected connection.
 */
export function renegotiationConversation(): Step[] {
  return defaultConversation('1.2').filter((s) => ('send' in s ? s.send : s.expect) !== 'application-data');
}
