import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { buildSchema } from 'graphql';
import { projectRoot } from '../../src/config/paths';
import { FUZZ_TEST_TIMEOUT_MS, FuzzTally, fuzzParameters, postChecked, refused, RowChanges, seedIris, startFuzzTarget, type FuzzTarget } from '../support/fuzz';
import { graphqlRequestArbitrary } from '../support/graphql-document-arbitrary';
import { postGraphQL } from '../support/graphql-client';

/**
 * Arbitrary documents and variables built from schema.graphql, sent over HTTP to a real server:
 * every answer is a GraphQL error list with codes from the closed set (or data), never a 500 or a
 * stack trace; the server keeps answering; a query, or a refused mutation, leaves every table's row
 * count as it was.
 */
describe('fuzzing GraphQL documents and variables', () => {
  let target: FuzzTarget;
  const known: string[] = [];

  beforeAll(async () => {
    target = await startFuzzTarget();
    known.push(...(await seedIris(target.server.services)));
  });
  afterAll(() => target.close());

  it(
    'answers with coded GraphQL errors only, and a query or a refused mutation changes no row',
    async () => {
      const { server, counter } = target;
      const schema = buildSchema(readFileSync(path.join(projectRoot, 'schema.graphql'), 'utf8'));
      const tally = new FuzzTally('graphql-api');
      const rows = new RowChanges(counter);
      await fc.assert(
        fc.asyncProperty(graphqlRequestArbitrary(schema, known), async (request) => {
          const { result: response, changed } = await rows.around(() => postChecked(server.url, request));
          tally.note(response.body.errors);
          // What an accepted mutation changes depends on the mutation: only refusals and reads are held to "nothing".
          if (request.operation !== 'mutation' || refused(response)) expect(changed).toEqual({});
        }),
        fuzzParameters(2000),
      );
      tally.report(0.05);
      const health = await postGraphQL(server.url, '{ health { database } }');
      expect(health.status).toBe(200);
      expect(health.body.data?.health.database).toBe('UP');
    },
    FUZZ_TEST_TIMEOUT_MS,
  );
});
