import { constants as cryptoConstants, X509Certificate } from 'node:crypto';
import http from 'node:http';
import type net from 'node:net';
import tls from 'node:tls';
import { HarnessError } from '../core/errors.js';
import type { CrlVariantName, FixtureSet } from '../core/manifest.js';
import type { Feature, ServerPolicy } from '../core/scenario.js';
import { VERSION } from '../core/version.js';
import { PUBLIC_SERVER_NAME } from '../fixtures-gen/generate.js';
import { queryOcsp, startOcspResponder, type OcspResponder } from '../fixtures-gen/ocsp.js';
import { sharedSessions, startSniFront, type SharedSessions } from './builtin-sessions.js';
import { forwardToEcho } from './builtin-proxy.js';
import { PROXY_PATH } from './proxy.js';
import type { Endpoint, StartedTarget } from './target.js';
import { listenOn } from '../core/listen.js';

/** Options of the built-in reference server. Defaults give the strict reference behaviour. */
export interface BuiltinServerOptions {
  readonly fixtures: FixtureSet;
  readonly policy: ServerPolicy;
  /** Default 0 (any free port). */
  readonly port?: number;
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Check CRLs of every CA level (default true). */
  readonly crl?: boolean;
  /** Check them against this alternative CRL bundle of the fixtures (manifest `crlVariants`) instead. */
  readonly crlVariant?: CrlVariantName;
  /** Check OCSP against a loopback responder it starts itself (default true). */
  readonly ocsp?: boolean;
  /** Enforce manifest.identityAllowList (default true). */
  readonly identityPolicy?: boolean;
  /**
   * Deliberately broken variants for tests and demonstrations: `no-verify` accepts any certificate
   * (rejectUnauthorized false, no checks; the protected location asks after the handshake and ignores the answer);
   * `no-request` never asks for a certificate (the protected location serves without asking); `proxy-passthrough`
   * (proxy mode) forwards the client's own identity headers to the echo backend instead of overwriting them;
   * `trust-resumed` serves every resumed session on the strength of the handshake that made it, whichever listener
   * (name, endpoint) made it — with {@link resumption}, a virtual-host pair sharing its session cache and ticket keys
   * with different client-authentication settings.
   */
  readonly weaken?: 'no-verify' | 'no-request' | 'proxy-passthrough' | 'trust-resumed';
  /**
   * Also serve the resumption shapes (issue 12; default false, `run` turns it on): an SNI front on the main port that
   * serves {@link PUBLIC_SERVER_NAME} without client authentication beside the name under test, and an endpoint with
   * the optional policy on a port of its own, all three sharing one session cache, ticket keys and session id context.
   */
  readonly resumption?: boolean;
  /**
   * Also serve the per-location shape on a second port (default false; `run` turns it on): a listener that asks for
   * no certificate in the handshake and requires one for {@link BUILTIN_PROTECTED_PATH}, asked for by a TLS 1.2
   * renegotiation (feature `per-location-auth`).
   */
  readonly protectedLocation?: boolean;
  /**
   * Proxy mode (issue 12): requests under `/proxied/` are forwarded to this echo backend with the verified identity
   * in X-SSL-Client-Verify, X-SSL-Client-S-DN and X-SSL-Client-Cert, every client-sent identity header removed.
   */
  readonly proxy?: { readonly echo: Endpoint };
}

/** How long the built-in server waits for its OCSP responder before it refuses the client (hard-fail). */
export const BUILTIN_OCSP_TIMEOUT_MS = 2000;

/** The path of the built-in server's protected location (see {@link BuiltinServerOptions.protectedLocation}). */
export const BUILTIN_PROTECTED_PATH = '/protected/';

/**
 * Why the built-in server's protected location cannot ask in TLS 1.3: its post-handshake scenarios are skipped with
 * this reason, and a TLS 1.3 request for the path is refused (403).
 */
