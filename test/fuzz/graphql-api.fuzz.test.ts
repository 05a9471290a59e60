import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { buildSchema } from 'graphql';
import { projectRoot } from '../../src/config/paths';
import { FUZZ_TEST_TIMEOUT_MS, fuzzParameters, postChecked, refused, rowCounts, seedIris, startFuzzTarget, type FuzzTarget } from '../support/fuzz';
import { graphqlRequestArbitrary } from '../support/graphql-document-arbitrary';
import { postGraphQL } from '../support/graphql-client';

/**
 * Arbitrary documents and variables built from schema.graphql, sent over HTTP to a real server:
 * every answer is a GraphQL error list with codes from the closed set (or data), never a 500 or a
 * stack trace; the server keeps answering; a refused mutation leaves every table's row count as it was.
 */
describe('fuzzing GraphQL documents and variables', () => {
  let target: FuzzTarget;
  const known: string[] = [];

  beforeAll(async () => {
    target = await startFuzzTarget();
    known.push(...(await seedIris(target.server.services)));
  });
  afterAll(() => target.close());

  it('answers with coded GraphQL errors only, and a refused mutation changes no row', async () => {
    const { server, counter } = target;
    const schema = buildSchema(readFileSync(path.join(projectRoot, 'schema.graphql'), 'utf8'));
    await fc.assert(
      fc.asyncProperty(graphqlRequestArbitrary(schema, known), async (request) => {
        const before = request.operation === 'mutation' ? await rowCounts(counter) : undefined;
        const response = await postChecked(server.url, request);
        if (before && refused(response)) expect(await rowCounts(counter)).toEqual(before);
      }),
      fuzzParameters(1200),
    );
    const health = await postGraphQL(server.url, '{ health { database } }');
    expect(health.status).toBe(200);
    expect(health.body.data?.health.database).toBe('UP');
  }, FUZZ_TEST_TIMEOUT_MS);
});
