import { isIP } from 'node:net';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { HarnessError } from '../core/errors.js';

type Options = NonNullable<ParseArgsConfig['options']>;

type Parsed<O extends Options> = ReturnType<typeof parseArgs<{ options: O; strict: true; allowPositionals: true }>>;

/**
 * Strict flag parsing: an unknown flag, a missing value, a stray positional argument, an empty value (`--suite=`)
 * or a flag given twice is a usage error (MTLS_ERR_USAGE), reported before any work starts.
 */
export function parseFlags<O extends Options>(
  command: string,
  argv: readonly string[],
  options: O,
): { values: Parsed<O>['values'] };
/** As {@link parseFlags}, for a command that takes positional arguments (`merge A.json B.json`). */
export function parseFlags<O extends Options>(
  command: string,
  argv: readonly string[],
  options: O,
  positionals: true,
): { values: Parsed<O>['values']; positionals: string[] };
export function parseFlags<O extends Options>(
  command: string,
  argv: readonly string[],
  options: O,
  positionals = false,
): { values: Parsed<O>['values']; positionals: string[] } {
  const usage = (message: string, cause?: unknown) =>
    new HarnessError('MTLS_ERR_USAGE', `${command}: ${message} (see: mtls-harness ${command} --help)`, { cause });
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options, strict: true, allowPositionals: positionals, tokens: true });
  } catch (cause) {
    throw usage(cause instanceof Error ? cause.message.split('\n')[0]! : String(cause), cause);
  }
  const seen = new Set<string>();
  for (const token of parsed.tokens) {
    if (token.kind !== 'option') continue;
    // NOTE: with two values the last one silently won (`--tls 1.2 --tls 1.3`); a conflict is refused instead.
    if (seen.has(token.name) && options[token.name]?.type === 'string') throw usage(`--${token.name} is given twice`);
    seen.add(token.name);
    if (token.value !== undefined && token.value.trim() === '')
      // NOTE: `--suite=` used to run everything and `--servername=` was ignored: an empty value says nothing.
      throw usage(`--${token.name} has an empty value`);
  }
  return { values: parsed.values, positionals: parsed.positionals };
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

/** A DNS name: dot-separated labels of letters, digits, `-` and `_`, at most 253 characters. */
const DNS_NAME =
  /^(?=.{1,253}$)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*\.?$/;

/** Checks `--servername`: a DNS name or an IP address, or throws MTLS_ERR_USAGE. */
export function servernameFlag(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (!DNS_NAME.test(value) && isIP(value) === 0)
    throw new HarnessError('MTLS_ERR_USAGE', `bad --servername '${value}': expected a DNS name or an IP address`);
  return value;
}

/** Checks `--host`: an IP address or a DNS name, or throws MTLS_ERR_USAGE. */
export function hostFlag(value: string): string {
  if (isIP(value) === 0 && !DNS_NAME.test(value))
    throw new HarnessError('MTLS_ERR_USAGE', `bad --host '${value}': expected an IP address or a DNS name`);
  return value;
}

/**
 * Splits a comma-separated flag value into its items, refusing empty items (`a,,b`, a trailing comma) and
 * repetitions: a list that says the same thing twice, or nothing, is a typo.
 */
export function listFlag(name: string, value: string): string[] {
  const items = value.split(',').map((v) => v.trim());
  if (items.some((v) => v === '')) throw new HarnessError('MTLS_ERR_USAGE', `bad --${name} '${value}': an empty item`);
  const twice = items.find((v, i) => items.indexOf(v) !== i);
  if (twice !== undefined)
    throw new HarnessError('MTLS_ERR_USAGE', `bad --${name} '${value}': '${twice}' is named twice`);
  return items;
}

/** The per-probe (per-handshake) timeout of every command that connects, in milliseconds (issue 11: one default). */
export const DEFAULT_TIMEOUT_MS = 5000;

