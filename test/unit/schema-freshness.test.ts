import { readFileSync } from 'node:fs';
import { schemaFile } from '../../src/config/paths';
import { printMlplaneSchema } from '../../src/graphql/schema';

describe('schema.graphql', () => {
  it('is exactly what the code emits (run `npm run schema:emit` after changing the schema)', async () => {
    expect(readFileSync(schemaFile, 'utf8')).toBe(await printMlplaneSchema());
  });
});
