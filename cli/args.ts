import { parseArgs, type ParseArgsConfig } from 'node:util';
import { HarnessError } from '../core/errors.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * Strict flag parsing: an unknown flag, a missing value or a stray positional argument is a usage error
 * (MTLS_ERR_USAGE), reported before any work starts.
 */
export function parseFlags<O extends Options>(
  command: string,
  argv: readonly string[],
  options: O,
): { values: ReturnType<typeof parseArgs<{ options: O; strict: true; allowPositionals: false }>>['values'] } {
  try {
    return parseArgs({ args: [...argv], options, strict: true, allowPositionals: false });
  } catch (cause) {
    const message = cause instanceof Error ? cause.message.split('\n')[0] : String(cause);
    throw new HarnessError('MTLS_ERR_USAGE', `${command}: ${message} (see: mtls-harness ${command} --help)`, { cause });
  }
}

/** Parses a non-negative integer flag (port 0 allowed), or throws MTLS_ERR_USAGE naming the flag. */
export function intFlag(
  name: string,
  value: string | undefined,
  fallback: number,
  min = 0,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new HarnessError('MTLS_ERR_USAGE', `bad --${name} '${value}': expected an integer from ${min} to ${max}`);
  }
  return Number(value);
}

/** Checks a flag against a set of allowed values. */
export function enumFlag<T extends string>(
  name: string,
  value: string | undefined,
  allowed: readonly T[],
  fallback: T,
): T {
  if (value === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(value)) {
    throw new HarnessError('MTLS_ERR_USAGE', `bad --${name} '${value}': expected one of ${allowed.join(', ')}`);
  }
  return value as T;
}

/** The output flags every reporting command shares: `--color`, `--no-color`, `--quiet`, `--verbose`. */
export const OUTPUT_FLAGS = {
  color: { type: 'string' },
  'no-color': { type: 'boolean' },
  quiet: { type: 'boolean' },
  verbose: { type: 'boolean' },
} as const;

/**
 * Whether to colour the terminal output: `--color always|never|auto` (auto: standard output is a terminal and
 * `NO_COLOR` is not set to a non-empty value, per no-color.org); `--no-color` is `--color never`.
 */
export function colorFlag(values: { color?: string | undefined; 'no-color'?: boolean | undefined }): boolean {
  const mode = enumFlag('color', values.color, ['auto', 'always', 'never'] as const, 'auto');
  if (values['no-color'] || mode === 'never') return false;
  if (mode === 'always') return true;
  return process.stdout.isTTY === true && !process.env.NO_COLOR;
}

/** `--quiet` and `--verbose` exclude each other. */
export function verbosityFlag(values: { quiet?: boolean | undefined; verbose?: boolean | undefined }): {
  quiet: boolean;
  verbose: boolean;
} {
  if (values.quiet && values.verbose)
    throw new HarnessError('MTLS_ERR_USAGE', '--quiet and --verbose exclude each other');
  return { quiet: values.quiet === true, verbose: values.verbose === true };
}
