/**
 * What both client versions share: configuration, observable state, and the builders of the client's
 * authentication messages (Certificate, CertificateVerify) including their deliberate alterations.
 */
import { randomBytes, type KeyObject } from 'node:crypto';
import type { HandshakeStep } from '../core/scenario.js';
import { concat, uint, vec } from './bytes.js';
import { SignatureScheme } from './constants.js';
import type { CertificateAlteration, CertificateVerifyAlteration, ClientMessage, Step } from './conversation.js';
import { chooseScheme, sameKindKey, schemeHash, schemesForKey, signWithScheme } from './crypto.js';
import { encodeCertificateVerify, type CertificateEntry, type CertificateRequest } from './messages.js';

/** Inputs of a client run. */
export interface ClientConfig {
  readonly servername: string | undefined;
  readonly trustPem: string;
  /** The client's certificate_list (DER, leaf first); empty sends an empty Certificate when asked. */
  readonly chain: readonly Uint8Array[];
  /** The key that signs CertificateVerify (not checked against the certificate). */
  readonly key: KeyObject | undefined;
  readonly appData: Uint8Array;
  /** A deliberate defect of the client itself, for testing the harness's controls (see {@link ClientFault}). */
  readonly fault?: ClientFault;
  /** TLS 1.3: offer post-handshake authentication and answer the server's requests with this material. */
  readonly postHandshakeAuth?: LateAuthentication;
  /** TLS 1.2: what to do when the server asks to renegotiate, and the material of a renegotiated handshake. */
  readonly renegotiation?: RenegotiationConfig;
  /** TLS 1.2: false sends no SessionTicket extension (RFC 5077), so a server can only resume by session ID. */
  readonly sessionTickets?: boolean;
}

/** The identity a client presents after the handshake, and the conversation that presents it. */
export interface LateAuthentication {
  /** certificate_list (DER, leaf first); empty answers with an empty Certificate. */
  readonly chain: readonly Uint8Array[];
  /** The key that signs CertificateVerify (not checked against the certificate). */
  readonly key: KeyObject | undefined;
  /** The answer's steps (post-handshake authentication) or the renegotiated handshake's (renegotiation). */
  readonly steps: readonly Step[];
}

/** How a TLS 1.2 client treats a HelloRequest (RFC 5246 §7.4.1.1). */
export type RenegotiationAnswer = 'accept' | 'refuse' | 'ignore';

/** What the renegotiated ClientHello's renegotiation_info carries (RFC 5746 §3.5), correct or deliberately wrong. */
export type RenegotiationInfoChoice = 'correct' | 'wrong-verify-data' | 'empty' | 'absent';

/** A TLS 1.2 client's renegotiation behaviour. */
export interface RenegotiationConfig extends LateAuthentication {
  readonly answer: RenegotiationAnswer;
  readonly renegotiationInfo: RenegotiationInfoChoice;
}

/** A client message sent, with the mutation that shaped it. */
export interface SentMessage {
  readonly message: ClientMessage;
  /** Certificate: the number of certificate entries. */
  readonly entries?: number;
  readonly mutation?: string;
}

/** One TLS 1.3 post-handshake authentication exchange (RFC 8446 §4.6.2). */
export interface PostHandshakeAuthExchange {
  /** The server's CertificateRequest. */
  readonly request: CertificateRequest;
  /** Our answer, in order. */
  readonly sent: SentMessage[];
}

/** What became of the server's renegotiation requests (TLS 1.2). */
export interface RenegotiationRecord {
  /** The server signalled secure renegotiation (RFC 5746 §3.6: renegotiation_info in the initial ServerHello). */
  readonly secureRenegotiation: boolean;
  /** HelloRequests received. */
  helloRequests: number;
  /** What the client did with the last one. */
  answer?: 'renegotiated' | 'refused' | 'ignored';
  /** Why the client refused although told to accept. */
  reason?: string;
  /** The state of the renegotiated handshake, once it began. */
  handshake?: ClientState;
  /** The server sent application data while the renegotiation waited for its ServerHello (it answered without it). */
  answeredBeforeServerHello?: boolean;
}

