import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { buildSchema } from 'graphql';
import { projectRoot } from '../../src/config/paths';
import {
  addChanges,
  CONCURRENT_CASES,
  FUZZ_TEST_TIMEOUT_MS,
  FuzzTally,
  fuzzParameters,
  hostileNumber,
  hostileString,
  postChecked,
  refused,
  RowChanges,
  seedIris,
  startFuzzTarget,
  type FuzzTarget,
} from '../support/fuzz';
import { postGraphQL } from '../support/graphql-client';
import { inputValueArbitrary } from '../support/graphql-document-arbitrary';

const CREATE_MODEL = 'mutation($input: CreateModelInput!) { createModel(input: $input) { id task layers { units activation } } }';
const START_RUN =
  'mutation($input: StartTrainingRunInput!) { startTrainingRun(input: $input) { id status hyperparameters { epochs batchSize learningRate optimizer } } }';
const START_STUDY = 'mutation($input: StartOptimizationInput!) { startOptimization(input: $input) { id status } }';

/**
 * Arbitrary model definitions, training hyperparameters and optimization studies over HTTP,
 * CONCURRENT_CASES at a time: coded GraphQL errors only; a refusal stores no row and queues no job;
 * an accepted model is one row; an accepted run or study is one QUEUED run and one job (cancelled
 * at once: nothing trains here).
 */
describe('fuzzing model definitions and hyperparameters', () => {
  let target: FuzzTarget;
  const known: string[] = [];

  beforeAll(async () => {
    target = await startFuzzTarget();
    known.push(...(await seedIris(target.server.services)));
  });
  afterAll(() => target.close());

  const schema = buildSchema(readFileSync(path.join(projectRoot, 'schema.graphql'), 'utf8'));
  /** The seeded dataset's id, its version's and the model's (known once seeded: read when a case is made). */
  const seeded = (index: 0 | 1 | 2) => fc.constant(null).map(() => known[index]);
  let serial = 0;
  /** Mostly a plausible value, now and then a hostile one. */
  const plausible = <T>(value: fc.Arbitrary<T>, hostile: fc.Arbitrary<unknown> = hostileNumber) =>
    fc.oneof({ weight: 6, arbitrary: value }, { weight: 1, arbitrary: hostile });
  const layer = fc.record(
    {
      units: plausible(fc.integer({ min: 1, max: 64 })),
      activation: fc.constantFrom('RELU', 'SIGMOID', 'LINEAR', 'ELU', 'SOFTMAX', 'SELU'),
      dropout: plausible(fc.double({ min: 0, max: 0.9, noNaN: true })),
      l2: plausible(fc.double({ min: 0, max: 0.1, noNaN: true })),
    },
    { requiredKeys: ['units', 'activation'] },
  );
  const hyperparameters = fc.record(
    {
      epochs: plausible(fc.integer({ min: 1, max: 50 })),
      batchSize: plausible(fc.integer({ min: 1, max: 256 })),
      learningRate: plausible(fc.double({ min: 1e-5, max: 1, noNaN: true })),
      optimizer: fc.constantFrom('ADAM', 'SGD', 'RMSPROP', 'MOMENTUM', 'ADAGRAD'),
      seed: plausible(fc.integer({ min: 0, max: 1_000_000 })),
      split: plausible(
        fc.constantFrom({ train: 0.7, validation: 0.15, test: 0.15 }, { train: 1, validation: 0, test: 0 }, { train: 0.5, validation: 0.5, test: 0.5 }),
      ),
    },
    { requiredKeys: [] },
  );
  /** Inputs near valid ones (real ids, sizes and rates mostly in range), where the use cases' own checks are reached. */
  const nearValid = fc.oneof(
    fc
      .record({
        name: plausible(fc.constant('model'), hostileString),
        datasetId: plausible(seeded(0), hostileString),
        layers: fc.array(layer, { maxLength: 4 }),
      })
      .map((input) => ({ query: CREATE_MODEL, input: input.name === 'model' ? { ...input, name: `model-${(serial += 1)}` } : input, queues: false })),
    fc
      .record({ modelId: plausible(seeded(2), hostileString), datasetVersionId: plausible(seeded(1), hostileString), hyperparameters })
      .map((input) => ({ query: START_RUN, input, queues: true })),
  );
  const request = fc.oneof(
    nearValid,
    inputValueArbitrary(schema, 'CreateModelInput', known).map((input) => ({ query: CREATE_MODEL, input, queues: false })),
    inputValueArbitrary(schema, 'StartTrainingRunInput', known).map((input) => ({ query: START_RUN, input, queues: true })),
    inputValueArbitrary(schema, 'StartOptimizationInput', known).map((input) => ({ query: START_STUDY, input, queues: true })),
  );

  it(
    'answers with coded GraphQL errors only, and stores or queues nothing for a refusal',
    async () => {
      const tally = new FuzzTally('models-runs');
      const rows = new RowChanges(target.counter, { 'pgboss.job': 'SELECT count(*)::int FROM pgboss.job' });
      await fc.assert(
        fc.asyncProperty(fc.array(request, { minLength: CONCURRENT_CASES, maxLength: CONCURRENT_CASES }), async (cases) => {
          const { result: expected, changed } = await rows.around(() =>
            Promise.all(
              cases.map(async ({ query, input, queues }): Promise<Record<string, number>> => {
                const response = await postChecked(target.server.url, { query, variables: { input } });
                tally.note(response.body.errors);
                if (refused(response)) return {};
                if (!queues) return { models: 1 };
                const started = response.body.data!.startTrainingRun ?? response.body.data!.startOptimization;
                expect(started.status).toBe('QUEUED');
                const cancel =
                  query === START_RUN ? 'mutation($id: ID!) { cancelRun(id: $id) { status } }' : 'mutation($id: ID!) { cancelStudy(id: $id) { status } }';
                const cancelled = await postGraphQL(target.server.url, cancel, { id: started.id });
                expect(cancelled.body.errors).toBeUndefined();
                // One QUEUED run (a study is one run too) and its job; cancelled at once: nothing trains.
                return { runs: 1, 'pgboss.job': 1 };
              }),
            ),
          );
          expect(changed).toEqual(addChanges(expected));
        }),
        fuzzParameters(2000 / CONCURRENT_CASES),
      );
      tally.report(0.05);
    },
    FUZZ_TEST_TIMEOUT_MS,
  );
});
