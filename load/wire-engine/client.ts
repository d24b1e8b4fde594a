/**
 * The wire engine's handshake: one mTLS handshake on our own TLS 1.2/1.3 client code, built for cost — a callback
 * state machine over a net.Socket (no promise per record), the chain of a server verified once and cached by its
 * exact bytes (its CertificateVerify / ServerKeyExchange signature checked every time), the identity's Certificate
 * message and signing contexts prepared once, one socket write per flight, and acceptance proven by an
 * application-data round trip exactly as load/handshake.ts proves it for node:tls.
 */
import { createHash, type Hash as NodeHash, type KeyObject } from 'node:crypto';
import net from 'node:net';
import { alertName } from '../../core/alerts.js';
import { httpStatusOf, REJECTING_HTTP_STATUSES } from '../../core/http.js';
import { ExtensionType, HandshakeType, suiteParams } from '../../wire/constants.js';
import type { HandshakeOutcome, HeldSession } from '../handshake.js';
import {
  type Aead,
  deriveSecret,
  binderFinishedKey,
  earlySecrets,
  emptyHash,
  expandLabel,
  type Hash,
  hashLen,
  hmac,
  newShare,
  prf12,
  Protection,
  randomInto,
  type Share,
} from './crypto.js';
import {
  type ChainCache,
  type PreparedIdentity,
  type SchemeContext,
  schemeContext,
  signWith,
  verifyWith,
} from './prepared.js';

/** A TLS 1.3 ticket with its PSK (RFC 8446 §4.6.1). */
export interface WireSession13 {
  readonly v: '1.3';
  readonly hash: Hash;
  readonly psk: Buffer;
  readonly ticket: Buffer;
  readonly ageAdd: number;
  readonly receivedAt: number;
}

/** A TLS 1.2 session: its master secret, the id the server gave it and the ticket, if one came. */
export interface WireSession12 {
  readonly v: '1.2';
  readonly master: Buffer;
  readonly id: Buffer;
  readonly ticket: Buffer | undefined;
}

export type WireSession = WireSession12 | WireSession13;

/** Everything a wire handshake needs, built once per connection loop (see {@link wireParams}). */
export interface WireParams {
  readonly host: string;
  readonly port: number;
  readonly tls13: boolean;
  readonly groups: readonly number[];
  readonly suites: readonly number[];
  readonly identity: PreparedIdentity;
  readonly cache: ChainCache;
  readonly timeoutMs: number;
  readonly proof: 'http' | 'raw';
  readonly request: Buffer;
  readonly lingering: Set<net.Socket>;
  /** The ClientHello's cipher_suites vector and the extensions that never change, encoded once. */
  readonly suitesVec: Buffer;
  readonly constExts: Buffer;
  /** NSS key log lines (SSLKEYLOGFILE format), when a key log is kept; undefined on the measured hot path. */
  readonly keylog: ((line: string) => void) | undefined;
}

function u16(v: number): Buffer {
  const b = Buffer.allocUnsafe(2);
  b.writeUInt16BE(v, 0);
  return b;
}
function vec(width: 1 | 2, body: Buffer): Buffer {
  return Buffer.concat([width === 1 ? Buffer.of(body.length) : u16(body.length), body]);
}
function ext(type: number, data: Buffer): Buffer {
  return Buffer.concat([u16(type), vec(2, data)]);
}

/** Builds the parameters of a connection loop: the constant parts of its ClientHello are encoded here, once. */
export function wireParams(p: {
  host: string;
  port: number;
  servername: string | undefined;
  tls13: boolean;
  groups: readonly number[];
  suites: readonly number[];
  sigalgs: readonly number[];
  identity: PreparedIdentity;
  cache: ChainCache;
  timeoutMs: number;
  proof: 'http' | 'raw';
  request: Buffer;
  lingering: Set<net.Socket>;
  keylog?: ((line: string) => void) | undefined;
}): WireParams {
  const exts: Buffer[] = [];
  if (p.servername) {
    const host = Buffer.from(p.servername, 'latin1');
    exts.push(ext(ExtensionType.serverName, vec(2, Buffer.concat([Buffer.of(0), vec(2, host)]))));
  }
  exts.push(ext(ExtensionType.supportedGroups, vec(2, Buffer.concat(p.groups.map(u16)))));
  exts.push(ext(ExtensionType.signatureAlgorithms, vec(2, Buffer.concat(p.sigalgs.map(u16)))));
  if (p.tls13) {
    exts.push(ext(ExtensionType.supportedVersions, vec(1, u16(0x0304))));
    // psk_dhe_ke only: a resumption always mixes in a fresh (EC)DHE share.
    exts.push(ext(ExtensionType.pskKeyExchangeModes, vec(1, Buffer.of(1))));
  } else {
    exts.push(ext(ExtensionType.ecPointFormats, vec(1, Buffer.of(0))));
    exts.push(ext(ExtensionType.extendedMasterSecret, Buffer.alloc(0)));
    exts.push(ext(ExtensionType.renegotiationInfo, vec(1, Buffer.alloc(0))));
  }
  return {
    ...p,
    suitesVec: vec(2, Buffer.concat(p.suites.map(u16))),
    constExts: Buffer.concat(exts),
    keylog: p.keylog,
  };
}

const enum St {
  ServerHello,
  EncryptedExtensions,
  CertOrRequest,
  Cert,
  CertVerify,
  ServerKeyExchange,
  RequestOrDone,
  HelloDone,
  TicketOrCcs,
  Finished,
  Connected,
}

/** Raised for a server that cannot be trusted (chain, name, signature, Finished). */
class Untrusted extends Error {}
/** Raised for a protocol failure that says nothing about the client certificate. */
class Protocol extends Error {
  constructor(
    readonly cls: string,
    message: string,
  ) {
    super(message);
  }
}

