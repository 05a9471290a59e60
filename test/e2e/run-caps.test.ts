import { postGraphQL, type GraphQLResponseBody } from '../support/graphql-client';
import { fixtureCsv } from '../support/fixtures';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { startTestServer, type TestServer } from '../support/test-server';

/** No worker runs here: started runs stay QUEUED, which is what the cap counts. */
describe('caps on runs and studies', () => {
  let db: TestDatabase;
  let server: TestServer;
  let modelId: string;
  let datasetVersionId: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    server = await startTestServer({ databaseUrl: db.url, env: { MLPLANE_MAX_ACTIVE_RUNS_PER_CLIENT: '2', MLPLANE_MAX_STUDY_TRIAL_EPOCHS: '100' } });
    const { version } = await server.services.datasets.createDataset({ name: 'bc', csv: fixtureCsv('breast_cancer'), labelColumn: 'benign' });
    modelId = (await server.services.models.createModel({ name: 'bc-model', datasetId: version.datasetId, layers: [{ units: 4, activation: 'relu' }] })).id;
    datasetVersionId = version.id;
  }, 60_000);

  afterAll(async () => {
    await server.close();
    await db.drop();
  });

  const as = async (user: string, query: string, variables?: Record<string, unknown>): Promise<GraphQLResponseBody> =>
    (await postGraphQL(server.url, query, variables, await server.headersFor(user))).body;
  const startRun = (user: string) =>
    as(user, 'mutation($input: StartTrainingRunInput!) { startTrainingRun(input: $input) { id status startedBy } }', {
      input: { modelId, datasetVersionId, hyperparameters: { epochs: 1 } },
    });
  const startStudy = (
    user: string,
    maxTrials: number,
    epochs: number,
    searchSpace: unknown[] = [{ name: 'learningRate', kind: 'CHOICE', values: [0.01, 0.05] }],
  ) =>
    as(user, 'mutation($input: StartOptimizationInput!) { startOptimization(input: $input) { id run { startedBy } } }', {
      input: {
        modelId,
        datasetVersionId,
        objective: { metric: 'loss', direction: 'MINIMIZE' },
        searchSpace,
        strategy: 'RANDOM',
        maxTrials,
        baseHyperparameters: { epochs },
      },
    });

  it('refuses a run beyond the queued-or-running cap of its principal, records who started each run, and admits again once one ends', async () => {
    const first = await startRun('alice');
    expect(first.data!.startTrainingRun).toMatchObject({ status: 'QUEUED', startedBy: 'alice' });
    expect((await startRun('alice')).errors).toBeUndefined();
    const third = await startRun('alice');
    expect(third.errors![0]).toMatchObject({ extensions: { code: 'RATE_LIMITED' } });
    expect(third.errors![0].message).toBe(
      'alice has 2 runs queued or running, the most allowed (MLPLANE_MAX_ACTIVE_RUNS_PER_CLIENT); wait for one to finish or cancel one',
    );
    expect(await server.services.training.listRuns({}, { first: 10 })).toMatchObject({ totalCount: 2 });

    expect((await startRun('bob')).data!.startTrainingRun.startedBy).toBe('bob');
    // A study counts as one run of its principal.
    expect((await startStudy('alice', 2, 5)).errors![0].extensions!.code).toBe('RATE_LIMITED');

    await as('alice', `mutation { cancelRun(id: "${first.data!.startTrainingRun.id}") { status } }`);
    expect((await startRun('alice')).errors).toBeUndefined();
  });

  it('refuses a study whose maxTrials x epochs is above the cap, naming the field, and stores nothing', async () => {
    const before = (await server.services.training.listRuns({ kind: 'OPTIMIZATION' }, { first: 10 })).totalCount;
    const tooLong = await startStudy('carol', 20, 10);
    expect(tooLong.errors![0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field: 'input.maxTrials' } });
    expect(tooLong.errors![0].message).toBe(
      'maxTrials x epochs is 20 x 10 = 200, above the limit of 100 (MLPLANE_MAX_STUDY_TRIAL_EPOCHS); run fewer trials or fewer epochs',
    );
    const searchedEpochs = await startStudy('carol', 5, 10, [{ name: 'epochs', kind: 'INT_RANGE', low: 5, high: 50 }]);
    expect(searchedEpochs.errors![0].message).toContain('5 x 50 = 250');
    expect((await server.services.training.listRuns({ kind: 'OPTIMIZATION' }, { first: 10 })).totalCount).toBe(before);

    const fits = await startStudy('carol', 10, 10);
    expect(fits.errors).toBeUndefined();
    expect(fits.data!.startOptimization.run.startedBy).toBe('carol');
  });
});
