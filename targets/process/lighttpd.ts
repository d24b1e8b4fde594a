import { FORGEABLE_IDENTITY_HEADERS, PROXY_PATH } from '../proxy.js';
import type { Rendered, RenderInput, ServerAdapter } from './adapter.js';
import { PKI, PROXY_PASSTHROUGH } from './adapter.js';
import { ticketKeyBytes } from './ticket-keys.js';

const WEAKENINGS = {
  'no-crl': 'no ssl.ca-crl-file: revoked certificates are not detected',
  'no-enforce': 'ssl.verifyclient.enforce = "disable" under the require policy: verification failures are ignored',
  [PROXY_PASSTHROUGH]:
    'proxy mode: no setenv.set-request-header clearing the client identity headers (and Forwarded), so they reach the backend',
} as const;

/**
 * The page behind lighttpd's optional policy: lighttpd's documented way to "verify if given" is to let the application
 * read SSL_CLIENT_VERIFY (SUCCESS, NONE, or FAILED:<reason>), so this CGI answers 403 for a failed certificate.
 */
const GATE = [
  '#!/bin/sh',
  'case "$SSL_CLIENT_VERIFY" in',
  "  SUCCESS|NONE) printf 'Status: 200 OK\\r\\nContent-Type: text/plain\\r\\n\\r\\nok\\n' ;;",
  '  *) printf \'Status: 403 Forbidden\\r\\nContent-Type: text/plain\\r\\n\\r\\nclient certificate: %s\\n\' "$SSL_CLIENT_VERIFY" ;;',
  'esac',
  '',
].join('\n');

/**
 * lighttpd.conf with mod_openssl: the client certificate is verified against the fixtures' root and every CA level's
 * CRL. `ssl.verifyclient.enforce` is the only TLS-level switch: "enable" rejects a missing or failing certificate with
 * an alert; "disable" accepts both and leaves the verdict to the application. The optional policy therefore serves
 * the page through a CGI gate on SSL_CLIENT_VERIFY (HTTP 403 for a failed certificate). No OCSP for client
 * certificates.
 */
export function renderLighttpd(input: RenderInput): Rendered {
  const p = (rel: string) => `${input.root}/${rel}`;
  const enforce = input.policy === 'require' && input.weaken !== 'no-enforce';
  const gate = input.policy === 'optional' && !input.weaken;
  const shapes = input.sniNoAuth !== undefined || input.optionalPort !== undefined;
  const lines = [
    '# rendered by mtls-harness: a private lighttpd in the foreground',
    `server.modules = ( "mod_openssl"${gate ? ', "mod_cgi"' : ''} )`,
    `server.document-root = "${p('www')}"`,
    `server.bind = "${input.listenHost}"`,
    `server.port = ${input.port}`,
    // NOTE: no server.errorlog: lighttpd opens it after dropping privileges; in the foreground it logs to stderr.
    ...(input.asRoot ? ['server.username = "nobody"', 'server.groupname = "nogroup"'] : []),
    `index-file.names = ( "${gate ? 'index.sh' : 'index.html'}" )`,
    ...(gate ? ['cgi.assign = ( ".sh" => "/bin/sh" )'] : []),
    'mimetype.assign = ( ".html" => "text/plain" )',
    'ssl.engine = "enable"',
    `ssl.pemfile = "${p(PKI.chain)}"`,
    `ssl.privkey = "${p(PKI.key)}"`,
    `ssl.ca-file = "${p(PKI.trust)}"`,
    ...(input.weaken === 'no-crl' ? [] : [`ssl.ca-crl-file = "${p(PKI.crls)}"`]),
    'ssl.openssl.ssl-conf-cmd = ( "MinProtocol" => "TLSv1.2" )',
    'ssl.verifyclient.activate = "enable"',
    `ssl.verifyclient.enforce = "${enforce ? 'enable' : 'disable'}"`,
    'ssl.verifyclient.depth = 5',
    ...(shapes ? [`ssl.stek-file = "${p(STEK)}"`] : []),
    ...lighttpdProxy(input),
    ...lighttpdSessionShapes(input),
    '',
  ];
  return {
    files: {
      'lighttpd.conf': lines.join('\n'),
      'www/index.html': 'ok\n',
      ...(gate ? { 'www/index.sh': GATE } : {}),
      ...(shapes ? { [STEK]: stek(input.root) } : {}),
    },
    args: ['-D', '-f', p('lighttpd.conf')],
    ...(shapes ? { secretFiles: [STEK] } : {}),
  };
}

/** The session ticket encryption key file both endpoints share. */
const STEK = 'stek';

/**
 * `ssl.stek-file` in mod_openssl's binary format: a 4-byte format version (0), 4-byte activation and expiration times
 * (native-endian), then 80 key bytes (name, HMAC key, AES key). Rendered files are text, so every byte stays ASCII:
 * activation 0x01010101 (1970), expiration 0x7f7f7f7f (2037), the key as hex digits derived from the root.
 */
function stek(root: string): string {
  return `\0\0\0\0${'\x01'.repeat(4)}${'\x7f'.repeat(4)}${ticketKeyBytes(root, 40, 'lighttpd').toString('hex')}`;
}