export const BUILTIN_NO_PHA =
  'node:tls has no TLS 1.3 post-handshake authentication: socket.renegotiate() is TLS 1.2 only, and OpenSSL’s ' +
  'SSL_verify_client_post_handshake is not exposed, so the server cannot ask for a certificate after a TLS 1.3 handshake';

/** What the built-in server answers (HTTP 200, JSON) to an accepted client. */
export interface BuiltinEcho {
  readonly authenticated: boolean;
  readonly subject: string | null;
  readonly serial: string | null;
  readonly protocol: string | null;
  readonly resumed: boolean;
}

/**
 * The reference mTLS server: node:tls with the fixtures' root, one CRL per CA level, OCSP checked against a loopback
 * responder, an identity allow-list, OpenSSL security level 2, and an HTTP echo of the authenticated identity.
 *
 * A refused client gets an HTTP refusal right after the handshake, with the reason in the body: 495 for a
 * certificate that failed verification (or OCSP), 496 for no certificate under `require`, 403 for an identity not on
 * the allow-list. NOTE: node:tls cannot send a TLS alert when it rejects a client chain — with `rejectUnauthorized`
 * it only closes the connection, which no client can tell from a dropped connection — so the server verifies
 * (`rejectUnauthorized: false`, then `socket.authorized`) and answers in words, as nginx does.
 */
