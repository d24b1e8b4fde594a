/**
 * The TLS 1.2 client state machine: ECDHE-ECDSA / ECDHE-RSA with AES-GCM or ChaCha20-Poly1305 (RFC 5246, RFC 5288,
 * RFC 8422, RFC 7905), extended master secret (RFC 7627), secure renegotiation (RFC 5746), and session
 * resumption by session ID (RFC 5246 §7.3) or session ticket (RFC 5077).
 *
 * Renegotiation: a HelloRequest after the handshake is ignored unless the configuration says otherwise; refused, it is
 * answered with a no_renegotiation warning; accepted, a second Tls12Client runs a full handshake over the same
 * protected connection, its ClientHello's renegotiation_info binding it to this one (RFC 5746 §3.5).
 *
 * Resumption runs inside the same conversation as a full handshake: when the ServerHello echoes the session ID we
 * offered, the 'server-flight' milestone reads the abbreviated flight ([NewSessionTicket,] ChangeCipherSpec, Finished),
 * the client's Certificate, ClientKeyExchange and CertificateVerify steps are skipped (the server keeps the identity
 * it authenticated when the session was established), and 'server-finished' has nothing left to read.
 */
import { randomBytes } from 'node:crypto';
import { bytesEqual, concat, toHex, vec } from './bytes.js';
import {
  AlertLevel,
  CipherSuite,
  ExtensionType,
  HandshakeType,
  NO_RENEGOTIATION,
  suiteName,
  suiteParams,
  type SuiteParams,
} from './constants.js';
import type { Step } from './conversation.js';
import { newKeyExchange, OFFERED_SCHEMES, verifyServerChain, verifyWithScheme } from './crypto.js';
import {
  buildCertificateVerify,
  certificateEntries,
  initialState,
  shouldSend,
  type ClientConfig,
  type ClientState,
  type RenegotiationInfoChoice,
  type RenegotiationRecord,
  type ScriptedClient,
} from './flight.js';
import { digest, masterSecret12, prf12, type HashName } from './keyschedule.js';
import {
  decodeCertificate12,
  decodeCertificateRequest12,
  decodeNewSessionTicket12,
  decodeServerHello,
  decodeServerKeyExchange,
  encodeCertificate12,
  encodeClientHello,
  OFFERED_GROUPS,
  type ServerKeyExchange,
} from './messages.js';
import { handshakeMessage, Tls12Protection, type HandshakeMessage } from './record.js';
import { WireFailure, type Session } from './session.js';
import type { X509Certificate } from 'node:crypto';

/** TLS 1.2 suites we offer, preferred first. */
export const TLS12_SUITES: readonly number[] = [
  CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
  CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
  CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
  CipherSuite.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
  CipherSuite.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
  CipherSuite.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
];

/**
 * A resumable TLS 1.2 session (RFC 5246 §7.3 session ID, RFC 5077 ticket), ready for
 * {@link Tls12Client} (through `WireProbeOptions.resumeFrom`).
 */
export interface Tls12Session {
  /** The session_id of the server's ServerHello; empty when the server issued a ticket instead of caching. */
  readonly sessionId: Uint8Array;
  /** The RFC 5077 ticket, when the server issued a non-empty one; preferred over the session ID when resuming. */
  readonly ticket?: Uint8Array;
  /** ticket_lifetime_hint of the ticket, in seconds (0: unspecified). */
  readonly ticketLifetimeSeconds?: number;
  /** The 48-byte master secret. */
  readonly masterSecret: Uint8Array;
  /** The session's cipher suite; a resumed handshake must use it again. */
  readonly cipherSuite: number;
  /** Whether the master secret is the extended one (RFC 7627); only such sessions are offered for resumption. */
  readonly ems: boolean;
}

/** How the client offered to resume, or why it did not. */
export type Tls12ResumptionOffer = 'session-id' | 'ticket' | 'not-offered-no-ems' | 'not-offered-no-id';

/** True when `x` is a TLS 1.2 session (as opposed to a TLS 1.3 ticket, which carries a `psk`). */
export function isTls12Session(x: object): x is Tls12Session {
  return 'masterSecret' in x && 'sessionId' in x;
}

