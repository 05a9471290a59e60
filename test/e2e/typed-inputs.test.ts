import { createPrismaClient, type PrismaClient } from '../../src/infra/db/prisma-client';
import { postGraphQL, type GraphQLResponseBody } from '../support/graphql-client';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { startTestServer, type TestServer } from '../support/test-server';
import { trainVersions, type TrainedVersions } from '../support/trained-version';

const PREDICT = 'mutation($input: PredictInput!) { predict(input: $input) { predictions { id label probabilities { label probability } value } } }';
const EXPLAIN =
  'query($input: ExplainPredictionInput!) { explainPrediction(input: $input) { label output baselineOutput attributions { feature attribution } } }';
const RECORD = 'mutation($input: RecordActualsInput!) { recordActuals(input: $input) { recorded } }';
const START = 'mutation($input: StartOptimizationInput!) { startOptimization(input: $input) { id searchSpace { name kind values optimizers } } }';

const CITIES = ['paris', 'lyon', 'nice'];

/** `rows` rows of two numeric features and a categorical one, with a class label (`kind`) or a numeric target. */
function csv(kind: 'class' | 'target', rows = 90): string {
  const lines = ['width,height,city,label'];
  for (let i = 0; i < rows; i++) {
    const width = (i * 7) % 13;
    const height = (i * 5) % 11;
    const city = CITIES[i % 3];
    const label = kind === 'class' ? (width + height + (city === 'paris' ? 3 : 0) > 11 ? 'yes' : 'no') : (width * 1.5 + height + i / 10).toFixed(2);
    lines.push(`${width},${height},${city},${label}`);
  }
  return lines.join('\n');
}

type JsonInstance = Record<string, number | string | null>;

/** An instance in the typed form: one FeatureValueInput per key, in the object's order. */
function typed(instance: JsonInstance): { values: { feature: string; number?: number; category?: string }[] } {
  return {
    values: Object.entries(instance).map(([feature, value]) =>
      value === null ? { feature } : typeof value === 'number' ? { feature, number: value } : { feature, category: value },
    ),
  };
}

