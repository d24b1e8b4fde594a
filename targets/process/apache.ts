import { PROXY_PATH } from '../proxy.js';
import type { Rendered, RenderInput, ServerAdapter } from './adapter.js';
import { PKI, PROXY_PASSTHROUGH } from './adapter.js';
import { ticketKeyBytes } from './ticket-keys.js';

const WEAKENINGS = {
  'no-crl': 'no SSLCARevocationFile/SSLCARevocationCheck: revoked certificates are not detected',
  'optional-no-ca': 'SSLVerifyClient optional_no_ca: chains that do not reach a trusted CA are let through',
  [PROXY_PASSTHROUGH]:
    'proxy mode: RequestHeader setifempty instead of set, and no unset: a client-sent identity header is kept',
} as const;

/** Where apache keeps its loadable modules: Debian's apache2, and the official httpd image. */
const MODULES = { debian: '/usr/lib/apache2/modules', image: '/usr/local/apache2/modules' } as const;

/**
 * The client verification of a virtual host: trust anchors, `SSLVerifyClient`, depth, every CA level's CRL (unless
 * `crl` is false) and OCSP through the loopback responder; `depth: false` leaves the depth to a `<Location>`.
 */
function clientVerification(input: RenderInput, verify: string, crl: boolean, depth = true): string[] {
  const p = (rel: string) => `${input.root}/${rel}`;
  return [
    `  SSLCACertificateFile ${p(PKI.trust)}`,
    `  SSLVerifyClient ${verify}`,
    ...(depth ? ['  SSLVerifyDepth 5'] : []),
    ...(crl ? [`  SSLCARevocationFile ${p(PKI.crls)}`, '  SSLCARevocationCheck chain'] : []),
    ...(input.ocspUrl
      ? [
          '  SSLOCSPEnable leaf',
          `  SSLOCSPDefaultResponder ${input.ocspUrl}`,
          '  SSLOCSPOverrideResponder on',
          // NOTE: mod_ssl verifies an OCSP response against its CA store only, not the chain the client sent, so a
          // response signed by an intermediate needs the intermediates as untrusted helpers.
          `  SSLOCSPResponderCertificateFile ${p(PKI.intermediates)}`,
          '  SSLOCSPResponderTimeout 3',
        ]
      : []),
  ];
}

/**
 * A minimal httpd.conf that loads only the modules it needs, keeps its pid, lock and log files in the private
 * directory, requires or asks for a client certificate, checks the CRLs of the whole chain and OCSP for the leaf
 * (through the loopback responder), and serves a one-line page.
 */
export function renderApache(input: RenderInput): Rendered {
  const modules = MODULES[input.flavor ?? 'debian'];
  const p = (rel: string) => `${input.root}/${rel}`;
  const verify =
    input.weaken === 'optional-no-ca' ? 'optional_no_ca' : input.policy === 'require' ? 'require' : 'optional';
  const mod = (name: string, file: string) => `LoadModule ${name}_module ${modules}/${file}`;
  const shapes = input.sniNoAuth !== undefined || input.optionalPort !== undefined;
  const lines = [
    '# rendered by mtls-harness: a private apache in the foreground',
    mod('mpm_event', 'mod_mpm_event.so'),
    mod('authz_core', 'mod_authz_core.so'),
    mod('dir', 'mod_dir.so'),
    mod('mime', 'mod_mime.so'),
    mod('socache_shmcb', 'mod_socache_shmcb.so'),
    mod('ssl', 'mod_ssl.so'),
    ...(input.proxy
      ? [mod('headers', 'mod_headers.so'), mod('proxy', 'mod_proxy.so'), mod('proxy_http', 'mod_proxy_http.so')]
      : []),
    `ServerRoot ${input.root}`,
    `DefaultRuntimeDir ${p('run')}`,
    `PidFile ${p('run/httpd.pid')}`,
    `ErrorLog ${p('error.log')}`,
    'LogLevel info ssl:info',
    ...(input.asRoot
      ? input.flavor === 'image'
        ? ['User daemon', 'Group daemon']
        : ['User nobody', 'Group nogroup']
      : []),
    'ServerName localhost',
    `Listen ${input.listenHost}:${input.port}`,
    'StartServers 1',
    'ServerLimit 1',
    'ThreadsPerChild 16',
    'MaxRequestWorkers 16',
    `DocumentRoot ${p('www')}`,
    'DirectoryIndex index.html',
    'TypesConfig /dev/null',
    'AddType text/plain .html',
    `<Directory ${p('www')}>`,
    '  Require all granted',
    '</Directory>',
    `SSLSessionCache shmcb:${p('run/ssl_scache')}(512000)`,
    ...(shapes ? [`SSLSessionTicketKeyFile ${p(TICKET_KEY)}`] : []),
    `<VirtualHost ${input.listenHost}:${input.port}>`,
    '  SSLEngine on',
    '  SSLProtocol -all +TLSv1.2 +TLSv1.3',
    `  SSLCertificateFile ${p(PKI.cert)}`,
    `  SSLCertificateChainFile ${p(PKI.chain)}`,
    `  SSLCertificateKeyFile ${p(PKI.key)}`,
    ...clientVerification(input, verify, input.weaken !== 'no-crl'),
    ...apacheProxy(input),
    '</VirtualHost>',
    ...(input.protectedPort !== undefined ? protectedLocationVhost(input, verify) : []),
    ...apacheSessionShapes(input),
    '',
  ];
  return {
    files: {
      'httpd.conf': lines.join('\n'),
      'www/index.html': 'ok\n',
      ...(input.protectedPort !== undefined ? { [`www${APACHE_PROTECTED_PATH}index.html`]: 'protected\n' } : {}),
      'run/.keep': '',
      ...(shapes ? { [TICKET_KEY]: ticketKeyBytes(input.root, 24, 'apache').toString('hex') } : {}),
    },
    args: ['-DFOREGROUND', '-d', input.root, '-f', p('httpd.conf')],
    logFiles: ['error.log'],
    ...(shapes ? { secretFiles: [TICKET_KEY] } : {}),
  };
}

