/**
 * Shared machinery of both client versions: the transcript of every message in both directions, record
 * protection state, alerts, and the typed errors the probe turns into an Observation.
 */
import { alertName, type AlertName } from '../core/alerts.js';
import type { UnrelatedError } from '../core/result.js';
import { DecodeError, toHex } from './bytes.js';
import type { Connection } from './connection.js';
import { AlertLevel, ContentType, handshakeName, NO_RENEGOTIATION } from './constants.js';
import { describeHandshake } from './messages.js';
import {
  BadRecordMac,
  fragment,
  frameRecord,
  HandshakeReassembler,
  type HandshakeMessage,
  type RecordProtection,
} from './record.js';

/** One message seen on the wire, in either direction. */
export interface TranscriptEntry {
  readonly dir: 'sent' | 'received';
  /** Message name: 'ClientHello', 'Certificate', 'Alert', 'ChangeCipherSpec', 'ApplicationData', … */
  readonly type: string;
  /** Handshake body length, or content length for other records. */
  readonly length: number;
  /** True when it travelled under record protection. */
  readonly encrypted: boolean;
  /** Decoded fields (CertificateRequest: context, signatureAlgorithms, certificateAuthorities, …). */
  readonly fields?: Readonly<Record<string, unknown>>;
  /** The mutation that shaped a sent message. */
  readonly mutation?: string;
  /**
   * Set on messages of an exchange after the handshake: TLS 1.3 post-handshake authentication (RFC 8446 §4.6.2) or a
   * TLS 1.2 renegotiation (RFC 5746), from the server's request to the end of the client's answer.
   */
  readonly phase?: TranscriptPhase;
  /** Milliseconds since the probe started. */
  readonly atMs: number;
}

/** Exchanges after the handshake that the transcript marks (see {@link TranscriptEntry.phase}). */
export type TranscriptPhase = 'post-handshake-auth' | 'renegotiation';

/** The server sent an alert. */
export class AlertReceived extends Error {
  override readonly name = 'AlertReceived';
  constructor(
    readonly level: number,
    readonly code: number,
  ) {
    super(
      `server sent ${level === AlertLevel.fatal ? 'fatal' : 'warning'} alert ${alertName(code) ?? 'unknown'}(${code})`,
    );
  }
}

/**
 * A failure unrelated to the client certificate: the server is not TLS, untrusted, speaks another version, or broke
 * the protocol. `alert` is what we send it before closing.
 */
export class WireFailure extends Error {
  override readonly name = 'WireFailure';
  constructor(
    readonly kind: UnrelatedError,
    message: string,
    readonly alert?: AlertName,
  ) {
    super(message);
  }
}

/** What the server sent next. */
export type Incoming =
  | { readonly kind: 'handshake'; readonly msg: HandshakeMessage }
  | { readonly kind: 'application-data'; readonly data: Uint8Array }
  | { readonly kind: 'change-cipher-spec' };

/** Record-level I/O of one connection, logging everything into the transcript. */
export class Session {
  /** Every message, both directions. */
  readonly transcript: TranscriptEntry[] = [];
  /** Protection of records we read, once keys are established. */
  readProtection: RecordProtection | undefined;
  /** Protection of records we write. */
  writeProtection: RecordProtection | undefined;
  /** Version used to decode messages for the transcript. */
  version: '1.2' | '1.3';
  private readonly hs = new HandshakeReassembler();
  /** Set once the first valid record arrived: before it, garbage means "not TLS". */
  sawTls = false;
  /** The exchange after the handshake in progress, marked on every entry logged meanwhile. */
  phase: TranscriptPhase | undefined;

  constructor(
    readonly conn: Connection,
    version: '1.2' | '1.3',
    private readonly startedAt: number,
    /** Told of each transcript entry as it is logged (a live view for tools and tests). */
    private readonly onEntry?: (entry: TranscriptEntry) => void,
  ) {
    this.version = version;
  }

  /** Milliseconds since the probe started. */
  now(): number {
    return Date.now() - this.startedAt;
  }

  /** Appends a transcript entry. */
  log(entry: Omit<TranscriptEntry, 'atMs'>): void {
    const full = { ...entry, ...(this.phase ? { phase: this.phase } : {}), atMs: this.now() };
    this.transcript.push(full);
    this.onEntry?.(full);
  }

  /** Merges `fields` into the last transcript entry (what a client learnt about the message it just sent or read). */
  annotateLast(fields: Readonly<Record<string, unknown>>): void {
    const last = this.transcript.at(-1);
    if (last) this.transcript[this.transcript.length - 1] = { ...last, fields: { ...last.fields, ...fields } };
  }

  /**
   * Marks the last transcript entry as part of `phase` (the server's request that opened the exchange, logged before
   * the client knew what it was).
   */
  markLast(phase: TranscriptPhase): void {
    const last = this.transcript.at(-1);
    if (last) this.transcript[this.transcript.length - 1] = { ...last, phase };
  }

  /** Sends content of `type`, fragmented and protected as the current state requires. */
  sendRecord(type: number, content: Uint8Array): void {
    for (const part of fragment(content)) {
      this.conn.write(this.writeProtection ? this.writeProtection.seal(type, part) : frameRecord(type, part, 0x0303));
    }
  }

  /** Sends a complete handshake message (header included) and logs it. */
  sendHandshake(raw: Uint8Array, mutation?: string): void {
    this.sendRecord(ContentType.handshake, raw);
    this.log({
      dir: 'sent',
      type: handshakeName(raw[0]!),
      length: raw.length - 4,
      encrypted: Boolean(this.writeProtection),
      fields: describeHandshake(raw[0]!, raw.subarray(4), this.version),
      ...(mutation ? { mutation } : {}),
    });
  }