/** The handshake a renegotiation binds to (RFC 5746 §3.5), and what the new ClientHello claims about it. */
export interface PreviousHandshake {
  /** verify_data of the client's Finished in the previous handshake. */
  readonly clientVerifyData: Uint8Array;
  /** verify_data of the server's Finished in the previous handshake. */
  readonly serverVerifyData: Uint8Array;
  /** What renegotiation_info carries: the client_verify_data, or a deliberately wrong value. */
  readonly renegotiationInfo: RenegotiationInfoChoice;
}

/** The server protected its abbreviated flight with keys other than ours: the master secret differs. */
const WRONG_SECRET_HINT =
  'the resumed session keys do not match the server: the session master secret is wrong or tampered with';

/** A scriptable TLS 1.2 client over one {@link Session}. */
export class Tls12Client implements ScriptedClient {
  readonly state: ClientState = initialState();
  private readonly random = new Uint8Array(randomBytes(32));
  private serverRandom: Uint8Array = new Uint8Array(0);
  /** The session_id we sent in the ClientHello. */
  private sentSessionId: Uint8Array = new Uint8Array(0);
  /** What the ClientHello offered, when a session to resume was given. */
  readonly offer: Tls12ResumptionOffer | undefined;
  /** The ServerHello's session_id. */
  private serverSessionId: Uint8Array = new Uint8Array(0);
  /** The ServerHello carried the session_ticket extension (RFC 5077 §3.2): a NewSessionTicket may follow. */
  private ticketPromised = false;
  /** The last NewSessionTicket of this handshake (an empty ticket withdraws the offer, RFC 5077 §3.3). */
  private newTicket: { readonly ticket: Uint8Array; readonly lifetime: number } | undefined;
  private suiteCode = 0;
  private messages: Uint8Array[] = [];
  private suite: SuiteParams | undefined;
  private hash: HashName = 'sha256';
  private ems = false;
  private serverLeaf: X509Certificate | undefined;
  private ske: ServerKeyExchange | undefined;
  /**
   * The master secret, once ClientKeyExchange was sent or the server resumed the offered session (exposed for
   * key-log style checks).
   */
  masterSecret: Uint8Array | undefined;
  private keyBlock:
    { clientKey: Uint8Array; serverKey: Uint8Array; clientIv: Uint8Array; serverIv: Uint8Array } | undefined;
  /** verify_data of our last Finished and of the server's (RFC 5746 §3.1: what a renegotiation binds to). */
  private clientVerifyData: Uint8Array | undefined;
  private serverVerifyData: Uint8Array | undefined;
  /** The server's ServerHello carried renegotiation_info (RFC 5746 §3.6: it supports secure renegotiation). */
  private secureRenegotiation = false;

  constructor(
    private readonly session: Session,
    private readonly config: ClientConfig,
    private readonly suites: readonly number[] = TLS12_SUITES,
    /** A session to resume: offered by its ticket when it has one (with a fresh session ID), else by its ID. */
    private readonly resume?: Tls12Session,
    /** Set when this handshake is a renegotiation inside an established connection. */
    private readonly previous?: PreviousHandshake,
  ) {
    if (!resume) return;
    // NOTE: RFC 7627 §5.3 — a client SHOULD NOT offer to resume a session without an extended master secret.
    if (!resume.ems) this.offer = 'not-offered-no-ems';
    else if (resume.ticket?.length) this.offer = 'ticket';
    else if (resume.sessionId.length) this.offer = 'session-id';
    else this.offer = 'not-offered-no-id';
    // NOTE: RFC 5246 §7.4.1.2 — a ClientHello resuming a session MUST offer at least that session's cipher suite.
    if (this.offering && !this.suites.includes(resume.cipherSuite)) this.suites = [...this.suites, resume.cipherSuite];
  }

  /** True when the ClientHello offers {@link resume}. */
  private get offering(): boolean {
    return this.offer === 'ticket' || this.offer === 'session-id';
  }

