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
    const errors = validate(schema, parse(block));
    expect(errors.map((error) => error.message)).toEqual([]);
  });

  it('sends the API key in every curl example that calls the server', () => {
    // One command per line once backslash continuations are joined.
    const commands = readme
      .replace(/\\\n\s*/g, ' ')
      .split('\n')
      .flatMap((line) => line.match(/curl [^`]*/g) ?? []);
    const calls = commands.filter((command) => /https?:\/\/127\.0\.0\.1:4000\//.test(command));
    expect(calls.length).toBeGreaterThanOrEqual(3);
    expect(calls.filter((command) => !/-H "Authorization: Bearer \$/.test(command))).toEqual([]);
  });
});
