import { HarnessError } from '../core/errors.js';
import type { FixtureSet } from '../core/manifest.js';
import type { Feature, ServerPolicy } from '../core/scenario.js';
import { startBuiltinServer } from './builtin.js';
import type { StartedTarget } from './target.js';

/** Capabilities a user may declare for an external server with --capabilities. */
export const DECLARABLE_CAPABILITIES: readonly Feature[] = ['crl', 'ocsp', 'identity-policy', 'pinned-clock'];

/** A parsed --target value. */
export type TargetSpec =
  { readonly kind: 'builtin' } | { readonly kind: 'external'; readonly host: string; readonly port: number };

/** Parses `builtin` or `HOST:PORT` (`[::1]:8443` for IPv6). */
export function parseTarget(value: string | undefined): TargetSpec {
  if (value === undefined || value === 'builtin') return { kind: 'builtin' };
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s[\]]+)):(\d{1,5})$/.exec(value);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port < 1 || port > 65535) {
    throw new HarnessError(
      'MTLS_ERR_USAGE',
      `bad --target '${value}': expected builtin or HOST:PORT (e.g. 127.0.0.1:8443, [::1]:8443)`,
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
): StartedTarget {
  const stop = async () => {};
  return {
    name: `${host.includes(':') ? `[${host}]` : host}:${port}`,
    policy,
    endpoint: { host, port },
    servername,
    capabilities: new Set(capabilities),
    probe: 'http',
    logs: () => '',
    stop,
    [Symbol.asyncDispose]: stop,
  };
}

/** Starts (or wraps) the target once per policy. */
export async function startTargets(
  spec: TargetSpec,
  fixtures: FixtureSet,
  policies: readonly ServerPolicy[],
  options: { capabilities: readonly Feature[]; servername?: string },
): Promise<Partial<Record<ServerPolicy, StartedTarget>>> {
  const out: Partial<Record<ServerPolicy, StartedTarget>> = {};
  try {
    for (const policy of policies) {
      out[policy] =
        spec.kind === 'builtin'
          ? await startBuiltinServer({ fixtures, policy })
          : externalTarget(spec.host, spec.port, policy, options.capabilities, options.servername);
    }
  } catch (err) {
    await Promise.all(Object.values(out).map((t) => t?.stop()));
    throw err;
  }
  return out;
}
