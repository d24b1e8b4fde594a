import type { Feature, ServerPolicy } from '../core/scenario.js';

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
  /** raw: any data back proves acceptance; http: the server speaks HTTP and may reject with a status. */
  readonly probe: 'raw' | 'http';
  readonly version?: string;
  /** Logs captured from the server, for reports and failures. */
  logs(): string;
  stop(): Promise<void>;
}