export async function startBuiltinServer(options: BuiltinServerOptions): Promise<StartedTarget> {
  const fx = options.fixtures;
  const m = fx.manifest;
  const read = (rel: string) => fx.read(rel);
  const useCrl = options.crl ?? true;
  // NOTE: proxy-passthrough breaks the proxy, and trust-resumed resumption, not the verification of a full handshake.
  const weakened = options.weaken === 'no-verify' || options.weaken === 'no-request';
  const useOcsp = (options.ocsp ?? true) && !weakened;
  const useIdentity = (options.identityPolicy ?? true) && !weakened;
  const allow = new Set(m.identityAllowList);
  const logs: string[] = [];
  const log = (line: string) => {
    logs.push(`${new Date().toISOString()} ${line}`);
    if (logs.length > 2000) logs.shift();
  };

  // NOTE: node:tls turns on CRL checking for the whole chain once `crl` is set, so every CA level needs its CRL,
  // and each CRL must be its own array entry (node reads only the first CRL of a PEM string).
  const crls = useCrl ? crlPems(fx, options.crlVariant) : undefined;
  const ocsp: OcspResponder | undefined = useOcsp ? await startOcspResponder(fx, { port: 0 }) : undefined;
  const ocspCache = new Map<string, Promise<'good' | 'revoked' | 'unknown' | 'error'>>();
  const caPems = new Map(m.cas.map((c) => [c.subject, read(c.cert)]));

  // `none` is client authentication switched off: the server never sends a CertificateRequest.
  const requestCert = options.weaken !== 'no-request' && options.policy !== 'none';
  const shared = options.resumption ? sharedSessions() : undefined;
  let server: tls.Server;
  try {
    server = tls.createServer({
      ...shared?.tlsOptions,
      key: read(m.server.key),
      cert: read(m.server.chain),
      ca: read(m.trust),
      ...(crls && crls.length ? { crl: crls } : {}),
      requestCert,
      rejectUnauthorized: false,
      minVersion: 'TLSv1.2',
      maxVersion: 'TLSv1.3',
      // NOTE: security level 2 rejects RSA-1024 keys and SHA-1 signatures in client chains (OpenSSL auth_level).
      ciphers: 'DEFAULT:@SECLEVEL=2',
      noDelay: true,
    });
  } catch (cause) {
    await ocsp?.close();
    const message = cause instanceof Error ? cause.message.split('\n')[0] : String(cause);
    throw new HarnessError(
      'MTLS_ERR_PEM_MALFORMED',
      `the fixtures' server key, chain, trust or CRL PEM cannot be loaded: ${message}`,
      { cause },
    );
  }

  /** Answers an accepted client with the identity it authenticated as. */
  const echo = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const socket = req.socket as tls.TLSSocket;
    if (options.proxy && (req.url ?? '').startsWith(PROXY_PATH)) {
      forwardToEcho(req, res, options.proxy.echo, { passthrough: options.weaken === 'proxy-passthrough', log });
      return;
    }
    const peer = socket.getPeerCertificate();
    const has = Boolean(peer && Object.keys(peer).length > 0);
    const body: BuiltinEcho = {
      authenticated: has && (socket.authorized || options.weaken === 'no-verify'),
      subject: has ? `CN=${cn(peer)}` : null,
      serial: has ? peer.serialNumber.toLowerCase() : null,
      protocol: socket.getProtocol() ?? null,
      resumed: socket.isSessionReused(),
    };
    res.setHeader('content-type', 'application/json');
    res.setHeader('connection', 'close');
    res.end(JSON.stringify(body) + '\n');
  };
  const app = http.createServer(echo);
  app.keepAliveTimeout = 1000;

  /** The OCSP status of a client certificate; `fresh` asks the responder again instead of the cached answer. */
  const ocspStatus = (
    peer: tls.DetailedPeerCertificate,
    fresh = false,
  ): Promise<'good' | 'revoked' | 'unknown' | 'error'> => {
    const serial = peer.serialNumber.toLowerCase();
    let pending = fresh ? undefined : ocspCache.get(serial);
    if (!pending) {
      const certPem = new X509Certificate(peer.raw).toString();
      const issuerPem =
        peer.issuerCertificate && peer.issuerCertificate !== peer
          ? new X509Certificate(peer.issuerCertificate.raw).toString()
          : (caPems.get(new X509Certificate(peer.raw).issuer.replace(/\n/g, ', ')) ?? '');
      // NOTE: a responder that never answers (issue 13, ocsp-no-answer) must not outlast a client's probe timeout.
      pending = queryOcsp(ocsp!.ocspUrl, certPem, issuerPem, BUILTIN_OCSP_TIMEOUT_MS).then(
        (r) => r.status,
        (err: unknown) => {
          log(`OCSP query for ${serial} failed: ${err instanceof Error ? err.message : String(err)}`);
          return 'error' as const;
        },
      );
      ocspCache.set(serial, pending);
    }
    return pending;
  };

  /** Who the client is, for the log. */
  const whoIs = (socket: tls.TLSSocket): string => {
    const peer = socket.getPeerCertificate(true);
    const has = Boolean(peer && Object.keys(peer).length > 0);
    return has ? `CN=${cn(peer)} serial ${peer.serialNumber}` : 'no certificate';
  };
  /** The refusal a verified client's certificate earns (status and reason), or undefined when it is accepted. */
  const refusalOf = async (
    socket: tls.TLSSocket,
    required: boolean,
  ): Promise<{ status: number; reason: string } | undefined> => {
    const peer = socket.getPeerCertificate(true);
    const has = Boolean(peer && Object.keys(peer).length > 0);
    if (!has && required) return { status: 496, reason: 'no client certificate was sent' };
    if (has && !socket.authorized)
      return { status: 495, reason: `certificate verification failed: ${String(socket.authorizationError)}` };
    if (has && useIdentity && !allow.has(cn(peer))) return { status: 403, reason: 'identity not on the allow-list' };
    // NOTE: a resumed session carries the verification of the handshake that made it (RFC 8446 §2.2, RFC 5246
    // §7.3); the reference re-checks what can change since: the certificate's expiry and its OCSP status.
    const resumed = socket.isSessionReused();
    if (has && resumed && Date.parse(peer.valid_to) <= Date.now())
      return { status: 495, reason: `resumed session of a certificate that expired at ${peer.valid_to}` };
    if (has && ocsp) {
      const status = await ocspStatus(peer, resumed);
      if (status !== 'good')
        return { status: 495, reason: `OCSP status ${status}${resumed ? ' (resumed session)' : ''}` };
    }
    return undefined;
  };

  /** Serves a client of a listener that asks for a certificate, once its checks pass. */
  const admit =
    (where: string, asks: boolean, required: boolean) =>
    (socket: tls.TLSSocket): void => {
      void (async () => {
        const who = `${whoIs(socket)}${socket.isSessionReused() ? ' (resumed)' : ''}${where}`;
        if (options.weaken === 'no-verify' || !asks) {
          log(`accept (${options.weaken ?? 'no request'}) ${who}`);
          app.emit('connection', socket);
          return;
        }
        if (options.weaken === 'trust-resumed' && socket.isSessionReused()) {
          log(`accept (trust-resumed) ${who}`);
          app.emit('connection', socket);
          return;
        }
        const refused = await refusalOf(socket, required);
        if (refused) {
          log(`reject ${who}: ${refused.reason}`);
          refuse(socket, refused.status, refused.reason);
          return;
        }
        log(`accept ${who} ${socket.getProtocol()}`);
        app.emit('connection', socket);
      })();
    };
  const sockets = new Set<net.Socket>();
  const track = (listener: net.Server, name: string) => {
    listener.on('connection', (s: net.Socket) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    listener.on('tlsClientError', (err: Error) => log(`${name}handshake failed: ${err.message.split('\n')[0]}`));
    // A late listener error (an accept that fails) is logged, never an unhandled 'error' that ends the process.
    listener.on('error', (err: Error) => log(`${name}server error: ${err.message}`));
  };
  server.on('secureConnection', admit('', requestCert, options.policy === 'require'));
  track(server, '');
  shared?.attach(server);

  const host = options.host ?? '127.0.0.1';
  try {
    if (!shared) await listenOn(server, host, options.port ?? 0);
  } catch (err) {
    // NOTE: the OCSP responder started above would keep the process alive after the error (issue 10: `serve --port`
    // on a busy port printed MTLS_ERR_PORT and never exited).
    await ocsp?.close();
    throw err;
  }
  // The resumption shapes: the main port becomes an SNI front for the name under test and a public name.
  let sessions: Awaited<ReturnType<typeof startSessionShapes>> | undefined;
  if (shared) {
    try {
      sessions = await startSessionShapes({
        tlsOptions: {
          ...shared.tlsOptions,
          key: read(m.server.key),
          cert: read(m.server.chain),
          ca: read(m.trust),
          ...(crls && crls.length ? { crl: crls } : {}),
        },
        host,
        port: options.port ?? 0,
        main: server,
        shared,
        track,
        log,
        publicApp: (socket) => {
          log(
            `accept (no client authentication) ${whoIs(socket)}${socket.isSessionReused() ? ' (resumed)' : ''} as ${PUBLIC_SERVER_NAME}`,
          );
          app.emit('connection', socket);
        },
        optionalAdmit: admit(' on the optional endpoint', options.weaken !== 'no-request', false),
      });
    } catch (err) {
      await ocsp?.close();
      throw err;
    }
  }
  const address = sessions ? sessions.front.address() : server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const capabilities = new Set<Feature>();
  if (sessions) {
    capabilities.add('resumption');
    capabilities.add('sni-no-auth');
    capabilities.add('shared-sessions');
    if (ocsp) capabilities.add('ocsp-control');
    log(
      `resumption shapes: ${PUBLIC_SERVER_NAME} without client authentication on ${host}:${port}, optional endpoint on ${host}:${sessions.optionalPort}, one session cache and ticket keys`,
    );
  }
  if (options.proxy) capabilities.add('proxy-identity');
  if (!weakened) {
    if (useCrl) capabilities.add('crl');
    if (useOcsp) capabilities.add('ocsp');
    if (useIdentity) capabilities.add('identity-policy');
  }
  log(`listening on ${host}:${port} policy ${options.policy}${options.weaken ? ` weakened: ${options.weaken}` : ''}`);

  // The per-location shape, on its own port: a listener that asks for nothing in the handshake.
  let location: { server: tls.Server; app: http.Server; port: number } | undefined;
  if (options.protectedLocation) {
    try {
      location = await startProtectedLocation({
        tlsOptions: {
          key: read(m.server.key),
          cert: read(m.server.chain),
          ca: read(m.trust),
          ...(crls && crls.length ? { crl: crls } : {}),
        },
        host,
        sockets,
        log,
        echo,
        whoIs,
        // NOTE: the weakened variants break the location the same way: `no-verify` asks and ignores the answer,
        // `no-request` never asks.
        refusalOf: options.weaken === 'no-verify' ? async () => undefined : (socket) => refusalOf(socket, true),
        ask: options.weaken !== 'no-request',
      });
    } catch (err) {
      server.close();
      await ocsp?.close();
      throw err;
    }
    capabilities.add('per-location-auth');
    log(`protected location ${BUILTIN_PROTECTED_PATH} on ${host}:${location.port} (TLS 1.2 renegotiation)`);
  }

  // Siblings started with an alternative CRL bundle (issue 13), once per variant, stopped with this server.
  const variants = new Map<CrlVariantName, Promise<StartedTarget>>();
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await Promise.all(
      [...variants.values()].map((v) =>
        v.then(
          (t) => t.stop(),
          () => undefined,
        ),
      ),
    );
    await Promise.all([
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
        app.closeAllConnections();
      }),
      location
        ? new Promise<void>((resolve) => {
            location!.server.close(() => resolve());
            location!.app.closeAllConnections();
          })
        : undefined,
      sessions?.close(),
    ]);
    await ocsp?.close();
  };
  return {
    name: 'builtin',
    policy: options.policy,
    endpoint: { host, port },
    servername: 'localhost',
    capabilities,
    ...(location
      ? {
          protectedLocation: {
            endpoint: { host, port: location.port },
            path: BUILTIN_PROTECTED_PATH,
            unsupported: { '1.3': BUILTIN_NO_PHA },
          },
        }
      : {}),
    ...(sessions
      ? {
          resumption: {
            sniNoAuth: { endpoint: { host, port }, servername: PUBLIC_SERVER_NAME },
            optionalEndpoint: { host, port: sessions.optionalPort },
            ...(ocsp ? { ocspControl: ocsp.controlUrl } : {}),
          },
        }
      : {}),
    probe: 'http',
    ...(options.crlVariant ? { crlVariant: options.crlVariant } : {}),
    ...(useCrl && !options.crlVariant
      ? {
          withCrlVariant: (variant: CrlVariantName): Promise<StartedTarget> => {
            let sibling = variants.get(variant);
            if (!sibling) {
              const { port: _port, protectedLocation: _location, proxy: _proxy, ...same } = options;
              sibling = startBuiltinServer({ ...same, crlVariant: variant });
              variants.set(variant, sibling);
            }
            return sibling;
          },
        }
      : {}),
    version: `mtls-harness ${VERSION} (node ${process.versions.node}, OpenSSL ${process.versions.openssl})`,
    ...(options.proxy ? { proxy: { echo: options.proxy.echo, path: PROXY_PATH } } : {}),
    logs: () => logs.join('\n'),
    stop,
    [Symbol.asyncDispose]: stop,
  };
}

