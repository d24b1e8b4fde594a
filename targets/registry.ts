import { HarnessError } from '../core/errors.js';
import type { CrlVariantName, FixtureSet } from '../core/manifest.js';
import type { Feature, ServerPolicy } from '../core/scenario.js';
import { startBuiltinServer } from './builtin.js';
import { containerFeatures, containerRuntime, startContainerTarget } from './container/container-target.js';
import {
  ADAPTERS,
  probeAdapter,
  PROCESS_TARGET_NAMES,
  startProcessTarget,
  type ProcessTargetName,
} from './process/index.js';
import { PROXY_PATH, type ProxyMode } from './proxy.js';
import type { Endpoint, ResumptionShape, StartedTarget } from './target.js';

/** What the user says of an external server's resumption shapes (`--sni-no-auth`, `--optional-endpoint`, `--ocsp-control`). */
export interface ExternalResumption {
  /** A server name the server serves without client authentication, on the same endpoint. */
  readonly sniNoAuth?: string;
  /** An endpoint with the optional policy sharing the server's session state. */
  readonly optionalEndpoint?: Endpoint;
  /** The loopback control URL of the OCSP responder the server asks. */
  readonly ocspControl?: string;
}

/**
 * What a product checks, as `run --target HOST:PORT --product NAME` assumes (configured as `server-config` renders
 * it), and the revocation checks it cannot make at all.
 */
export function productCapabilities(product: string): { features: Feature[]; unchecked: Feature[] } {
  if (product === 'node') return { features: ['crl', 'ocsp', 'identity-policy'], unchecked: [] };
  const adapter = ADAPTERS[product as ProcessTargetName];
  const features = [...adapter.capabilities.features];
  return { features, unchecked: (['crl', 'ocsp'] as const).filter((f) => !features.includes(f)) };
}

/** Capabilities a user may declare for an external server with --capabilities. */
export const DECLARABLE_CAPABILITIES: readonly Feature[] = [
  'crl',
  'ocsp',
  'identity-policy',
  'pinned-clock',
  'per-location-auth',
  'resumption',
  'verify-depth',
];

/** The protected path of an external server declared with `per-location-auth`, when `--protected-path` is not given. */
export const DEFAULT_PROTECTED_PATH = '/protected/';

/** Every target name `--target` takes besides HOST:PORT (containers as `container:<name>`). */
export const TARGET_NAMES: readonly string[] = ['builtin', ...PROCESS_TARGET_NAMES];

/** A parsed --target value. */
export type TargetSpec =
  | { readonly kind: 'builtin' }
  | { readonly kind: 'external'; readonly host: string; readonly port: number }
  /** A real server the harness starts itself as a local process. */
  | { readonly kind: 'process'; readonly name: ProcessTargetName }
  /** The same server in its official container image (needs a Docker engine). */
  | { readonly kind: 'container'; readonly name: ProcessTargetName };

function isProcessName(value: string): value is ProcessTargetName {
  return (PROCESS_TARGET_NAMES as readonly string[]).includes(value);
}

/** The name expectation files and reports use for a target spec. */
export function targetName(spec: TargetSpec): string {
  switch (spec.kind) {
    case 'builtin':
      return 'builtin';
    case 'external':
      return 'external';
    case 'process':
      return spec.name;
    case 'container':
      return `container:${spec.name}`;
  }
}

/**
 * Parses `builtin`, a server name (`nginx`, `haproxy`, `apache`, `stunnel`, `lighttpd`, `caddy`, `openssl-s-server`),
 * `container:<name>`, or `HOST:PORT` (`[::1]:8443` for IPv6).
 */
export function parseTarget(value: string | undefined): TargetSpec {
  if (value === undefined || value === 'builtin') return { kind: 'builtin' };
  if (isProcessName(value)) return { kind: 'process', name: value };
  const container = /^container:(.+)$/.exec(value);
  if (container) {
    const name = container[1]!;
    if (!isProcessName(name)) {
      throw new HarnessError(
        'MTLS_ERR_USAGE',
        `bad --target '${value}': containers exist for ${PROCESS_TARGET_NAMES.join(', ')}`,
      );
    }
    return { kind: 'container', name };
  }
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s[\]]+)):(\d{1,5})$/.exec(value);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port < 1 || port > 65535) {
    throw new HarnessError(
      'MTLS_ERR_USAGE',
      `bad --target '${value}': expected ${TARGET_NAMES.join(', ')}, container:NAME or HOST:PORT (e.g. 127.0.0.1:8443, [::1]:8443)`,
    );
  }
  return { kind: 'external', host: (m[1] ?? m[2])!, port };
}