/** The typed inputs beside their deprecated JSON forms, through the real HTTP server. */
describe('typed inputs: features, label/value and numbers/optimizers beside their deprecated JSON forms', () => {
  let db: TestDatabase;
  let prisma: PrismaClient;
  let server: TestServer;
  let classifier: TrainedVersions;
  const instances: JsonInstance[] = [
    { width: 3, height: 8, city: 'paris' },
    { width: 11, height: null, city: 'nice' },
    { width: 0, height: 2, city: null },
  ];

  beforeAll(async () => {
    db = await createTestDatabase();
    prisma = createPrismaClient(db.url, 2);
    server = await startTestServer({ databaseUrl: db.url });
    classifier = await trainVersions(prisma, server.services, { name: 'cities', csv: csv('class'), labelColumn: 'label', seeds: [1], epochs: 3 });
    const regressor = await trainVersions(prisma, server.services, { name: 'prices', csv: csv('target'), labelColumn: 'label', seeds: [1], epochs: 3 });
    await server.services.deployments.deployModel({ name: 'cities', modelVersionId: classifier.versionIds[0] }, 'test');
    await server.services.deployments.deployModel({ name: 'prices', modelVersionId: regressor.versionIds[0] }, 'test');
  }, 120_000);

  afterAll(async () => {
    await server.close();
    await prisma.$disconnect();
    await db.drop();
  });

  const gql = async (query: string, input: Record<string, unknown>): Promise<GraphQLResponseBody> => (await postGraphQL(server.url, query, { input })).body;
  const refusal = (body: GraphQLResponseBody) => {
    expect(body.data).toBeNull();
    return body.errors![0];
  };

  it('predict: features give the answers instances give, and both are logged', async () => {
    const fromJson = await gql(PREDICT, { deployment: 'cities', instances });
    const fromTyped = await gql(PREDICT, { deployment: 'cities', features: instances.map(typed) });
    expect(fromJson.errors).toBeUndefined();
    expect(fromTyped.errors).toBeUndefined();
    const answers = (body: GraphQLResponseBody) => body.data!.predict.predictions.map(({ id: _id, ...answer }: { id: string }) => answer);
    expect(answers(fromTyped)).toEqual(answers(fromJson));
    expect(answers(fromTyped)).toHaveLength(3);
    const ids = fromTyped.data!.predict.predictions.map((p: { id: string }) => p.id);
    expect(await prisma.prediction.count({ where: { id: { in: ids } } })).toBe(3);
  });

  it('predict: a bad typed instance reports every problem with its path, and nothing is logged', async () => {
    const before = await prisma.prediction.count();
    const bad = await gql(PREDICT, {
      deployment: 'cities',
      features: [
        typed(instances[0]),
        { values: [...typed(instances[0]).values, { feature: 'colour', category: 'red' }] },
        {
          values: [
            { feature: 'width', category: 'wide' },
            { feature: 'city', category: 'paris' },
          ],
        },
        { values: [...typed(instances[0]).values, { feature: 'width', number: 4 }] },
        {
          values: [
            { feature: 'width', number: 1, category: 'one' },
            { feature: 'height', number: 2 },
            { feature: 'city', category: 'paris' },
          ],
        },
      ],
    });
    const error = refusal(bad);
    expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT' });
    const fields = (error.extensions!.errors as { field: string; index: number }[]).map(({ field, index }) => [index, field]);
    expect(fields).toEqual([
      [1, 'input.features[1].values[3].feature'],
      [2, 'input.features[2].values[0].category'],
      [2, 'input.features[2].values'],
      [3, 'input.features[3].values[3].feature'],
      [4, 'input.features[4].values[0]'],
    ]);
    const messages = (error.extensions!.errors as { message: string }[]).map((problem) => problem.message);
    expect(messages[0]).toContain('"colour" is not a feature');
    expect(messages[1]).toContain('"width" of instance 2 must be a finite number');
    expect(messages[2]).toContain('lacks feature "height"');
    expect(messages[3]).toContain('"width" is given twice');
    expect(messages[4]).toContain('both a number and a category');
    // A category never seen in training (reported once every value has its kind) names the value it came in.
    const unseen = refusal(await gql(PREDICT, { deployment: 'cities', features: [typed(instances[0]), typed({ ...instances[0], city: 'rome' })] }));
    expect(unseen.extensions).toMatchObject({ code: 'BAD_USER_INPUT', index: 1, column: 'city', field: 'input.features[1].values[2].category' });
    expect(await prisma.prediction.count()).toBe(before);
  });

  it('predict: both forms, or neither, are refused naming both fields', async () => {
    for (const input of [{ deployment: 'cities', instances, features: instances.map(typed) }, { deployment: 'cities' }]) {
      const error = refusal(await gql(PREDICT, input));
      expect(error.message).toBe('give exactly one of features and instances (deprecated)');
      expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.features' });
    }
  });

  it('explainPrediction: features explain as instance does; bad, both or no forms are refused with their paths', async () => {
    const fromJson = await gql(EXPLAIN, { deployment: 'cities', instance: instances[0] });
    const fromTyped = await gql(EXPLAIN, { deployment: 'cities', features: typed(instances[0]) });
    expect(fromJson.errors).toBeUndefined();
    expect(fromTyped.data).toEqual(fromJson.data);

    const unknown = { values: [...typed(instances[0]).values.slice(0, 2), { feature: 'city', number: 3 }, { feature: 'colour', category: 'red' }] };
    const bad = refusal(await gql(EXPLAIN, { deployment: 'cities', features: unknown }));
    expect((bad.extensions!.errors as { field: string }[]).map((problem) => problem.field)).toEqual([
      'input.features.values[3].feature',
      'input.features.values[2].number',
    ]);
    const illTyped = refusal(
      await gql(EXPLAIN, {
        deployment: 'cities',
        features: {
          values: [
            { feature: 'width', category: 'wide' },
            { feature: 'city', category: 'paris' },
          ],
        },
      }),
    );
    expect((illTyped.extensions!.errors as { field: string }[]).map((problem) => problem.field)).toEqual([
      'input.features.values[0].category',
      'input.features.values',
    ]);

    for (const input of [{ deployment: 'cities', instance: instances[0], features: typed(instances[0]) }, { deployment: 'cities' }]) {
      const error = refusal(await gql(EXPLAIN, input));
      expect(error.message).toBe('give exactly one of features and instance (deprecated)');
      expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.features' });
    }
  });

  it('recordActuals: label and value record what actual records; bad, both or no forms are refused naming the field', async () => {
    const predictions = async (deployment: string, count: number): Promise<string[]> => {
      const body = await gql(PREDICT, { deployment, features: Array.from({ length: count }, () => typed(instances[0])) });
      return body.data!.predict.predictions.map((p: { id: string }) => p.id);
    };
    const [c1, c2, c3] = await predictions('cities', 3);
    const recorded = await gql(RECORD, {
      deployment: 'cities',
      actuals: [
        { predictionId: c1, label: 'yes' },
        { predictionId: c2, actual: 'yes' },
      ],
    });
    expect(recorded.data).toEqual({ recordActuals: { recorded: 2 } });
    const [r1, r2] = await predictions('prices', 2);
    expect(
      (
        await gql(RECORD, {
          deployment: 'prices',
          actuals: [
            { predictionId: r1, value: 12.5 },
            { predictionId: r2, actual: 12.5 },
          ],
        })
      ).data,
    ).toEqual({
      recordActuals: { recorded: 2 },
    });
    const stored = await prisma.prediction.findMany({ where: { id: { in: [c1, c2, r1, r2] } }, select: { id: true, actual: true } });
    expect(Object.fromEntries(stored.map((row) => [row.id, row.actual]))).toEqual({ [c1]: 'yes', [c2]: 'yes', [r1]: 12.5, [r2]: 12.5 });

    const unknownClass = refusal(await gql(RECORD, { deployment: 'cities', actuals: [{ predictionId: c3, label: 'maybe' }] }));
    expect(unknownClass.extensions).toMatchObject({ code: 'BAD_USER_INPUT', index: 0, field: 'input.actuals[0].label' });
    const labelForRegression = refusal(await gql(RECORD, { deployment: 'prices', actuals: [{ predictionId: r1, label: 'high' }] }));
    expect(labelForRegression.extensions).toMatchObject({ code: 'BAD_USER_INPUT', index: 0, field: 'input.actuals[0].label' });

    const forms = refusal(
      await gql(RECORD, {
        deployment: 'cities',
        actuals: [{ predictionId: c3, label: 'yes', actual: 'yes' }, { predictionId: c3, label: 'no' }, { predictionId: c3 }],
      }),
    );
    expect(forms.extensions!.errors).toEqual([
      { message: 'actual 0: give exactly one of label, value and actual (deprecated)', field: 'input.actuals[0]', index: 0 },
      { message: 'actual 2: give exactly one of label, value and actual (deprecated)', field: 'input.actuals[2]', index: 2 },
    ]);
    expect((await prisma.prediction.findUnique({ where: { id: c3 } }))!.actual).toBeNull();
  });

  it('startOptimization: numbers and optimizers give the search space values gives; bad, both or no forms are refused with their paths', async () => {
    const start = (searchSpace: unknown[]) =>
      gql(START, {
        modelId: classifier.modelId,
        datasetVersionId: classifier.datasetVersionId,
        objective: { metric: 'loss', direction: 'MINIMIZE' },
        searchSpace,
        strategy: 'GRID',
        maxTrials: 4,
        baseHyperparameters: { epochs: 1, backend: 'CPU' },
      });
    const fromJson = await start([
      { name: 'batchSize', kind: 'CHOICE', values: [16, 32] },
      { name: 'optimizer', kind: 'CHOICE', values: ['ADAM', 'SGD'] },
    ]);
    const fromTyped = await start([
      { name: 'batchSize', kind: 'CHOICE', numbers: [16, 32] },
      { name: 'optimizer', kind: 'CHOICE', optimizers: ['ADAM', 'SGD'] },
    ]);
    expect(fromJson.errors).toBeUndefined();
    expect(fromTyped.errors).toBeUndefined();
    expect(fromTyped.data!.startOptimization.searchSpace).toEqual(fromJson.data!.startOptimization.searchSpace);
    expect(fromTyped.data!.startOptimization.searchSpace).toEqual([
      { name: 'batchSize', kind: 'CHOICE', values: [16, 32], optimizers: null },
      { name: 'optimizer', kind: 'CHOICE', values: null, optimizers: ['ADAM', 'SGD'] },
    ]);

    // A CHOICE's errors name the field its values came in.
    const fractional = refusal(await start([{ name: 'batchSize', kind: 'CHOICE', numbers: [16, 16.5] }]));
    expect(fractional).toMatchObject({
      message: 'input.searchSpace.batchSize.numbers[1] must be an integer from 1 to 1,000,000, got 16.5',
      extensions: { code: 'BAD_USER_INPUT', field: 'input.searchSpace.batchSize.numbers[1]' },
    });
    const notChoice = refusal(await start([{ name: 'learningRate', kind: 'UNIFORM', low: 0.01, high: 0.1, gridPoints: 2, numbers: [0.1] }]));
    expect(notChoice).toMatchObject({
      message: 'input.searchSpace.learningRate.numbers is not used by UNIFORM',
      extensions: { field: 'input.searchSpace.learningRate.numbers' },
    });
    const optimizerNumbers = refusal(await start([{ name: 'optimizer', kind: 'CHOICE', numbers: [1] }]));
    expect(optimizerNumbers.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.searchSpace.optimizer.numbers[0]' });

    const forms = refusal(
      await start([
        { name: 'batchSize', kind: 'CHOICE', numbers: [16], values: [16] },
        { name: 'epochs', kind: 'CHOICE' },
        { name: 'optimizer', kind: 'CHOICE', optimizers: ['ADAM'] },
      ]),
    );
    expect((forms.extensions!.errors as { field: string }[]).map((problem) => problem.field)).toEqual(['input.searchSpace[0]', 'input.searchSpace[1]']);
    expect(forms.message).toContain('exactly one of numbers, optimizers and values (deprecated)');
  });
});