const SERVER_CV_PREFIX = Buffer.concat([Buffer.alloc(64, 0x20), Buffer.from('TLS 1.3, server CertificateVerify\0')]);
const CLIENT_CV_PREFIX = Buffer.concat([Buffer.alloc(64, 0x20), Buffer.from('TLS 1.3, client CertificateVerify\0')]);
const CCS_RECORD = Buffer.from([20, 3, 3, 0, 1, 1]);
/** ServerHello.random of a HelloRetryRequest: SHA-256("HelloRetryRequest") (RFC 8446 §4.1.3). */
const HRR_RANDOM = createHash('sha256').update('HelloRetryRequest').digest();
const CLOSE_NOTIFY = Buffer.of(1, 0);
const DEBUG = process.env.MTLS_WIRE_DEBUG === '1';
/** The buffer every wire socket of this thread reads into (see the `onread` note in WireHandshake). */
const READ_BUFFER = Buffer.allocUnsafe(1 << 16);

function random32(): Buffer {
  const b = Buffer.allocUnsafe(32);
  randomInto(b, 0, 32);
  return b;
}

function handshakeMsg(type: number, body: Buffer): Buffer {
  const out = Buffer.allocUnsafe(4 + body.length);
  out[0] = type;
  out[1] = (body.length >>> 16) & 0xff;
  out.writeUInt16BE(body.length & 0xffff, 2);
  body.copy(out, 4);
  return out;
}

/** One wire handshake; every field is per connection. */
class WireHandshake {
  private readonly sock: net.Socket;
  private st = St.ServerHello;
  private rbuf: Buffer | undefined;
  private hbuf: Buffer | undefined;
  private rp: Protection | undefined;
  private pendingRp: Protection | undefined;
  /** TLS 1.2 resumption: the client's write protection, derived with the server's at the ServerHello. */
  private pendingWp: Protection | undefined;
  private wp: Protection | undefined;
  private th!: NodeHash;
  private hash!: Hash;
  private aead!: Aead;
  private keyLen = 16;
  private ch: Buffer;
  private share: Share | undefined;
  private serverRandom!: Buffer;
  private leafKey: KeyObject | undefined;
  private certReq: { context: Buffer; schemes: number[] } | undefined;
  private reused = false;
  private connected = false;
  private serverSpoke = false;
  private settled = false;
  private proven = false;
  private provenAt = 0;
  private received: Buffer | undefined;
  private held: HeldSession | undefined;
  private timer: NodeJS.Timeout;
  private ticketTimer: NodeJS.Timeout | undefined;
  // TLS 1.3
  private hsSecret!: Buffer;
  private sHs!: Buffer;
  private cHs!: Buffer;
  private resMaster: Buffer | undefined;
  private psk: Buffer | undefined;
  /** After a HelloRetryRequest: message_hash(ClientHello1) and the HelloRetryRequest, and its suite. */
  private hrrPrefix: Buffer | undefined;
  private hrrSuite = 0;
  // TLS 1.2
  private msgs: Buffer[] = [];
  private master!: Buffer;
  private sessionId: Buffer | undefined;
  private ticket12: Buffer | undefined;
  private ems = false;

  constructor(
    private readonly p: WireParams,
    private readonly offered: WireSession | undefined,
    private readonly wantSessionMs: number,
    private readonly done: (o: HandshakeOutcome) => void,
  ) {
    this.ch = p.tls13 ? this.clientHello13() : this.clientHello12();
    // NOTE: `onread` hands each read to us in one shared buffer, bypassing the Readable stream (no chunk allocated,
    // no push/emit per read). Everything kept past the callback is copied: the leftover of a partial record, and the
    // plaintext handshake messages a later flight needs (TLS 1.2 transcript for the CertificateVerify, the server
    // random); decrypted records are fresh buffers.
    this.sock = net.connect({
      host: p.host,
      port: p.port,
      noDelay: true,
      onread: {
        buffer: READ_BUFFER,
        callback: (n: number, b: Uint8Array) => {
          this.onData(b.subarray(0, n) as Buffer);
          return true;
        },
      },
    });
    this.sock.write(Buffer.from(this.ch.buffer, this.ch.byteOffset - 5, this.ch.length + 5));
    this.sock.on('error', (e: NodeJS.ErrnoException) => this.onError(e));
    this.sock.on('close', () => this.onClose());
    this.timer = setTimeout(() => this.settle('error', 'timeout'), p.timeoutMs);
  }

  // ---- ClientHello ----

  private helloHead(
    total: number,
    sessionId: Buffer | undefined,
    extLen: number,
    random?: Buffer,
  ): { out: Buffer; off: number } {
    // The record header goes in front of the message, in the same buffer: one write, no copy.
    const rec = Buffer.allocUnsafe(5 + total);
    rec[0] = 22;
    rec.writeUInt16BE(0x0301, 1);
    rec.writeUInt16BE(total, 3);
    const out = rec.subarray(5);
    out[0] = HandshakeType.clientHello;
    out[1] = ((total - 4) >>> 16) & 0xff;
    out.writeUInt16BE((total - 4) & 0xffff, 2);
    out.writeUInt16BE(0x0303, 4);
    if (random) random.copy(out, 6);
    else randomInto(out, 6, 32);
    let off = 38;
    const sid = sessionId?.length ?? 0;
    out[off++] = sid;
    if (sessionId) off += sessionId.copy(out, off);
    off += this.p.suitesVec.copy(out, off);
    out[off++] = 1;
    out[off++] = 0;
    out.writeUInt16BE(extLen, off);
    off += 2;
    off += this.p.constExts.copy(out, off);
    return { out, off };
  }

