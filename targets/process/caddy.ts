import { PROXY_PATH } from '../proxy.js';
import type { Rendered, RenderInput, ServerAdapter } from './adapter.js';
import { PKI, PROXY_PASSTHROUGH } from './adapter.js';

const WEAKENINGS = {
  'request-only': 'client_authentication mode request: a certificate is asked for but never verified',
  [PROXY_PASSTHROUGH]:
    'proxy mode: the identity headers are added (headers.request.add) instead of set, and nothing is deleted: the client copies reach the backend',
} as const;

/** The file the configuration is written to: Caddy reads a `.json` config without an adapter. */
const CONFIG = 'caddy.json';

type Json = Readonly<Record<string, unknown>>;

/**
 * Caddy's native JSON configuration (the Caddyfile cannot express the optional endpoint's shared ticket keys: see
 * {@link caddyTls}) for one HTTPS server on the port: the fixtures' server chain, a TLS connection policy with client
 * authentication `require_and_verify` or `verify_if_given` against the fixtures' trust anchors, and a one-line
 * response. The admin API is off, automatic HTTPS is off, and storage is inside the private directory. Caddy (Go
 * crypto/tls) has no CRL or OCSP checking of client certificates.
 */
export function renderCaddy(input: RenderInput): Rendered {
  const p = (rel: string) => `${input.root}/${rel}`;
  const mode =
    input.weaken === 'request-only' ? 'request' : input.policy === 'require' ? 'require_and_verify' : 'verify_if_given';
  const shapes = caddySessionShapes(input);
  const servers: Record<string, Json> = {
    mtls: server(
      input,
      input.port,
      [...shapes.routes, ...caddyProxy(input), OK_ROUTE],
      [...shapes.policies, policy(input, mode)],
    ),
  };
  // The optional endpoint of the resumption shapes (issue 12): a server of its own on the second port.
  if (input.optionalPort !== undefined)
    servers['optional'] = server(input, input.optionalPort, [OK_ROUTE], [policy(input, 'verify_if_given')]);
  const config = {
    admin: { disabled: true },
    logging: { logs: { default: { writer: { output: 'stderr' }, level: 'INFO' } } },
    storage: { module: 'file_system', root: p('storage') },
    apps: {
      http: { servers },
      tls: caddyTls(input),
    },
  };
  return {
    files: { [CONFIG]: `${JSON.stringify(config, null, 2)}\n` },
    args: ['run', '--config', p(CONFIG)],
    env: {
      HOME: input.root,
      XDG_CONFIG_HOME: p('config'),
      XDG_DATA_HOME: p('data'),
      XDG_CACHE_HOME: p('cache'),
    },
  };
}

/** The route every server ends with: 200 "ok". */
const OK_ROUTE: Json = { handle: [{ handler: 'static_response', status_code: 200, body: 'ok' }] };

/** The certificate every policy serves, by its tag in the TLS app's `load_files`. */
const CERT_TAG = 'server';

/** One HTTP server: its listener, routes and TLS connection policies (HTTP/1.1 and HTTP/2, no automatic HTTPS). */
function server(input: RenderInput, port: number, routes: readonly Json[], policies: readonly Json[]): Json {
  return {
    listen: [`${input.listenHost}:${port}`],
    routes,
    tls_connection_policies: policies,
    automatic_https: { disable: true },
    protocols: ['h1', 'h2'],
  };
}

/**
 * A TLS connection policy: the server chain, TLS 1.2 and 1.3, and — given a mode — client authentication against the
 * trust anchors. NOTE: one PEM file per anchor (Caddy 2.6's Caddyfile form, `trusted_ca_cert_file`, read only the first
 * certificate of a file): whatever a Caddy version reads of a file, a second trust anchor (issue 13's expired root) is
 * never silently left out.
 */