/**
 * Faults injected into the client (not into a message a scenario alters): `transcript-hash` signs CertificateVerify
 * over a corrupted transcript, as a client with a transcript-hash bug would. Every CertificateVerify the client sends
 * then fails, the controls' included, which is how the harness's controls catch a client defect.
 */
export type ClientFault = 'transcript-hash';

/** What the client has seen and done so far; the probe derives the Observation from it. */
export interface ClientState {
  protocol?: 'TLSv1.2' | 'TLSv1.3';
  serverHelloSeen: boolean;
  /** True once the server's flight (through Finished in 1.3, ServerHelloDone in 1.2) was processed. */
  serverFlightSeen: boolean;
  certificateRequest?: CertificateRequest;
  /** Client messages sent after ClientHello, in order, with the mutation that shaped each. */
  readonly sent: SentMessage[];
  serverFinishedVerified: boolean;
  handshakeCompleted: boolean;
  appDataReceived?: Uint8Array;
  /** Tickets received (NewSessionTicket). */
  tickets: number;
  keyUpdates: number;
  /**
   * True when the server resumed an earlier session (TLS 1.3 PSK, TLS 1.2 abbreviated handshake): the client sent no
   * Certificate in this handshake and the server relied on the identity authenticated when the session was made.
   */
  resumed: boolean;
  /** TLS 1.3 post-handshake authentication exchanges, in order. */
  readonly postHandshakeAuth: PostHandshakeAuthExchange[];
  /** TLS 1.2: the server's renegotiation requests and our answer, once it sent one. */
  renegotiation?: RenegotiationRecord;
}

/** A fresh state. */
export function initialState(): ClientState {
  return {
    serverHelloSeen: false,
    serverFlightSeen: false,
    sent: [],
    serverFinishedVerified: false,
    handshakeCompleted: false,
    tickets: 0,
    keyUpdates: 0,
    resumed: false,
    postHandshakeAuth: [],
  };
}

/** A client that runs conversation steps. */
export interface ScriptedClient {
  readonly state: ClientState;
  /** Runs one step; throws AlertReceived, PeerClosed, WireTimeout or WireFailure. */
  run(step: Step): Promise<void>;
}

/** The certificate entries an alteration produces from the configured chain. */
export function certificateEntries(
  chain: readonly Uint8Array[],
  alt: CertificateAlteration | undefined,
): CertificateEntry[] {
  let entries: CertificateEntry[] = chain.map((der) => ({ der }));
  if (alt?.entries === 'empty') entries = [];
  if (alt?.entries === 'garbage-leaf') {
    const leafLength = chain[0]?.length ?? 512;
    const garbage = new Uint8Array(randomBytes(leafLength));
    garbage[0] = 0xff; // never a DER SEQUENCE tag
    entries = [{ der: garbage }, ...entries.slice(1)];
  }
  if (alt?.entries === 'append-empty-entry') entries = [...entries, { der: new Uint8Array(0) }];
  if (alt?.entryExtension && entries[0]) {
    const ext = concat(uint(alt.entryExtension.type, 2), vec(2, Uint8Array.from(alt.entryExtension.data)));
    entries = [{ der: entries[0].der, extensions: vec(2, ext) }, ...entries.slice(1)];
  }
  return entries;
}

const LABEL_ONLY_FALLBACKS: Record<string, readonly number[]> = {
  ec: [
    SignatureScheme.ecdsa_sha1,
    SignatureScheme.ecdsa_secp521r1_sha512,
    SignatureScheme.ecdsa_secp384r1_sha384,
    SignatureScheme.ecdsa_secp256r1_sha256,
  ],
  rsa: [
    SignatureScheme.rsa_pkcs1_sha1,
    SignatureScheme.rsa_pss_rsae_sha512,
    SignatureScheme.rsa_pss_rsae_sha384,
    SignatureScheme.rsa_pkcs1_sha512,
  ],
  'rsa-pss': [
    SignatureScheme.rsa_pss_pss_sha512,
    SignatureScheme.rsa_pss_pss_sha384,
    SignatureScheme.rsa_pss_pss_sha256,
  ],
  ed25519: [SignatureScheme.ed448],
};

