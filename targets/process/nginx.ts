import { createHash } from 'node:crypto';
import { PROXY_PATH } from '../proxy.js';
import type { Rendered, RenderInput, ServerAdapter } from './adapter.js';
import { PKI, PROXY_PASSTHROUGH } from './adapter.js';

/** Weakened nginx variants: what a misconfiguration leaves out. */
const WEAKENINGS = {
  'optional-no-ca':
    'ssl_verify_client optional_no_ca: chains that do not reach a trusted CA get through (and nginx refuses ssl_ocsp with it)',
  'no-crl': 'no ssl_crl: revoked certificates are not detected',
  [PROXY_PASSTHROUGH]:
    'proxy mode: the identity proxy_set_header lines are at server level and the location sets one of its own, so none is inherited and the client identity headers pass through',
} as const;

/**
 * nginx.conf for the policy: `ssl_verify_client on|optional`, the fixtures' root, every CA level's CRL, and OCSP for
 * the leaf through the loopback responder (`ssl_ocsp`, nginx ≥ 1.19). nginx verifies during the handshake but
 * rejects a bad client certificate at the HTTP layer (400), after a completed handshake.
 */
export function renderNginx(input: RenderInput): Rendered {
  const p = (rel: string) => `${input.root}/${rel}`;
  const verify = input.weaken === 'optional-no-ca' ? 'optional_no_ca' : input.policy === 'require' ? 'on' : 'optional';
  const shapes = input.sniNoAuth !== undefined || input.optionalPort !== undefined;
  const lines = [
    '# rendered by mtls-harness: a private nginx in the foreground',
    'worker_processes 1;',
    `pid ${p('nginx.pid')};`,
    `error_log ${p('error.log')} info;`,
    ...(input.asRoot ? ['user nobody nogroup;'] : []),
    'events { worker_connections 256; }',
    'http {',
    `  access_log ${p('access.log')};`,
    '  server {',
    `    listen ${input.listenHost}:${input.port} ssl;`,
    '    server_name localhost;',
    `    ssl_certificate ${p(PKI.chain)};`,
    `    ssl_certificate_key ${p(PKI.key)};`,
    '    ssl_protocols TLSv1.2 TLSv1.3;',
    '    ssl_session_cache shared:mtls:1m;',
    `    ssl_client_certificate ${p(PKI.trust)};`,
    `    ssl_verify_client ${verify};`,
    '    ssl_verify_depth 5;',
    ...(input.weaken === 'no-crl' ? [] : [`    ssl_crl ${p(PKI.crls)};`]),
    // NOTE: nginx refuses ssl_ocsp together with optional_no_ca.
    ...(input.ocspUrl && input.weaken !== 'optional-no-ca'
      ? ['    ssl_ocsp leaf;', `    ssl_ocsp_responder ${input.ocspUrl};`]
      : []),
    ...(shapes ? [`    ssl_session_ticket_key ${p(TICKET_KEY)};`] : []),
    ...nginxProxy(input),
    '    location / {',
    '      default_type text/plain;',
    '      return 200 "ok\\n";',
    '    }',
    '  }',
    ...nginxSessionShapes(input),
    '}',
    '',
  ];
  return {
    files: { 'nginx.conf': lines.join('\n'), ...(shapes ? { [TICKET_KEY]: ticketKey(input.root) } : {}) },
    ...(shapes ? { secretFiles: [TICKET_KEY] } : {}),
    args: ['-p', `${input.root}/`, '-c', p('nginx.conf'), '-e', 'stderr', '-g', 'daemon off;'],
    logFiles: ['error.log', 'access.log'],
  };
}

/**
 * Proxy mode: `location /proxied/` forwards to the echo backend with the verified identity from ngx_http_ssl_module's
 * variables — `$ssl_client_verify` (SUCCESS, NONE, FAILED:reason), `$ssl_client_s_dn` (RFC 2253, escaped),
 * `$ssl_client_escaped_cert` (URL-encoded PEM) — and clears the identity headers it does not set (an empty value is
 * not passed). proxy_set_header replaces a client header of the same name. The weakened form puts the identity lines
 * at server level and sets Host in the location: nginx then inherits none of them (a location with its own
 * proxy_set_header drops the inherited ones), and whatever identity headers the client sent go through.
 */
