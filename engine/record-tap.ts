/**
 * A transparent stream between node:tls and its TCP socket that reads the TLS record layer in both directions, so a
 * node:tls probe knows what its OpenSSL client cannot tell it: whether the server ever sent a whole record, whether
 * the server's stream ended inside one, and whether the client's certificate flight had left before the server
 * decided. Bytes pass through unchanged.
 */
import type net from 'node:net';
import { Duplex } from 'node:stream';
import type { TransportFacts } from '../core/result.js';

const HANDSHAKE = 22;
const CHANGE_CIPHER_SPEC = 20;
const APPLICATION_DATA = 23;
const CLIENT_HELLO = 1;

/** Reads TLS record headers (and the plaintext handshake message types) from one direction of a connection. */
class RecordScanner {
  private buffered = 0;
  private header: number[] = [];
  private remaining = 0;
  private type = 0;
  private encrypted = false;
  /** Complete records seen. */
  records = 0;
  /** Records of each content type, complete or not. */
  readonly types: number[] = [];
  /** Plaintext handshake message types, in order (first byte of each handshake message in plaintext records). */
  readonly handshakeTypes: number[] = [];
  private hsHeader: number[] = [];
  private hsRemaining = 0;

  push(chunk: Uint8Array): void {
    let i = 0;
    while (i < chunk.length) {
      if (this.remaining === 0) {
        this.header.push(chunk[i]!);
        i++;
        this.buffered = this.header.length;
        if (this.header.length === 5) {
          this.type = this.header[0]!;
          this.remaining = (this.header[3]! << 8) | this.header[4]!;
          this.types.push(this.type);
          // NOTE: after a ChangeCipherSpec (TLS 1.2) or in any application_data record (TLS 1.3) the payload is
          // encrypted: handshake message types can no longer be read.
          if (this.type === CHANGE_CIPHER_SPEC || this.type === APPLICATION_DATA) this.encrypted = true;
          this.header = [];
          if (this.remaining === 0) this.completeRecord();
        }
        continue;
      }
      const take = Math.min(this.remaining, chunk.length - i);
      if (this.type === HANDSHAKE && !this.encrypted) this.scanHandshake(chunk.subarray(i, i + take));
      this.remaining -= take;
      this.buffered += take;
      i += take;
      if (this.remaining === 0) this.completeRecord();
    }
  }

  private completeRecord(): void {
    this.records++;
    this.buffered = 0;
  }

  private scanHandshake(bytes: Uint8Array): void {
    let i = 0;
    while (i < bytes.length) {
      if (this.hsRemaining === 0) {
        this.hsHeader.push(bytes[i]!);
        i++;
        if (this.hsHeader.length === 4) {
          this.handshakeTypes.push(this.hsHeader[0]!);
          this.hsRemaining = (this.hsHeader[1]! << 16) | (this.hsHeader[2]! << 8) | this.hsHeader[3]!;
          this.hsHeader = [];
        }
        continue;
      }
      const take = Math.min(this.hsRemaining, bytes.length - i);
      this.hsRemaining -= take;
      i += take;
    }
  }

  /** Bytes of a record begun but not complete. */
  get partial(): number {
    return this.buffered;
  }
}

/**
 * Wraps a connected (or connecting) TCP socket; pass it to `tls.connect({ socket })`. Errors and ends of the socket
 * reach the TLS layer unchanged (ECONNRESET stays ECONNRESET).
 */
export class RecordTap extends Duplex {
  private readonly fromServer = new RecordScanner();
  private readonly fromClient = new RecordScanner();

  constructor(private readonly raw: net.Socket) {
    super({ allowHalfOpen: true });
    raw.on('data', (chunk: Buffer) => {
      this.fromServer.push(chunk);
      if (!this.push(chunk)) raw.pause();
    });
    raw.on('end', () => this.push(null));
    raw.on('error', (err: NodeJS.ErrnoException) => {
      // NOTE: a server that sends a fatal alert and closes with our data unread makes the kernel reset the
      // connection. The alert must reach OpenSSL before the reset does (as it would without the tap), so a reset ends
      // the stream after what was received and is remembered, rather than destroying it with data unread.
      if (err.code === 'ECONNRESET' || err.code === 'EPIPE') {
        this.wasReset = true;
        if (!this.readableEnded) this.push(null);
        return;
      }
      this.destroy(err);
    });
    // NOTE: the end of the TCP socket is an end of stream for the TLS layer first: destroying this stream before the
    // TLS layer read to the end would tear it down before OpenSSL has read the last record (an alert) it was given.
    raw.on('close', () => {
      if (!this.readableEnded) this.push(null);
      // Once the TLS layer has read to the end, this stream is done too.
      if (this.readableEnded) this.destroy();
      else this.once('end', () => this.destroy());
    });
  }

  /** True once the server reset the connection (delivered to the TLS layer as an end of stream). */
  wasReset = false;
  private corked = false;

  override _read(): void {
    this.raw.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.fromClient.push(chunk);
    if (this.raw.destroyed) return callback();
    // NOTE: what the TLS layer writes in one turn of the event loop (the client's last flight, then the request the
    // probe writes at secureConnect) leaves in one TCP write, as node:tls writes it without the tap. Sent apart, the
    // request can reach a server that refuses and closes while it is still unread in the server's socket — and a
    // close with unread data resets the connection and discards the alert the server had just written.
    if (!this.corked) {
      this.corked = true;
      this.raw.cork();
      setImmediate(() => {
        this.corked = false;
        if (!this.raw.destroyed) this.raw.uncork();
      });
    }
    // A write into a reset connection fails on the socket ('error' above); the TLS layer learns of it by the end.
    // The write is taken at once (not when it reached the socket), so the TLS layer's next write joins it.
    this.raw.write(chunk);
    callback();
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.raw.end();
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.raw.destroy();
    callback(error);
  }

  /** Bytes received from the server so far. */
  get serverBytes(): number {
    return this.raw.bytesRead;
  }

  /**
   * The record-layer facts so far. The client's certificate flight counts as sent once it wrote anything after its
   * ClientHello other than a ChangeCipherSpec: a TLS 1.2 handshake message (Certificate, ClientKeyExchange…) or, in
   * TLS 1.3, an encrypted record (its Certificate, CertificateVerify and Finished travel encrypted). A TLS 1.3
   * middlebox-compatibility ChangeCipherSpec alone is not the flight: it also precedes a second ClientHello after a
   * HelloRetryRequest.
   */
  facts(): TransportFacts {
    const c = this.fromClient;
    const clientFlightSent =
      c.handshakeTypes.some((t) => t !== CLIENT_HELLO) || c.types.some((t) => t === APPLICATION_DATA);
    return {
      serverRecords: this.fromServer.records,
      truncatedRecord: this.fromServer.partial > 0,
      clientFlightSent,
    };
  }
}
