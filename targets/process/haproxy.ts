import { PROXY_PATH } from '../proxy.js';
import type { Rendered, RenderInput, ServerAdapter } from './adapter.js';
import { PKI, PROXY_PASSTHROUGH } from './adapter.js';
import { ticketKeyBytes } from './ticket-keys.js';

/** The weakening that keeps HAProxy's default DN format, the one its documentation's examples show. */
const PROXY_ONELINE_DN = 'proxy-oneline-dn';

const WEAKENINGS = {
  'ignore-errors': 'crt-ignore-err all ca-ignore-err all: every verification error is ignored',
  'no-crl': 'no crl-file: revoked certificates are not detected',
  [PROXY_PASSTHROUGH]:
    'proxy mode: the identity headers are added (http-request add-header) instead of set, and nothing is deleted, so the client copies reach the backend',
  [PROXY_ONELINE_DN]:
    "proxy mode: X-SSL-Client-DN in ssl_c_s_dn's default format (OpenSSL's one-line /CN=…/O=…), which does not escape '/': a subject can carry a second /CN=",
} as const;

/**
 * haproxy.cfg: an HTTP frontend that answers 200 itself (`http-request return`), TLS with `verify required|optional`,
 * the fixtures' root and every CA level's CRL. haproxy has no OCSP checking of client certificates.
 */
export function renderHaproxy(input: RenderInput): Rendered {
  const p = (rel: string) => `${input.root}/${rel}`;
  const shapes = input.sniNoAuth !== undefined || input.optionalPort !== undefined;
  const bindAt = (port: number, verify: string, certs: string) =>
    [
      `bind ${input.listenHost}:${port} ssl ${certs}`,
      `ca-file ${p(PKI.trust)}`,
      `verify ${verify}`,
      ...(input.weaken === 'no-crl' || input.weaken === 'ignore-errors' ? [] : [`crl-file ${p(PKI.crls)}`]),
      ...(input.weaken === 'ignore-errors' ? ['crt-ignore-err all', 'ca-ignore-err all'] : []),
      'ssl-min-ver TLSv1.2',
      ...(shapes ? [`tls-ticket-keys ${p(TICKET_KEYS)}`] : []),
    ].join(' ');
  const certs = input.sniNoAuth !== undefined ? `crt-list ${p(CRT_LIST)}` : `crt ${p(PKI.chainAndKey)}`;
  const bind = bindAt(input.port, input.policy === 'require' ? 'required' : 'optional', certs);
  const proxy = haproxyProxy(input);
  const lines = [
    '# rendered by mtls-harness: a private haproxy in the foreground',
    'global',
    '  log stderr format raw local0 info',
    `  pidfile ${p('haproxy.pid')}`,
    '  tune.ssl.default-dh-param 2048',
    'defaults',
    '  mode http',
    '  log global',
    '  option httplog',
    '  timeout connect 5s',
    '  timeout client 10s',
    '  timeout server 10s',
    'frontend mtls',
    `  ${bind}`,
    ...(input.optionalPort !== undefined
      ? [`  ${bindAt(input.optionalPort, 'optional', `crt ${p(PKI.chainAndKey)}`)}`]
      : []),
    ...proxy.frontend,
    `  http-request return status 200 content-type text/plain string "ok\\n"${proxy.frontend.length ? ' unless proxied' : ''}`,
    ...proxy.backend,
    '',
  ];
  return {
    files: {
      'haproxy.cfg': lines.join('\n'),
      ...(input.sniNoAuth !== undefined ? { [CRT_LIST]: crtList(input) } : {}),
      ...(shapes ? { [TICKET_KEYS]: ticketKeys(input.root) } : {}),
    },
    args: ['-db', '-f', p('haproxy.cfg')],
    ...(shapes ? { secretFiles: [TICKET_KEYS] } : {}),
  };
}

/** The crt-list of the resumption shapes, and the ticket keys file every bind line shares. */
const CRT_LIST = 'crt-list.txt';
const TICKET_KEYS = 'tls-ticket-keys';

/**
 * The resumption shapes (issue 12): one bind line whose crt-list serves the same certificate to `localhost` with the
 * bind's own `verify` (the endpoint under test) and to {@link RenderInput.sniNoAuth} with `verify none` — HAProxy's
 * documented way to set client authentication per server name (crt-list `[sslbindconf] snifilter`). The first line
 * is the default for a client naming neither. The optional endpoint is a second bind line of the same frontend
 * (`verify optional`); every bind line shares the session cache (HAProxy has one per process) and the
 * `tls-ticket-keys` file.
 */
