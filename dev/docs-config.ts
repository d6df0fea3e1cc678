import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { configSchemaText, withGeneratedReference } from '../src/config/docs.ts';
import { VALUES_SCHEMA_PATH, valuesSchemaText } from './helm/values-schema.ts';

/**
 * `npm run docs:config`: writes config/schema.json, the generated reference section of config/README.md and the
 * Helm chart's values.schema.json (whose `config` is the same schema) from the zod schema. `--check` writes nothing and exits 1 when either file is out of date.
 */
const schemaPath = fileURLToPath(new URL('../config/schema.json', import.meta.url));
const readmePath = fileURLToPath(new URL('../config/README.md', import.meta.url));

const check = process.argv.includes('--check');
const wanted: [string, string][] = [
  [schemaPath, configSchemaText()],
  [readmePath, withGeneratedReference(readFileSync(readmePath, 'utf8'))],
  [fileURLToPath(VALUES_SCHEMA_PATH), valuesSchemaText()],
];
let stale = 0;
for (const [path, text] of wanted) {
  let current = '';
  try {
    current = readFileSync(path, 'utf8');
  } catch (err) {
    if (!(err instanceof Error && 'code' in err && err.code === 'ENOENT')) throw err;
  }
  if (current === text) continue;
  stale += 1;
  if (check) process.stderr.write(`${path} is out of date: run npm run docs:config\n`);
  else writeFileSync(path, text);
}
if (check && stale > 0) process.exitCode = 1;
