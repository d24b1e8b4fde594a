/**
 * The echo backend: what a reverse proxy under test forwards to. It answers every request with the request line and
 * every header line it received, as JSON, and keeps that record under the nonce the client put in the path
 * (`…/echo/<nonce>`) or in an `X-Echo-Nonce` header, so whoever sent a request through the proxy can ask the backend
 * directly (`GET /_seen/<nonce>`) what the application behind the proxy was given — concurrent requests never mix.
 * The backend's view is the evidence of the proxy-identity scenarios: what the proxy forwarded, not what it answered.
 */
import http from 'node:http';
import type { Socket } from 'node:net';
import { listenOn } from '../core/listen.js';

/** A nonce: 8 to 128 URL-safe characters. */
export const NONCE_PATTERN = /^[A-Za-z0-9_-]{8,128}$/;
/** The path segment that carries the nonce: `…/echo/<nonce>` (any prefix the proxy adds or keeps). */
export const ECHO_SEGMENT = 'echo';
/** The header a client may carry the nonce in instead (when its proxy rewrites paths). */
export const NONCE_HEADER = 'x-echo-nonce';
/** How many records the backend keeps (the oldest go first). */
export const DEFAULT_CAPACITY = 4096;
/** Largest request head the backend records from a request it could not parse. */
const MAX_RAW_BYTES = 16 * 1024;

/** What the backend received for one request. */
export interface EchoRecord {
  /** The nonce of the request, or null when it carried none (then it is answered, not kept). */
  readonly nonce: string | null;
  readonly method: string;
  /** The request target as received (path and query). */
  readonly url: string;
  /** Every header line as received, in order, names as sent: duplicates stay visible. */
  readonly headers: readonly (readonly [string, string])[];
  /** Address of the peer that sent it (the proxy). */
  readonly from: string;
  readonly receivedAt: string;
  /**
   * Set when the backend's HTTP parser refused the request (a header split by a CR/LF the proxy forwarded, a bare
   * CR…): the parser's error code, with the raw request head in `raw` (latin1, at most 16 KiB).
   */
  readonly malformed?: string;
  readonly raw?: string;
}

/** A running echo backend. */
export interface EchoBackend {
  readonly host: string;
  readonly port: number;
  /** `http://host:port`. */
  readonly url: string;
  /** The record of a nonce, if the backend received it. */
  seen(nonce: string): EchoRecord | undefined;
  /** Requests received (with or without a nonce). */
  readonly requests: number;
  close(): Promise<void>;
}

/** Options of {@link startEchoBackend}. */
export interface EchoBackendOptions {
  /** Default 0 (any free port). */
  readonly port?: number;
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Records kept (default {@link DEFAULT_CAPACITY}). */
  readonly capacity?: number;
}

/** The nonce of a request: the segment after `/echo/` in its path, else the `X-Echo-Nonce` header. */
export function nonceOf(url: string, header: string | undefined): string | null {
  const path = url.split('?')[0] ?? '';
  const segments = path.split('/');
  const at = segments.lastIndexOf(ECHO_SEGMENT);
  const fromPath = at >= 0 ? segments[at + 1] : undefined;
  if (fromPath !== undefined && NONCE_PATTERN.test(fromPath)) return fromPath;
  if (header !== undefined && NONCE_PATTERN.test(header)) return header;
  return null;
}

/** Pairs node's flat `rawHeaders` list into `[name, value]` lines. */
function pairs(raw: readonly string[]): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) out.push([raw[i]!, raw[i + 1]!]);
  return out;
}

/**
 * Starts the echo backend on `host:port`. Routes: `GET /_seen/<nonce>` answers the record of a nonce (404 when the
 * backend never received it); every other request is recorded under its nonce and answered 200 with its record.
 * A busy port is MTLS_ERR_PORT.
 */
