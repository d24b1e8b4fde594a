/**
 * A TCP connection read record by record, bounded by one deadline. Every failure surfaces as a typed error
 * ({@link PeerClosed}, {@link WireTimeout}, {@link ConnectFailed}, RecordFramingError); nothing is thrown from socket
 * callbacks and the socket is destroyed on every path.
 */
import net from 'node:net';
import { RecordReader, type RawRecord } from './record.js';

/** The server closed (FIN) or reset (RST) the connection. */
export class PeerClosed extends Error {
  override readonly name = 'PeerClosed';
  constructor(readonly how: 'closed' | 'reset') {
    super(how === 'closed' ? 'server closed the connection' : 'server reset the connection');
  }
}

/** Nothing decisive before the deadline. */
export class WireTimeout extends Error {
  override readonly name = 'WireTimeout';
}

/** TCP connect failed. */
export class ConnectFailed extends Error {
  override readonly name = 'ConnectFailed';
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

interface Waiter {
  resolve(r: RawRecord): void;
  reject(e: Error): void;
}

/** A connected socket with a record queue. */
export class Connection {
  private readonly reader = new RecordReader();
  private readonly queue: RawRecord[] = [];
  private waiter: Waiter | undefined;
  private failure: Error | undefined;
  private readonly timer: NodeJS.Timeout;
  /** Bytes received in total (for diagnostics). */
  received = 0;
  /** Complete records received. */
  records = 0;

  private constructor(
    private readonly socket: net.Socket,
    deadline: number,
  ) {
    this.timer = setTimeout(
      () => this.fail(new WireTimeout('no decisive answer before the timeout')),
      Math.max(0, deadline - Date.now()),
    );
    socket.on('data', (chunk: Buffer) => {
      this.received += chunk.length;
      try {
        this.reader.push(new Uint8Array(chunk));
        for (let r = this.reader.next(); r; r = this.reader.next()) {
          this.records++;
          this.queue.push(r);
        }
      } catch (err) {
        this.fail(err as Error);
      }
      this.pump();
    });
    socket.on('end', () => this.fail(new PeerClosed('closed')));
    socket.on('close', () => this.fail(new PeerClosed('closed')));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      this.fail(err.code === 'ECONNRESET' || err.code === 'EPIPE' ? new PeerClosed('reset') : err);
    });
  }

  /** Connects, failing with ConnectFailed or WireTimeout by `deadline` (epoch ms). */
  static connect(host: string, port: number, deadline: number): Promise<Connection> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host, port });
      socket.setNoDelay(true);
      const timer = setTimeout(
        () => {
          socket.destroy();
          reject(new WireTimeout('TCP connect timed out'));
        },
        Math.max(0, deadline - Date.now()),
      );
      const onError = (err: NodeJS.ErrnoException): void => {
        clearTimeout(timer);
        socket.destroy();
        reject(new ConnectFailed(`connect to ${host}:${port} failed: ${err.message}`, err.code));
      };
      socket.once('error', onError);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.off('error', onError);
        resolve(new Connection(socket, deadline));
      });
    });
  }

  private fail(err: Error): void {
    // Keep the first terminal reason: a reset after an alert must not hide the alert already queued.
    if (!this.failure) this.failure = err;
    this.pump();
  }

  private pump(): void {
    const w = this.waiter;
    if (!w) return;
    const r = this.queue.shift();
    if (r) {
      this.waiter = undefined;
      w.resolve(r);
    } else if (this.failure) {
      this.waiter = undefined;
      w.reject(this.failure);
    }
  }

  /** The next record; rejects with the terminal error once the queue is drained. */
  readRecord(): Promise<RawRecord> {
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
      this.pump();
    });
  }

  /**
   * Lets the event loop poll the socket once (two check phases apart, so a poll phase runs in between): records the
   * server sent while we were busy are queued, and its close is noticed.
   */
  async settle(): Promise<void> {
    for (let i = 0; i < 2; i++) await new Promise<void>((resolve) => setImmediate(resolve));
  }

  /** Bytes of a record the server began and did not finish (a truncated record, once the peer is gone). */
  get partialRecordBytes(): number {
    return this.reader.pending;
  }

  /** True once the server closed or reset the connection (queued records may still be read). */
  get peerGone(): boolean {
    return this.failure instanceof PeerClosed;
  }

  /** Holds writes until {@link uncork}, so a whole flight leaves together. */
  cork(): void {
    if (!this.socket.destroyed) this.socket.cork();
  }

  /** Sends what {@link cork} held. */
  uncork(): void {
    if (!this.socket.destroyed) this.socket.uncork();
  }

  /** Writes bytes; write errors surface on the next read. */
  write(bytes: Uint8Array): void {
    if (this.socket.destroyed || !this.socket.writable) return;
    this.socket.write(bytes);
  }

  /** Destroys the socket and the deadline timer. */
  destroy(): void {
    clearTimeout(this.timer);
    if (!this.failure) this.failure = new PeerClosed('closed');
    this.socket.destroy();
  }
}
