// Keeps the generated schema file in step with the code: schemas/catalogue.json is the catalogue as data (what
// `mtls-harness list --json` prints). The hand-written JSON Schemas beside it are checked by the tests instead.
//   npm run schema            checks that the committed file is current (exit 1 and the command to fix it otherwise)
//   npm run schema:write      rewrites it
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { catalogueJson } from '../cli/commands/list.js';

const file = path.join(import.meta.dirname, '..', 'schemas', 'catalogue.json');
const wanted = catalogueJson();
if (process.argv.includes('--check')) {
  if (readFileSync(file, 'utf8') !== wanted) {
    console.error('schemas/catalogue.json is out of date: run npm run schema:write');
    process.exitCode = 1;
  } else console.log('schemas/catalogue.json is current');
} else {
  writeFileSync(file, wanted);
  console.log('wrote schemas/catalogue.json');
}
