import type { Rendered, RenderInput, ServerAdapter } from './adapter.js';
import { PKI } from './adapter.js';

const WEAKENINGS = {
  'ignore-errors': 'crt-ignore-err all ca-ignore-err all: every verification error is ignored',
  'no-crl': 'no crl-file: revoked certificates are not detected',
} as const;

/**
 * haproxy.cfg: an HTTP frontend that answers 200 itself (`http-request return`), TLS with `verify required|optional`,
 * the fixtures' root and every CA level's CRL. haproxy has no OCSP checking of client certificates.
 */
export function renderHaproxy(input: RenderInput): Rendered {
  const p = (rel: string) => `${input.root}/${rel}`;
  const bind = [
    `bind ${input.listenHost}:${input.port} ssl crt ${p(PKI.chainAndKey)}`,
    `ca-file ${p(PKI.trust)}`,
    `verify ${input.policy === 'require' ? 'required' : 'optional'}`,
    ...(input.weaken === 'no-crl' || input.weaken === 'ignore-errors' ? [] : [`crl-file ${p(PKI.crls)}`]),
    ...(input.weaken === 'ignore-errors' ? ['crt-ignore-err all', 'ca-ignore-err all'] : []),
    'ssl-min-ver TLSv1.2',
  ].join(' ');
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
    '  http-request return status 200 content-type text/plain string "ok\\n"',
    '',
  ];
  return { files: { 'haproxy.cfg': lines.join('\n') }, args: ['-db', '-f', p('haproxy.cfg')] };
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
    notes: ['no OCSP checking of client certificates (OCSP in haproxy is stapling only)'],
    lacking: {
      'per-location-auth':
        'HAProxy cannot ask for a client certificate per location after the handshake: verify is a bind (or crt-list) option applied in the handshake, and HAProxy never renegotiates nor sends a TLS 1.3 post-handshake CertificateRequest (its binary links neither SSL_renegotiate nor SSL_verify_client_post_handshake)',
    },
  },
  weakenings: WEAKENINGS,
  render: renderHaproxy,
};
