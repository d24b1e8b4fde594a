/**
 * The CLI side of `--engine`, `--groups`, `--ciphers` and `--sigalgs`: comma lists checked name by name, so a bad
 * value fails with one line naming the flag (MTLS_ERR_USAGE) before any work.
 */
import { HarnessError } from '../../core/errors.js';
import { GROUP_NAMES, lookupGroup, lookupSigalg, lookupSuite, SIGALG_NAMES, SUITE_NAMES } from './names.js';
import type { LoadEngine } from './options.js';

function listFlag(
  name: string,
  value: string | undefined,
  known: (s: string) => boolean,
  expected: readonly string[],
): string[] | undefined {
  if (value === undefined) return undefined;
  const items = value.split(',').map((s) => s.trim());
  const bad = items.find((s) => s === '' || !known(s));
  if (bad !== undefined)
    throw new HarnessError(
      'MTLS_ERR_USAGE',
      `bad --${name} '${value}': ${bad === '' ? 'an empty name' : `unknown name '${bad}'`} (expected a comma list of ${expected.join(', ')})`,
    );
  return items;
}

/** The load options of the engine flags (only those given). */
export function engineFlags(values: {
  readonly engine?: string | undefined;
  readonly groups?: string | undefined;
  readonly ciphers?: string | undefined;
  readonly sigalgs?: string | undefined;
}): { engine?: LoadEngine; groups?: string[]; ciphers?: string[]; sigalgs?: string[] } {
  if (values.engine !== undefined && values.engine !== 'wire' && values.engine !== 'node')
    throw new HarnessError('MTLS_ERR_USAGE', `bad --engine '${values.engine}': expected one of wire, node`);
  const groups = listFlag('groups', values.groups, (s) => lookupGroup(s) !== undefined, GROUP_NAMES);
  const ciphers = listFlag('ciphers', values.ciphers, (s) => lookupSuite(s) !== undefined, SUITE_NAMES);
  const sigalgs = listFlag('sigalgs', values.sigalgs, (s) => lookupSigalg(s) !== undefined, SIGALG_NAMES);
  return {
    ...(values.engine !== undefined ? { engine: values.engine as LoadEngine } : {}),
    ...(groups ? { groups } : {}),
    ...(ciphers ? { ciphers } : {}),
    ...(sigalgs ? { sigalgs } : {}),
  };
}