  /**
   * Sends ChangeCipherSpec: TLS 1.3's compatibility CCS is always plaintext (RFC 8446 §5); in TLS 1.2 it is a record
   * like any other, protected under the current keys during a renegotiation (RFC 5246 §6.1, §7.1).
   */
  sendChangeCipherSpec(): void {
    const encrypted = this.version === '1.2' && Boolean(this.writeProtection);
    if (encrypted) this.sendRecord(ContentType.changeCipherSpec, Uint8Array.of(1));
    else this.conn.write(frameRecord(ContentType.changeCipherSpec, Uint8Array.of(1)));
    this.log({ dir: 'sent', type: 'ChangeCipherSpec', length: 1, encrypted });
  }

  /** Sends application data. */
  sendApplicationData(data: Uint8Array): void {
    this.sendRecord(ContentType.applicationData, data);
    this.log({ dir: 'sent', type: 'ApplicationData', length: data.length, encrypted: true });
  }

  /** Sends an alert; never throws (the peer may be gone). */
  sendAlert(code: number, level: number = AlertLevel.fatal): void {
    try {
      this.sendRecord(ContentType.alert, Uint8Array.of(level, code));
      this.log({
        dir: 'sent',
        type: 'Alert',
        length: 2,
        encrypted: Boolean(this.writeProtection),
        fields: { level, code, name: alertName(code) ?? (code === NO_RENEGOTIATION ? 'no_renegotiation' : 'unknown') },
      });
    } catch {
      // the connection is being torn down anyway
    }
  }

  /** True while a handshake message is split across records (keys must not change then: RFC 8446 §5.1). */
  get midMessage(): boolean {
    return this.hs.partial;
  }

  /**
   * The next handshake message, application data or ChangeCipherSpec. Alerts throw AlertReceived (warning alerts
   * other than close_notify are logged and skipped); malformed input throws WireFailure.
   */
  async next(): Promise<Incoming> {
    for (;;) {
      const buffered = this.takeHandshake();
      if (buffered) return buffered;
      const record = await this.conn.readRecord();
      let type = record.type;
      let content = record.payload;
      // NOTE: RFC 8446 §5 — a TLS 1.3 ChangeCipherSpec is never protected; a TLS 1.2 one is once keys are in use (the
      // server's CCS of a renegotiation travels under the previous handshake's keys, RFC 5246 §6.1).
      const protectedRecord =
        Boolean(this.readProtection) && (type !== ContentType.changeCipherSpec || this.version === '1.2');
      if (protectedRecord) {
        try {
          ({ type, content } = this.readProtection!.open(record));
        } catch (err) {
          if (err instanceof BadRecordMac)
            throw new WireFailure('not-tls', `cannot decrypt a server record: ${err.message}`, 'bad_record_mac');
          throw new WireFailure('not-tls', `bad protected record: ${(err as Error).message}`, 'unexpected_message');
        }
      }
      this.sawTls = true;
      switch (type) {
        case ContentType.alert: {
          if (content.length !== 2)
            throw new WireFailure('not-tls', `alert record of ${content.length} bytes`, 'decode_error');
          const [level, code] = [content[0]!, content[1]!];
          this.log({
            dir: 'received',
            type: 'Alert',
            length: 2,
            encrypted: protectedRecord,
            fields: { level, code, name: alertName(code) ?? 'unknown' },
          });
          if (level === AlertLevel.warning && code !== 0 && this.version === '1.2') continue;
          throw new AlertReceived(level, code);
        }
        case ContentType.changeCipherSpec:
          if (content.length !== 1 || content[0] !== 1)
            throw new WireFailure('not-tls', `malformed ChangeCipherSpec ${toHex(content)}`, 'unexpected_message');
          this.log({ dir: 'received', type: 'ChangeCipherSpec', length: 1, encrypted: protectedRecord });
          if (this.version === '1.3') continue; // NOTE: RFC 8446 §5 — a compatibility CCS is dropped.
          return { kind: 'change-cipher-spec' };
        case ContentType.handshake:
          if (content.length === 0)
            throw new WireFailure('not-tls', 'zero-length handshake record', 'unexpected_message');
          this.hs.push(content);
          continue;
        case ContentType.applicationData:
          if (!protectedRecord)
            throw new WireFailure('not-tls', 'application data before keys were established', 'unexpected_message');
          if (this.hs.partial)
            throw new WireFailure(
              'not-tls',
              'application data inside a fragmented handshake message',
              'unexpected_message',
            );
          this.log({ dir: 'received', type: 'ApplicationData', length: content.length, encrypted: true });
          return { kind: 'application-data', data: content };
        default:
          throw new WireFailure('not-tls', `unexpected content type ${type}`, 'unexpected_message');
      }
    }
  }

  private takeHandshake(): Incoming | undefined {
    let msg: HandshakeMessage | undefined;
    try {
      msg = this.hs.next();
    } catch (err) {
      if (err instanceof DecodeError) throw new WireFailure('not-tls', err.message, 'decode_error');
      throw err;
    }
    if (!msg) return undefined;
    this.log({
      dir: 'received',
      type: handshakeName(msg.type),
      length: msg.body.length,
      encrypted: Boolean(this.readProtection),
      fields: describeHandshake(msg.type, msg.body, this.version),
    });
    return { kind: 'handshake', msg };
  }

  /** The next handshake message; anything else is an unexpected_message failure. */
  async nextHandshake(expected: string): Promise<HandshakeMessage> {
    const got = await this.next();
    if (got.kind !== 'handshake')
      throw new WireFailure('not-tls', `expected ${expected}, got ${got.kind}`, 'unexpected_message');
    return got.msg;
  }
}