/** `--format LIST` and its alias `--json` (= `--format json`), for every command that writes or prints reports. */
export const FORMAT_FLAGS = {
  format: { type: 'string' },
  json: { type: 'boolean' },
} as const;

/**
 * Parses `--format LIST` (comma-separated, whitespace and empty items ignored, duplicates dropped, order kept) against
 * the formats a command knows, with `--json` as an alias of `--format json`. `single`: the command prints one format
 * to standard output (`list`, `targets`), so a list of several is refused. Throws MTLS_ERR_USAGE naming the value:
 * an unknown format, an empty list, or `--json` beside a `--format` that says something else.
 */
export function formatFlag<F extends string>(
  values: { format?: string | undefined; json?: boolean | undefined },
  allowed: readonly F[],
  fallback: readonly F[],
  opts: { single?: boolean } = {},
): F[] {
  const expected = opts.single
    ? `expected one of ${allowed.join(', ')}`
    : `expected a comma-separated list of ${allowed.join(', ')}`;
  if (values.format === undefined) return values.json ? ['json' as F] : [...fallback];
  const formats: F[] = [];
  for (const raw of values.format.split(',')) {
    const name = raw.trim();
    if (name === '') continue;
    if (!(allowed as readonly string[]).includes(name))
      throw new HarnessError('MTLS_ERR_USAGE', `Bad value '${name}' in '--format' argument: ${expected}`);
    if (!formats.includes(name as F)) formats.push(name as F);
  }
  if (formats.length === 0) throw new HarnessError('MTLS_ERR_USAGE', `Empty '--format' argument: ${expected}`);
  if (opts.single && formats.length > 1)
    throw new HarnessError(
      'MTLS_ERR_USAGE',
      `bad --format '${values.format}': this command prints one format to standard output, ${expected}`,
    );
  // NOTE: `--json --format json` says one thing twice and is accepted; `--json --format html` says two things.
  if (values.json && (formats.length !== 1 || formats[0] !== 'json'))
    throw new HarnessError(
      'MTLS_ERR_USAGE',
      `--json is --format json: it contradicts --format '${values.format}' (give one of them)`,
    );
  return formats;
}

/** Column at which flag descriptions start in every command's help. */
const HELP_COLUMN = 31;

/**
 * One line of a command's flag list: the flag, then its description at a fixed column (on the next line when the
 * flag is too long), so every command's help lists its flags the same way.
 */
export function helpRow(flag: string, description: string): string {
  const head = `  ${flag}`;
  return head.length < HELP_COLUMN - 1
    ? `${head.padEnd(HELP_COLUMN)}${description}`
    : `${head}\n${' '.repeat(HELP_COLUMN)}${description}`;
}

/**
 * The help lines of `--format` and `--json`: the formats a command knows and its default, spelled the same in every
 * command.
 */
export function formatHelp(allowed: readonly string[], fallback: string): string {
  return [
    allowed.length > 2
      ? helpRow('--format LIST', `${allowed.join(',')} (default ${fallback})`)
      : helpRow(`--format ${allowed.join('|')}`, `what to print (default ${fallback})`),
    helpRow('--json', 'the same as --format json'),
  ].join('\n');
}

/**
 * The help lines of `--quiet`, `--verbose` and `--color`, spelled the same in every reporting command (run, matrix,
 * load, merge); `verbose` says what that command adds.
 */
export function outputHelp(verbose: string): string {
  return [
    helpRow('--quiet', 'only the verdict line, and errors'),
    helpRow('--verbose', verbose),
    helpRow('--color auto|always|never', 'ANSI colour (default auto: a terminal, and NO_COLOR unset)'),
  ].join('\n');
}

/** The help line of `--timeout MS`, with the one default every command shares. */
export function timeoutHelp(what: string): string {
  return helpRow('--timeout MS', `${what} (default ${DEFAULT_TIMEOUT_MS})`);
}
