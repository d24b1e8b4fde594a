import { readFileSync } from 'node:fs';
import path from 'node:path';
import { HarnessError } from '../../core/errors.js';
import { packageRoot } from '../../core/package-root.js';
import { parseFlags } from '../args.js';
import { EXIT } from '../exit-codes.js';
import { catalogueJson } from './list.js';

const SCHEMAS = ['manifest', 'results', 'load-results', 'catalogue'] as const;

/** Usage of `mtls-harness schema`. */
export const SCHEMA_USAGE = `Print a committed JSON Schema (or the catalogue as JSON), for other tools to validate our files.

  mtls-harness schema results > results.schema.json       the results.json of run
  mtls-harness schema load-results                         the results.json of load and merge
  mtls-harness schema manifest                             the fixtures' manifest.json
  mtls-harness schema catalogue                            every scenario, as data

Exit status: 0, or 2 for an unknown schema name.`;

/** `mtls-harness schema manifest|results|load-results|catalogue`: prints a committed JSON Schema, or the catalogue JSON. */
export async function schemaCommand(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseFlags('schema', argv, { help: { type: 'boolean', short: 'h' } }, true);
  if (values.help) {
    console.log(SCHEMA_USAGE);
    return EXIT.OK;
  }
  const [name, ...extra] = positionals;
  if (!name || !(SCHEMAS as readonly string[]).includes(name) || extra.length > 0) {
    throw new HarnessError(
      'MTLS_ERR_USAGE',
      `schema: expected one of ${SCHEMAS.join(', ')}${name ? `, got '${positionals.join(' ')}'` : ''}`,
    );
  }
  if (name === 'catalogue') process.stdout.write(catalogueJson());
  else process.stdout.write(readFileSync(path.join(packageRoot(), 'schemas', `${name}.schema.json`), 'utf8'));
  return EXIT.OK;
}
