import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { buildSchema } from 'graphql';
import { projectRoot } from '../../src/config/paths';
import { FUZZ_TEST_TIMEOUT_MS, fuzzParameters, postChecked, refused, rowCounts, seedIris, startFuzzTarget, type FuzzTarget } from '../support/fuzz';
import { postGraphQL } from '../support/graphql-client';
import { inputValueArbitrary } from '../support/graphql-document-arbitrary';

const CREATE_MODEL = 'mutation($input: CreateModelInput!) { createModel(input: $input) { id task architecture } }';
const START_RUN = 'mutation($input: StartTrainingRunInput!) { startTrainingRun(input: $input) { id status hyperparameters { epochs batchSize learningRate optimizer } } }';
const START_STUDY = 'mutation($input: StartOptimizationInput!) { startOptimization(input: $input) { id status } }';

/**
 * Arbitrary model definitions, training hyperparameters and optimization studies over HTTP: coded
 * GraphQL errors only; a refusal stores no row and queues no job; an accepted run or study is one
 * QUEUED run and one job (cancelled at once: nothing trains here).
 */
describe('fuzzing model definitions and hyperparameters', () => {
  let target: FuzzTarget;
  const known: string[] = [];

  const jobCount = async (): Promise<number> => (await target.counter.query<{ n: number }>('SELECT count(*)::int AS n FROM pgboss.job')).rows[0].n;

  beforeAll(async () => {
    target = await startFuzzTarget();
    known.push(...(await seedIris(target.server.services)));
  });
  afterAll(() => target.close());

  const schema = buildSchema(readFileSync(path.join(projectRoot, 'schema.graphql'), 'utf8'));
  const request = fc.oneof(
    inputValueArbitrary(schema, 'CreateModelInput', known).map((input) => ({ query: CREATE_MODEL, input, queues: false })),
    inputValueArbitrary(schema, 'StartTrainingRunInput', known).map((input) => ({ query: START_RUN, input, queues: true })),
    inputValueArbitrary(schema, 'StartOptimizationInput', known).map((input) => ({ query: START_STUDY, input, queues: true })),
  );

  it('answers with coded GraphQL errors only, and stores or queues nothing for a refusal', async () => {
    const { server, counter } = target;
    await fc.assert(
      fc.asyncProperty(request, async ({ query, input, queues }) => {
        const before = { rows: await rowCounts(counter), jobs: await jobCount() };
        const response = await postChecked(server.url, { query, variables: { input } });
        const after = { rows: await rowCounts(counter), jobs: await jobCount() };
        if (refused(response)) {
          expect(after).toEqual(before);
          return;
        }
        if (!queues) {
          expect(after.rows.models - before.rows.models).toBe(1);
          return;
        }
        const started = response.body.data!.startTrainingRun ?? response.body.data!.startOptimization;
        expect(started.status).toBe('QUEUED');
        expect([after.rows.runs - before.rows.runs, after.jobs - before.jobs]).toEqual([1, 1]);
        const cancel = query === START_RUN ? 'mutation($id: ID!) { cancelRun(id: $id) { status } }' : 'mutation($id: ID!) { cancelStudy(id: $id) { status } }';
        const cancelled = await postGraphQL(server.url, cancel, { id: started.id });
        expect(cancelled.body.errors).toBeUndefined();
      }),
      fuzzParameters(800),
    );
  }, FUZZ_TEST_TIMEOUT_MS);
});