/** What {@link startProtectedLocation} shares with the main server. */
interface LocationParts {
  readonly tlsOptions: tls.TlsOptions;
  readonly host: string;
  readonly sockets: Set<net.Socket>;
  readonly log: (line: string) => void;
  readonly echo: (req: http.IncomingMessage, res: http.ServerResponse) => void;
  readonly whoIs: (socket: tls.TLSSocket) => string;
  readonly refusalOf: (socket: tls.TLSSocket) => Promise<{ status: number; reason: string } | undefined>;
  /** False: serve the protected path without asking (the `no-request` weakening). */
  readonly ask: boolean;
}

/**
 * The per-location shape: a listener that sends no CertificateRequest in the handshake, serves every path without a
 * certificate, and for {@link BUILTIN_PROTECTED_PATH} asks for one by a TLS 1.2 renegotiation, then verifies it as
 * the main server does (HTTP 495/496/403 for a refusal). A client that refuses to renegotiate gets OpenSSL's
 * handshake_failure; a TLS 1.3 request for the path is refused with 403 (see {@link BUILTIN_NO_PHA}).
 */
async function startProtectedLocation(
  parts: LocationParts,
): Promise<{ server: tls.Server; app: http.Server; port: number }> {
  const { log } = parts;
  const deny = (res: http.ServerResponse, socket: tls.TLSSocket, status: number, reason: string) => {
    log(`protected location: reject ${parts.whoIs(socket)}: ${reason}`);
    const body = JSON.stringify({ rejected: reason }) + '\n';
    res.writeHead(status, STATUS_TEXT[status] ?? 'Refused', {
      'content-type': 'application/json',
      connection: 'close',
    });
    res.end(body);
  };
  const app = http.createServer((req, res) => {
    const socket = req.socket as tls.TLSSocket;
    const path = (req.url ?? '/').split('?')[0]!;
    if (!path.startsWith(BUILTIN_PROTECTED_PATH)) return parts.echo(req, res);
    if (!parts.ask) return parts.echo(req, res);
    if (socket.getProtocol() === 'TLSv1.3') return deny(res, socket, 403, BUILTIN_NO_PHA);
    // NOTE: RFC 5246 §7.4.1.1 — a HelloRequest; the renegotiated handshake carries the CertificateRequest. The server
    // verifies the answer itself (rejectUnauthorized false) so that a refusal can say why, in HTTP.
    const started = socket.renegotiate({ requestCert: true, rejectUnauthorized: false }, (err) => {
      if (err) {
        log(`protected location: renegotiation failed: ${err.message}`);
        return deny(res, socket, 403, `renegotiation failed: ${err.message}`);
      }
      void parts.refusalOf(socket).then((refused) => {
        if (refused) return deny(res, socket, refused.status, refused.reason);
        log(`protected location: accept ${parts.whoIs(socket)} ${socket.getProtocol()}`);
        parts.echo(req, res);
      });
    });
    if (started) log('protected location: HelloRequest sent');
  });
  app.keepAliveTimeout = 1000;
  // A client that refuses or fails the renegotiation ends the connection with an error: log it, never crash.
  app.on('clientError', (err: Error, socket: net.Socket) => {
    log(`protected location: ${err.message.split('\n')[0]}`);
    socket.destroy();
  });
  const server = tls.createServer({
    ...parts.tlsOptions,
    requestCert: false,
    rejectUnauthorized: false,
    // NOTE: a client that offers its session (ticket or ID) in the renegotiating ClientHello would otherwise get an
    // abbreviated handshake, which carries no CertificateRequest: the renegotiation must be a full handshake (as
    // mod_ssl makes it). Observed with openssl s_client, which offers its ticket.
    secureOptions: cryptoConstants.SSL_OP_NO_SESSION_RESUMPTION_ON_RENEGOTIATION,
    minVersion: 'TLSv1.2',
    maxVersion: 'TLSv1.3',
    ciphers: 'DEFAULT:@SECLEVEL=2',
    noDelay: true,
  });
  server.on('secureConnection', (socket: tls.TLSSocket) => {
    socket.on('error', (err) => log(`protected location: ${err.message.split('\n')[0]}`));
    app.emit('connection', socket);
  });
  server.on('connection', (s: net.Socket) => {
    parts.sockets.add(s);
    s.on('close', () => parts.sockets.delete(s));
  });
  server.on('tlsClientError', (err) => log(`protected location: handshake failed: ${err.message.split('\n')[0]}`));
  const port = await listenOn(server, parts.host, 0, 'the protected location');
  server.on('error', (err) => log(`protected location: server error: ${err.message}`));
  return { server, app, port };
}