export async function startEchoBackend(options: EchoBackendOptions = {}): Promise<EchoBackend> {
  const host = options.host ?? '127.0.0.1';
  const capacity = options.capacity ?? DEFAULT_CAPACITY;
  const records = new Map<string, EchoRecord>();
  let requests = 0;
  const keep = (record: EchoRecord) => {
    if (record.nonce === null) return;
    records.delete(record.nonce);
    records.set(record.nonce, record);
    while (records.size > capacity) records.delete(records.keys().next().value!);
  };
  const json = (res: http.ServerResponse, status: number, body: unknown) => {
    const text = JSON.stringify(body) + '\n';
    res.writeHead(status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text),
      'cache-control': 'no-store',
    });
    res.end(text);
  };

  const server = http.createServer((req, res) => {
    requests += 1;
    const url = req.url ?? '/';
    const lookup = /^\/_seen\/([^/?]+)$/.exec(url);
    if (lookup && req.method === 'GET') {
      const record = records.get(lookup[1]!);
      if (record) json(res, 200, record);
      else json(res, 404, { nonce: lookup[1], seen: false });
      return;
    }
    const header = req.headers[NONCE_HEADER];
    const record: EchoRecord = {
      nonce: nonceOf(url, Array.isArray(header) ? header[0] : header),
      method: req.method ?? '',
      url,
      headers: pairs(req.rawHeaders),
      from: req.socket.remoteAddress ?? '',
      receivedAt: new Date().toISOString(),
    };
    // NOTE: kept before the answer leaves: once the proxy has relayed it, a lookup by the client finds the record.
    keep(record);
    // The body is not read: a GET is what the scenarios send, and the answer does not depend on it.
    req.resume();
    json(res, 200, record);
  });
  // NOTE: a request the parser refuses (a header line broken by a CR/LF the proxy forwarded from a certificate
  // subject) is evidence too: keep its raw head under the nonce its request line carries.
  server.on('clientError', (err: NodeJS.ErrnoException & { rawPacket?: Buffer }, socket) => {
    requests += 1;
    const raw = (err.rawPacket ?? Buffer.alloc(0)).subarray(0, MAX_RAW_BYTES).toString('latin1');
    const target = /^[A-Z]+ (\S+) HTTP\/1\.[01]\r?\n/.exec(raw)?.[1] ?? '';
    const nonce = nonceOf(target, /\r?\nx-echo-nonce:[ \t]*([A-Za-z0-9_-]+)/i.exec(raw)?.[1]);
    keep({
      nonce,
      method: /^([A-Z]+) /.exec(raw)?.[1] ?? '',
      url: target,
      headers: [],
      from: (socket as Socket).remoteAddress ?? '',
      receivedAt: new Date().toISOString(),
      malformed: err.code ?? err.message,
      raw,
    });
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
    else socket.destroy();
  });
  const port = await listenOn(server, host, options.port ?? 0, 'the echo backend');
  // A late socket error must not crash the process that hosts the backend.
  server.on('error', () => undefined);
  let closing: Promise<void> | undefined;
  return {
    host,
    port,
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    seen: (nonce) => records.get(nonce),
    get requests() {
      return requests;
    },
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

/**
 * Asks an echo backend (started here or by the user, `mtls-harness echo-backend`) what it received for a nonce:
 * the record, `undefined` when it never received that nonce, or an Error when the backend could not be asked.
 */
export function fetchEchoRecord(
  backend: { readonly host: string; readonly port: number },
  nonce: string,
  timeoutMs: number,
): Promise<EchoRecord | undefined | Error> {
  return new Promise((resolve) => {
    const req = http.get(
      { host: backend.host, port: backend.port, path: `/_seen/${encodeURIComponent(nonce)}`, timeout: timeoutMs },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          if (res.statusCode === 404) return resolve(undefined);
          if (res.statusCode !== 200) return resolve(new Error(`echo backend answered HTTP ${res.statusCode ?? '?'}`));
          try {
            resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as EchoRecord);
          } catch (err) {
            resolve(err instanceof Error ? err : new Error(String(err)));
          }
        });
        res.on('error', (err) => resolve(err));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`echo backend did not answer within ${timeoutMs} ms`)));
    req.on('error', (err) => resolve(err));
  });
}
