import { PROXY_PATH } from '../proxy.js';
import type { Rendered, RenderInput, ServerAdapter } from './adapter.js';
import { PKI, PROXY_PASSTHROUGH } from './adapter.js';

const WEAKENINGS = {
  'request-only': 'client_auth mode request: a certificate is asked for but never verified',
  [PROXY_PASSTHROUGH]:
    'proxy mode: header_up +Name (add) instead of header_up Name (set), and no deletion: the client copies reach the backend',
} as const;

/**
 * A Caddyfile for one HTTPS site on the port: the fixtures' server chain, `client_auth` with `require_and_verify` or
 * `verify_if_given` against the fixtures' root, and a one-line response. The admin API is off and every state
 * directory is inside the private directory. Caddy (Go crypto/tls) has no CRL or OCSP checking of client certificates.
 */
export function renderCaddy(input: RenderInput): Rendered {
  const p = (rel: string) => `${input.root}/${rel}`;
  const mode =
    input.weaken === 'request-only' ? 'request' : input.policy === 'require' ? 'require_and_verify' : 'verify_if_given';
  const lines = [
    '# rendered by mtls-harness: a private caddy in the foreground',
    '{',
    '  admin off',
    '  auto_https off',
    `  storage file_system ${p('storage')}`,
    '  default_sni localhost',
    '  servers {',
    '    protocols h1 h2',
    '  }',
    '  log {',
    '    output stderr',
    '    level INFO',
    '  }',
    '}',
    `https://:${input.port} {`,
    `  bind ${input.listenHost}`,
    `  tls ${p(PKI.chain)} ${p(PKI.key)} {`,
    '    protocols tls1.2 tls1.3',
    '    client_auth {',
    `      mode ${mode}`,
    // NOTE: Caddy 2.6's trusted_ca_cert_file reads the first certificate of a file: one directive per anchor, or a
    // second trust anchor (issue 13's expired root) would be silently left out.
    ...(input.trustAnchors
      ? Array.from({ length: input.trustAnchors }, (_, i) => `      trusted_ca_cert_file ${p(PKI.trustAnchor(i + 1))}`)
      : [`      trusted_ca_cert_file ${p(PKI.trust)}`]),
    '    }',
    '  }',
    ...caddyProxy(input),
    '  respond "ok" 200',
    '}',
    ...caddySessionShapes(input),
    '',
  ];
  return {
    files: { Caddyfile: lines.join('\n') },
    args: ['run', '--config', p('Caddyfile'), '--adapter', 'caddyfile'],
    env: {
      HOME: input.root,
      XDG_CONFIG_HOME: p('config'),
      XDG_DATA_HOME: p('data'),
      XDG_CACHE_HOME: p('cache'),
    },
  };
}

/**
 * Proxy mode: `handle /proxied/*` reverse-proxies to the echo backend with the client certificate's placeholders in
 * request headers (`header_up`, which replaces a client header of the same name): the subject
 * `{http.request.tls.client.subject}`, the certificate `{http.request.tls.client.certificate_der_base64}` and its
 * fingerprint. Caddy has no verification-result placeholder — with `verify_if_given` a certificate that reaches the
 * application was verified — so the client's X-SSL-Client-Verify is deleted, as are the other identity headers.
 * The weakened form adds (`+Name`) and deletes nothing.
 */
function caddyProxy(input: RenderInput): string[] {
  if (!input.proxy) return [];
  const weak = input.weaken === PROXY_PASSTHROUGH;
  const put = (name: string) => (weak ? `+${name}` : name);
  return [
    `  handle ${PROXY_PATH}* {`,
    `    reverse_proxy ${input.proxy.host}:${input.proxy.port} {`,
    ...(weak
      ? []
      : ['X-SSL-Client-Verify', 'X-Client-Cert', 'X-Forwarded-Client-Cert'].map((h) => `      header_up -${h}`)),
    `      header_up ${put('X-SSL-Client-S-DN')} {http.request.tls.client.subject}`,
    `      header_up ${put('X-SSL-Client-Cert')} {http.request.tls.client.certificate_der_base64}`,
    `      header_up ${put('X-SSL-Client-Fingerprint')} {http.request.tls.client.fingerprint}`,
    '    }',
    '  }',
  ];
}

/**
 * The resumption shape (issue 12) a Caddyfile can express: a site `https://<sniNoAuth>:<port>` without `client_auth`
 * on the port under test. The Caddyfile adapter gives it a TLS connection policy matched by SNI, ordered before the
 * catch-all one, in the same server: both policies' configurations come from that server's TLS configuration, whose
 * session ticket keys Go's crypto/tls uses for either name (a ticket of one name decrypts under the other, and Go
 * decides whether to resume it by the policy's client authentication). Go keeps no session cache (no TLS 1.2
 * session ID resumption). The optional endpoint is not rendered: see `lacking['shared-sessions']`.
 */
function caddySessionShapes(input: RenderInput): string[] {
  if (!input.sniNoAuth) return [];
  return [
    `https://${input.sniNoAuth}:${input.port} {`,
    `  bind ${input.listenHost}`,
    `  tls ${input.root}/${PKI.chain} ${input.root}/${PKI.key} {`,
    '    protocols tls1.2 tls1.3',
    '  }',
    '  respond "ok" 200',
    '}',
  ];
}

/** Caddy (Debian caddy / official image caddy). */
export const caddyAdapter: ServerAdapter = {
  name: 'caddy',
  debianPackage: 'caddy',
  binaries: ['caddy'],
  image: 'caddy:2.6',
  containerBinary: 'caddy',
  versionArgs: ['version'],
  parseVersion: (out) => /^v?(\d+\.\d+\.\S*)/m.exec(out.trim())?.[1]?.replace(/^/, 'caddy/'),
  capabilities: {
    features: [],
    tls: ['1.2', '1.3'],
    resumption: true,
    rejection: 'alert',
    notes: [
      'Go crypto/tls: no CRL and no OCSP checking of client certificates (the revocation scenarios run and fail: documented xfails in targets/expectations/caddy.json)',
    ],
    lacking: {
      'per-location-auth':
        "Caddy cannot ask for a client certificate per location after the handshake: client_auth is a TLS connection policy chosen in the handshake, and Go's crypto/tls implements renegotiation for clients only and no TLS 1.3 post-handshake authentication (golang/go#40521)",
      'shared-sessions':
        "the Caddyfile the harness renders cannot give a second listener the session ticket keys of the first: Caddy gives each server (one per port) Go's own random ticket keys, and shares keys across servers only through the TLS app's session_tickets, which exists in Caddy's JSON configuration alone (no Caddyfile directive or global option sets it). Observed with caddy 2.6.2 and openssl s_client: a TLS 1.2 ticket or TLS 1.3 PSK made on one port is not resumed on a second port whose policy asks for no certificate either; with session_tickets set in the JSON form it is",
    },
  },
  weakenings: WEAKENINGS,
  proxyIdentity:
    'X-SSL-Client-S-DN {http.request.tls.client.subject}, X-SSL-Client-Cert (DER, base64), X-SSL-Client-Fingerprint (reverse_proxy header_up)',
  render: renderCaddy,
  resumptionShapes: { sniNoAuth: true },
};