function nginxProxy(input: RenderInput): string[] {
  if (!input.proxy) return [];
  const identity = [
    'proxy_set_header X-SSL-Client-Verify $ssl_client_verify;',
    'proxy_set_header X-SSL-Client-S-DN $ssl_client_s_dn;',
    'proxy_set_header X-SSL-Client-Cert $ssl_client_escaped_cert;',
    'proxy_set_header X-Client-Cert "";',
    'proxy_set_header X-Forwarded-Client-Cert "";',
  ];
  const pass = `proxy_pass http://${input.proxy.host}:${input.proxy.port};`;
  if (input.weaken === PROXY_PASSTHROUGH) {
    return [
      ...identity.map((l) => `    ${l}`),
      `    location ${PROXY_PATH} {`,
      `      ${pass}`,
      '      proxy_set_header Host $host;',
      '    }',
    ];
  }
  return [`    location ${PROXY_PATH} {`, `      ${pass}`, ...identity.map((l) => `      ${l}`), '    }'];
}

/** The ticket key file every server block shares when the resumption shapes are rendered (80 bytes: AES-256). */
const TICKET_KEY = 'ticket.key';

/** 80 key bytes (ASCII hex digits), derived from the (per-run) root so that rendering stays pure. */
function ticketKey(root: string): string {
  return createHash('sha512').update(`mtls-harness ticket key|${root}`).digest('hex').slice(0, 80);
}

/**
 * The resumption shapes (issue 12): `server_name` {@link RenderInput.sniNoAuth} on the same port without client
 * authentication, and a server block with `ssl_verify_client optional` on {@link RenderInput.optionalPort}; both share
 * the session cache (`shared:mtls`) and the ticket key file with the server under test. NOTE: nginx gives each server
 * block its own session id context, hashed from its certificates and its client CA list (the fix of CVE-2014-3616),
 * which decides whether OpenSSL resumes a session across them.
 */
function nginxSessionShapes(input: RenderInput): string[] {
  const p = (rel: string) => `${input.root}/${rel}`;
  const tls = [
    `    ssl_certificate ${p(PKI.chain)};`,
    `    ssl_certificate_key ${p(PKI.key)};`,
    '    ssl_protocols TLSv1.2 TLSv1.3;',
    '    ssl_session_cache shared:mtls:1m;',
    `    ssl_session_ticket_key ${p(TICKET_KEY)};`,
  ];
  const ok = ['    location / {', '      default_type text/plain;', '      return 200 "ok\\n";', '    }', '  }'];
  return [
    ...(input.sniNoAuth
      ? [
          '  server {',
          `    listen ${input.listenHost}:${input.port} ssl;`,
          `    server_name ${input.sniNoAuth};`,
          ...tls,
          ...ok,
        ]
      : []),
    ...(input.optionalPort !== undefined
      ? [
          '  server {',
          `    listen ${input.listenHost}:${input.optionalPort} ssl;`,
          '    server_name localhost;',
          ...tls,
          `    ssl_client_certificate ${p(PKI.trust)};`,
          '    ssl_verify_client optional;',
          '    ssl_verify_depth 5;',
          `    ssl_crl ${p(PKI.crls)};`,
          ...(input.ocspUrl ? ['    ssl_ocsp leaf;', `    ssl_ocsp_responder ${input.ocspUrl};`] : []),
          ...ok,
        ]
      : []),
  ];
}

/** nginx (Debian nginx-light / official image nginx). */
export const nginxAdapter: ServerAdapter = {
  name: 'nginx',
  debianPackage: 'nginx-light',
  binaries: ['nginx'],
  image: 'nginx:1.22',
  containerBinary: 'nginx',
  versionArgs: ['-v'],
  parseVersion: (out) => /nginx version: (nginx\/\S+)/.exec(out)?.[1],
  capabilities: {
    features: ['crl', 'ocsp', 'verify-depth'],
    tls: ['1.2', '1.3'],
    resumption: true,
    rejection: 'alert-or-http',
    notes: [
      'a client certificate that fails verification is answered with HTTP 400 after the handshake (protocol errors get an alert)',
      'OCSP for client certificates via ssl_ocsp leaf (nginx >= 1.19.0)',
    ],
    lacking: {
      'per-location-auth':
        'nginx cannot ask for a client certificate per location after the handshake: ssl_verify_client is allowed only in the http and server contexts (in a location nginx -t says "directive is not allowed here"), and nginx never renegotiates nor sends a TLS 1.3 post-handshake CertificateRequest (its binary links neither SSL_renegotiate nor SSL_verify_client_post_handshake)',
    },
  },
  weakenings: WEAKENINGS,
  proxyIdentity:
    'X-SSL-Client-Verify $ssl_client_verify, X-SSL-Client-S-DN $ssl_client_s_dn, X-SSL-Client-Cert $ssl_client_escaped_cert (proxy_set_header)',
  render: renderNginx,
  resumptionShapes: { sniNoAuth: true, optionalEndpoint: true },
};