  /**
   * The TLS 1.3 ClientHello; after a HelloRetryRequest (`retry`) the second one: the same random, a share of the
   * group the server asked for, its cookie, and binders over the transcript so far (RFC 8446 §4.1.2, §4.2.11.2).
   */
  private clientHello13(retry?: { group: number; cookie: Buffer | undefined; prefix: Buffer; random: Buffer }): Buffer {
    const p = this.p;
    const share = (this.share = newShare(retry?.group ?? p.groups[0]!));
    const cookieLen = retry?.cookie ? 4 + 2 + retry.cookie.length : 0;
    const ksLen = 4 + 2 + 2 + 2 + share.publicKey.length;
    const s = this.offered?.v === '1.3' ? this.offered : undefined;
    const hl = s ? hashLen(s.hash) : 0;
    const pskLen = s ? 4 + 2 + 2 + s.ticket.length + 4 + 2 + 1 + hl : 0;
    const extLen = p.constExts.length + ksLen + cookieLen + pskLen;
    const total = 4 + 2 + 32 + 1 + p.suitesVec.length + 2 + 2 + extLen;
    const { out, off: o } = this.helloHead(total, undefined, extLen, retry?.random);
    let off = o;
    off = out.writeUInt16BE(ExtensionType.keyShare, off);
    off = out.writeUInt16BE(ksLen - 4, off);
    off = out.writeUInt16BE(ksLen - 6, off);
    off = out.writeUInt16BE(share.group, off);
    off = out.writeUInt16BE(share.publicKey.length, off);
    off += share.publicKey.copy(out, off);
    if (retry?.cookie) {
      off = out.writeUInt16BE(ExtensionType.cookie, off);
      off = out.writeUInt16BE(2 + retry.cookie.length, off);
      off = out.writeUInt16BE(retry.cookie.length, off);
      off += retry.cookie.copy(out, off);
    }
    if (s) {
      // NOTE: RFC 8446 §4.2.11 — pre_shared_key is the last extension; its binder covers the ClientHello up to the
      // binders list (the truncated ClientHello, header length included).
      off = out.writeUInt16BE(ExtensionType.preSharedKey, off);
      off = out.writeUInt16BE(pskLen - 4, off);
      off = out.writeUInt16BE(2 + s.ticket.length + 4, off);
      off = out.writeUInt16BE(s.ticket.length, off);
      off += s.ticket.copy(out, off);
      off = out.writeUInt32BE((Date.now() - s.receivedAt + s.ageAdd) >>> 0, off);
      const truncated = out.subarray(0, off);
      off = out.writeUInt16BE(1 + hl, off);
      out[off++] = hl;
      const fk = binderFinishedKey(s.hash, s.psk);
      const binderHash = createHash(s.hash);
      if (retry) binderHash.update(retry.prefix);
      off += hmac(s.hash, fk, binderHash.update(truncated).digest()).copy(out, off);
      this.psk = s.psk;
    }
    return out;
  }

  private clientHello12(): Buffer {
    const p = this.p;
    const s = this.offered?.v === '1.2' ? this.offered : undefined;
    const ticket = s?.ticket;
    // A ticket goes with a fresh session id: the server echoes it when it resumes (RFC 5077 §3.4).
    const sid = ticket ? random32() : s?.id.length ? s.id : undefined;
    this.sessionId = sid;
    const tLen = 4 + (ticket?.length ?? 0);
    const extLen = p.constExts.length + tLen;
    const total = 4 + 2 + 32 + 1 + (sid?.length ?? 0) + p.suitesVec.length + 2 + 2 + extLen;
    const { out, off: o } = this.helloHead(total, sid, extLen);
    let off = out.writeUInt16BE(ExtensionType.sessionTicket, o);
    off = out.writeUInt16BE(ticket?.length ?? 0, off);
    if (ticket) ticket.copy(out, off);
    return out;
  }

  /** One NSS key log line for this connection's client random. */
  private log(label: string, secret: Buffer): void {
    this.p.keylog!(`${label} ${this.ch.subarray(6, 38).toString('hex')} ${secret.toString('hex')}\n`);
  }

  // ---- records ----

  private onData(chunk: Buffer): void {
    // Settled (accepted, refused, failed): what the server sends next (its close_notify) decides nothing.
    if (this.settled) return;
    this.serverSpoke = true;
    const buf = this.rbuf ? Buffer.concat([this.rbuf, chunk]) : chunk;
    let off = 0;
    try {
      while (buf.length - off >= 5) {
        const type = buf[off]!;
        if (type < 20 || type > 23 || buf[off + 1] !== 3) throw new Protocol('other:not-tls', `not TLS (byte ${type})`);
        const len = buf.readUInt16BE(off + 3);
        if (buf.length - off < 5 + len) break;
        const header = buf.subarray(off, off + 5);
        const payload = buf.subarray(off + 5, off + 5 + len);
        off += 5 + len;
        this.onRecord(type, header, payload);
        if (this.settled) return;
      }
    } catch (err) {
      return this.fail(err);
    }
    // A copy: `buf` may be a view of the shared read buffer.
    this.rbuf = off < buf.length ? Buffer.from(buf.subarray(off)) : undefined;
  }

  private onRecord(type: number, header: Buffer, payload: Buffer): void {
    let content = payload;
    if (this.rp && !(type === 20 && this.p.tls13)) {
      try {
        ({ type, content } = this.rp.open(type, header, payload));
      } catch (err) {
        throw new Protocol('other:wire-bad-record-mac', (err as Error).message);
      }
    }
    switch (type) {
      case 21:
        return this.onAlert(content[0]!, content[1]!);
      case 20:
        if (this.p.tls13) return; // NOTE: RFC 8446 §5 — a compatibility ChangeCipherSpec is dropped.
        if (this.st !== St.TicketOrCcs || !this.pendingRp) throw new Protocol('other:wire-unexpected', 'early CCS');
        this.rp = this.pendingRp;
        this.st = St.Finished;
        return;
      case 22: {
        let buf = this.hbuf ? Buffer.concat([this.hbuf, content]) : content;
        let off = 0;
        while (buf.length - off >= 4) {
          const len = (buf[off + 1]! << 16) | buf.readUInt16BE(off + 2);
          if (buf.length - off < 4 + len) break;
          const raw = buf.subarray(off, off + 4 + len);
          off += 4 + len;
          this.onHandshake(raw[0]!, raw.subarray(4), raw);
          if (this.settled) return;
        }
        buf = buf.subarray(off);
        // NOTE: the leftover is copied: a view would pin the socket chunk (and a decrypted record may be reused).
        this.hbuf = buf.length ? Buffer.from(buf) : undefined;
        return;
      }
      case 23:
        if (this.st !== St.Connected) throw new Protocol('other:wire-unexpected', 'application data before Finished');
        return this.onAppData(content);
      default:
        throw new Protocol('other:wire-unexpected', `content type ${type}`);
    }
  }