/** The session ticket key file every virtual host shares (SSLSessionTicketKeyFile: 48 bytes, here hex digits). */
const TICKET_KEY = 'ticket.key';

/**
 * The resumption shapes (issue 12), beside the main virtual host (the first for its address, so the default for a
 * client naming no other): a name-based virtual host on the same address for {@link RenderInput.sniNoAuth} with
 * `SSLVerifyClient none`, and one on {@link RenderInput.optionalPort} with `SSLVerifyClient optional` and the main
 * one's trust, revocation and OCSP settings. All share the global `SSLSessionCache` and `SSLSessionTicketKeyFile`.
 * NOTE: mod_ssl gives each virtual host its own session id context (derived from its server name and port), so OpenSSL
 * does not resume a session across them; and where it does (observed with 2.4.71 and a misconfigured pair sharing one
 * context: the no-auth virtual host named `ServerName localhost:PORT` with `ServerAlias public.localhost`), mod_ssl
 * closes a resumed connection without a certificate under `SSLVerifyClient require` right after the handshake
 * ("AH02011: No acceptable peer certificate available"). No configuration lets such a session through, so the adapter
 * has no weakening of these shapes.
 */
function apacheSessionShapes(input: RenderInput): string[] {
  const p = (rel: string) => `${input.root}/${rel}`;
  const tls = [
    '  SSLEngine on',
    '  SSLProtocol -all +TLSv1.2 +TLSv1.3',
    `  SSLCertificateFile ${p(PKI.cert)}`,
    `  SSLCertificateChainFile ${p(PKI.chain)}`,
    `  SSLCertificateKeyFile ${p(PKI.key)}`,
  ];
  const noAuth = input.sniNoAuth
    ? [
        `<VirtualHost ${input.listenHost}:${input.port}>`,
        `  ServerName ${input.sniNoAuth}`,
        ...tls,
        '  SSLVerifyClient none',
        '</VirtualHost>',
      ]
    : [];
  const optional =
    input.optionalPort !== undefined
      ? [
          `Listen ${input.listenHost}:${input.optionalPort}`,
          `<VirtualHost ${input.listenHost}:${input.optionalPort}>`,
          ...tls,
          ...clientVerification(input, 'optional', true),
          '</VirtualHost>',
        ]
      : [];
  return [...noAuth, ...optional];
}

/** The path Apache's per-location shape protects. */
export const APACHE_PROTECTED_PATH = '/protected/';

/**
 * The per-location shape (issue 12), a virtual host of its own on {@link RenderInput.protectedPort}: it asks for no
 * certificate in the handshake (`SSLVerifyClient none`) and requires one for {@link APACHE_PROTECTED_PATH}, which
 * mod_ssl then asks for after the handshake: TLS 1.3 post-handshake authentication when the client offered
 * post_handshake_auth (else it refuses the request, 403), a renegotiation in TLS 1.2. Trust, revocation and OCSP as
 * the main virtual host; the `optional-no-ca` weakening weakens the location the same way.
 *
 * NOTE: a separate virtual host, not a `<Location>` in the main one: under a handshake-level `SSLVerifyClient
 * optional` (the optional policy) mod_ssl 2.4.71 on OpenSSL 3.0 refuses a TLS 1.3 request for a location that
 * requires a certificate with 403 and "AH10158: cannot perform post-handshake authentication", without asking
 * (observed); the shape needs a virtual host that asked for nothing.
 */