/**
 * The CRLs the server checks, one PEM string each (node reads only the first CRL of a string): one per CA level of
 * the standard bundle, or those of an alternative bundle. Throws MTLS_ERR_USAGE for a variant the set lacks.
 */
function crlPems(fx: FixtureSet, variant: CrlVariantName | undefined): string[] {
  const m = fx.manifest;
  if (!variant) return m.cas.filter((c) => c.crl).map((c) => fx.read(c.crl!.pem));
  const described = m.crlVariants?.find((v) => v.id === variant);
  if (!described) {
    throw new HarnessError('MTLS_ERR_USAGE', `the fixtures in '${fx.dir}' have no CRL variant '${variant}'`);
  }
  return fx.read(described.bundle).match(/-----BEGIN X509 CRL-----[\s\S]*?-----END X509 CRL-----\n?/g) ?? [];
}

/** The subject CN of a peer certificate ('' when absent; the first when repeated). */
function cn(peer: tls.PeerCertificate): string {
  const value = peer.subject?.CN;
  return Array.isArray(value) ? (value[0] ?? '') : (value ?? '');
}

const STATUS_TEXT: Readonly<Record<number, string>> = {
  403: 'Forbidden',
  495: 'SSL Certificate Error',
  496: 'SSL Certificate Required',
};