  private onAlert(level: number, code: number): void {
    if (code === 0) {
      // close_notify: the server closed; what it means is decided as for a TCP close.
      return this.onClose();
    }
    if (level === 1 && !this.p.tls13) return; // a TLS 1.2 warning (e.g. no_renegotiation)
    if (this.proven) return this.finish();
    // NOTE: protocol_version says the server does not speak the version asked for: nothing about the client.
    if (code === 70) return this.settle('error', 'protocol-version');
    this.settle('rejected', `alert:${alertName(code) ?? code}`);
  }

  // ---- handshake messages ----

  private onHandshake(type: number, body: Buffer, raw: Buffer): void {
    switch (this.st) {
      case St.ServerHello:
        if (type !== HandshakeType.serverHello) break;
        return this.p.tls13 ? this.serverHello13(body, raw) : this.serverHello12(body, raw);
      case St.EncryptedExtensions:
        if (type !== HandshakeType.encryptedExtensions) break;
        this.th.update(raw);
        this.st = this.reused ? St.Finished : St.CertOrRequest;
        return;
      case St.CertOrRequest:
        if (type === HandshakeType.certificateRequest) return this.certificateRequest(body, raw);
        if (type === HandshakeType.certificate) return this.certificate(body, raw);
        break;
      case St.Cert:
        if (type === HandshakeType.certificate) return this.certificate(body, raw);
        break;
      case St.CertVerify:
        if (type === HandshakeType.certificateVerify) return this.certificateVerify13(body, raw);
        break;
      case St.ServerKeyExchange:
        if (type === HandshakeType.serverKeyExchange) return this.serverKeyExchange(body, raw);
        break;
      case St.RequestOrDone:
        if (type === HandshakeType.certificateRequest) return this.certificateRequest(body, raw);
        if (type === HandshakeType.serverHelloDone) return this.helloDone12(raw);
        break;
      case St.HelloDone:
        if (type === HandshakeType.serverHelloDone) return this.helloDone12(raw);
        break;
      case St.TicketOrCcs:
        if (type === HandshakeType.newSessionTicket) {
          // TLS 1.2 NewSessionTicket: lifetime_hint(4), ticket<0..2^16-1> (RFC 5077 §3.3).
          const len = body.readUInt16BE(4);
          this.ticket12 = Buffer.from(body.subarray(6, 6 + len));
          this.th.update(raw);
          return;
        }
        break;
      case St.Finished:
        if (type === HandshakeType.finished)
          return this.p.tls13 ? this.finished13(body, raw) : this.finished12(body, raw);
        break;
      case St.Connected:
        if (type === HandshakeType.newSessionTicket && this.p.tls13) return this.ticket13(body);
        if (type === HandshakeType.helloRequest) return; // a renegotiation request is ignored (no renegotiation)
        break;
    }
    throw new Protocol('other:wire-unexpected', `unexpected handshake message ${type} in state ${this.st}`);
  }

  private suite(code: number): void {
    if (!this.p.suites.includes(code))
      throw new Protocol('other:wire-suite', `server chose suite 0x${code.toString(16)}`);
    const sp = suiteParams(code)!;
    this.hash = sp.hash;
    this.aead = sp.aead;
    this.keyLen = sp.keyLength;
  }

  /** The ServerHello's fields (RFC 8446 §4.1.3): random, session id, suite, and the extensions we read. */
  private parseServerHello(body: Buffer): {
    sid: Buffer;
    suite: number;
    version: number;
    keyShare: Buffer | undefined;
    group: number;
    psk: boolean;
    ems: boolean;
    cookie: Buffer | undefined;
  } {
    if (body.length < 38) throw new Protocol('other:wire-decode', 'short ServerHello');
    this.serverRandom = Buffer.from(body.subarray(2, 34));
    const sidLen = body[34]!;
    const sid = body.subarray(35, 35 + sidLen);
    let off = 35 + sidLen;
    const suite = body.readUInt16BE(off);
    off += 3;
    const r = {
      cookie: undefined as Buffer | undefined,
      sid,
      suite,
      version: 0x0303,
      keyShare: undefined as Buffer | undefined,
      group: 0,
      psk: false,
      ems: false,
    };
    if (off + 2 > body.length) return r;
    const end = off + 2 + body.readUInt16BE(off);
    off += 2;
    while (off + 4 <= end) {
      const t = body.readUInt16BE(off);
      const l = body.readUInt16BE(off + 2);
      const d = body.subarray(off + 4, off + 4 + l);
      off += 4 + l;
      if (t === ExtensionType.supportedVersions) r.version = d.readUInt16BE(0);
      else if (t === ExtensionType.keyShare) {
        r.group = d.readUInt16BE(0);
        if (d.length >= 4) r.keyShare = d.subarray(4, 4 + d.readUInt16BE(2));
      } else if (t === ExtensionType.preSharedKey) r.psk = d.readUInt16BE(0) === 0;
      else if (t === ExtensionType.extendedMasterSecret) r.ems = true;
      else if (t === ExtensionType.cookie) r.cookie = Buffer.from(d.subarray(2, 2 + d.readUInt16BE(0)));
    }
    return r;
  }

