/**
 * The TLS 1.3 client state machine (RFC 8446): ClientHello with X25519 and P-256 shares (P-384 reachable through
 * HelloRetryRequest), server authentication, the client's authentication flight, and post-handshake messages
 * (NewSessionTicket, KeyUpdate, and CertificateRequest when post-handshake authentication was offered).
 */
import { randomBytes } from 'node:crypto';
import { bytesEqual, concat, Reader, toHex } from './bytes.js';
import {
  CipherSuite,
  HandshakeType,
  NamedGroup,
  ProtocolVersion,
  suiteName,
  suiteParams,
  type SuiteParams,
} from './constants.js';
import type { CertificateAlteration, CertificateVerifyAlteration, Step } from './conversation.js';
import {
  certificateVerifyContent13,
  newKeyExchange,
  OFFERED_SCHEMES,
  verifyServerChain,
  verifyWithScheme,
  type KeyExchange,
} from './crypto.js';
import {
  buildCertificateVerify,
  certificateEntries,
  initialState,
  shouldSend,
  type ClientConfig,
  type ClientState,
  type PostHandshakeAuthExchange,
  type ScriptedClient,
  type SentMessage,
} from './flight.js';
import {
  digest,
  finishedVerifyData,
  KeySchedule13,
  nextTrafficSecret,
  ticketPsk,
  trafficKeys,
  type HashName,
} from './keyschedule.js';
import {
  decodeCertificate13,
  decodeCertificateRequest13,
  decodeCertificateVerify,
  decodeExtensions,
  decodeNewSessionTicket13,
  decodeServerHello,
  encodeCertificate13,
  encodeClientHello,
  OFFERED_GROUPS,
  pskBindersLength,
  type CertificateRequest,
  type ServerHello,
} from './messages.js';
import { handshakeMessage, Tls13Protection, type HandshakeMessage } from './record.js';
import { WireFailure, type Session } from './session.js';

/** TLS 1.3 suites we offer, preferred first. */
export const TLS13_SUITES: readonly number[] = [
  CipherSuite.TLS_AES_128_GCM_SHA256,
  CipherSuite.TLS_AES_256_GCM_SHA384,
  CipherSuite.TLS_CHACHA20_POLY1305_SHA256,
];
/** Groups we send a key share for up front; P-384 is offered in supported_groups only. */
const INITIAL_SHARES: readonly number[] = [NamedGroup.x25519, NamedGroup.secp256r1];

/** A resumption ticket with its PSK (RFC 8446 §4.6.1), usable for one later PSK handshake. */
export interface Tls13Ticket {
  readonly ticket: Uint8Array;
  readonly psk: Uint8Array;
  readonly ageAdd: number;
  readonly lifetimeSeconds: number;
  /** Epoch ms when it was received, for the obfuscated ticket age. */
  readonly receivedAt: number;
  /** The suite of the connection that issued it; a PSK is bound to its hash. */
  readonly cipherSuite: number;
}

/** The certificate and key a Certificate/CertificateVerify pair presents, and the transcript it extends. */
interface Presentation {
  /** Handshake messages so far (the Certificate and CertificateVerify are appended as they are sent). */
  readonly messages: Uint8Array[];
  readonly chain: readonly Uint8Array[];
  readonly key: ClientConfig['key'];
  /** The CertificateRequest answered: its context is echoed, its signature_algorithms bound the choice. */
  readonly request: CertificateRequest | undefined;
  /** Where the messages sent are recorded. */
  readonly sent: SentMessage[];
}

/** A scriptable TLS 1.3 client over one {@link Session}. */
export class Tls13Client implements ScriptedClient {
  readonly state: ClientState = initialState();
  private readonly random = new Uint8Array(randomBytes(32));
  private readonly sessionId = new Uint8Array(randomBytes(32));
  private shares = new Map<number, KeyExchange>();
  /** Handshake messages in transcript order (raw, header included). */
  private messages: Uint8Array[] = [];
  private suite: SuiteParams | undefined;
  private hash: HashName = 'sha256';
  private schedule: KeySchedule13 | undefined;
  private clientHandshakeSecret: Uint8Array = new Uint8Array(0);
  private clientAppSecret: Uint8Array = new Uint8Array(0);
  private serverAppSecret: Uint8Array = new Uint8Array(0);
  private hrrSeen = false;
  /**
   * ClientHello … client Finished, kept once the handshake ended: the Handshake Context of every post-handshake
   * authentication (RFC 8446 §4.4.1).
   */
  private handshakeContext: readonly Uint8Array[] = [];
  /** The secrets of this connection as NSS key-log lines, in the order they were derived. */
  private readonly keyLogLines: string[] = [];
  /** resumption_master_secret, for tickets. */
  resumptionMaster: Uint8Array | undefined;
  /** Tickets received on this connection. */
  readonly tickets: Tls13Ticket[] = [];
  /** True when the server accepted our PSK. */
  pskAccepted = false;
  private suiteCode = 0;