/**
 * Answers a refused client with an HTTP refusal and closes it the same way whatever it already sent: drain what
 * arrived, send the answer and close_notify, then drop the connection. (Destroying with unread data would reset the
 * connection or not depending on timing, and the refusal could be lost.)
 */
function refuse(socket: tls.TLSSocket, status: number, reason: string): void {
  socket.on('error', () => {});
  socket.resume();
  const body = JSON.stringify({ rejected: reason }) + '\n';
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Refused'}\r\ncontent-type: application/json\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
  setTimeout(() => socket.destroy(), 2000).unref();
}

/** What {@link startSessionShapes} shares with the main server. */
interface SessionParts {
  readonly tlsOptions: tls.TlsOptions;
  readonly host: string;
  /** The main port (0: any free port), where the SNI front listens. */
  readonly port: number;
  /** The listener of the name under test. */
  readonly main: tls.Server;
  readonly shared: SharedSessions;
  readonly track: (listener: net.Server, name: string) => void;
  readonly log: (line: string) => void;
  /** Serves a client of the public name (no client authentication). */
  readonly publicApp: (socket: tls.TLSSocket) => void;
  /** Checks and serves a client of the optional endpoint. */
  readonly optionalAdmit: (socket: tls.TLSSocket) => void;
}

/**
 * The resumption shapes (issue 12): the SNI front on the main port (the public name to a listener that asks for no
 * certificate, every other name to the main listener) and the optional endpoint on a port of its own; every listener
 * shares the session cache, ticket keys and session id context.
 */