  private serverHello13(body: Buffer, raw: Buffer): void {
    const sh = this.parseServerHello(body);
    if (sh.version !== 0x0304) throw new Protocol('protocol-version', 'the server did not choose TLS 1.3');
    if (this.serverRandom.equals(HRR_RANDOM)) return this.helloRetry(sh.group, sh.suite, sh.cookie, raw);
    if (!sh.keyShare) throw new Protocol('other:wire-decode', 'ServerHello without a key share');
    if (this.hrrPrefix && sh.suite !== this.hrrSuite)
      throw new Protocol('other:wire-decode', 'ServerHello suite differs from the HelloRetryRequest');
    if (sh.group !== this.share!.group) throw new Protocol('other:wire-decode', 'key share of another group');
    this.suite(sh.suite);
    let shared: Buffer;
    try {
      shared = this.share!.secret(sh.keyShare);
    } catch (err) {
      throw new Protocol('other:wire-decode', (err as Error).message);
    }
    if (sh.psk) {
      const s = this.offered as WireSession13 | undefined;
      if (!s || s.hash !== this.hash) throw new Protocol('other:wire-decode', 'PSK accepted with another hash');
      this.reused = true;
    }
    this.th = createHash(this.hash);
    if (this.hrrPrefix) this.th.update(this.hrrPrefix);
    this.th.update(this.ch).update(raw);
    const helloHash = this.th.copy().digest();
    const { derived } = earlySecrets(this.hash, this.reused ? this.psk : undefined);
    this.hsSecret = hmac(this.hash, derived, shared);
    this.cHs = deriveSecret(this.hash, this.hsSecret, 'c hs traffic', helloHash);
    this.sHs = deriveSecret(this.hash, this.hsSecret, 's hs traffic', helloHash);
    if (this.p.keylog) {
      this.log('CLIENT_HANDSHAKE_TRAFFIC_SECRET', this.cHs);
      this.log('SERVER_HANDSHAKE_TRAFFIC_SECRET', this.sHs);
    }
    this.rp = this.protection(this.sHs);
    this.st = St.EncryptedExtensions;
  }

  /**
   * A HelloRetryRequest: the server wants a share of another group we offered. The first ClientHello becomes
   * message_hash(Hash(ClientHello1)) in the transcript (RFC 8446 §4.4.1), and the second ClientHello goes out.
   */
  private helloRetry(group: number, suite: number, cookie: Buffer | undefined, raw: Buffer): void {
    if (this.hrrPrefix) throw new Protocol('other:wire-decode', 'a second HelloRetryRequest');
    if (!this.p.groups.includes(group) || group === this.share!.group)
      throw new Protocol('other:wire-decode', `HelloRetryRequest for group 0x${group.toString(16)}`);
    this.suite(suite);
    this.hrrSuite = suite;
    const digest = createHash(this.hash).update(this.ch).digest();
    const prefix = Buffer.concat([Buffer.of(HandshakeType.messageHash, 0, 0, digest.length), digest, raw]);
    this.hrrPrefix = prefix;
    const random = Buffer.from(this.ch.subarray(6, 38));
    this.ch = this.clientHello13({ group, cookie, prefix, random });
    this.sock.write(Buffer.from(this.ch.buffer, this.ch.byteOffset - 5, this.ch.length + 5));
  }

  private protection(secret: Buffer): Protection {
    const e = Buffer.alloc(0);
    return new Protection(
      this.aead,
      expandLabel(this.hash, secret, 'key', e, this.keyLen),
      expandLabel(this.hash, secret, 'iv', e, 12),
      true,
    );
  }

  private certificateRequest(body: Buffer, raw: Buffer): void {
    let schemes: number[] = [];
    let context = Buffer.alloc(0);
    let off: number;
    let end: number;
    if (this.p.tls13) {
      // certificate_request_context<0..255>, extensions<2..2^16-1> (RFC 8446 §4.3.2)
      context = Buffer.from(body.subarray(1, 1 + body[0]!));
      off = 1 + body[0]!;
      end = off + 2 + body.readUInt16BE(off);
      off += 2;
      while (off + 4 <= end) {
        const t = body.readUInt16BE(off);
        const l = body.readUInt16BE(off + 2);
        if (t === ExtensionType.signatureAlgorithms) schemes = u16list(body.subarray(off + 6, off + 4 + l));
        off += 4 + l;
      }
      this.th.update(raw);
      this.st = St.Cert;
    } else {
      // certificate_types<1..255>, supported_signature_algorithms<2..2^16-2>, certificate_authorities (RFC 5246 §7.4.4)
      off = 1 + body[0]!;
      const l = body.readUInt16BE(off);
      schemes = u16list(body.subarray(off + 2, off + 2 + l));
      this.msgs.push(Buffer.from(raw));
      this.th.update(raw);
      this.st = St.HelloDone;
    }
    this.certReq = { context, schemes };
  }

  private certificate(body: Buffer, raw: Buffer): void {
    const key = this.p.cache.leafKey(body, this.p.tls13 ? '1.3' : '1.2');
    if (typeof key === 'string') throw new Untrusted(key);
    this.leafKey = key;
    this.th.update(raw);
    if (this.p.tls13) this.st = St.CertVerify;
    else {
      this.msgs.push(Buffer.from(raw));
      this.st = St.ServerKeyExchange;
    }
  }

  private serverContext(scheme: number): SchemeContext {
    const ctx = schemeContext(scheme, this.leafKey!);
    if (!ctx) throw new Untrusted(`server signed with scheme 0x${scheme.toString(16)}`);
    return ctx;
  }

  private certificateVerify13(body: Buffer, raw: Buffer): void {
    const scheme = body.readUInt16BE(0);
    const sig = body.subarray(4, 4 + body.readUInt16BE(2));
    const content = Buffer.concat([SERVER_CV_PREFIX, this.th.copy().digest()]);
    if (!verifyWith(this.serverContext(scheme), content, sig)) throw new Untrusted('bad server CertificateVerify');
    this.th.update(raw);
    this.st = St.Finished;
  }

