import { HarnessError } from '../../core/errors.js';
import { ALL_POLICIES } from '../../core/scenario.js';
import { catalogue, CATALOGUE_VERSION } from '../../suites/index.js';
import { globMatcher, selectScenarios } from '../../engine/select.js';
import { listFlag, parseFlags } from '../args.js';
import { EXIT } from '../exit-codes.js';

/** The catalogue as portable JSON (the shape of schemas/catalogue.json). */
export function catalogueJson(): string {
  return JSON.stringify({ version: CATALOGUE_VERSION, scenarios: catalogue() }, null, 2) + '\n';
}

/** `mtls-harness list`: the scenario catalogue as a table or JSON. */
export async function listCommand(argv: readonly string[]): Promise<number> {
  const { values } = parseFlags('list', argv, {
    json: { type: 'boolean' },
    suite: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    console.log(
      'List the scenario catalogue.\n\n  mtls-harness list\n  mtls-harness list --suite "revocation::*"\n  mtls-harness list --json > catalogue.json',
    );
    return EXIT.OK;
  }
  if (values.json && values.suite !== undefined)
    throw new HarnessError(
      'MTLS_ERR_USAGE',
      'list: --json prints the whole catalogue (schemas/catalogue.json); it takes no --suite',
    );
  if (values.json) {
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
  return EXIT.OK;
}
