import fc from 'fast-check';
import { createPrismaClient } from '../../src/infra/db/prisma-client';
import {
  addChanges,
  CONCURRENT_CASES,
  FUZZ_TEST_TIMEOUT_MS,
  FuzzTally,
  fuzzParameters,
  hostileJson,
  hostileNumber,
  hostileString,
  postChecked,
  refused,
  RowChanges,
  startFuzzTarget,
  type FuzzTarget,
} from '../support/fuzz';
import { trainVersions } from '../support/trained-version';

const PREDICT = 'mutation($input: PredictInput!) { predict(input: $input) { requestKey predictions { id label value probabilities { label probability } } } }';
const EXPLAIN = 'query($input: ExplainPredictionInput!) { explainPrediction(input: $input) { output baselineOutput attributions { feature attribution } } }';
const ACTUALS = 'mutation($input: RecordActualsInput!) { recordActuals(input: $input) { recorded } }';

/** 90 rows: two numeric features, one categorical, a binary label that depends on them. */
function mixedCsv(): string {
  const colors = ['red', 'green', 'blue'];
  const lines = ['x,y,color,label'];
  for (let i = 0; i < 90; i += 1) {
    const x = ((i * 37) % 100) / 10;
    const y = ((i * 53) % 100) / 20;
    const color = colors[i % 3];
    lines.push(`${x},${y},${color},${x + (color === 'red' ? 2 : 0) > 5 ? 'yes' : 'no'}`);
  }
  return `${lines.join('\n')}\n`;
}

const featureValue = fc.oneof(hostileNumber, hostileString, fc.constantFrom('red', 'green', 'blue', null), hostileJson);

/** Mostly a value the feature could have, now and then any hostile one. */
const plausible = (value: fc.Arbitrary<unknown>) => fc.oneof({ weight: 8, arbitrary: value }, { weight: 1, arbitrary: featureValue });
const plausibleNumber = plausible(fc.double({ min: -100, max: 100, noNaN: true }));

/** Instances of the right shape with plausible or hostile values, with keys missing or extra, or not objects at all. */
const instance = fc.oneof(
  { weight: 6, arbitrary: fc.record({ x: plausibleNumber, y: plausibleNumber, color: plausible(fc.constantFrom('red', 'green', 'blue')) }) },
  { weight: 2, arbitrary: fc.record({ x: featureValue, y: featureValue, color: featureValue }, { requiredKeys: ['x', 'y', 'color'] }) },
  { weight: 2, arbitrary: fc.record({ x: featureValue, y: featureValue, color: featureValue, label: featureValue }, { requiredKeys: [] }) },
  { weight: 1, arbitrary: fc.dictionary(hostileString, featureValue, { maxKeys: 5 }) },
  { weight: 1, arbitrary: hostileJson },
);

/** One value in the typed form: a number goes in `number`, a string in `category`, null in neither, anything else in `number` (GraphQL refuses it). */
function typedValue(feature: string, value: unknown): Record<string, unknown> {
  if (value === null) return { feature };
  return typeof value === 'string' ? { feature, category: value } : { feature, number: value };
}

const featureName = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('x', 'y', 'color') },
  { weight: 1, arbitrary: fc.constantFrom('label', '__proto__', 'constructor') },
  { weight: 1, arbitrary: hostileString },
);

/** Typed instances (`InstanceInput`): the right features with plausible or hostile values, or features repeated, missing, unknown, given both a number and a category. */
const typedInstance = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .record({ x: plausibleNumber, y: plausibleNumber, color: plausible(fc.constantFrom('red', 'green', 'blue')) })
      .map((values) => ({ values: Object.entries(values).map(([feature, value]) => typedValue(feature, value)) })),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      values: fc.array(
        fc.record(
          { feature: featureName, number: plausibleNumber, category: plausible(fc.constantFrom('red', 'green', 'blue')) },
          { requiredKeys: ['feature'] },
        ),
        { maxLength: 5 },
      ),
    }),
  },
  { weight: 1, arbitrary: hostileJson },
);