  private finished13(body: Buffer, raw: Buffer): void {
    const hl = hashLen(this.hash);
    const e = Buffer.alloc(0);
    const expected = hmac(this.hash, expandLabel(this.hash, this.sHs, 'finished', e, hl), this.th.copy().digest());
    if (!expected.equals(body)) throw new Untrusted('bad server Finished');
    this.th.update(raw);
    const finHash = this.th.copy().digest();
    const derived2 = deriveSecret(this.hash, this.hsSecret, 'derived', emptyHash(this.hash));
    const master = hmac(this.hash, derived2, Buffer.alloc(hl));
    const cAp = deriveSecret(this.hash, master, 'c ap traffic', finHash);
    const sAp = deriveSecret(this.hash, master, 's ap traffic', finHash);
    if (this.p.keylog) {
      this.log('CLIENT_TRAFFIC_SECRET_0', cAp);
      this.log('SERVER_TRAFFIC_SECRET_0', sAp);
    }
    // The client's second flight: [Certificate, CertificateVerify,] Finished in one record under the handshake keys,
    // then the proof request under the application keys — one write.
    const parts: Buffer[] = [];
    if (this.certReq) {
      const id = this.p.identity;
      const cert = this.certReq.context.length ? certificateWithContext(id, this.certReq.context) : id.certificate13;
      this.th.update(cert);
      parts.push(cert);
      const ctx = chooseScheme(id, this.certReq.schemes);
      if (ctx) {
        const sig = signWith(ctx, Buffer.concat([CLIENT_CV_PREFIX, this.th.copy().digest()]));
        const cv = Buffer.allocUnsafe(8 + sig.length);
        cv[0] = HandshakeType.certificateVerify;
        cv[1] = 0;
        cv.writeUInt16BE(4 + sig.length, 2);
        cv.writeUInt16BE(ctx.scheme, 4);
        cv.writeUInt16BE(sig.length, 6);
        sig.copy(cv, 8);
        this.th.update(cv);
        parts.push(cv);
      }
    }
    const vd = hmac(this.hash, expandLabel(this.hash, this.cHs, 'finished', e, hl), this.th.copy().digest());
    const fin = handshakeMsg(HandshakeType.finished, vd);
    parts.push(fin);
    if (this.wantSessionMs > 0) {
      this.th.update(fin);
      this.resMaster = deriveSecret(this.hash, master, 'res master', this.th.digest());
    }
    const hsWp = this.protection(this.cHs);
    this.wp = this.protection(cAp);
    const flight = parts.length === 1 ? fin : Buffer.concat(parts);
    const out = Buffer.allocUnsafe(
      sealedSizeFragmented(hsWp, flight.length) + this.wp.sealedSize(this.p.request.length),
    );
    let off = sealFragmented(hsWp, 22, flight, out, 0);
    off = this.wp.sealInto(23, this.p.request, out, off);
    this.rp = this.protection(sAp);
    this.connected = true;
    this.st = St.Connected;
    this.sock.write(off === out.length ? out : out.subarray(0, off));
  }

  private ticket13(body: Buffer): void {
    if (this.wantSessionMs <= 0 || this.held || !this.resMaster) return;
    // ticket_lifetime(4), ticket_age_add(4), ticket_nonce<0..255>, ticket<1..2^16-1>, extensions (RFC 8446 §4.6.1)
    const ageAdd = body.readUInt32BE(4);
    const nonce = body.subarray(9, 9 + body[8]!);
    let off = 9 + body[8]!;
    const ticket = Buffer.from(body.subarray(off + 2, off + 2 + body.readUInt16BE(off)));
    off += 2 + ticket.length;
    const psk = expandLabel(this.hash, this.resMaster, 'resumption', nonce, hashLen(this.hash));
    const wire: WireSession13 = { v: '1.3', hash: this.hash, psk, ticket, ageAdd, receivedAt: Date.now() };
    // NOTE: OpenSSL's stateful TLS 1.3 tickets (SSL_OP_NO_TICKET) are the 32-byte session id; stateless ones are an
    // encrypted session state of hundreds of bytes (as load/handshake.ts tells them apart).
    this.held = { data: ticket, kind: ticket.length > 32 ? 'ticket' : 'stateful-ticket', wire };
    if (this.proven) this.finish();
  }

  private serverHello12(body: Buffer, raw: Buffer): void {
    const sh = this.parseServerHello(body);
    if (sh.version !== 0x0303 || body.readUInt16BE(0) !== 0x0303)
      throw new Protocol('protocol-version', 'the server did not choose TLS 1.2');
    this.suite(sh.suite);
    this.ems = sh.ems;
    this.th = createHash(this.hash).update(this.ch).update(raw);
    this.msgs.push(this.ch, Buffer.from(raw));
    const s = this.offered as WireSession12 | undefined;
    if (s && this.sessionId && sh.sid.length && sh.sid.equals(this.sessionId)) {
      this.reused = true;
      this.master = s.master;
      this.ticket12 = s.ticket;
      if (this.p.keylog) this.log('CLIENT_RANDOM', this.master);
      const { client, server } = this.keys12();
      this.pendingRp = server;
      this.pendingWp = client;
      this.st = St.TicketOrCcs;
      return;
    }
    this.sessionId = Buffer.from(sh.sid);
    this.st = St.Cert;
  }

  /** The TLS 1.2 key block (RFC 5246 §6.3): client and server write keys and IVs. */
  private keys12(): { client: Protection; server: Protection } {
    const ivLen = this.aead === 'chacha20-poly1305' ? 12 : 4;
    const seed = Buffer.concat([this.serverRandom, this.ch.subarray(6, 38)]);
    const kb = prf12(this.hash, this.master, 'key expansion', seed, 2 * this.keyLen + 2 * ivLen);
    const k = this.keyLen;
    return {
      client: new Protection(this.aead, kb.subarray(0, k), kb.subarray(2 * k, 2 * k + ivLen), false),
      server: new Protection(this.aead, kb.subarray(k, 2 * k), kb.subarray(2 * k + ivLen, 2 * k + 2 * ivLen), false),
    };
  }