/** A server the harness did not start: it only knows where it is and what the user says it can do. */
export function externalTarget(
  host: string,
  port: number,
  policy: ServerPolicy,
  capabilities: readonly Feature[],
  servername = 'localhost',
  unchecked: readonly Feature[] = [],
  protectedPath = DEFAULT_PROTECTED_PATH,
  proxy?: ProxyMode,
  resumption: ExternalResumption = {},
): StartedTarget {
  const stop = async () => {};
  const shape: ResumptionShape = {
    ...(resumption.sniNoAuth ? { sniNoAuth: { endpoint: { host, port }, servername: resumption.sniNoAuth } } : {}),
    ...(resumption.optionalEndpoint ? { optionalEndpoint: resumption.optionalEndpoint } : {}),
    ...(resumption.ocspControl ? { ocspControl: resumption.ocspControl } : {}),
  };
  const shapes: Feature[] = [
    ...(resumption.sniNoAuth ? (['sni-no-auth'] as const) : []),
    ...(resumption.optionalEndpoint ? (['shared-sessions'] as const) : []),
    ...(resumption.ocspControl ? (['ocsp-control'] as const) : []),
  ];
  return {
    name: `${host.includes(':') ? `[${host}]` : host}:${port}`,
    policy,
    endpoint: { host, port },
    servername,
    capabilities: new Set<Feature>([...capabilities, ...(proxy ? (['proxy-identity'] as const) : []), ...shapes]),
    // The server asks after the handshake on the same endpoint, for the path the user names.
    ...(capabilities.includes('per-location-auth')
      ? { protectedLocation: { endpoint: { host, port }, path: protectedPath } }
      : {}),
    ...(proxy ? { proxy } : {}),
    ...(shapes.length ? { resumption: shape } : {}),
    unchecked: new Set(unchecked),
    declared: true,
    probe: 'http',
    logs: () => '',
    stop,
    [Symbol.asyncDispose]: stop,
  };
}

/** Options of {@link startTargets}. */
export interface StartTargetsOptions {
  /** What an external server checks (ignored for targets the harness starts: they declare their own). */
  readonly capabilities: readonly Feature[];
  readonly servername?: string;
  /**
   * For an external target: checks its product does not make at all (`run --product`), whose scenarios run anyway
   * and fail rather than being skipped.
   */
  readonly unchecked?: readonly Feature[];
  /** A deliberately weakened variant of a process or container target (see each adapter's weakenings). */
  readonly weaken?: string;
  /** How long a process target may take to answer TLS (default 10 s). */
  readonly readyTimeoutMs?: number;
  /** For an external target declared with `per-location-auth`: its protected path (`--protected-path`). */
  readonly protectedPath?: string;
  /**
   * Proxy mode (issue 12): the echo backend the target forwards to. The built-in server and the process adapters
   * with a proxy mode are started with `/proxied/` forwarded to it; an external target (HOST:PORT, `--echo-backend`)
   * is taken to forward `/proxied/` (or every path) to it, the path kept. Containers have none: the backend listens on the host's loopback.
   */
  readonly echoBackend?: Endpoint;
  /** For an external target: its resumption shapes, as the user names them. */
  readonly resumption?: ExternalResumption;
  /** For an external target: the alternative CRL bundle it was configured with (`--crl-variant`). */
  readonly crlVariant?: CrlVariantName;
}

/** Starts (or wraps) the target once per policy; on a failure, whatever already started is stopped. */
/** Throws MTLS_ERR_USAGE for a policy the target cannot be started with (call before any work). */
export function checkPolicies(spec: TargetSpec, policies: readonly ServerPolicy[]): void {
  if ((spec.kind === 'process' || spec.kind === 'container') && policies.includes('none')) {
    // NOTE: the adapters render require or optional; a server with client authentication off is not rendered yet.
    throw new HarnessError(
      'MTLS_ERR_USAGE',
      `--policy none is supported by the builtin and HOST:PORT targets, not by '${targetName(spec)}'`,
    );
  }
}

export async function startTargets(
  spec: TargetSpec,
  fixtures: FixtureSet,
  policies: readonly ServerPolicy[],
  options: StartTargetsOptions,
): Promise<Partial<Record<ServerPolicy, StartedTarget>>> {
  checkPolicies(spec, policies);
  const echo = options.echoBackend;
  const out: Partial<Record<ServerPolicy, StartedTarget>> = {};
  try {
    for (const policy of policies) {
      switch (spec.kind) {
        case 'builtin':
          // The per-location shape too, for the post-handshake scenarios (a second listener).
          out[policy] = await startBuiltinServer({
            fixtures,
            policy,
            protectedLocation: true,
            // The resumption shapes (SNI front, optional endpoint): the resumption scenarios run under require.
            resumption: policy === 'require',
            ...(echo ? { proxy: { echo } } : {}),
          });
          break;
        case 'external': {
          const external = externalTarget(
            spec.host,
            spec.port,
            policy,
            options.capabilities,
            options.servername,
            options.unchecked,
            options.protectedPath,
            echo ? { echo, path: PROXY_PATH } : undefined,
            options.resumption,
          );
          out[policy] = options.crlVariant ? { ...external, crlVariant: options.crlVariant } : external;
          break;
        }
        case 'process':
          out[policy] = await startProcessTarget(ADAPTERS[spec.name], fixtures, policy, {
            ...(options.weaken ? { weaken: options.weaken } : {}),
            ...(options.readyTimeoutMs ? { readyTimeoutMs: options.readyTimeoutMs } : {}),
            ...(echo ? { proxy: echo } : {}),
          });
          break;
        case 'container':
          out[policy] = await startContainerTarget(ADAPTERS[spec.name], fixtures, policy, {
            ...(options.weaken ? { weaken: options.weaken } : {}),
          });
          break;
      }
    }
  } catch (err) {
    await Promise.all(Object.values(out).map((t) => t?.stop()));
    throw err;
  }
  return out;
}

