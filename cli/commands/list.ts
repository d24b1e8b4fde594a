import { HarnessError } from '../../core/errors.js';
import { ALL_POLICIES, type Scenario } from '../../core/scenario.js';
import { catalogue, CATALOGUE_VERSION } from '../../suites/index.js';
import { globMatcher, selectScenarios } from '../../engine/select.js';
import { FORMAT_FLAGS, formatFlag, formatHelp, helpRow, listFlag, parseFlags } from '../args.js';
import { EXIT } from '../exit-codes.js';

/** The catalogue as portable JSON (the shape of schemas/catalogue.json). */
export function catalogueJson(): string {
  return JSON.stringify({ version: CATALOGUE_VERSION, scenarios: catalogue() }, null, 2) + '\n';
}

/** Usage of `mtls-harness list`. */
export const LIST_USAGE = `List the scenario catalogue.

  mtls-harness list
  mtls-harness list --suite 'revocation::*'
  mtls-harness list --json > catalogue.json

Flags:
${helpRow('--suite GLOB[,GLOB]', "scenario ids to list, e.g. 'validity::*' (console only)")}
${formatHelp(['console', 'json'], 'console')}

json is the whole catalogue as portable JSON (the shape of schemas/catalogue.json); it takes no --suite. Exit
status: 0, or 2 for a usage error or a --suite that matches nothing.`;

/** `mtls-harness list`: the scenario catalogue as a table or JSON. */
export async function listCommand(argv: readonly string[]): Promise<number> {
  const { values } = parseFlags('list', argv, {
    ...FORMAT_FLAGS,
    suite: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    console.log(LIST_USAGE);
    return EXIT.OK;
  }
  const [format] = formatFlag(values, ['console', 'json'] as const, ['console'], { single: true });
  if (format === 'json' && values.suite !== undefined)
    throw new HarnessError(
      'MTLS_ERR_USAGE',
      `list: ${values.json ? '--json' : '--format json'} prints the whole catalogue (schemas/catalogue.json); it takes no --suite`,
    );
  if (format === 'json') {
    process.stdout.write(catalogueJson());
    return EXIT.OK;
  }
  if (values.suite !== undefined) listFlag('suite', values.suite);
  const rows = selectScenarios(catalogue(), ALL_POLICIES, values.suite);
  // NOTE: selectScenarios keeps the sanity scenarios whatever the glob says, so emptiness is judged on the glob.
  const match = values.suite === undefined ? undefined : globMatcher(values.suite);
  if (match && !rows.some((s) => match(s.id) || match(s.id.slice(s.policy.length + 2))))
    throw new HarnessError(
      'MTLS_ERR_SUITE_EMPTY',
      `--suite '${values.suite}' matches no scenario (list them all with: mtls-harness list)`,
    );
  const width = Math.max(...rows.map((s) => s.id.length));
  console.log(`catalogue version ${CATALOGUE_VERSION}: ${rows.length} scenarios`);
  for (const s of rows) {
    const expect = s.expect.eitherDecision
      ? 'either'
      : s.expect.decision === 'accept'
        ? 'accept'
        : `reject ${s.expect.alerts[0]}`;
    const extra = [
      s.fixture ?? '(no certificate)',
      ...(s.tls ? [`TLS ${s.tls.join('/')}`] : []),
      ...s.requires.map((r) => `needs ${r}`),
    ];
    console.log(`${s.id.padEnd(width)}  ${expect.padEnd(32)}  ${extra.join(', ')}`);
  }
  for (const line of topicCounts(rows)) console.log(line);
  return EXIT.OK;
}

/**
 * The count per topic of the listed scenarios: distinct conditions (a template counted once, whatever the policies
 * it is bound to) and scenarios (one per policy), then the total of distinct conditions.
 */
export function topicCounts(rows: readonly Scenario[]): string[] {
  const topics = new Map<string, { conditions: Set<string>; scenarios: number }>();
  for (const s of rows) {
    const [, topic = '', ...name] = s.id.split('::');
    const entry = topics.get(topic) ?? { conditions: new Set<string>(), scenarios: 0 };
    entry.conditions.add(name.join('::'));
    entry.scenarios += 1;
    topics.set(topic, entry);
  }
  const width = Math.max(5, ...[...topics.keys()].map((t) => t.length));
  const total = [...topics.values()].reduce((n, t) => n + t.conditions.size, 0);
  return [
    '',
    `${'topic'.padEnd(width)}  conditions  scenarios`,
    ...[...topics].map(
      ([topic, t]) =>
        `${topic.padEnd(width)}  ${String(t.conditions.size).padStart(10)}  ${String(t.scenarios).padStart(9)}`,
    ),
    `distinct conditions: ${total} (a scenario bound to several policies counts once)`,
  ];
}