function policy(input: RenderInput, mode?: string, sni?: string): Json {
  const anchors = input.trustAnchors
    ? Array.from({ length: input.trustAnchors }, (_, i) => `${input.root}/${PKI.trustAnchor(i + 1)}`)
    : [`${input.root}/${PKI.trust}`];
  return {
    ...(sni ? { match: { sni: [sni] } } : {}),
    certificate_selection: { any_tag: [CERT_TAG] },
    protocol_min: 'tls1.2',
    protocol_max: 'tls1.3',
    ...(mode ? { client_authentication: { trusted_ca_certs_pem_files: anchors, mode } } : {}),
    default_sni: 'localhost',
  };
}

/**
 * The TLS app: the server chain and key, and — with the optional endpoint — `session_tickets`, which makes Caddy give
 * every server of the process the same rotating ticket keys. Without it each server (one per port) keeps Go's own
 * random keys, and a session of one port is never resumed on another (observed with caddy 2.6.2; the Caddyfile has no
 * directive for it, hence this JSON form).
 */
function caddyTls(input: RenderInput): Json {
  return {
    certificates: {
      load_files: [{ certificate: `${input.root}/${PKI.chain}`, key: `${input.root}/${PKI.key}`, tags: [CERT_TAG] }],
    },
    ...(input.optionalPort !== undefined ? { session_tickets: { key_source: { provider: 'standard' } } } : {}),
  };
}

/**
 * Proxy mode: requests under `/proxied/` are reverse-proxied to the echo backend with the client certificate's
 * placeholders in request headers (set, replacing a client header of the same name): the subject
 * `{http.request.tls.client.subject}`, the certificate `{http.request.tls.client.certificate_der_base64}` and its
 * fingerprint. Caddy has no verification-result placeholder — with `verify_if_given` a certificate that reaches the
 * application was verified — so the client's X-SSL-Client-Verify is deleted, as are the other identity headers.
 * The weakened form adds and deletes nothing.
 */
function caddyProxy(input: RenderInput): Json[] {
  if (!input.proxy) return [];
  const weak = input.weaken === PROXY_PASSTHROUGH;
  const identity = {
    'X-SSL-Client-S-DN': ['{http.request.tls.client.subject}'],
    'X-SSL-Client-Cert': ['{http.request.tls.client.certificate_der_base64}'],
    'X-SSL-Client-Fingerprint': ['{http.request.tls.client.fingerprint}'],
  };
  const request = weak
    ? { add: identity }
    : { delete: ['X-SSL-Client-Verify', 'X-Client-Cert', 'X-Forwarded-Client-Cert'], set: identity };
  return [
    {
      match: [{ path: [`${PROXY_PATH}*`] }],
      handle: [
        {
          handler: 'reverse_proxy',
          upstreams: [{ dial: `${input.proxy.host}:${input.proxy.port}` }],
          headers: { request },
        },
      ],
      terminal: true,
    },
  ];
}

/**
 * The resumption shape (issue 12) on the port under test: the name {@link RenderInput.sniNoAuth} gets a TLS connection
 * policy without client authentication (matched by SNI, ordered before the catch-all one) and a route of its own
 * (matched by Host). Both policies' configurations come from the same server, whose session ticket keys Go's
 * crypto/tls uses for either name (a ticket of one name decrypts under the other, and Go decides whether to resume it
 * by the policy's client authentication). Go keeps no session cache (no TLS 1.2 session ID resumption).
 */
function caddySessionShapes(input: RenderInput): { routes: Json[]; policies: Json[] } {
  if (!input.sniNoAuth) return { routes: [], policies: [] };
  return {
    routes: [{ match: [{ host: [input.sniNoAuth] }], ...OK_ROUTE, terminal: true }],
    policies: [policy(input, undefined, input.sniNoAuth)],
  };
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
        "Caddy cannot ask for a client certificate per location after the handshake: client authentication is a TLS connection policy chosen in the handshake, and Go's crypto/tls implements renegotiation for clients only and no TLS 1.3 post-handshake authentication (golang/go#40521)",
    },
  },
  weakenings: WEAKENINGS,
  proxyIdentity:
    'X-SSL-Client-S-DN {http.request.tls.client.subject}, X-SSL-Client-Cert (DER, base64), X-SSL-Client-Fingerprint (reverse_proxy headers.request.set)',
  render: renderCaddy,
  resumptionShapes: { sniNoAuth: true, optionalEndpoint: true },
};
