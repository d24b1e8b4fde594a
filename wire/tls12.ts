/**
 * The TLS 1.2 client state machine: ECDHE-ECDSA / ECDHE-RSA with AES-GCM or ChaCha20-Poly1305 (RFC 5246, RFC 5288,
 * RFC 8422, RFC 7905), extended master secret (RFC 7627) and secure renegotiation signalling (RFC 5746).
 */
import { randomBytes } from 'node:crypto';
import { bytesEqual, concat, vec } from './bytes.js';
import { CipherSuite, HandshakeType, suiteName, suiteParams, type SuiteParams } from './constants.js';
import type { Step } from './conversation.js';
import { newKeyExchange, OFFERED_SCHEMES, verifyServerChain, verifyWithScheme } from './crypto.js';
import {
  buildCertificateVerify,
  certificateEntries,
  initialState,
  shouldSend,
  type ClientConfig,
  type ClientState,
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
import { handshakeMessage, Tls12Protection } from './record.js';
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

/** A scriptable TLS 1.2 client over one {@link Session}. */
export class Tls12Client implements ScriptedClient {
  readonly state: ClientState = initialState();
  private readonly random = new Uint8Array(randomBytes(32));
  private serverRandom: Uint8Array = new Uint8Array(0);
  private messages: Uint8Array[] = [];
  private suite: SuiteParams | undefined;
  private hash: HashName = 'sha256';
  private ems = false;
  private serverLeaf: X509Certificate | undefined;
  private ske: ServerKeyExchange | undefined;
  /** The master secret, once ClientKeyExchange was sent (exposed for key-log style checks). */
  masterSecret: Uint8Array | undefined;
  private keyBlock:
    { clientKey: Uint8Array; serverKey: Uint8Array; clientIv: Uint8Array; serverIv: Uint8Array } | undefined;

  constructor(
    private readonly session: Session,
    private readonly config: ClientConfig,
    private readonly suites: readonly number[] = TLS12_SUITES,
  ) {}

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
        const raw = encodeClientHello({
          version: '1.2',
          random: this.random,
          sessionId: new Uint8Array(0),
          cipherSuites: this.suites,
          ...(this.config.servername ? { serverName: this.config.servername } : {}),
          groups: OFFERED_GROUPS,
          signatureAlgorithms: OFFERED_SCHEMES,
        });
        this.messages.push(raw);
        this.session.sendHandshake(raw);
        return;
      }
      case 'certificate': {
        const entries = certificateEntries(this.config.chain, step.certificate);
        const raw = handshakeMessage(
          HandshakeType.certificate,
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
        const fixedIv = this.suite!.aead === 'chacha20-poly1305' ? 12 : 4;
        const kl = this.suite!.keyLength;
        const block = prf12(
          this.hash,
          this.masterSecret,
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
        return;
      }
      case 'certificate-verify': {
        if (!this.config.key) throw new WireFailure('client-setup', 'a CertificateVerify needs keyPem');
        const offered = this.state.certificateRequest?.signatureAlgorithms ?? OFFERED_SCHEMES;
        // NOTE: RFC 5246 §7.4.8 — the signature covers all handshake messages so far.
        const { body } = buildCertificateVerify('1.2', this.config.key, offered, concat(...this.messages), step.verify);
        const raw = handshakeMessage(HandshakeType.certificateVerify, body);
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

  private parse<T>(fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      if (err instanceof WireFailure) throw err;
      throw new WireFailure('not-tls', (err as Error).message, 'decode_error');
    }
  }

  private async expectServerHello(): Promise<void> {
    const msg = await this.session.nextHandshake('ServerHello');
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
    // NOTE: RFC 5746 §3.4 — on an initial handshake renegotiation_info must be empty if present.
    if (sh.renegotiationInfo && sh.renegotiationInfo.length !== 0) {
      throw new WireFailure('not-tls', 'non-empty renegotiation_info on an initial handshake', 'handshake_failure');
    }
    this.suite = params;
    this.hash = params.hash;
    this.ems = sh.extendedMasterSecret;
    this.serverRandom = sh.random;
    this.messages.push(msg.raw);
    this.state.protocol = 'TLSv1.2';
    this.state.serverHelloSeen = true;
    this.session.version = '1.2';
  }

  private async expectServerFlight(): Promise<void> {
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
        this.parse(() => decodeNewSessionTicket12(msg.body));
        this.messages.push(msg.raw);
        this.state.tickets++;
        continue;
      }
      if (!ccs || msg.type !== HandshakeType.finished)
        throw new WireFailure('not-tls', `expected server Finished, got type ${msg.type}`, 'unexpected_message');
      const expected = prf12(this.hash, this.masterSecret!, 'server finished', this.transcriptHash(), 12);
      if (!bytesEqual(expected, msg.body))
        throw new WireFailure('not-tls', 'server Finished does not verify', 'decrypt_error');
      this.messages.push(msg.raw);
      this.state.serverFinishedVerified = true;
      this.state.handshakeCompleted = true;
      return;
    }
  }

  private async expectApplicationData(): Promise<void> {
    for (;;) {
      const got = await this.session.next();
      if (got.kind === 'application-data') {
        this.state.appDataReceived = got.data;
        return;
      }
      // NOTE: RFC 5246 §7.4.1.1 — a HelloRequest may be ignored; we never renegotiate.
      if (got.kind === 'handshake' && got.msg.type === HandshakeType.helloRequest) continue;
      throw new WireFailure('not-tls', `unexpected ${got.kind} after the handshake`, 'unexpected_message');
    }
  }
}