function crtList(input: RenderInput): string {
  const cert = `${input.root}/${PKI.chainAndKey}`;
  return [`${cert} localhost`, `${cert} [verify none] ${input.sniNoAuth!}`, ''].join('\n');
}

/**
 * `tls-ticket-keys`: base64 keys of 80 bytes (AES-256), one a line, three (the size of HAProxy's key ring): HAProxy
 * encrypts with the penultimate and decrypts with all (observed: the key name of its tickets is the second key's).
 */
function ticketKeys(root: string): string {
  return [0, 1, 2].map((i) => ticketKeyBytes(root, 80, `haproxy-${i}`).toString('base64')).join('\n') + '\n';
}

/**
 * Proxy mode: requests under `/proxied/` go to a backend section for the echo backend, with the verified identity in
 * the headers HAProxy's documentation uses for client certificates — `X-SSL-Client-Verify %[ssl_c_verify]` (the
 * verify result code: 0 when there was no error, also when no certificate was sent), `X-SSL-Client-Used
 * %[ssl_c_used]`, `X-SSL-Client-DN %{+Q}[ssl_c_s_dn]`, `X-SSL-Client-CN %{+Q}[ssl_c_s_dn(cn)]` and the certificate
 * as `%[ssl_c_der,base64]` — set (replacing the client's), and the other identity headers deleted. The weakened form
 * adds instead of setting and deletes nothing.
 */
function haproxyProxy(input: RenderInput): { frontend: string[]; backend: string[] } {
  if (!input.proxy) return { frontend: [], backend: [] };
  const weak = input.weaken === PROXY_PASSTHROUGH;
  const put = weak ? 'add-header' : 'set-header';
  return {
    frontend: [
      `  acl proxied path_beg ${PROXY_PATH}`,
      ...(weak
        ? []
        : ['X-SSL-Client-S-DN', 'X-Client-Cert', 'X-Forwarded-Client-Cert'].map(
            (h) => `  http-request del-header ${h} if proxied`,
          )),
      `  http-request ${put} X-SSL-Client-Verify %[ssl_c_verify] if proxied`,
      `  http-request ${put} X-SSL-Client-Used %[ssl_c_used] if proxied`,
      `  http-request ${put} X-SSL-Client-DN %{+Q}[ssl_c_s_dn${input.weaken === PROXY_ONELINE_DN ? '' : '(,0,rfc2253)'}] if proxied`,
      `  http-request ${put} X-SSL-Client-CN %{+Q}[ssl_c_s_dn(cn)] if proxied`,
      `  http-request ${put} X-SSL-Client-Cert %[ssl_c_der,base64] if proxied`,
      '  use_backend echo if proxied',
    ],
    backend: ['backend echo', `  server echo ${input.proxy.host}:${input.proxy.port}`],
  };
}

/** HAProxy (Debian haproxy / official image haproxy). */
export const haproxyAdapter: ServerAdapter = {
  name: 'haproxy',
  debianPackage: 'haproxy',
  binaries: ['haproxy'],
  image: 'haproxy:2.6',
  containerBinary: 'haproxy',
  versionArgs: ['-v'],
  parseVersion: (out) => /HA-?Proxy version (\S+)/i.exec(out)?.[1]?.replace(/^/, 'haproxy/'),
  capabilities: {
    features: ['crl'],
    tls: ['1.2', '1.3'],
    resumption: true,
    rejection: 'alert',
    notes: [
      'no OCSP checking of client certificates (OCSP in haproxy is stapling only)',
      "resumption shapes: a crt-list gives public.localhost verify none beside the bind line's verify required, and a verify optional bind line shares the tls-ticket-keys file; HAProxy 2.6 resumes the sessions of both where a certificate is required, and serves (a security finding, recorded in its expectations)",
    ],
    lacking: {
      'per-location-auth':
        'HAProxy cannot ask for a client certificate per location after the handshake: verify is a bind (or crt-list) option applied in the handshake, and HAProxy never renegotiates nor sends a TLS 1.3 post-handshake CertificateRequest (its binary links neither SSL_renegotiate nor SSL_verify_client_post_handshake)',
    },
  },
  weakenings: WEAKENINGS,
  proxyIdentity:
    'X-SSL-Client-Verify %[ssl_c_verify], X-SSL-Client-Used, X-SSL-Client-DN %{+Q}[ssl_c_s_dn], X-SSL-Client-CN, X-SSL-Client-Cert (http-request set-header)',
  render: renderHaproxy,
  resumptionShapes: { sniNoAuth: true, optionalEndpoint: true },
};