  /** True once the server accepted the offered session (abbreviated handshake). */
  get resumed(): boolean {
    return this.state.resumed;
  }

  /**
   * The session this connection established or resumed, once the server Finished verified and the server gave us a
   * way back (a session ID or a ticket); undefined otherwise.
   */
  get establishedSession(): Tls12Session | undefined {
    if (!this.state.serverFinishedVerified || !this.masterSecret) return undefined;
    let ticket: Uint8Array | undefined;
    let lifetime: number | undefined;
    if (this.newTicket) {
      if (this.newTicket.ticket.length) ({ ticket, lifetime } = this.newTicket);
    } else if (this.state.resumed && this.offer === 'ticket') {
      // NOTE: RFC 5077 §3.4 — without a new ticket the one we presented stays valid.
      ticket = this.resume?.ticket;
      lifetime = this.resume?.ticketLifetimeSeconds;
    }
    if (!ticket && this.serverSessionId.length === 0) return undefined;
    return {
      sessionId: this.serverSessionId,
      ...(ticket ? { ticket } : {}),
      ...(ticket && lifetime !== undefined ? { ticketLifetimeSeconds: lifetime } : {}),
      masterSecret: this.masterSecret,
      cipherSuite: this.suiteCode,
      ems: this.ems,
    };
  }

  /** True when the initial ServerHello carried renegotiation_info: the server supports secure renegotiation. */
  get serverSupportsSecureRenegotiation(): boolean {
    return this.secureRenegotiation;
  }

  /** The client random (the key-log line's key). */
  get clientRandom(): Uint8Array {
    return this.random;
  }

  private transcriptHash(): Uint8Array {
    return digest(this.hash, ...this.messages);
  }

