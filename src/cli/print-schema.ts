/** `npm run schema`: prints the schema from the code into schema.graphql (sorted); `--check` fails if it is stale. */
import { printSchema } from 'graphql';
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { schema } from '../schema/index.js';

const target = fileURLToPath(new URL('../../schema.graphql', import.meta.url));
const printed = `${printSchema(schema)}\n`;

if (process.argv.includes('--check')) {
  const committed = await readFile(target, 'utf8').catch(() => '');
  if (committed !== printed) {
    console.error('schema.graphql is not current: run `npm run schema` and commit it.');
    process.exitCode = 1;
  } else {
    console.log('schema.graphql is current.');
  }
} else {
  await writeFile(target, printed);
  console.log('Wrote schema.graphql');
}