async function startSessionShapes(
  parts: SessionParts,
): Promise<{ front: net.Server; optionalPort: number; close(): Promise<void> }> {
  const common: tls.TlsOptions = {
    ...parts.tlsOptions,
    rejectUnauthorized: false,
    minVersion: 'TLSv1.2',
    maxVersion: 'TLSv1.3',
    ciphers: 'DEFAULT:@SECLEVEL=2',
    noDelay: true,
  };
  const open = tls.createServer({ ...common, requestCert: false });
  open.on('secureConnection', parts.publicApp);
  parts.track(open, `${PUBLIC_SERVER_NAME}: `);
  parts.shared.attach(open);
  const optional = tls.createServer({ ...common, requestCert: true });
  optional.on('secureConnection', parts.optionalAdmit);
  parts.track(optional, 'optional endpoint: ');
  parts.shared.attach(optional);
  await listenOn(optional, parts.host, 0, 'the optional endpoint');
  let front: net.Server;
  try {
    front = await startSniFront(
      parts.host,
      parts.port,
      (name) => (name?.toLowerCase() === PUBLIC_SERVER_NAME ? open : parts.main),
      parts.log,
    );
  } catch (err) {
    optional.close();
    throw err;
  }
  const address = optional.address();
  return {
    front,
    optionalPort: typeof address === 'object' && address ? address.port : 0,
    close: () =>
      Promise.all([front, optional].map((l) => new Promise<void>((resolve) => l.close(() => resolve())))).then(
        () => undefined,
      ),
  };
}