  async run(step: Step): Promise<void> {
    if ('expect' in step) {
      switch (step.expect) {
        case 'server-hello':
          return this.expectServerHello();
        case 'server-flight':
          return this.expectServerFlight();
        case 'server-finished':
          return this.expectServerFinished();
        case 'application-data':
          return this.expectApplicationData();
      }
    }
    if (!shouldSend(step, this.state)) return;
    switch (step.send) {
      case 'client-hello': {
        const resume = this.offering ? this.resume : undefined;
        // NOTE: RFC 5077 §3.4 — with a ticket we send a fresh session ID, so that its echo proves resumption.
        if (resume) this.sentSessionId = this.offer === 'ticket' ? new Uint8Array(randomBytes(32)) : resume.sessionId;
        const renegotiationInfo = this.renegotiationInfo();
        const raw = encodeClientHello({
          version: '1.2',
          random: this.random,
          sessionId: this.sentSessionId,
          cipherSuites: this.suites,
          ...(this.config.servername ? { serverName: this.config.servername } : {}),
          groups: OFFERED_GROUPS,
          signatureAlgorithms: OFFERED_SCHEMES,
          // NOTE: RFC 5077 §3.2 — an empty SessionTicket extension asks for a ticket.
          ...(this.config.sessionTickets === false
            ? {}
            : { sessionTicket: this.offer === 'ticket' && resume?.ticket ? resume.ticket : new Uint8Array(0) }),
          renegotiationInfo,
        });
        this.messages.push(raw);
        this.session.sendHandshake(raw);
        this.session.annotateLast({
          sessionIdLength: this.sentSessionId.length,
          sessionTicketLength: this.offer === 'ticket' ? (resume?.ticket?.length ?? 0) : 0,
          ...(this.offer ? { resumption: this.offer } : {}),
          ...(this.previous
            ? {
                renegotiation: this.previous.renegotiationInfo,
                renegotiationInfo: renegotiationInfo ? toHex(renegotiationInfo) : null,
              }
            : {}),
        });
        return;
      }
      case 'certificate':
      case 'client-key-exchange':
      case 'certificate-verify':
        // NOTE: RFC 5246 §7.3 — an abbreviated handshake has no key exchange and no client authentication.
        if (this.state.resumed) return;
    }
    switch (step.send) {
      case 'certificate': {
        const entries = certificateEntries(this.config.chain, step.certificate);
        const raw = handshakeMessage(
          step.certificate?.handshakeType ?? HandshakeType.certificate,
          encodeCertificate12(entries, {
            ...(step.certificate?.listLengthDelta ? { listLengthDelta: step.certificate.listLengthDelta } : {}),
            ...(step.certificate?.trailing ? { trailing: Uint8Array.from(step.certificate.trailing) } : {}),
          }),
        );
        this.messages.push(raw);
        this.session.sendHandshake(raw, step.mutation);
        this.state.sent.push({
          message: 'certificate',
          entries: entries.length,
          ...(step.mutation ? { mutation: step.mutation } : {}),
        });
        return;
      }
      case 'client-key-exchange': {
        const ske = this.ske!;
        const kx = newKeyExchange(ske.group);
        let preMaster: Uint8Array;
        try {
          preMaster = kx.computeSecret(ske.point);
        } catch (err) {
          throw new WireFailure('not-tls', (err as Error).message, 'illegal_parameter');
        }
        const raw = handshakeMessage(HandshakeType.clientKeyExchange, vec(1, kx.publicKey));
        this.messages.push(raw);
        this.session.sendHandshake(raw);
        this.state.sent.push({ message: 'client-key-exchange' });
        // NOTE: RFC 7627 §4 — session_hash covers the handshake through ClientKeyExchange.
        this.masterSecret = masterSecret12(
          this.hash,
          preMaster,
          this.random,
          this.serverRandom,
          this.ems ? this.transcriptHash() : undefined,
        );
        this.deriveKeys();
        return;
      }
      case 'certificate-verify': {
        if (!this.config.key) throw new WireFailure('client-setup', 'a CertificateVerify needs keyPem');
        const offered = this.state.certificateRequest?.signatureAlgorithms ?? OFFERED_SCHEMES;
        // NOTE: RFC 5246 §7.4.8 — the signature covers all handshake messages so far.
        const { body } = buildCertificateVerify(
          '1.2',
          this.config.key,
          offered,
          concat(...this.messages),
          step.verify,
          this.config.fault,
        );
        const raw = handshakeMessage(step.verify?.handshakeType ?? HandshakeType.certificateVerify, body);
        this.messages.push(raw);
        this.session.sendHandshake(raw, step.mutation);
        this.state.sent.push({ message: 'certificate-verify', ...(step.mutation ? { mutation: step.mutation } : {}) });
        return;
      }
      case 'change-cipher-spec':
        this.session.sendChangeCipherSpec();
        this.state.sent.push({ message: 'change-cipher-spec' });
        if (this.keyBlock)
          this.session.writeProtection = new Tls12Protection(
            this.suite!.aead,
            this.keyBlock.clientKey,
            this.keyBlock.clientIv,
          );
        return;
      case 'finished': {
        if (!this.masterSecret) throw new WireFailure('internal', 'Finished before ClientKeyExchange');
        const verify = prf12(this.hash, this.masterSecret, 'client finished', this.transcriptHash(), 12);
        const raw = handshakeMessage(HandshakeType.finished, verify);
        this.messages.push(raw);
        this.session.sendHandshake(raw);
        this.state.sent.push({ message: 'finished' });
        this.clientVerifyData = verify;
        // NOTE: RFC 5246 §7.3 — in an abbreviated handshake the client's Finished is the last message.
        if (this.state.resumed) this.state.handshakeCompleted = this.state.serverFinishedVerified;
        return;
      }
      case 'application-data':
        if (!this.state.serverFinishedVerified)
          throw new WireFailure('internal', 'application data before the handshake completed');
        this.session.sendApplicationData(this.config.appData);
        this.state.sent.push({ message: 'application-data' });
        return;
    }
  }

  /** The key block of RFC 5246 §6.3 from the master secret and both randoms. */
  private deriveKeys(): void {
    const fixedIv = this.suite!.aead === 'chacha20-poly1305' ? 12 : 4;
    const kl = this.suite!.keyLength;
    const block = prf12(
      this.hash,
      this.masterSecret!,
      'key expansion',
      concat(this.serverRandom, this.random),
      2 * kl + 2 * fixedIv,
    );
    this.keyBlock = {
      clientKey: block.subarray(0, kl),
      serverKey: block.subarray(kl, 2 * kl),
      clientIv: block.subarray(2 * kl, 2 * kl + fixedIv),
      serverIv: block.subarray(2 * kl + fixedIv, 2 * kl + 2 * fixedIv),
    };
  }

