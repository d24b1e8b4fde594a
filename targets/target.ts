import type { CrlVariantName } from '../core/manifest.js';
import type { Feature, ServerPolicy, TlsVersion } from '../core/scenario.js';
import type { ProxyMode } from './proxy.js';

/** Host and port of a running server. */
export interface Endpoint {
  readonly host: string;
  readonly port: number;
}

/**
 * A location that requires a client certificate the server asks for only after the handshake (feature
 * `per-location-auth`), as Apache's `SSLVerifyClient require` inside `<Location>` under a virtual host that asks for
 * none: TLS 1.3 post-handshake authentication (RFC 8446 §4.6.2) or a TLS 1.2 renegotiation (RFC 5246 §7.4.1.1).
 */
export interface ProtectedLocation {
  /**
   * Where the server in that shape listens: a virtual host that sends no CertificateRequest in the handshake and
   * serves every other path without a certificate. The target's own endpoint for an external server.
   */
  readonly endpoint: Endpoint;
  /** The path that requires a certificate (an HTTP request-target, e.g. `/protected/`). */
  readonly path: string;
  /** TLS versions in which the server cannot ask after the handshake, with why: their scenarios are skipped with it. */
  readonly unsupported?: Partial<Record<TlsVersion, string>>;
}

/** How a session is resumed: TLS 1.2 by session ID (RFC 5246 §7.3) or ticket (RFC 5077), TLS 1.3 by PSK. */
export type ResumptionMechanism = 'session-id' | 'ticket' | 'psk';

/**
 * What the resumption scenarios (issue 12) need beside the target's endpoint. Each part shares session state (the
 * session cache and the ticket keys) with the endpoint under test, as a misconfigured virtual-host pair would.
 */
export interface ResumptionShape {
  /**
   * A server name that asks for no client certificate (feature `sni-no-auth`), served at `endpoint` beside the
   * target's own name (the target's endpoint for an external server).
   */
  readonly sniNoAuth?: { readonly endpoint: Endpoint; readonly servername: string };
  /** An endpoint with the `optional` policy (feature `shared-sessions`). */
  readonly optionalEndpoint?: Endpoint;
  /** The loopback control URL of the OCSP responder the server asks (feature `ocsp-control`). */
  readonly ocspControl?: string;
  /** Mechanisms the server does not offer, with why: their scenarios are skipped with it. */
  readonly unsupported?: Partial<Record<ResumptionMechanism, string>>;
}

/** A server under test that has been started (or an external one), ready for probes. */
export interface StartedTarget extends AsyncDisposable {
  readonly name: string;
  readonly policy: ServerPolicy;
  readonly endpoint: Endpoint;
  /** SNI / server-identity name to use. */
  readonly servername: string;
  /** What the server can judge; scenarios needing anything else are skipped with the reason. */
  readonly capabilities: ReadonlySet<Feature>;
  /**
   * Checks the server's product does not make at all (a server with no revocation checking): scenarios needing them
   * run anyway and fail when the server accepts, instead of being skipped as if the configuration could add them.
   */
  readonly unchecked?: ReadonlySet<Feature>;
  /**
   * Why the product cannot do a capability it lacks at all, whatever its configuration (e.g. nginx has no per-location
   * client authentication after the handshake): the skip reason of a scenario that needs it says so.
   */
  readonly lacking?: Partial<Record<Feature, string>>;
  /** The location that requires a certificate after the handshake, when the target has `per-location-auth`. */
  readonly protectedLocation?: ProtectedLocation;
  /** The shapes of the resumption scenarios the target serves (features `sni-no-auth`, `shared-sessions`, `ocsp-control`). */
  readonly resumption?: ResumptionShape;
  /** True when the capabilities are what the user declared (`--capabilities`), not what the harness configured. */
  readonly declared?: boolean;
  /** raw: any data back proves acceptance; http: the server speaks HTTP and may reject with a status. */
  readonly probe: 'raw' | 'http';
  readonly version?: string;
  /**
   * Set when the target is a reverse proxy in front of the echo backend (feature `proxy-identity`): where the backend
   * is, and which path the target forwards to it.
   */
  readonly proxy?: ProxyMode;
  /**
   * The alternative CRL bundle the server was configured with (manifest `crlVariants`): set on a sibling started by
   * {@link StartedTarget.withCrlVariant}, and on an external server declared with `--crl-variant`.
   */
  readonly crlVariant?: CrlVariantName;
  /**
   * For a server the harness starts: the same server started again (once per variant, stopped with this one) with the
   * alternative CRL bundle in place of the standard one.
   */
  withCrlVariant?(variant: CrlVariantName): Promise<StartedTarget>;
  /** Logs captured from the server, for reports and failures. */
  logs(): string;
  /**
   * For a server process the harness started: how it ended when it ended on its own before `stop()` (`killed by
   * SIGKILL`, `exited with status 1`), so a run can name a target that died instead of blaming each probe.
   */
  died?(): string | undefined;
  stop(): Promise<void>;
}
