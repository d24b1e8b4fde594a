import { readFileSync } from 'node:fs';
import path from 'node:path';
import { HarnessError } from '../../core/errors.js';
import { packageRoot } from '../../core/package-root.js';
import { parseFlags } from '../args.js';
import { EXIT } from '../exit-codes.js';
import { catalogueJson } from './list.js';

const SCHEMAS = ['manifest', 'results', 'load-results', 'catalogue'] as const;

/** `mtls-harness schema manifest|results|load-results|catalogue`: prints a committed JSON Schema, or the catalogue JSON. */
export async function schemaCommand(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  parseFlags('schema', rest, {});
  if (!name || !(SCHEMAS as readonly string[]).includes(name)) {
    throw new HarnessError('MTLS_ERR_USAGE', `schema: expected one of ${SCHEMAS.join(', ')}`);
  }
  if (name === 'catalogue') process.stdout.write(catalogueJson());
  else process.stdout.write(readFileSync(path.join(packageRoot(), 'schemas', `${name}.schema.json`), 'utf8'));
  return EXIT.OK;
}
