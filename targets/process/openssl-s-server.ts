import type { Rendered, RenderInput, ServerAdapter } from './adapter.js';
import { PKI } from './adapter.js';

const WEAKENINGS = {
  'no-return-error': 'no -verify_return_error: verification failures are logged but the handshake goes on',
} as const;

/**
 * The argument vector of `openssl s_server -www`: `-Verify 5` (require) or `-verify 5` (optional),
 * `-verify_return_error` so a failing certificate aborts the handshake with an alert, and `-crl_check_all` with the
 * root and every CA level's CRL loaded from one `-CAfile` (s_server's own `-CRL` takes a single CRL). No OCSP for
 * client certificates. s_server serves one connection at a time.
 */
export function renderOpensslSServer(input: RenderInput): Rendered {
  const p = (rel: string) => `${input.root}/${rel}`;
  const args = [
    's_server',
    '-accept',
    `${input.listenHost}:${input.port}`,
    '-cert',
    p(PKI.cert),
    '-cert_chain',
    p(PKI.chain),
    '-key',
    p(PKI.key),
    '-CAfile',
    p(PKI.trustAndCrls),
    input.policy === 'require' ? '-Verify' : '-verify',
    '5',
    ...(input.weaken === 'no-return-error' ? [] : ['-verify_return_error']),
    '-crl_check_all',
    '-min_protocol',
    'TLSv1.2',
    '-www',
    '-quiet',
  ];
  return { files: {}, args };
}

/** `openssl s_server` from the Debian openssl package (OpenSSL 3.0). */
export const opensslSServerAdapter: ServerAdapter = {
  name: 'openssl-s-server',
  debianPackage: 'openssl',
  binaries: ['openssl'],
  image: 'alpine/openssl:latest',
  containerBinary: 'openssl',
  versionArgs: ['version'],
  parseVersion: (out) => /^(OpenSSL \S+)/m.exec(out)?.[1]?.replace(' ', '/'),
  capabilities: {
    features: ['crl'],
    tls: ['1.2', '1.3'],
    resumption: true,
    rejection: 'alert',
    notes: ['serves one connection at a time (probes run one by one)', 'no OCSP checking of client certificates'],
    lacking: {
      'per-location-auth':
        "openssl s_server cannot require a client certificate for a location after the handshake: it asks only on its interactive c and R commands (c with SSL_VERIFY_PEER alone: an empty Certificate passes), or on -www's GET /renegcert, where it writes the page before it reads the answer (observed with OpenSSL 3.0.22: the page arrives before the renegotiated ServerHello)",
      'sni-no-auth':
        'openssl s_server cannot serve a second server name without client authentication: -servername with -cert2/-key2 gives that name its own certificate only, -verify/-Verify apply to both contexts, and OpenSSL keeps the verify mode the connection started with when the name switches the context (observed with OpenSSL 3.0.22 under -Verify: a client without a certificate naming the -servername name is refused with handshake_failure over TLS 1.2 and certificate_required over TLS 1.3)',
      'shared-sessions':
        'openssl s_server serves one port with one policy per process, and a second process shares no session state with it: each keeps its own in-memory session cache and generates its own random ticket keys (s_server has no option to load ticket keys or use an external cache), so an optional endpoint cannot share sessions with the require one',
    },
  },
  weakenings: WEAKENINGS,
  render: renderOpensslSServer,
  maxConcurrency: 1,
};