/**
 * Builds a CertificateVerify body. `signed` is what the signature covers (the RFC 8446 §4.4.3 content, or the TLS 1.2
 * handshake messages); `offered` is the server's CertificateRequest signature_algorithms.
 */
export function buildCertificateVerify(
  version: '1.2' | '1.3',
  key: KeyObject,
  offered: readonly number[],
  signed: Uint8Array,
  alt: CertificateVerifyAlteration | undefined,
  fault?: ClientFault,
): { body: Uint8Array; scheme: number } {
  if (fault === 'transcript-hash') {
    signed = new Uint8Array(signed);
    signed[signed.length - 1]! ^= 0xff;
  }
  const natural = chooseScheme(key, version, offered);
  if (natural === undefined)
    throw new Error(`no signature scheme fits a ${String(key.asymmetricKeyType)} key in TLS ${version}`);
  const signer = alt?.signer === 'foreign' ? sameKindKey(key) : key;
  let scheme = natural;
  if (alt?.scheme === 'rsa-pkcs1') scheme = SignatureScheme.rsa_pkcs1_sha256;
  if (alt?.scheme === 'not-offered') {
    const candidates = [...schemesForKey(key, version), ...(LABEL_ONLY_FALLBACKS[key.asymmetricKeyType ?? ''] ?? [])];
    scheme = candidates.find((s) => !offered.includes(s)) ?? SignatureScheme.ecdsa_sha1;
  }
  if (alt?.label) scheme = alt.label.scheme;
  const departure = {
    ...(alt?.hash ? { hash: schemeHash(scheme) === 'sha384' ? ('sha256' as const) : ('sha384' as const) } : {}),
    ...(alt?.pssSalt ? { saltLength: alt.pssSalt } : {}),
  };
  let signature: Uint8Array;
  if (alt?.label?.sign === 'natural') {
    signature = signWithScheme(natural, signer, signed, departure);
  } else {
    try {
      signature = signWithScheme(scheme, signer, signed, departure);
    } catch {
      // The label names a scheme this key cannot produce: sign with the key's own scheme under the foreign label.
      signature = signWithScheme(natural, signer, signed, departure);
    }
  }
  if (alt?.signature === 'bitflip') {
    signature = new Uint8Array(signature);
    signature[signature.length >> 1]! ^= 0x01;
  }
  if (alt?.signature === 'empty') signature = new Uint8Array(0);
  if (alt?.signature === 'truncate') signature = signature.subarray(0, signature.length - 1);
  if (alt?.signature === 'pad') signature = concat(signature, Uint8Array.of(0));
  if (alt?.trailing)
    return { body: concat(encodeCertificateVerify(scheme, signature), Uint8Array.from(alt.trailing)), scheme };
  return { body: encodeCertificateVerify(scheme, signature), scheme };
}

/**
 * Whether a send step's condition holds, given the request being answered and what was sent in answer so far (the
 * handshake's, or a post-handshake exchange's).
 */
export function shouldSend(
  step: Extract<Step, { send: ClientMessage }>,
  state: Pick<ClientState, 'certificateRequest' | 'sent'>,
): boolean {
  switch (step.when ?? 'always') {
    case 'always':
      return true;
    case 'requested':
      return Boolean(state.certificateRequest);
    case 'certificate-sent': {
      const last = [...state.sent].reverse().find((s) => s.message === 'certificate');
      return Boolean(last && (last.entries ?? 0) > 0);
    }
  }
}

/** The HandshakeStep a client message belongs to. */
export function stepOf(message: ClientMessage): HandshakeStep {
  switch (message) {
    case 'client-hello':
      return 'client-hello';
    case 'certificate':
      return 'client-certificate';
    case 'client-key-exchange':
      return 'client-key-exchange';
    case 'certificate-verify':
      return 'certificate-verify';
    case 'change-cipher-spec':
    case 'finished':
      return 'client-finished';
    case 'application-data':
      return 'application-data';
  }
}
