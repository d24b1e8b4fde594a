/**
 * The built-in server's proxy mode: forwards a request to the echo backend with the identity the TLS layer verified,
 * as the reverse proxies' documentation recommends (X-SSL-Client-Verify, X-SSL-Client-S-DN, X-SSL-Client-Cert), after
 * removing every identity header the client sent. The reference for what the proxy-identity scenarios expect.
 */
import { X509Certificate } from 'node:crypto';
import http from 'node:http';
import type tls from 'node:tls';
import { FORGEABLE_IDENTITY_HEADERS, rfc4514Subject } from './proxy.js';
import type { Endpoint } from './target.js';

/** Headers that belong to one connection (RFC 9110 §7.6.1) and are never forwarded. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/** The identity headers the built-in proxy sets, whatever the client sent under the same names. */
export const BUILTIN_IDENTITY_HEADERS = ['X-SSL-Client-Verify', 'X-SSL-Client-S-DN', 'X-SSL-Client-Cert'] as const;

/** Names the built-in proxy removes from a client's request before it sets its own. */
const STRIPPED = new Set([...FORGEABLE_IDENTITY_HEADERS, ...BUILTIN_IDENTITY_HEADERS].map((h) => h.toLowerCase()));

/**
 * The verified identity of a connection as headers: `X-SSL-Client-Verify` SUCCESS, NONE (no certificate) or
 * FAILED:<reason> (only reachable through a weakened server), the subject as an escaped RFC 4514 string, and the
 * certificate as a URL-encoded PEM (nginx's `$ssl_client_escaped_cert`).
 */
export function identityHeaders(socket: tls.TLSSocket): [string, string][] {
  const peer = socket.getPeerCertificate();
  if (!peer || Object.keys(peer).length === 0) return [['X-SSL-Client-Verify', 'NONE']];
  const der = new Uint8Array(peer.raw);
  return [
    ['X-SSL-Client-Verify', socket.authorized ? 'SUCCESS' : `FAILED:${String(socket.authorizationError)}`],
    ['X-SSL-Client-S-DN', rfc4514Subject(der)],
    ['X-SSL-Client-Cert', encodeURIComponent(new X509Certificate(peer.raw).toString())],
  ];
}

/**
 * Forwards `req` to the echo backend and relays its answer. With `passthrough` (the weakened variant) the client's
 * identity headers go through untouched beside the server's own, as a proxy configured with "add" instead of "set"
 * does.
 */
export function forwardToEcho(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  echo: Endpoint,
  options: { readonly passthrough: boolean; readonly log: (line: string) => void },
): void {
  const headers: string[] = [];
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i]!;
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower)) continue;
    if (!options.passthrough && STRIPPED.has(lower)) continue;
    headers.push(name, req.rawHeaders[i + 1]!);
  }
  for (const [name, value] of identityHeaders(req.socket as tls.TLSSocket)) headers.push(name, value);
  headers.push('Connection', 'close');
  const upstream = http.request(
    { host: echo.host, port: echo.port, method: req.method, path: req.url, headers, timeout: 5000 },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    },
  );
  const fail = (why: string) => {
    options.log(`proxy to ${echo.host}:${echo.port} failed: ${why}`);
    if (!res.headersSent) {
      res.writeHead(502, { 'content-type': 'text/plain', connection: 'close' });
      res.end(`bad gateway: ${why}\n`);
    } else res.destroy();
  };
  upstream.on('timeout', () => upstream.destroy(new Error('the echo backend did not answer in time')));
  upstream.on('error', (err) => fail(err.message));
  req.pipe(upstream);
}
