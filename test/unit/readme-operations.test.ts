import { readFileSync } from 'node:fs';
import path from 'node:path';
import { buildSchema, parse, validate } from 'graphql';
import { projectRoot, schemaFile } from '../../src/config/paths';

/** Every ```graphql example in the README parses and validates against schema.graphql, so the examples stay true. */
describe('README GraphQL examples', () => {
  const schema = buildSchema(readFileSync(schemaFile, 'utf8'));
  const readme = readFileSync(path.join(projectRoot, 'README.md'), 'utf8');
  const blocks = [...readme.matchAll(/```graphql\n([\s\S]*?)```/g)].map((match) => match[1]);

  it('has examples', () => {
    expect(blocks.length).toBeGreaterThan(10);
  });

  it.each(blocks.map((block, index) => [index, block]))('example %i is valid against the schema', (_index, block) => {
    const errors = validate(schema, parse(block as string));
    expect(errors.map((error) => error.message)).toEqual([]);
  });
});