  private parse<T>(fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      if (err instanceof WireFailure) throw err;
      throw new WireFailure('not-tls', (err as Error).message, 'decode_error');
    }
  }

  private async expectServerHello(): Promise<void> {
    const msg = this.previous ? await this.renegotiatedServerHello() : await this.session.nextHandshake('ServerHello');
    if (msg.type !== HandshakeType.serverHello)
      throw new WireFailure('not-tls', `expected ServerHello, got type ${msg.type}`, 'unexpected_message');
    const sh = this.parse(() => decodeServerHello(msg.body));
    if (sh.legacyVersion !== 0x0303 || (sh.selectedVersion !== undefined && sh.selectedVersion !== 0x0303)) {
      throw new WireFailure(
        'protocol-version',
        `server chose version 0x${(sh.selectedVersion ?? sh.legacyVersion).toString(16)}, we offered only TLS 1.2`,
        'protocol_version',
      );
    }
    const params = suiteParams(sh.cipherSuite);
    if (!params || !this.suites.includes(sh.cipherSuite)) {
      throw new WireFailure(
        'not-tls',
        `server chose cipher suite ${suiteName(sh.cipherSuite)} we did not offer`,
        'illegal_parameter',
      );
    }
    if (this.previous) {
      this.checkRenegotiationInfo(sh.renegotiationInfo);
    } else {
      // NOTE: RFC 5746 §3.4 — on an initial handshake renegotiation_info must be empty if present.
      if (sh.renegotiationInfo && sh.renegotiationInfo.length !== 0) {
        throw new WireFailure('not-tls', 'non-empty renegotiation_info on an initial handshake', 'handshake_failure');
      }
      this.secureRenegotiation = sh.renegotiationInfo !== undefined;
    }
    this.suite = params;
    this.suiteCode = sh.cipherSuite;
    this.hash = params.hash;
    this.ems = sh.extendedMasterSecret;
    this.serverRandom = sh.random;
    this.serverSessionId = sh.sessionId;
    this.ticketPromised = sh.extensions.some((e) => e.type === ExtensionType.sessionTicket);
    this.messages.push(msg.raw);
    this.state.protocol = 'TLSv1.2';
    this.state.serverHelloSeen = true;
    this.session.version = '1.2';
    // NOTE: RFC 5246 §7.4.1.3, RFC 5077 §3.4 — the server resumes by echoing the (non-empty) session ID we sent.
    if (this.offering && this.sentSessionId.length && bytesEqual(sh.sessionId, this.sentSessionId)) {
      this.acceptResumption(sh.cipherSuite, sh.extendedMasterSecret);
    } else if (this.offer) {
      this.session.annotateLast({ resumed: false });
    }
  }

  /** The server resumed the offered session: check it is the one we offered and take its keys. */
  private acceptResumption(cipherSuite: number, ems: boolean): void {
    const resume = this.resume!;
    // NOTE: RFC 5246 §7.4.1.3 — a resumed session keeps the cipher suite of the session being resumed.
    if (cipherSuite !== resume.cipherSuite) {
      throw new WireFailure(
        'not-tls',
        `server resumed the session with ${suiteName(cipherSuite)}, the session used ${suiteName(resume.cipherSuite)}`,
        'illegal_parameter',
      );
    }
    // NOTE: RFC 7627 §5.3 — the client MUST abort when the ServerHello's extended_master_secret differs from the
    // session's: a server resuming an EMS session without it (or a legacy session with it) is a handshake_failure.
    if (ems !== resume.ems) {
      throw new WireFailure(
        'not-tls',
        resume.ems
          ? 'server resumed an extended-master-secret session without the extended_master_secret extension (RFC 7627 §5.3)'
          : 'server resumed a legacy session but negotiated the extended master secret (RFC 7627 §5.3)',
        'handshake_failure',
      );
    }
    this.state.resumed = true;
    this.masterSecret = resume.masterSecret;
    this.deriveKeys();
    this.session.annotateLast({ resumed: true, resumption: this.offer });
  }

  private async expectServerFlight(): Promise<void> {
    if (this.state.resumed) {
      await this.readServerFinished();
      this.state.serverFlightSeen = true;
      return;
    }
    const certMsg = await this.session.nextHandshake('Certificate');
    if (certMsg.type !== HandshakeType.certificate)
      throw new WireFailure('not-tls', `expected Certificate, got type ${certMsg.type}`, 'unexpected_message');
    const cert = this.parse(() => decodeCertificate12(certMsg.body));
    const check = verifyServerChain(
      cert.entries.map((e) => e.der),
      this.config.trustPem,
      this.config.servername,
    );
    if (!check.ok) throw new WireFailure('server-untrusted', check.reason, check.alert);
    this.serverLeaf = check.leaf;
    this.messages.push(certMsg.raw);
    const skeMsg = await this.session.nextHandshake('ServerKeyExchange');
    if (skeMsg.type !== HandshakeType.serverKeyExchange)
      throw new WireFailure('not-tls', `expected ServerKeyExchange, got type ${skeMsg.type}`, 'unexpected_message');
    const ske = this.parse(() => decodeServerKeyExchange(skeMsg.body));
    if (!OFFERED_GROUPS.includes(ske.group))
      throw new WireFailure(
        'not-tls',
        `ServerKeyExchange group 0x${ske.group.toString(16)} not offered`,
        'illegal_parameter',
      );
    // NOTE: RFC 8422 §5.4 — the signature covers client_random + server_random + ServerECDHParams.
    const signed = concat(this.random, this.serverRandom, ske.params);
    if (!verifyWithScheme(ske.scheme, this.serverLeaf.publicKey, signed, ske.signature)) {
      throw new WireFailure('server-untrusted', 'ServerKeyExchange signature does not verify', 'decrypt_error');
    }
    this.ske = ske;
    this.messages.push(skeMsg.raw);
    let msg = await this.session.nextHandshake('ServerHelloDone');
    if (msg.type === HandshakeType.certificateRequest) {
      const body = msg.body;
      this.state.certificateRequest = this.parse(() => decodeCertificateRequest12(body));
      this.messages.push(msg.raw);
      msg = await this.session.nextHandshake('ServerHelloDone');
    }
    if (msg.type !== HandshakeType.serverHelloDone)
      throw new WireFailure('not-tls', `expected ServerHelloDone, got type ${msg.type}`, 'unexpected_message');
    if (msg.body.length !== 0) throw new WireFailure('not-tls', 'ServerHelloDone with a body', 'decode_error');
    this.messages.push(msg.raw);
    this.state.serverFlightSeen = true;
  }

  private async expectServerFinished(): Promise<void> {
    // An abbreviated handshake read the server's CCS and Finished as its server flight.
    if (this.state.resumed) return;
    return this.readServerFinished();
  }

  /** [NewSessionTicket,] ChangeCipherSpec, Finished: the end of the server's part of either handshake. */
  private async readServerFinished(): Promise<void> {
    try {
      return await this.readServerFinishedRecords();
    } catch (err) {
      // A resumed handshake's first protected record is the server Finished: failing to open it means other keys.
      if (this.state.resumed && err instanceof WireFailure && err.alert === 'bad_record_mac')
        throw new WireFailure(err.kind, `${err.message} (${WRONG_SECRET_HINT})`, err.alert);
      throw err;
    }
  }

  private async readServerFinishedRecords(): Promise<void> {
    let ccs = false;
    for (;;) {
      const got = await this.session.next();
      if (got.kind === 'change-cipher-spec') {
        if (ccs || !this.keyBlock)
          throw new WireFailure('not-tls', 'unexpected ChangeCipherSpec', 'unexpected_message');
        if (this.session.midMessage)
          throw new WireFailure('not-tls', 'ChangeCipherSpec inside a handshake message', 'unexpected_message');
        this.session.readProtection = new Tls12Protection(
          this.suite!.aead,
          this.keyBlock.serverKey,
          this.keyBlock.serverIv,
        );
        ccs = true;
        continue;
      }
      if (got.kind !== 'handshake')
        throw new WireFailure('not-tls', 'application data before the server Finished', 'unexpected_message');
      const msg = got.msg;
      if (!ccs && msg.type === HandshakeType.newSessionTicket) {
        // NOTE: RFC 5077 §3.3 — NewSessionTicket MUST NOT be sent without the SessionTicket extension in ServerHello.
        if (!this.ticketPromised)
          throw new WireFailure(
            'not-tls',
            'NewSessionTicket without the SessionTicket extension in the ServerHello',
            'unexpected_message',
          );
        const t = this.parse(() => decodeNewSessionTicket12(msg.body));
        this.newTicket = { ticket: t.ticket, lifetime: t.lifetime };
        this.messages.push(msg.raw);
        this.state.tickets++;
        continue;
      }
      if (!ccs || msg.type !== HandshakeType.finished)
        throw new WireFailure('not-tls', `expected server Finished, got type ${msg.type}`, 'unexpected_message');
      const expected = prf12(this.hash, this.masterSecret!, 'server finished', this.transcriptHash(), 12);
      if (!bytesEqual(expected, msg.body))
        throw new WireFailure(
          'not-tls',
          `server Finished does not verify${this.state.resumed ? ' (resumed session)' : ''}`,
          'decrypt_error',
        );
      this.messages.push(msg.raw);
      this.serverVerifyData = msg.body;
      this.state.serverFinishedVerified = true;
      // In an abbreviated handshake the client's CCS and Finished are still to come.
      this.state.handshakeCompleted = !this.state.resumed;
      return;
    }
  }

  /**
   * The ServerHello of a renegotiation. NOTE: RFC 5246 §6.2.1 lets records of different content types interleave, and
   * a server may answer the request that made it ask before it reads our renegotiating ClientHello (OpenSSL clients
   * accept application data until the ServerHello comes): that data is the server's answer, served before any
   * certificate was presented, so it ends the renegotiation instead of failing it.
   */
  private async renegotiatedServerHello(): Promise<HandshakeMessage> {
    const got = await this.session.next();
    if (got.kind === 'application-data') throw new AnsweredBeforeServerHello(got.data);
    if (got.kind !== 'handshake')
      throw new WireFailure('not-tls', `expected ServerHello, got ${got.kind}`, 'unexpected_message');
    return got.msg;
  }

  private async expectApplicationData(): Promise<void> {
    for (;;) {
      const got = await this.session.next();
      if (got.kind === 'application-data') {
        this.state.appDataReceived = got.data;
        return;
      }
      if (got.kind === 'handshake' && got.msg.type === HandshakeType.helloRequest) {
        await this.answerHelloRequest(got.msg);
        // The server answered while the renegotiation was still waiting for its ServerHello.
        if (this.state.appDataReceived) return;
        continue;
      }
      throw new WireFailure('not-tls', `unexpected ${got.kind} after the handshake`, 'unexpected_message');
    }
  }

  /** The renegotiation_info payload of our ClientHello: empty initially, else as {@link PreviousHandshake} says. */
  private renegotiationInfo(): Uint8Array | null {
    if (!this.previous) return new Uint8Array(0);
    switch (this.previous.renegotiationInfo) {
      case 'correct':
        // NOTE: RFC 5746 §3.5 — a renegotiating ClientHello carries the previous handshake's client_verify_data.
        return this.previous.clientVerifyData;
      case 'wrong-verify-data': {
        const wrong = new Uint8Array(this.previous.clientVerifyData);
        wrong[0]! ^= 0x01;
        return wrong;
      }
      case 'empty':
        return new Uint8Array(0);
      case 'absent':
        return null;
    }
  }

  /** Checks the renegotiated ServerHello's renegotiation_info (RFC 5746 §3.5). */
  private checkRenegotiationInfo(received: Uint8Array | undefined): void {
    const previous = this.previous!;
    this.session.annotateLast({ renegotiationInfo: received ? toHex(received) : null });
    // A deliberately wrong renegotiation_info tests the server: a server that goes on anyway is the finding, so the
    // handshake goes on too and its outcome is what the server decided.
    if (previous.renegotiationInfo !== 'correct') return;
    const expected = concat(previous.clientVerifyData, previous.serverVerifyData);
    // NOTE: RFC 5746 §3.5 — the client MUST check that renegotiation_info is client_verify_data followed by
    // server_verify_data, and abort with handshake_failure otherwise.
    if (!received || !bytesEqual(received, expected)) {
      throw new WireFailure(
        'not-tls',
        received
          ? 'renegotiated ServerHello: renegotiation_info is not our client_verify_data + server_verify_data'
          : 'renegotiated ServerHello without renegotiation_info',
        'handshake_failure',
      );
    }
  }

  /**
   * A HelloRequest (RFC 5246 §7.4.1.1): renegotiate, refuse with no_renegotiation, or ignore it, as configured (ignore
   * when nothing is configured). A renegotiation is a full handshake with the configured identity, as its own client
   * over this connection's current keys.
   */
  private async answerHelloRequest(msg: HandshakeMessage): Promise<void> {
    if (msg.body.length !== 0) throw new WireFailure('not-tls', 'HelloRequest with a body', 'decode_error');
    this.session.markLast('renegotiation');
    const config = this.config.renegotiation;
    const record: RenegotiationRecord = (this.state.renegotiation ??= {
      secureRenegotiation: this.secureRenegotiation,
      helloRequests: 0,
    });
    record.helloRequests++;
    const answer = config?.answer ?? 'ignore';
    if (answer === 'ignore') {
      record.answer = 'ignored';
      return;
    }
    if (answer === 'accept' && !this.secureRenegotiation) {
      // NOTE: RFC 5746 §4.2 — without the server's renegotiation_info only insecure renegotiation is possible, which
      // this client does not do.
      record.reason = 'the server did not signal secure renegotiation (RFC 5746), so the client refused';
    }
    if (answer === 'refuse' || record.reason) {
      // NOTE: RFC 5246 §7.2.2 — no_renegotiation is a warning: the server decides whether the connection goes on.
      this.session.phase = 'renegotiation';
      this.session.sendAlert(NO_RENEGOTIATION, AlertLevel.warning);
      this.session.phase = undefined;
      record.answer = 'refused';
      return;
    }
    const renegotiated = new Tls12Client(
      this.session,
      { ...this.config, chain: config!.chain, key: config!.key },
      this.suites,
      undefined,
      {
        clientVerifyData: this.clientVerifyData!,
        serverVerifyData: this.serverVerifyData!,
        renegotiationInfo: config!.renegotiationInfo,
      },
    );
    record.answer = 'renegotiated';
    record.handshake = renegotiated.state;
    this.session.phase = 'renegotiation';
    let corked = false;
    try {
      for (const step of config!.steps) {
        // A flight leaves in one write, as in the initial handshake.
        const sending = 'send' in step;
        if (sending !== corked) {
          if (sending) this.session.conn.cork();
          else this.session.conn.uncork();
          corked = sending;
        }
        await renegotiated.run(step);
      }
    } catch (err) {
      if (!(err instanceof AnsweredBeforeServerHello)) throw err;
      record.answeredBeforeServerHello = true;
      this.state.appDataReceived = err.data;
      return;
    } finally {
      if (corked) this.session.conn.uncork();
      this.session.phase = undefined;
    }
    // NOTE: RFC 5746 §3.5 — a later renegotiation binds to the handshake just completed.
    this.clientVerifyData = renegotiated.clientVerifyData;
    this.serverVerifyData = renegotiated.serverVerifyData;
  }
}

/** Application data that came while a renegotiation waited for its ServerHello: the server's answer (see above). */
class AnsweredBeforeServerHello extends Error {
  constructor(readonly data: Uint8Array) {
    super('application data before the renegotiated ServerHello');
  }
}