const deploymentName = fc.oneof({ weight: 6, arbitrary: fc.constant('fuzz') }, { weight: 1, arbitrary: hostileString });
const requestKey = fc.oneof(
  { weight: 3, arbitrary: fc.constant(undefined) },
  { weight: 1, arbitrary: fc.string({ maxLength: 20 }) },
  { weight: 1, arbitrary: hostileString },
);

const request = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .record({
        deployment: deploymentName,
        instances: fc.oneof({ weight: 6, arbitrary: fc.array(instance, { maxLength: 4 }) }, { weight: 1, arbitrary: hostileJson }),
        requestKey,
      })
      .map((input) => ({ query: PREDICT, input, logs: true })),
  },
  {
    weight: 3,
    arbitrary: fc
      .record(
        {
          deployment: deploymentName,
          features: fc.oneof({ weight: 6, arbitrary: fc.array(typedInstance, { maxLength: 4 }) }, { weight: 1, arbitrary: hostileJson }),
          // Now and then the deprecated form as well, which is refused.
          instances: fc.oneof({ weight: 9, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.array(instance, { maxLength: 2 }) }),
          requestKey,
        },
        { requiredKeys: ['deployment', 'features'] },
      )
      .map((input) => ({ query: PREDICT, input, logs: true })),
  },
  {
    weight: 1,
    arbitrary: fc
      .record({ deployment: deploymentName, features: typedInstance, requestKey, classLabel: fc.option(hostileString, { nil: undefined }) })
      .map((input) => ({ query: EXPLAIN, input, logs: false })),
  },
  {
    weight: 2,
    arbitrary: fc
      .record({ deployment: deploymentName, instance, requestKey, classLabel: fc.option(hostileString, { nil: undefined }) })
      .map((input) => ({ query: EXPLAIN, input, logs: false })),
  },
  {
    weight: 1,
    arbitrary: fc
      .record({
        deployment: deploymentName,
        actuals: fc.array(
          fc.record(
            {
              actual: hostileJson,
              label: hostileString,
              value: hostileNumber,
              requestKey,
              predictionId: fc.option(hostileString, { nil: undefined }),
            },
            { requiredKeys: [] },
          ),
          { maxLength: 4 },
        ),
      })
      .map((input) => ({ query: ACTUALS, input, logs: false })),
  },
);

/**
 * Arbitrary instances (and explanations, and actuals) sent to a deployed model over HTTP,
 * CONCURRENT_CASES at a time: coded GraphQL errors only, never a 500 or a stack trace; a refused
 * request changes no row; an accepted predict logs exactly one prediction per instance.
 */
describe('fuzzing predict instances against a deployed model', () => {
  let target: FuzzTarget;

  beforeAll(async () => {
    target = await startFuzzTarget();
    const prisma = createPrismaClient(target.db.url, 2);
    const services = target.server.services;
    const trained = await trainVersions(prisma, services, { name: 'mixed', csv: mixedCsv(), labelColumn: 'label', seeds: [1], epochs: 2 });
    await prisma.$disconnect();
    await services.deployments.deployModel({ name: 'fuzz', modelVersionId: trained.versionIds[0] }, 'test');
  }, 120_000);
  afterAll(() => target.close());

  it(
    'answers with coded GraphQL errors only, and logs predictions only for accepted instances',
    async () => {
      const tally = new FuzzTally('predict');
      const rows = new RowChanges(target.counter);
      await fc.assert(
        fc.asyncProperty(fc.array(request, { minLength: CONCURRENT_CASES, maxLength: CONCURRENT_CASES }), async (cases) => {
          const { result: expected, changed } = await rows.around(() =>
            Promise.all(
              cases.map(async ({ query, input, logs }): Promise<Record<string, number>> => {
                const response = await postChecked(target.server.url, { query, variables: { input } });
                tally.note(response.body.errors);
                // An accepted predict logs one prediction per instance; explanations and actuals add no row.
                const { features, instances } = input as { features?: unknown[]; instances?: unknown[] };
                return refused(response) || !logs ? {} : { predictions: (features ?? instances ?? []).length };
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
