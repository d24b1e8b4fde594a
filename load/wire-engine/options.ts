/**
 * `engine`, `groups`, `ciphers` and `sigalgs`: their validation, and the choice of engine when none is named (the
 * cheapest engine that supports the configuration: wire, unless the run needs what only node:tls does).
 */
import { GROUP_NAMES, lookupGroup, lookupSigalg, lookupSuite, SIGALG_NAMES, SUITE_NAMES } from './names.js';

/** The load engines: our own TLS client built for cost, and node:tls (the reference). */
export type LoadEngine = 'wire' | 'node';

/** The engine settings as validated. */
export interface EngineSettings {
  readonly engine: LoadEngine;
  readonly groups: readonly string[] | null;
  readonly ciphers: readonly string[] | null;
  readonly sigalgs: readonly string[] | null;
}

function list(
  name: string,
  v: unknown,
  known: (s: string) => boolean,
  expected: readonly string[],
): readonly string[] | null | Error {
  if (v === undefined) return null;
  if (!Array.isArray(v) || v.length === 0 || v.some((x) => typeof x !== 'string' || x === ''))
    return new Error(`Bad option '${name}': expected a non-empty list of names (${expected.join(', ')})`);
  const bad = (v as string[]).find((x) => !known(x));
  if (bad !== undefined)
    return new Error(`Bad option '${name}': unknown name '${bad}' (expected ${expected.join(', ')})`);
  return v as string[];
}

/**
 * Validates the engine options for a run over `versions`: returns the settings, or an Error naming the option at
 * fault. `needsNode` names what the run needs that only the node:tls engine does (--scenario probes, --http), if any.
 */
export function resolveEngine(
  o: { readonly engine?: unknown; readonly groups?: unknown; readonly ciphers?: unknown; readonly sigalgs?: unknown },
  versions: readonly ('1.2' | '1.3')[],
  needsNode: string | undefined,
): EngineSettings | Error {
  if (o.engine !== undefined && o.engine !== 'wire' && o.engine !== 'node')
    return new Error("Bad option 'engine': expected wire or node");
  const groups = list('groups', o.groups, (s) => lookupGroup(s) !== undefined, GROUP_NAMES);
  if (groups instanceof Error) return groups;
  const ciphers = list('ciphers', o.ciphers, (s) => lookupSuite(s) !== undefined, SUITE_NAMES);
  if (ciphers instanceof Error) return ciphers;
  const sigalgs = list('sigalgs', o.sigalgs, (s) => lookupSigalg(s) !== undefined, SIGALG_NAMES);
  if (sigalgs instanceof Error) return sigalgs;
  if (ciphers) {
    for (const v of versions) {
      if (!ciphers.some((c) => lookupSuite(c)!.tls === v))
        return new Error(`Option 'ciphers' names no TLS ${v} suite, and the run uses TLS ${v}`);
    }
  }
  // What keeps the wire engine out, if anything.
  const notWire =
    needsNode ??
    (groups?.some((g) => !lookupGroup(g)!.wire)
      ? `group ${groups.find((g) => !lookupGroup(g)!.wire)} (the wire engine makes X25519, P-256, P-384 and P-521 key shares)`
      : undefined);
  if (o.engine === 'wire' && notWire) return new Error(`Option 'engine' wire does not support ${notWire}`);
  const engine: LoadEngine = (o.engine as LoadEngine | undefined) ?? (notWire ? 'node' : 'wire');
  return { engine, groups, ciphers, sigalgs };
}
