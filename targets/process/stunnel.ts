import { createHash } from 'node:crypto';
import type { Rendered, RenderInput, ServerAdapter } from './adapter.js';
import { PKI } from './adapter.js';

const WEAKENINGS = {
  'no-verify-chain': 'verifyChain = no: the client certificate is requested but never verified',
  'no-crl': 'no CRLfile: revoked certificates are not detected',
} as const;

/**
 * stunnel.conf: one service in the foreground that verifies the client chain (`verifyChain`), requires a
 * certificate or not (`requireCert`), checks every CA level's CRL and OCSP for the client certificate through the
 * loopback responder, and hands each accepted connection to `/bin/sh`, which reads the request line and answers a
 * one-line HTTP 200 (stunnel's own `exec`, no backend port).
 */
export function renderStunnel(input: RenderInput): Rendered {
  const p = (rel: string) => `${input.root}/${rel}`;
  // NOTE: stunnel splits execArgs on spaces without quoting, so the reply lives in a script file.
  const reply = [
    '#!/bin/sh',
    '# read the whole request head (up to the blank line) before answering: exiting with input unread races stunnel',
    'while read -r line; do [ "${#line}" -le 1 ] && break; done',
    "printf 'HTTP/1.1 200 OK\\r\\nContent-Type: text/plain\\r\\nContent-Length: 3\\r\\nConnection: close\\r\\n\\r\\nok\\n'",
    '',
  ].join('\n');
  const shapes = input.sniNoAuth !== undefined || input.optionalPort !== undefined;
  const tickets = shapes ? ticketSecrets(input.root) : [];
  const serve = ['exec = /bin/sh', `execArgs = sh ${p('reply.sh')}`];
  const lines = [
    '; rendered by mtls-harness: a private stunnel in the foreground',
    'foreground = yes',
    `pid = ${p('stunnel.pid')}`,
    'debug = info',
    'syslog = no',
    '[mtls]',
    `accept = ${input.listenHost}:${input.port}`,
    `cert = ${p(PKI.chain)}`,
    `key = ${p(PKI.key)}`,
    'sslVersionMin = TLSv1.2',
    `CAfile = ${p(PKI.trust)}`,
    `verifyChain = ${input.weaken === 'no-verify-chain' ? 'no' : 'yes'}`,
    `requireCert = ${input.policy === 'require' ? 'yes' : 'no'}`,
    ...(input.weaken === 'no-crl' || input.weaken === 'no-verify-chain' ? [] : [`CRLfile = ${p(PKI.crls)}`]),
    // NOTE: stunnel 5.68 has no OCSP timeout of its own: TIMEOUTbusy (default 300 s) bounds the wait for a responder
    // that never answers, kept below the probe timeout.
    ...(input.ocspUrl && !input.weaken
      ? [`OCSP = ${input.ocspUrl}`, 'OCSPaia = no', 'OCSPnonce = no', 'TIMEOUTbusy = 3']
      : []),
    ...tickets,
    ...serve,
    ...stunnelSessionShapes(input, [...tickets, ...serve]),
    '',
  ];
  return {
    files: { 'stunnel.conf': lines.join('\n'), 'reply.sh': reply },
    args: [p('stunnel.conf')],
    // NOTE: with the shapes the configuration holds the ticket secrets.
    ...(shapes ? { secretFiles: ['stunnel.conf'] } : {}),
  };
}

/**
 * `ticketKeySecret` and `ticketMacSecret` (32 bytes each, hex), the same in every service of the configuration so
 * that a ticket one issues decrypts in the others; derived from the (per-run) root so that rendering stays pure.
 */
function ticketSecrets(root: string): string[] {
  const hex = createHash('sha512').update(`mtls-harness stunnel tickets|${root}`).digest('hex');
  return [`ticketKeySecret = ${hex.slice(0, 64)}`, `ticketMacSecret = ${hex.slice(64, 128)}`];
}

/**
 * The resumption shapes (issue 12): a secondary service `sni = mtls:<sniNoAuth>` on the same port that verifies no
 * client certificate, and a service on {@link RenderInput.optionalPort} with `requireCert = no` that verifies one if
 * given; both with the ticket secrets of the service under test. NOTE: stunnel keeps a session cache per service (a
 * cache shared between services needs its external `sessiond`) and makes each service's name its session id context,
 * so a session of `[optional]` is not resumed on `[mtls]` whatever the secrets; but a secondary service's tickets and
 * PSKs are resumed on its primary (observed with and without the secrets: the security xfail in
 * targets/expectations/stunnel.json, replayed by openssl s_client in test/resumption/servers.test.ts).
 */
function stunnelSessionShapes(input: RenderInput, shared: readonly string[]): string[] {
  const p = (rel: string) => `${input.root}/${rel}`;
  const tls = [`cert = ${p(PKI.chain)}`, `key = ${p(PKI.key)}`, 'sslVersionMin = TLSv1.2'];
  return [
    ...(input.sniNoAuth ? ['', '[public]', `sni = mtls:${input.sniNoAuth}`, ...tls, ...shared] : []),
    ...(input.optionalPort !== undefined
      ? [
          '',
          '[optional]',
          `accept = ${input.listenHost}:${input.optionalPort}`,
          ...tls,
          `CAfile = ${p(PKI.trust)}`,
          'verifyChain = yes',
          'requireCert = no',
          `CRLfile = ${p(PKI.crls)}`,
          ...(input.ocspUrl ? [`OCSP = ${input.ocspUrl}`, 'OCSPaia = no', 'OCSPnonce = no', 'TIMEOUTbusy = 3'] : []),
          ...shared,
        ]
      : []),
  ];
}

/** stunnel (Debian stunnel4 / no official image: the container form uses the community image dweomer/stunnel). */
export const stunnelAdapter: ServerAdapter = {
  name: 'stunnel',
  debianPackage: 'stunnel4',
  binaries: ['stunnel4', 'stunnel'],
  image: 'dweomer/stunnel:latest',
  containerBinary: 'stunnel',
  versionArgs: ['-version'],
  parseVersion: (out) => /^stunnel (\S+)/m.exec(out)?.[1]?.replace(/^/, 'stunnel/'),
  capabilities: {
    features: ['crl', 'ocsp'],
    tls: ['1.2', '1.3'],
    resumption: true,
    rejection: 'alert',
    notes: [
      'OCSP for client certificates via OCSP = <loopback responder>',
      'serves HTTP through exec = /bin/sh',
      'resumes on the service that requires a certificate a TLS 1.2 ticket or TLS 1.3 PSK its SNI secondary service issued without one (a documented security xfail in targets/expectations/stunnel.json)',
    ],
    lacking: {
      'per-location-auth':
        'stunnel cannot ask for a client certificate per location after the handshake: it relays bytes without reading HTTP, verifies once per service in the handshake, and never renegotiates nor sends a TLS 1.3 post-handshake CertificateRequest (its binary links neither SSL_renegotiate nor SSL_verify_client_post_handshake)',
    },
  },
  weakenings: WEAKENINGS,
  render: renderStunnel,
  resumptionShapes: { sniNoAuth: true, optionalEndpoint: true },
};
