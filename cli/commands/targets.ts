import { describeTargets, type TargetInfo } from '../../targets/registry.js';
import { FORMAT_FLAGS, formatFlag, formatHelp, parseFlags } from '../args.js';
import { EXIT } from '../exit-codes.js';

/** Usage of `mtls-harness targets`. */
export const TARGETS_USAGE = `List the servers the harness can start, whether each is available here, its version and capabilities.

  mtls-harness targets
  mtls-harness targets --json

Flags:
${formatHelp(['console', 'json'], 'console')}

Missing servers: install them with scripts/install-targets.sh (Debian packages). Container targets need the optional
package testcontainers (npm i testcontainers@11) and a Docker engine. Exit status: 0.`;

function row(t: TargetInfo): string {
  const state = t.available ? `available    ${t.version ?? ''}` : `unavailable  ${t.reason ?? ''}`;
  const caps = [
    t.features.length ? t.features.join(',') : 'no revocation',
    `TLS ${t.tls.join('/')}`,
    t.resumption ? 'resumption' : 'no resumption',
    `rejects by ${t.rejection}`,
  ].join('; ');
  return `${t.name.padEnd(26)} ${state}\n${' '.repeat(27)}${caps}${t.notes.map((n) => `\n${' '.repeat(27)}- ${n}`).join('')}`;
}

/** `mtls-harness targets`. */
export async function targetsCommand(argv: readonly string[]): Promise<number> {
  const { values } = parseFlags('targets', argv, {
    ...FORMAT_FLAGS,
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    console.log(TARGETS_USAGE);
    return EXIT.OK;
  }
  const [format] = formatFlag(values, ['console', 'json'] as const, ['console'], { single: true });
  const targets = await describeTargets();
  if (format === 'json') {
    console.log(JSON.stringify(targets, null, 2));
    return EXIT.OK;
  }
  console.log(targets.map(row).join('\n'));
  const missing = targets.filter((t) => t.kind === 'process' && !t.available);
  if (missing.length)
    console.log(`\nInstall missing servers with: scripts/install-targets.sh (as root, Debian/Ubuntu)`);
  return EXIT.OK;
}