  private serverKeyExchange(body: Buffer, raw: Buffer): void {
    // ECParameters (named_curve 3, group), point<1..255>, then the signature (RFC 8422 §5.4, RFC 5246 §7.4.3)
    if (body[0] !== 3) throw new Protocol('other:wire-decode', 'ServerKeyExchange without a named curve');
    const group = body.readUInt16BE(1);
    const pubLen = body[3]!;
    const params = body.subarray(0, 4 + pubLen);
    const scheme = body.readUInt16BE(4 + pubLen);
    const sig = body.subarray(8 + pubLen, 8 + pubLen + body.readUInt16BE(6 + pubLen));
    const signed = Buffer.concat([this.ch.subarray(6, 38), this.serverRandom, params]);
    if (!verifyWith(this.serverContext(scheme), signed, sig)) throw new Untrusted('bad ServerKeyExchange signature');
    if (!this.p.groups.includes(group))
      throw new Protocol('other:wire-decode', `server chose group 0x${group.toString(16)}`);
    this.share = newShare(group);
    let shared: Buffer;
    try {
      shared = this.share.secret(params.subarray(4));
    } catch (err) {
      throw new Protocol('other:wire-decode', (err as Error).message);
    }
    this.master = shared; // the premaster until the ClientKeyExchange is hashed
    this.msgs.push(Buffer.from(raw));
    this.th.update(raw);
    this.st = St.RequestOrDone;
  }

  private helloDone12(raw: Buffer): void {
    this.msgs.push(Buffer.from(raw));
    this.th.update(raw);
    const id = this.p.identity;
    const plain: Buffer[] = [];
    if (this.certReq) {
      plain.push(id.certificate12);
      this.msgs.push(id.certificate12);
      this.th.update(id.certificate12);
    }
    const pub = this.share!.publicKey;
    const cke = Buffer.allocUnsafe(5 + pub.length);
    cke[0] = HandshakeType.clientKeyExchange;
    cke[1] = 0;
    cke.writeUInt16BE(1 + pub.length, 2);
    cke[4] = pub.length;
    pub.copy(cke, 5);
    plain.push(cke);
    this.msgs.push(cke);
    this.th.update(cke);
    const pre = this.master;
    this.master = this.ems
      ? prf12(this.hash, pre, 'extended master secret', this.th.copy().digest(), 48)
      : prf12(this.hash, pre, 'master secret', Buffer.concat([this.ch.subarray(6, 38), this.serverRandom]), 48);
    if (this.p.keylog) this.log('CLIENT_RANDOM', this.master);
    if (this.certReq) {
      const ctx = chooseScheme(id, this.certReq.schemes);
      if (ctx) {
        const sig = signWith(ctx, Buffer.concat(this.msgs));
        const cv = Buffer.allocUnsafe(8 + sig.length);
        cv[0] = HandshakeType.certificateVerify;
        cv[1] = 0;
        cv.writeUInt16BE(4 + sig.length, 2);
        cv.writeUInt16BE(ctx.scheme, 4);
        cv.writeUInt16BE(sig.length, 6);
        sig.copy(cv, 8);
        plain.push(cv);
        this.th.update(cv);
      }
    }
    this.msgs = [];
    const vd = prf12(this.hash, this.master, 'client finished', this.th.copy().digest(), 12);
    const fin = handshakeMsg(HandshakeType.finished, vd);
    this.th.update(fin);
    const { client, server } = this.keys12();
    this.wp = client;
    this.pendingRp = server;
    const flight = plain.length === 1 ? plain[0]! : Buffer.concat(plain);
    const out = Buffer.allocUnsafe(plainSize(flight.length) + CCS_RECORD.length + client.sealedSize(fin.length));
    let off = framePlain(22, flight, out, 0);
    off += CCS_RECORD.copy(out, off);
    off = client.sealInto(22, fin, out, off);
    this.sock.write(out.subarray(0, off));
    this.st = St.TicketOrCcs;
  }

  private finished12(body: Buffer, raw: Buffer): void {
    const expected = prf12(this.hash, this.master, 'server finished', this.th.copy().digest(), 12);
    if (!expected.equals(body)) throw new Untrusted('bad server Finished');
    this.msgs = [];
    if (this.wantSessionMs > 0 && (this.ticket12 || this.sessionId?.length)) {
      const wire: WireSession12 = {
        v: '1.2',
        master: this.master,
        id: this.sessionId ?? Buffer.alloc(0),
        ticket: this.ticket12,
      };
      this.held = { data: this.ticket12 ?? this.sessionId!, kind: this.ticket12 ? 'ticket' : 'id', wire };
    }
    const req = this.p.request;
    if (this.reused) {
      // Abbreviated handshake: the client's ChangeCipherSpec and Finished, then the proof request — one write.
      this.th.update(raw);
      const vd = prf12(this.hash, this.master, 'client finished', this.th.digest(), 12);
      const fin = handshakeMsg(HandshakeType.finished, vd);
      const client = this.pendingWp!;
      this.wp = client;
      const out = Buffer.allocUnsafe(CCS_RECORD.length + client.sealedSize(fin.length) + client.sealedSize(req.length));
      let off = CCS_RECORD.copy(out, 0);
      off = client.sealInto(22, fin, out, off);
      off = client.sealInto(23, req, out, off);
      this.sock.write(out.subarray(0, off));
    } else {
      const out = Buffer.allocUnsafe(this.wp!.sealedSize(req.length));
      this.sock.write(out.subarray(0, this.wp!.sealInto(23, req, out, 0)));
    }
    this.connected = true;
    this.st = St.Connected;
  }

  // ---- proof and outcome (as load/handshake.ts) ----

  private onAppData(chunk: Buffer): void {
    if (this.proven || this.settled) return;
    if (this.p.proof === 'raw') return this.prove();
    this.received = this.received ? Buffer.concat([this.received, chunk]) : chunk;
    const status = httpStatusOf(this.received);
    if (status !== undefined) {
      if (REJECTING_HTTP_STATUSES.has(status)) return this.settle('rejected', `http:${status}`);
      return this.prove();
    }
    if (this.received.length > 64 || this.received.includes(0x0a)) this.prove();
  }

  private prove(closed = false): void {
    this.proven = true;
    this.provenAt = performance.now();
    this.received = undefined;
    clearTimeout(this.timer);
    if (!closed && this.wantSessionMs > 0 && this.p.tls13 && !this.held) {
      this.ticketTimer = setTimeout(() => this.finish(), this.wantSessionMs);
      return;
    }
    this.finish();
  }