/** One row of `mtls-harness targets`. */
export interface TargetInfo {
  readonly name: string;
  readonly kind: 'builtin' | 'process' | 'container';
  readonly available: boolean;
  readonly version?: string;
  /** Why it is not available. */
  readonly reason?: string;
  readonly features: readonly Feature[];
  readonly tls: readonly string[];
  readonly resumption: boolean;
  readonly rejection: string;
  readonly notes: readonly string[];
  /** Probes in flight the target copes with, when limited. */
  readonly maxConcurrency?: number;
}

/** Probes every target: the built-in server, each process adapter, and each container form. */
export async function describeTargets(options: { containers?: boolean } = {}): Promise<TargetInfo[]> {
  const builtin: TargetInfo = {
    name: 'builtin',
    kind: 'builtin',
    available: true,
    version: `node ${process.versions.node}, OpenSSL ${process.versions.openssl}`,
    features: [
      'crl',
      'ocsp',
      'identity-policy',
      'per-location-auth',
      'proxy-identity',
      'resumption',
      'sni-no-auth',
      'shared-sessions',
      'ocsp-control',
    ],
    tls: ['1.2', '1.3'],
    resumption: true,
    rejection: 'close',
    notes: [
      'node:tls closes a refused client without an alert (only a missing certificate gets one)',
      'per-location client authentication by TLS 1.2 renegotiation only (node:tls has no TLS 1.3 post-handshake authentication)',
      'proxy mode: /proxied/ to the echo backend with X-SSL-Client-Verify, X-SSL-Client-S-DN (RFC 4514, escaped), X-SSL-Client-Cert',
      'resumption (require): public.localhost without client authentication on the same port (SNI) and an optional endpoint, sharing the session cache and ticket keys; resumed sessions are checked again for expiry and OCSP',
    ],
  };
  const processes = await Promise.all(
    PROCESS_TARGET_NAMES.map(async (name): Promise<TargetInfo> => {
      const a = ADAPTERS[name];
      const probe = await probeAdapter(a);
      return {
        name,
        kind: 'process',
        available: probe.available,
        ...(probe.available ? { version: probe.version } : { reason: probe.reason }),
        // NOTE: run starts every adapter with a proxy mode in front of its own echo backend when proxy scenarios run.
        features: [
          ...a.capabilities.features,
          ...(a.protectedLocation ? (['per-location-auth'] as const) : []),
          ...(a.proxyIdentity ? (['proxy-identity'] as const) : []),
        ],
        tls: a.capabilities.tls,
        resumption: a.capabilities.resumption,
        rejection: a.capabilities.rejection,
        notes: a.proxyIdentity ? [...a.capabilities.notes, `proxy mode: ${a.proxyIdentity}`] : a.capabilities.notes,
        ...(a.maxConcurrency ? { maxConcurrency: a.maxConcurrency } : {}),
      };
    }),
  );
  if (options.containers === false) return [builtin, ...processes];
  const rt = await containerRuntime();
  const containers = PROCESS_TARGET_NAMES.map((name): TargetInfo => {
    const a = ADAPTERS[name];
    return {
      name: `container:${name}`,
      kind: 'container',
      available: rt.available,
      ...(rt.available ? { version: a.image } : { reason: rt.reason }),
      features: containerFeatures(a),
      tls: a.capabilities.tls,
      resumption: a.capabilities.resumption,
      rejection: a.capabilities.rejection,
      notes: [`image ${a.image}`, ...(a.capabilities.features.includes('ocsp') ? ['no OCSP in a container'] : [])],
      ...(a.maxConcurrency ? { maxConcurrency: a.maxConcurrency } : {}),
    };
  });
  return [builtin, ...processes, ...containers];
}

/** Probes in flight a target copes with (openssl s_server serves one connection at a time). */
export function maxConcurrencyOf(spec: TargetSpec, product?: string): number | undefined {
  if (spec.kind === 'process' || spec.kind === 'container') return ADAPTERS[spec.name].maxConcurrency;
  if (product && product !== 'node') return ADAPTERS[product as ProcessTargetName].maxConcurrency;
  return undefined;
}