/**
 * The resumption shapes (issue 12): {@link RenderInput.sniNoAuth} on the same socket with `ssl.verifyclient.activate
 * = "disable"` under `$HTTP["host"]` — lighttpd applies ssl.* options of a host condition from the TLS server name
 * (SNI) — and a second socket on {@link RenderInput.optionalPort} with `ssl.verifyclient.enforce = "disable"`
 * (lighttpd's optional: a certificate is asked for and verified, a missing one let through). One process, one
 * `ssl.stek-file`.
 */
function lighttpdSessionShapes(input: RenderInput): string[] {
  const p = (rel: string) => `${input.root}/${rel}`;
  return [
    ...(input.sniNoAuth !== undefined
      ? [`$HTTP["host"] == "${input.sniNoAuth}" {`, '  ssl.verifyclient.activate = "disable"', '}']
      : []),
    ...(input.optionalPort !== undefined
      ? [
          `$SERVER["socket"] == "${input.listenHost}:${input.optionalPort}" {`,
          '  ssl.engine = "enable"',
          // NOTE: lighttpd wants ssl.pemfile in the same socket scope as any other ssl.* directive.
          `  ssl.pemfile = "${p(PKI.chain)}"`,
          `  ssl.privkey = "${p(PKI.key)}"`,
          `  ssl.ca-file = "${p(PKI.trust)}"`,
          `  ssl.ca-crl-file = "${p(PKI.crls)}"`,
          '  ssl.verifyclient.activate = "enable"',
          '  ssl.verifyclient.enforce = "disable"',
          '}',
        ]
      : []),
  ];
}

/**
 * Proxy mode. lighttpd's mod_proxy has one documented way to hand the verified client to the backend: the RFC 7239
 * `Forwarded` header with `remote_user`, filled from `ssl.verifyclient.username` (here the subject CN, set only when
 * the certificate verified); mod_setenv cannot put a TLS variable into a header. So `/proxied/` is proxied with
 * `proxy.forwarded` (for, proto, remote_user), and `setenv.set-request-header` with blank values removes the
 * client's identity headers and its own `Forwarded` (which mod_proxy would otherwise extend, not replace). The
 * weakened form leaves those out.
 */
function lighttpdProxy(input: RenderInput): string[] {
  if (!input.proxy) return [];
  const cleared = [...FORGEABLE_IDENTITY_HEADERS, 'Forwarded'].map((h) => `"${h}" => ""`).join(', ');
  return [
    'server.modules += ( "mod_setenv", "mod_proxy" )',
    'ssl.verifyclient.username = "SSL_CLIENT_S_DN_CN"',
    `$HTTP["url"] =^ "${PROXY_PATH}" {`,
    `  proxy.server = ( "" => ( ( "host" => "${input.proxy.host}", "port" => ${input.proxy.port} ) ) )`,
    '  proxy.forwarded = ( "for" => 1, "proto" => 1, "remote_user" => 1 )',
    ...(input.weaken === PROXY_PASSTHROUGH ? [] : [`  setenv.set-request-header = ( ${cleared} )`]),
    '}',
  ];
}

/** lighttpd (Debian lighttpd; no official image: the container form uses sebp/lighttpd). */
export const lighttpdAdapter: ServerAdapter = {
  name: 'lighttpd',
  debianPackage: 'lighttpd',
  binaries: ['lighttpd'],
  image: 'sebp/lighttpd:latest',
  containerBinary: 'lighttpd',
  versionArgs: ['-v'],
  parseVersion: (out) => /^(lighttpd\/\S+)/m.exec(out)?.[1],
  capabilities: {
    features: ['crl', 'verify-depth'],
    tls: ['1.2', '1.3'],
    resumption: true,
    rejection: 'alert-or-http',
    notes: [
      'require: alert; optional (ssl.verifyclient.enforce = "disable") accepts failing certificates at the TLS layer, so a CGI gate on SSL_CLIENT_VERIFY answers 403',
      'no OCSP checking of client certificates',
      'resumption shapes: $HTTP["host"] == "public.localhost" turns ssl.verifyclient.activate off for that server name, and a second socket has ssl.verifyclient.enforce = "disable", one ssl.stek-file; lighttpd 1.4.69 resumes the sessions of both where a certificate is required, and serves (a security finding, recorded in its expectations)',
    ],
    lacking: {
      'per-location-auth':
        'lighttpd cannot ask for a client certificate per location after the handshake: mod_openssl sets the verify mode in the handshake (per socket or SNI host) and never renegotiates nor sends a TLS 1.3 post-handshake CertificateRequest (mod_openssl.so links neither SSL_renegotiate nor SSL_verify_client_post_handshake); observed with lighttpd 1.4.69: ssl.verifyclient.* inside $HTTP["url"] passes the configuration check and has no effect: the server serves the path without asking, in TLS 1.2 and 1.3',
    },
  },
  weakenings: WEAKENINGS,
  proxyIdentity:
    'Forwarded: …;remote_user="<subject CN>" (proxy.forwarded remote_user, ssl.verifyclient.username), client identity headers cleared with setenv.set-request-header',
  render: renderLighttpd,
  resumptionShapes: { sniNoAuth: true, optionalEndpoint: true },
};
