#!/usr/bin/env node
import { HarnessError, isHarnessError } from '../core/errors.js';
import { sweepStaleTempDirs } from '../core/fs.js';
import { VERSION } from '../core/version.js';
import { EXIT } from './exit-codes.js';
import { installSignalHandlers, interruption, Interrupted, SIGNAL_EXIT } from './signals.js';

/** Top-level usage: examples first. */
export const USAGE = `mtls-harness ${VERSION}: proves whether a TLS server enforces client-certificate authentication.

  mtls-harness run                                  run the catalogue against the built-in server
  mtls-harness run --target 127.0.0.1:8443 --fixtures ./fixtures --policy require
  mtls-harness run --target nginx                   start a real server configured from the fixtures
  mtls-harness matrix --targets nginx,haproxy,builtin
  mtls-harness load --tls 1.3 --mode resumed --connections 8 --duration 10
  mtls-harness fixtures --out ./fixtures            generate the test PKI and manifest.json
  mtls-harness serve --fixtures ./fixtures --port 8443
  mtls-harness ocsp --fixtures ./fixtures --port 18888
  mtls-harness echo-backend --port 18080            the backend a proxy under test forwards identities to
  mtls-harness server-config --product nginx --fixtures ./fixtures   a working mTLS config for your server
  mtls-harness list                                 list the scenario catalogue

Commands: run, matrix, targets, load, merge, fixtures, serve, ocsp, echo-backend, server-config, list, schema, version. Each takes --help.
Exit status: 0 conformant, 1 non-conformant, 2 harness or usage error, 130/143/129 stopped by SIGINT/SIGTERM/SIGHUP.`;

type Command = (argv: readonly string[]) => Promise<number>;

/** Commands for which a stop signal is the normal way to end (servers): they exit with their own status. */
const STOPPED_BY_SIGNAL = new Set(['serve', 'ocsp', 'echo-backend']);

const COMMANDS: Record<string, () => Promise<Command>> = {
  fixtures: async () => (await import('./commands/fixtures.js')).fixturesCommand,
  ocsp: async () => (await import('./commands/ocsp.js')).ocspCommand,
  'echo-backend': async () => (await import('./commands/echo-backend.js')).echoBackendCommand,
  run: async () => (await import('./commands/run.js')).runCommand,
  serve: async () => (await import('./commands/serve.js')).serveCommand,
  list: async () => (await import('./commands/list.js')).listCommand,
  schema: async () => (await import('./commands/schema.js')).schemaCommand,
  load: async () => (await import('./commands/load.js')).loadCommand,
  merge: async () => (await import('./commands/merge.js')).mergeCommand,
  targets: async () => (await import('./commands/targets.js')).targetsCommand,
  matrix: async () => (await import('./commands/matrix.js')).matrixCommand,
  'server-config': async () => (await import('./commands/server-config.js')).serverConfigCommand,
};

/** Runs the CLI and returns the exit status; never throws. */
export async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  try {
    if (name === undefined) {
      console.log(USAGE);
      throw new HarnessError('MTLS_ERR_USAGE', 'no command given (commands: run, matrix, targets, load, merge, …)');
    }
    if (name === '--help' || name === '-h' || name === 'help') {
      // `help CMD` is `CMD --help`; anything more is a usage error, as for every command.
      if (rest.length > 1)
        throw new HarnessError('MTLS_ERR_USAGE', `help: expected one command name, got '${rest.join(' ')}'`);
      if (rest[0] !== undefined) {
        const command = Object.hasOwn(COMMANDS, rest[0]) ? COMMANDS[rest[0]] : undefined;
        if (!command)
          throw new HarnessError(
            'MTLS_ERR_USAGE',
            `help: unknown command '${rest[0]}' (commands: ${Object.keys(COMMANDS).join(', ')})`,
          );
        return await (
          await command()
        )(['--help']);
      }
      console.log(USAGE);
      return EXIT.OK;
    }
    if (name === 'version' || name === '--version') {
      if (rest.length > 0)
        throw new HarnessError('MTLS_ERR_USAGE', `version takes no arguments, got '${rest.join(' ')}'`);
      console.log(VERSION);
      return EXIT.OK;
    }
    const load = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
    if (!load)
      throw new HarnessError(
        'MTLS_ERR_USAGE',
        `unknown command '${name}' (commands: ${Object.keys(COMMANDS).join(', ')})`,
      );
    // A run killed by SIGKILL could not remove its temporary directory (fixtures, keys): remove those of dead PIDs.
    sweepStaleTempDirs();
    const status = await (await load())(rest);
    const sig = interruption().received;
    // NOTE: a command stopped by a signal exits 130/143 whatever it measured, so no shell or CI job reads it as a pass.
    return sig && !STOPPED_BY_SIGNAL.has(name) ? SIGNAL_EXIT[sig] : status;
  } catch (err) {
    const sig = interruption().received;
    if (err instanceof Interrupted) {
      console.error(`mtls-harness: ${err.message}`);
      return SIGNAL_EXIT[err.by];
    }
    const status = reportError(err);
    return sig ? SIGNAL_EXIT[sig] : status;
  }
}

/** Prints one line with a stable code; a stack only with MTLS_DEBUG=1. */
export function reportError(err: unknown): number {
  if (isHarnessError(err)) {
    console.error(`mtls-harness: error ${err.code}: ${oneLine(err.message)}`);
  } else {
    const message = err instanceof Error ? err.message : String(err);
    console.error(`mtls-harness: error MTLS_ERR_INTERNAL: ${message.split('\n')[0]}`);
  }
  if (process.env.MTLS_DEBUG === '1' && err instanceof Error) console.error(err.stack);
  return EXIT.ERROR;
}

/**
 * A message as one line: control characters (a newline in a flag value the message quotes) are shown escaped, so
 * the error stays the single line scripts read.
 */
export function oneLine(message: string): string {
  return message.replace(/[\u0000-\u001f\u007f]/g, (c) => JSON.stringify(c).slice(1, -1));
}

// A reader that stops early (`mtls-harness list | head`) is not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
});

// NOTE: only the composition root may end the process (STYLE.md rule 11).
installSignalHandlers();
const exitCode = await main(process.argv.slice(2));
process.exitCode = exitCode;
if (interruption().received) {
  // Stopped by a signal: everything was written and stopped; do not wait for a straggling socket or timer.
  // eslint-disable-next-line no-restricted-syntax
  process.exit(exitCode);
}