function protectedLocationVhost(input: RenderInput, verify: string): string[] {
  const p = (rel: string) => `${input.root}/${rel}`;
  const address = `${input.listenHost}:${input.protectedPort!}`;
  return [
    `Listen ${address}`,
    `<VirtualHost ${address}>`,
    '  SSLEngine on',
    '  SSLProtocol -all +TLSv1.2 +TLSv1.3',
    `  SSLCertificateFile ${p(PKI.cert)}`,
    `  SSLCertificateChainFile ${p(PKI.chain)}`,
    `  SSLCertificateKeyFile ${p(PKI.key)}`,
    ...clientVerification(input, 'none', input.weaken !== 'no-crl', false),
    `  <Location ${APACHE_PROTECTED_PATH}>`,
    `    SSLVerifyClient ${verify === 'optional_no_ca' ? 'optional_no_ca' : 'require'}`,
    '    SSLVerifyDepth 5',
    '  </Location>',
    '</VirtualHost>',
  ];
}

/**
 * Proxy mode: `<Location /proxied/>` proxies to the echo backend (mod_proxy_http) with mod_ssl's variables in request
 * headers through mod_headers, as its documentation shows — `X-SSL-Client-Verify "%{SSL_CLIENT_VERIFY}s"` (SUCCESS,
 * NONE, FAILED:reason), `X-SSL-Client-S-DN "%{SSL_CLIENT_S_DN}s"` (RFC 2253, escaped, unless
 * `SSLOptions +LegacyDNStringFormat`) — `RequestHeader set` replacing the client's copies, and `unset` for the
 * identity headers it does not set. The weakened form uses `setifempty`, which keeps a client-sent value.
 */
function apacheProxy(input: RenderInput): string[] {
  if (!input.proxy) return [];
  const weak = input.weaken === PROXY_PASSTHROUGH;
  const set = weak ? 'setifempty' : 'set';
  return [
    `  <Location ${PROXY_PATH}>`,
    `    ProxyPass http://${input.proxy.host}:${input.proxy.port}${PROXY_PATH}`,
    `    RequestHeader ${set} X-SSL-Client-Verify "%{SSL_CLIENT_VERIFY}s"`,
    `    RequestHeader ${set} X-SSL-Client-S-DN "%{SSL_CLIENT_S_DN}s"`,
    ...(weak ? [] : ['    RequestHeader unset X-Client-Cert', '    RequestHeader unset X-Forwarded-Client-Cert']),
    '  </Location>',
  ];
}

/** Apache httpd with mod_ssl (Debian apache2 / official image httpd). */
export const apacheAdapter: ServerAdapter = {
  name: 'apache',
  debianPackage: 'apache2',
  binaries: ['apache2', 'httpd'],
  image: 'httpd:2.4',
  containerBinary: 'httpd',
  versionArgs: ['-v'],
  parseVersion: (out) => /Server version: (\S+)/.exec(out)?.[1],
  capabilities: {
    features: ['crl', 'ocsp', 'verify-depth'],
    tls: ['1.2', '1.3'],
    resumption: true,
    rejection: 'alert',
    notes: [
      'OCSP for client certificates via SSLOCSPEnable leaf with the loopback responder',
      `per-location client authentication: a second virtual host requires a certificate for ${APACHE_PROTECTED_PATH} only (TLS 1.3 post-handshake authentication, TLS 1.2 renegotiation)`,
      'resumption shapes: a name-based virtual host for public.localhost with SSLVerifyClient none and one with SSLVerifyClient optional on a second port, sharing SSLSessionCache and SSLSessionTicketKeyFile; mod_ssl does not resume their sessions where a certificate is required (a session id context per virtual host), and closes a resumed session without a certificate there (AH02011) even when two virtual hosts share one context, so there is no weakening of these shapes',
    ],
  },
  weakenings: WEAKENINGS,
  proxyIdentity:
    'X-SSL-Client-Verify %{SSL_CLIENT_VERIFY}s, X-SSL-Client-S-DN %{SSL_CLIENT_S_DN}s (mod_headers RequestHeader set, mod_proxy_http)',
  render: renderApache,
  protectedLocation: { path: APACHE_PROTECTED_PATH },
  resumptionShapes: { sniNoAuth: true, optionalEndpoint: true },
};