  private finish(): void {
    if (this.settled) return;
    this.settled = true;
    clearTimeout(this.timer);
    if (this.ticketTimer) clearTimeout(this.ticketTimer);
    const sock = this.sock;
    if (!sock.destroyed) {
      this.p.lingering.add(sock);
      // close_notify and FIN in one write: OpenSSL drops a server-cached session whose connection was not shut down
      // cleanly. The linger is bounded: a server that never closes does not keep the socket.
      if (this.wp && sock.writable) {
        const out = Buffer.allocUnsafe(this.wp.sealedSize(2));
        sock.end(out.subarray(0, this.wp.sealInto(21, CLOSE_NOTIFY, out, 0)));
      } else sock.end();
      sock.setTimeout(Math.max(1000, this.p.timeoutMs), () => sock.destroy());
    }
    this.done({
      result: 'accepted',
      doneAt: this.provenAt,
      handshakeCompleted: true,
      reused: this.reused,
      session: this.held,
    });
  }

  private settle(result: 'rejected' | 'error', cls: string): void {
    if (this.settled) return;
    this.settled = true;
    clearTimeout(this.timer);
    if (this.ticketTimer) clearTimeout(this.ticketTimer);
    this.sock.destroy();
    this.done({
      result,
      doneAt: performance.now(),
      handshakeCompleted: this.connected,
      reused: this.reused,
      session: undefined,
      cls,
    });
  }

  private fail(err: unknown): void {
    if (DEBUG) console.error('wire engine:', err);
    if (this.proven) return this.finish();
    if (err instanceof Untrusted) return this.settle('error', 'server-untrusted');
    if (err instanceof Protocol) return this.settle('error', err.cls);
    this.settle('error', `other:wire-${(err as Error)?.message ?? 'error'}`);
  }

  private onError(e: NodeJS.ErrnoException): void {
    if (this.settled) return;
    if (this.proven) return this.finish();
    const code = e.code ?? '';
    if (code === 'ECONNREFUSED') return this.settle('error', 'refused');
    if (code === 'ETIMEDOUT') return this.settle('error', 'timeout');
    if (code === 'ECONNRESET' || code === 'EPIPE')
      return this.settle(this.connected || this.serverSpoke ? 'rejected' : 'error', 'reset');
    this.settle('error', `other:${code || 'error'}`);
  }

  private onClose(): void {
    this.p.lingering.delete(this.sock);
    if (this.settled) return;
    if (this.proven) return this.finish();
    if (this.received && this.received.length > 0) {
      const status = httpStatusOf(this.received);
      if (status !== undefined && REJECTING_HTTP_STATUSES.has(status)) return this.settle('rejected', `http:${status}`);
      return this.prove(true);
    }
    this.settle(this.connected || this.serverSpoke ? 'rejected' : 'error', 'closed');
  }
}

function u16list(b: Buffer): number[] {
  const out: number[] = [];
  for (let i = 0; i + 1 < b.length; i += 2) out.push(b.readUInt16BE(i));
  return out;
}

/** Our first signing context the server asked for; else our first (the server judges it). */
function chooseScheme(id: PreparedIdentity, offered: readonly number[]): SchemeContext | undefined {
  return id.schemes.find((s) => offered.includes(s.scheme)) ?? id.schemes[0];
}

const withContext = new WeakMap<PreparedIdentity, Map<string, Buffer>>();
function certificateWithContext(id: PreparedIdentity, context: Buffer): Buffer {
  // A non-empty context is rare in the main handshake; build and keep the message per context.
  let m = withContext.get(id);
  if (!m) withContext.set(id, (m = new Map()));
  const k = context.toString('hex');
  let c = m.get(k);
  if (!c) {
    const ders = id.ders;
    const listLen = ders.reduce((a, d) => a + 5 + d.length, 0);
    const body = Buffer.allocUnsafe(1 + context.length + 3 + listLen);
    body[0] = context.length;
    context.copy(body, 1);
    let off = 1 + context.length;
    body[off] = listLen >>> 16;
    body.writeUInt16BE(listLen & 0xffff, off + 1);
    off += 3;
    for (const d of ders) {
      body[off] = d.length >>> 16;
      body.writeUInt16BE(d.length & 0xffff, off + 1);
      d.copy(body, off + 3);
      off += 3 + d.length;
      body.writeUInt16BE(0, off);
      off += 2;
    }
    c = handshakeMsg(HandshakeType.certificate, body);
    m.set(k, c);
  }
  return c;
}

const MAX_FRAGMENT = 1 << 14;

function sealedSizeFragmented(p: Protection, len: number): number {
  let size = 0;
  for (let o = 0; o < len; o += MAX_FRAGMENT) size += p.sealedSize(Math.min(MAX_FRAGMENT, len - o));
  return size;
}
function sealFragmented(p: Protection, type: number, data: Buffer, out: Buffer, off: number): number {
  for (let o = 0; o < data.length; o += MAX_FRAGMENT)
    off = p.sealInto(type, data.subarray(o, Math.min(data.length, o + MAX_FRAGMENT)), out, off);
  return off;
}
function plainSize(len: number): number {
  return len + 5 * Math.max(1, Math.ceil(len / MAX_FRAGMENT));
}
function framePlain(type: number, data: Buffer, out: Buffer, off: number): number {
  for (let o = 0; o < data.length; o += MAX_FRAGMENT) {
    const part = data.subarray(o, Math.min(data.length, o + MAX_FRAGMENT));
    out[off] = type;
    out.writeUInt16BE(0x0303, off + 1);
    out.writeUInt16BE(part.length, off + 3);
    off += 5 + part.copy(out, off + 5);
  }
  return off;
}

/**
 * Makes one mTLS handshake with the wire engine and reports it through `done`, with the contract of
 * load/handshake.ts's `handshake` (the outcome classes, the proof, `wantSessionMs`, the close_notify).
 */
export function wireHandshake(
  p: WireParams,
  session: WireSession | undefined,
  wantSessionMs: number,
  done: (o: HandshakeOutcome) => void,
): void {
  new WireHandshake(p, session, wantSessionMs, done);
}
