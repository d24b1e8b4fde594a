import type { Feature, ServerPolicy } from '../core/scenario.js';
import type { ProxyMode } from './proxy.js';

/** Host and port of a running server. */
export interface Endpoint {
  readonly host: string;
  readonly port: number;
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
  /** Logs captured from the server, for reports and failures. */
  logs(): string;
  /**
   * For a server process the harness started: how it ended when it ended on its own before `stop()` (`killed by
   * SIGKILL`, `exited with status 1`), so a run can name a target that died instead of blaming each probe.
   */
  died?(): string | undefined;
  stop(): Promise<void>;
}