  constructor(
    private readonly session: Session,
    private readonly config: ClientConfig,
    /** Suites to offer (tests pin one to exercise each AEAD). */
    private readonly suites: readonly number[] = TLS13_SUITES,
    /** A ticket to resume with (psk_dhe_ke): the ClientHello offers it, with its binder. */
    private readonly resume?: Tls13Ticket,
  ) {
    if (resume) this.suites = [resume.cipherSuite];
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
        case 'application-data':
          return this.expectApplicationData();
        case 'server-finished':
          return; // TLS 1.3 has no separate server Finished milestone
      }
    }
    if (!shouldSend(step, this.state)) return;
    switch (step.send) {
      case 'client-hello':
        for (const g of INITIAL_SHARES) this.shares.set(g, newKeyExchange(g));
        this.sendClientHello();
        return;
      case 'change-cipher-spec':
        this.session.sendChangeCipherSpec();
        this.state.sent.push({ message: 'change-cipher-spec' });
        return;
      case 'certificate':
        return this.sendCertificate(this.handshakePresentation(), step);
      case 'certificate-verify':
        return this.sendCertificateVerify(this.handshakePresentation(), step);
      case 'finished': {
        const verify = finishedVerifyData(this.hash, this.clientHandshakeSecret, this.transcriptHash());
        const raw = handshakeMessage(HandshakeType.finished, verify);
        this.messages.push(raw);
        this.session.sendHandshake(raw);
        this.state.sent.push({ message: 'finished' });
        this.handshakeContext = [...this.messages];
        this.resumptionMaster = this.schedule?.resumptionMaster(this.transcriptHash());
        const keys = trafficKeys(this.hash, this.clientAppSecret, this.suite!.keyLength);
        this.session.writeProtection = new Tls13Protection(this.suite!.aead, keys.key, keys.iv);
        this.state.handshakeCompleted = this.state.serverFinishedVerified;
        return;
      }
      case 'application-data':
        if (!this.state.serverFinishedVerified)
          throw new WireFailure('internal', 'application data before the handshake completed');
        this.session.sendApplicationData(this.config.appData);
        this.state.sent.push({ message: 'application-data' });
        return;
      case 'client-key-exchange':
        return; // not a TLS 1.3 message
    }
  }

  /** The handshake's own Certificate/CertificateVerify: the configured identity, answering the handshake's request. */
  private handshakePresentation(): Presentation {
    return {
      messages: this.messages,
      chain: this.config.chain,
      key: this.config.key,
      request: this.state.certificateRequest,
      sent: this.state.sent,
    };
  }

  /** Sends a Certificate echoing the request's context (RFC 8446 §4.4.2), altered as the step says. */
  private sendCertificate(p: Presentation, step: { certificate?: CertificateAlteration; mutation?: string }): void {
    const entries = certificateEntries(p.chain, step.certificate);
    const context = p.request?.context ?? new Uint8Array(0);
    const raw = handshakeMessage(
      step.certificate?.handshakeType ?? HandshakeType.certificate,
      encodeCertificate13(context, entries, {
        ...(step.certificate?.listLengthDelta ? { listLengthDelta: step.certificate.listLengthDelta } : {}),
        ...(step.certificate?.trailing ? { trailing: Uint8Array.from(step.certificate.trailing) } : {}),
      }),
    );
    p.messages.push(raw);
    this.session.sendHandshake(raw, step.mutation);
    p.sent.push({
      message: 'certificate',
      entries: entries.length,
      ...(step.mutation ? { mutation: step.mutation } : {}),
    });
  }

  /** Sends a CertificateVerify over the transcript so far (RFC 8446 §4.4.3), altered as the step says. */
  private sendCertificateVerify(
    p: Presentation,
    step: { verify?: CertificateVerifyAlteration; mutation?: string },
  ): void {
    if (!p.key) throw new WireFailure('client-setup', 'a CertificateVerify needs keyPem');
    const offered = p.request?.signatureAlgorithms ?? OFFERED_SCHEMES;
    const { body } = buildCertificateVerify(
      '1.3',
      p.key,
      offered,
      certificateVerifyContent13('client', digest(this.hash, ...p.messages)),
      step.verify,
      this.config.fault,
    );
    const raw = handshakeMessage(step.verify?.handshakeType ?? HandshakeType.certificateVerify, body);
    p.messages.push(raw);
    this.session.sendHandshake(raw, step.mutation);
    p.sent.push({ message: 'certificate-verify', ...(step.mutation ? { mutation: step.mutation } : {}) });
  }

  private sendClientHello(cookie?: Uint8Array): void {
    const raw = encodeClientHello({
      version: '1.3',
      random: this.random,
      sessionId: this.sessionId,
      cipherSuites: this.suites,
      ...(this.config.servername ? { serverName: this.config.servername } : {}),
      groups: OFFERED_GROUPS,
      signatureAlgorithms: OFFERED_SCHEMES,
      keyShares: [...this.shares.values()].map((k) => ({ group: k.group, key: k.publicKey })),
      ...(cookie ? { cookie } : {}),
      ...(this.config.postHandshakeAuth ? { postHandshakeAuth: true } : {}),
      ...(this.resume
        ? {
            psk: {
              identity: this.resume.ticket,
              obfuscatedAge: this.obfuscatedAge(),
              binderLength: this.binderLength(),
            },
          }
        : {}),
    });
    if (this.resume) {
      // NOTE: RFC 8446 §4.2.11.2 — the binder is a Finished-style MAC over the transcript up to the binders list.
      const hash = suiteParams(this.resume.cipherSuite)!.hash;
      const truncated = raw.subarray(0, raw.length - pskBindersLength(this.binderLength()));
      const binderKey = new KeySchedule13(hash, this.resume.psk).resumptionBinderKey();
      raw.set(
        finishedVerifyData(hash, binderKey, digest(hash, ...this.messages, truncated)),
        raw.length - this.binderLength(),
      );
    }
    this.messages.push(raw);
    this.session.sendHandshake(raw);
    if (this.config.postHandshakeAuth) this.session.annotateLast({ postHandshakeAuth: true });
  }

  private binderLength(): number {
    return suiteParams(this.resume!.cipherSuite)!.hashLength;
  }

  private obfuscatedAge(): number {
    // NOTE: RFC 8446 §4.2.11.1 — ticket age in ms plus ticket_age_add, mod 2^32.
    return (Date.now() - this.resume!.receivedAt + this.resume!.ageAdd) >>> 0;
  }

  private checkServerHello(sh: ServerHello): SuiteParams {
    if (sh.selectedVersion !== ProtocolVersion.tls13) {
      const chosen = sh.selectedVersion ?? sh.legacyVersion;
      throw new WireFailure(
        'protocol-version',
        `server chose version 0x${chosen.toString(16)}, we offered only TLS 1.3`,
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
    // NOTE: RFC 8446 §4.1.3 — legacy_session_id_echo must echo ours, compression must be 0.
    if (!bytesEqual(sh.sessionId, this.sessionId) || sh.compression !== 0) {
      throw new WireFailure(
        'not-tls',
        'ServerHello does not echo our session id or uses compression',
        'illegal_parameter',
      );
    }
    return params;
  }

  private async expectServerHello(): Promise<void> {
    let msg = await this.session.nextHandshake('ServerHello');
    if (msg.type !== HandshakeType.serverHello)
      throw new WireFailure('not-tls', `expected ServerHello, got type ${msg.type}`, 'unexpected_message');
    let sh = this.decode(msg);
    if (sh.isHelloRetryRequest) {
      const params = this.checkServerHello(sh);
      const group = sh.keyShare?.group;
      // NOTE: RFC 8446 §4.1.4 — the HRR must change something; a group we already sent a share for is illegal.
      if (group !== undefined && (!OFFERED_GROUPS.includes(group) || this.shares.has(group))) {
        throw new WireFailure(
          'not-tls',
          `HelloRetryRequest asks for group 0x${group.toString(16)}`,
          'illegal_parameter',
        );
      }
      this.hash = params.hash;
      // NOTE: RFC 8446 §4.4.1 — ClientHello1 is replaced by message_hash(Hash(ClientHello1)).
      const ch1Hash = digest(this.hash, this.messages[0]!);
      this.messages = [concat(Uint8Array.of(HandshakeType.messageHash, 0, 0, ch1Hash.length), ch1Hash), msg.raw];
      if (group !== undefined) this.shares = new Map([[group, newKeyExchange(group)]]);
      this.hrrSeen = true;
      this.suite = params;
      this.sendClientHello(sh.cookie);
      msg = await this.session.nextHandshake('ServerHello');
      if (msg.type !== HandshakeType.serverHello)
        throw new WireFailure('not-tls', `expected ServerHello, got type ${msg.type}`, 'unexpected_message');
      const hrrSuite = sh.cipherSuite;
      sh = this.decode(msg);
      if (sh.isHelloRetryRequest) throw new WireFailure('not-tls', 'a second HelloRetryRequest', 'unexpected_message');
      if (sh.cipherSuite !== hrrSuite)
        throw new WireFailure('not-tls', 'ServerHello suite differs from the HelloRetryRequest', 'illegal_parameter');
    }
    const params = this.checkServerHello(sh);
    this.suite = params;
    this.hash = params.hash;
    this.state.protocol = 'TLSv1.3';
    this.state.serverHelloSeen = true;
    this.session.version = '1.3';
    const share = sh.keyShare;
    const mine = share ? this.shares.get(share.group) : undefined;
    if (!share?.key || !mine)
      throw new WireFailure(
        'not-tls',
        'ServerHello key_share missing or for a group we did not share',
        'illegal_parameter',
      );
    let shared: Uint8Array;
    try {
      shared = mine.computeSecret(share.key);
    } catch (err) {
      throw new WireFailure('not-tls', (err as Error).message, 'illegal_parameter');
    }
    this.messages.push(msg.raw);
    if (sh.preSharedKey !== undefined && (!this.resume || sh.preSharedKey !== 0)) {
      throw new WireFailure(
        'not-tls',
        `server selected PSK identity ${sh.preSharedKey} we did not offer`,
        'illegal_parameter',
      );
    }
    this.pskAccepted = sh.preSharedKey === 0;
    this.state.resumed = this.pskAccepted;
    this.suiteCode = sh.cipherSuite;
    this.schedule = new KeySchedule13(this.hash, this.pskAccepted ? this.resume!.psk : undefined);
    this.schedule.withSharedSecret(shared);
    const hs = this.schedule.handshakeTraffic(this.transcriptHash());
    this.clientHandshakeSecret = hs.client;
    this.serverHandshakeSecret = hs.server;
    this.logSecret('SERVER_HANDSHAKE_TRAFFIC_SECRET', hs.server);
    this.logSecret('CLIENT_HANDSHAKE_TRAFFIC_SECRET', hs.client);
    if (this.session.midMessage)
      throw new WireFailure('not-tls', 'handshake message spans the key change', 'unexpected_message');
    const keys = trafficKeys(this.hash, hs.server, params.keyLength);
    this.session.readProtection = new Tls13Protection(params.aead, keys.key, keys.iv);
    const ck = trafficKeys(this.hash, hs.client, params.keyLength);
    this.session.writeProtection = new Tls13Protection(params.aead, ck.key, ck.iv);
  }

  private serverHandshakeSecret: Uint8Array = new Uint8Array(0);

  private decode(msg: HandshakeMessage): ServerHello {
    try {
      return decodeServerHello(msg.body);
    } catch (err) {
      throw new WireFailure('not-tls', (err as Error).message, 'decode_error');
    }
  }

  private async expectServerFlight(): Promise<void> {
    const ee = await this.session.nextHandshake('EncryptedExtensions');
    if (ee.type !== HandshakeType.encryptedExtensions)
      throw new WireFailure('not-tls', `expected EncryptedExtensions, got type ${ee.type}`, 'unexpected_message');
    this.parse(() => decodeExtensions(new Reader(ee.body, 'EncryptedExtensions')));
    this.messages.push(ee.raw);
    // NOTE: RFC 8446 §4.3.2 — a PSK handshake has no server Certificate (nor CertificateRequest).
    if (this.pskAccepted) return this.expectServerFinished();
    let msg = await this.session.nextHandshake('Certificate');
    if (msg.type === HandshakeType.certificateRequest) {
      const body = msg.body;
      this.state.certificateRequest = this.parse(() => decodeCertificateRequest13(body));
      this.messages.push(msg.raw);
      msg = await this.session.nextHandshake('Certificate');
    }
    if (msg.type !== HandshakeType.certificate)
      throw new WireFailure('not-tls', `expected Certificate, got type ${msg.type}`, 'unexpected_message');
    const certBody = msg.body;
    const cert = this.parse(() => decodeCertificate13(certBody));
    const check = verifyServerChain(
      cert.entries.map((e) => e.der),
      this.config.trustPem,
      this.config.servername,
    );
    if (!check.ok) throw new WireFailure('server-untrusted', check.reason, check.alert);
    this.messages.push(msg.raw);
    const cvMsg = await this.session.nextHandshake('CertificateVerify');
    if (cvMsg.type !== HandshakeType.certificateVerify)
      throw new WireFailure('not-tls', `expected CertificateVerify, got type ${cvMsg.type}`, 'unexpected_message');
    const cv = this.parse(() => decodeCertificateVerify(cvMsg.body));
    if (
      !verifyWithScheme(
        cv.scheme,
        check.leaf.publicKey,
        certificateVerifyContent13('server', this.transcriptHash()),
        cv.signature,
      )
    ) {
      throw new WireFailure('server-untrusted', 'server CertificateVerify does not verify', 'decrypt_error');
    }
    this.messages.push(cvMsg.raw);
    return this.expectServerFinished();
  }

  private async expectServerFinished(): Promise<void> {
    const fin = await this.session.nextHandshake('Finished');
    if (fin.type !== HandshakeType.finished)
      throw new WireFailure('not-tls', `expected Finished, got type ${fin.type}`, 'unexpected_message');
    const expected = finishedVerifyData(this.hash, this.serverHandshakeSecret, this.transcriptHash());
    if (!bytesEqual(expected, fin.body))
      throw new WireFailure('not-tls', 'server Finished does not verify', 'decrypt_error');
    this.messages.push(fin.raw);
    this.state.serverFinishedVerified = true;
    this.state.serverFlightSeen = true;
    const app = this.schedule!.applicationTraffic(this.transcriptHash());
    this.clientAppSecret = app.client;
    this.serverAppSecret = app.server;
    this.logSecret('SERVER_TRAFFIC_SECRET_0', app.server);
    this.logSecret('CLIENT_TRAFFIC_SECRET_0', app.client);
    this.logSecret('EXPORTER_SECRET', app.exporter);
    if (this.session.midMessage)
      throw new WireFailure('not-tls', 'handshake message spans the key change', 'unexpected_message');
    const keys = trafficKeys(this.hash, app.server, this.suite!.keyLength);
    this.session.readProtection = new Tls13Protection(this.suite!.aead, keys.key, keys.iv);
  }

  private parse<T>(fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      if (err instanceof WireFailure) throw err;
      throw new WireFailure('not-tls', (err as Error).message, 'decode_error');
    }
  }

  private async expectApplicationData(): Promise<void> {
    for (;;) {
      const got = await this.session.next();
      if (got.kind === 'application-data') {
        this.state.appDataReceived = got.data;
        return;
      }
      if (got.kind !== 'handshake') continue;
      const msg = got.msg;
      if (msg.type === HandshakeType.newSessionTicket) {
        const t = this.parse(() => decodeNewSessionTicket13(msg.body));
        this.state.tickets++;
        if (this.resumptionMaster) {
          this.tickets.push({
            ticket: t.ticket,
            psk: ticketPsk(this.hash, this.resumptionMaster, t.nonce),
            ageAdd: t.ageAdd,
            lifetimeSeconds: t.lifetime,
            receivedAt: Date.now(),
            cipherSuite: this.suiteCode,
          });
        }
      } else if (msg.type === HandshakeType.keyUpdate) {
        if (msg.body.length !== 1 || msg.body[0]! > 1)
          throw new WireFailure('not-tls', 'malformed KeyUpdate', 'decode_error');
        this.serverAppSecret = nextTrafficSecret(this.hash, this.serverAppSecret);
        const keys = trafficKeys(this.hash, this.serverAppSecret, this.suite!.keyLength);
        this.session.readProtection = new Tls13Protection(this.suite!.aead, keys.key, keys.iv);
        this.state.keyUpdates++;
        if (msg.body[0] === 1) {
          // NOTE: RFC 8446 §4.6.3 — answer update_requested with our own KeyUpdate(update_not_requested), then rekey.
          this.session.sendHandshake(handshakeMessage(HandshakeType.keyUpdate, Uint8Array.of(0)));
          this.clientAppSecret = nextTrafficSecret(this.hash, this.clientAppSecret);
          const ck = trafficKeys(this.hash, this.clientAppSecret, this.suite!.keyLength);
          this.session.writeProtection = new Tls13Protection(this.suite!.aead, ck.key, ck.iv);
        }
      } else if (msg.type === HandshakeType.certificateRequest) {
        // NOTE: RFC 8446 §4.6.2 — a CertificateRequest after the handshake without post_handshake_auth offered is
        // unexpected_message.
        if (!this.config.postHandshakeAuth) {
          const body = msg.body;
          this.state.postHandshakeAuth.push({ request: this.parse(() => decodeCertificateRequest13(body)), sent: [] });
          throw new WireFailure(
            'not-tls',
            'post-handshake CertificateRequest without post_handshake_auth',
            'unexpected_message',
          );
        }
        this.answerPostHandshakeAuth(msg);
      } else {
        throw new WireFailure('not-tls', `unexpected post-handshake message type ${msg.type}`, 'unexpected_message');
      }
    }
  }

  /**
   * Answers a post-handshake CertificateRequest (RFC 8446 §4.6.2) with the configured identity and conversation:
   * Certificate, CertificateVerify, Finished, under the current application traffic keys, as one flight.
   */
  private answerPostHandshakeAuth(msg: HandshakeMessage): void {
    const pha = this.config.postHandshakeAuth!;
    const body = msg.body;
    const request = this.parse(() => decodeCertificateRequest13(body));
    const exchange: PostHandshakeAuthExchange = { request, sent: [] };
    this.state.postHandshakeAuth.push(exchange);
    this.session.markLast('post-handshake-auth');
    // NOTE: RFC 8446 §4.4.1 — the Handshake Context of post-handshake messages is ClientHello … client Finished plus
    // the CertificateRequest; NewSessionTicket and KeyUpdate are not part of it, nor is an earlier exchange.
    const messages = [...this.handshakeContext, msg.raw];
    const p: Presentation = { messages, chain: pha.chain, key: pha.key, request, sent: exchange.sent };
    this.session.phase = 'post-handshake-auth';
    this.session.conn.cork();
    try {
      for (const step of pha.steps) {
        if (!('send' in step) || !shouldSend(step, { certificateRequest: request, sent: exchange.sent })) continue;
        if (step.send === 'certificate') this.sendCertificate(p, step);
        else if (step.send === 'certificate-verify') this.sendCertificateVerify(p, step);
        else if (step.send === 'finished') {
          // NOTE: RFC 8446 §4.4.4 — the base key of a post-handshake Finished is the current
          // client_application_traffic_secret_N (after any KeyUpdate), over the Handshake Context, Certificate and
          // CertificateVerify.
          const raw = handshakeMessage(
            HandshakeType.finished,
            finishedVerifyData(this.hash, this.clientAppSecret, digest(this.hash, ...messages)),
          );
          messages.push(raw);
          this.session.sendHandshake(raw);
          exchange.sent.push({ message: 'finished' });
        }
      }
    } finally {
      this.session.conn.uncork();
      this.session.phase = undefined;
    }
  }

  /** Sends a KeyUpdate asking the server to update too (RFC 8446 §4.6.3), and rekeys our direction. */
  requestKeyUpdate(): void {
    this.session.sendHandshake(handshakeMessage(HandshakeType.keyUpdate, Uint8Array.of(1)));
    this.clientAppSecret = nextTrafficSecret(this.hash, this.clientAppSecret);
    const ck = trafficKeys(this.hash, this.clientAppSecret, this.suite!.keyLength);
    this.session.writeProtection = new Tls13Protection(this.suite!.aead, ck.key, ck.iv);
  }

  private logSecret(label: string, secret: Uint8Array): void {
    this.keyLogLines.push(`${label} ${toHex(this.random)} ${toHex(secret)}`);
  }

  /**
   * The connection's secrets as NSS key-log lines (label, client random, secret), as a server's key log writes them:
   * exposed so that tests can compare them with the server's.
   */
  get keyLog(): readonly string[] {
    return this.keyLogLines;
  }

  /** True when the ClientHello offered a ticket. */
  get offeredPsk(): boolean {
    return this.resume !== undefined;
  }

  /** True when a HelloRetryRequest was answered. */
  get helloRetried(): boolean {
    return this.hrrSeen;
  }
}
