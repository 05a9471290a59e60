import { randomUUID } from 'node:crypto';
import type { Prisma } from '../../src/generated/prisma/client';
import { createPrismaClient, type PrismaClient } from '../../src/infra/db/prisma-client';
import { evaluatePredictions } from '../../src/ml/metrics/evaluate-predictions';
import type { RunStore } from '../../src/services/runs/run-store';
import { connectWsClient, postGraphQL, type GraphQLResponseBody, type WsSubscription, type WsTestClient } from '../support/graphql-client';
import { fixtureCsv } from '../support/fixtures';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { startTestServer, type TestServer } from '../support/test-server';
import { trainVersions } from '../support/trained-version';
import { sleep, waitFor } from '../support/wait-for';

/*
 * Runs and model versions through a real API server (HTTP and graphql-ws) on a real database.
 * No worker runs here: a run's life is driven through the real RunStore with a made-up worker id,
 * which writes and announces exactly what a worker's executor does.
 */

const WORKER = 'test-worker-1';
/** A stored preprocessing with a feature of each type (what ModelVersion.preprocessing returns typed). */
const PREPROCESSED_FEATURES = [
  { name: 'petal_length_cm', type: 'NUMERIC', offset: 0, mean: 3.75, scale: 1.76 },
  { name: 'region', type: 'CATEGORICAL', offset: 1, categories: ['north', 'south', 'west'] },
];

const RUN_PROGRESS = `subscription($runId: ID!, $afterEpoch: Int) {
  runProgress(runId: $runId, afterEpoch: $afterEpoch) {
    type status runId
    epoch { epoch train { loss accuracy mae rmse } validation { loss accuracy } elapsedMs epochMs samplesPerSecond recordedAt }
    run { id status }
  }
}`;

const START = `mutation($input: StartTrainingRunInput!) {
  startTrainingRun(input: $input) {
    id kind status attempts cancelRequested createdAt startedAt finishedAt error summary { epochsRun stopReason } warnings { code message }
    model { id } datasetVersion { id }
    hyperparameters { epochs batchSize optimizer learningRate loss split { train validation test } seed
      earlyStopping { monitor patience minDelta restoreBestWeights } classWeights { class weight } backend }
  }
}`;

type Event = { type: string; status: string; epoch: number | null };

/** Reads a runProgress subscription until it completes (or `until` says stop), as compact events. */
async function collect(subscription: WsSubscription, until: (event: Event) => boolean = () => false): Promise<{ events: Event[]; completed: boolean }> {
  const events: Event[] = [];
  for (;;) {
    const result = await subscription.next(10_000);
    if (result === undefined) return { events, completed: true };
    if (result.errors) throw new Error(JSON.stringify(result.errors));
    const progress = result.data!.runProgress;
    const event = { type: progress.type, status: progress.status, epoch: progress.epoch?.epoch ?? null };
    events.push(event);
    if (until(event)) return { events, completed: false };
  }
}

const epochsOf = (events: Event[]): number[] => events.flatMap((event) => (event.type === 'EPOCH' && event.epoch !== null ? [event.epoch] : []));
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('runs and model versions over HTTP and graphql-ws', () => {
  let db: TestDatabase;
  let server: TestServer;
  let ws: WsTestClient;
  let prisma: PrismaClient;
  let store: RunStore;
  let datasetVersionId: string;
  let modelId: string;
  let otherModelId: string;

  const gql = async (query: string, variables?: Record<string, unknown>, headers?: Record<string, string>): Promise<GraphQLResponseBody> =>
    (await postGraphQL(server.url, query, variables, headers)).body;

  async function startRun(hyperparameters: Record<string, unknown> = { epochs: 5 }, model = modelId): Promise<string> {
    const result = await gql(START, { input: { modelId: model, datasetVersionId, hyperparameters } });
    expect(result.errors).toBeUndefined();
    return result.data!.startTrainingRun.id;
  }

  /** Epoch metrics as the training job stores them (flat, with val_ forms). */
  async function recordEpoch(runId: string, epoch: number): Promise<void> {
    const stored = await store.recordEpoch({
      runId,
      workerId: WORKER,
      epoch,
      metrics: { loss: 1 / epoch, accuracy: 0.5 + epoch / 100, val_loss: 1.5 / epoch, val_accuracy: 0.4 + epoch / 100 },
      elapsedMs: 10 * epoch,
      epochMs: 10,
      samplesPerSecond: 1000 + epoch,
    });
    expect(stored).toBe(true);
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    server = await startTestServer({ databaseUrl: db.url });
    ws = await connectWsClient(server.url);
    prisma = createPrismaClient(db.url, 2);
    store = server.services.runStore;
    const dataset = await gql(
      `mutation($csv: String!) { createDataset(input: { name: "iris", csv: $csv, labelColumn: "species" }) { dataset { id } version { id } } }`,
      { csv: fixtureCsv('iris') },
    );
    expect(dataset.errors).toBeUndefined();
    datasetVersionId = dataset.data!.createDataset.version.id;
    const createModel = async (name: string) => {
      const result = await gql(
        `mutation($datasetId: ID!, $name: String!) { createModel(input: { name: $name, datasetId: $datasetId, layers: [{ units: 8, activation: RELU }] }) { id } }`,
        { datasetId: dataset.data!.createDataset.dataset.id, name },
      );
      expect(result.errors).toBeUndefined();
      return result.data!.createModel.id as string;
    };
    modelId = await createModel('iris-mlp');
    otherModelId = await createModel('iris-other');
  });

  afterAll(async () => {
    await ws.close();
    await server.close();
    await prisma.$disconnect();
    await db.drop();
  });

  describe('startTrainingRun', () => {
    it('queues a run with the hyperparameters completed by their defaults', async () => {
      const result = await gql(START, { input: { modelId, datasetVersionId } });
      expect(result.errors).toBeUndefined();
      const run = result.data!.startTrainingRun;
      expect(run).toMatchObject({
        kind: 'TRAINING',
        status: 'QUEUED',
        attempts: 0,
        cancelRequested: false,
        startedAt: null,
        finishedAt: null,
        error: null,
        summary: null,
        model: { id: modelId },
        datasetVersion: { id: datasetVersionId },
        hyperparameters: {
          epochs: 10,
          batchSize: 32,
          optimizer: 'ADAM',
          learningRate: 0.001,
          loss: 'CATEGORICAL_CROSSENTROPY',
          split: { train: 0.7, validation: 0.15, test: 0.15 },
          earlyStopping: null,
          classWeights: null,
          backend: 'AUTO',
        },
      });
      expect(Number.isInteger(run.hyperparameters.seed)).toBe(true);
      // iris' 105 training rows in batches of 32 for 10 epochs: 40 gradient steps, and the run says so.
      expect(run.warnings).toEqual([
        {
          code: 'FEW_GRADIENT_STEPS',
          message:
            "these settings give 40 gradient steps (10 epochs x 4 batches of up to 32 of 105 training rows), fewer than 100: the model is likely to underfit; raise epochs or lower batchSize (Keras' defaults: 10 epochs, batches of 32)",
        },
      ]);
      const enough = await gql(START, { input: { modelId, datasetVersionId, hyperparameters: { epochs: 25 } } });
      expect(enough.data!.startTrainingRun.warnings).toEqual([]);
    });

    it('keeps what was given: optimizer, mini-batches, split and seed, early stopping, class weights, backend', async () => {
      const result = await gql(START, {
        input: {
          modelId,
          datasetVersionId,
          hyperparameters: {
            epochs: 7,
            batchSize: 16,
            optimizer: 'MOMENTUM',
            learningRate: 0.05,
            split: { train: 0.6, validation: 0.2, test: 0.2 },
            seed: 42,
            earlyStopping: { monitor: 'VAL_ACCURACY', patience: 2 },
            classWeights: [
              { class: 'virginica', weight: 2 },
              { class: 'setosa', weight: 0.5 },
            ],
            backend: 'CPU',
          },
        },
      });
      expect(result.errors).toBeUndefined();
      expect(result.data!.startTrainingRun.hyperparameters).toEqual({
        epochs: 7,
        batchSize: 16,
        optimizer: 'MOMENTUM',
        learningRate: 0.05,
        loss: 'CATEGORICAL_CROSSENTROPY',
        split: { train: 0.6, validation: 0.2, test: 0.2 },
        seed: 42,
        earlyStopping: { monitor: 'VAL_ACCURACY', patience: 2, minDelta: 0, restoreBestWeights: true },
        // In the order of the dataset version's label classes.
        classWeights: [
          { class: 'setosa', weight: 0.5 },
          { class: 'virginica', weight: 2 },
        ],
        backend: 'CPU',
      });
    });

    it.each([
      ['a batch size of 0', { batchSize: 0 }, 'input.hyperparameters.batchSize'],
      ['0 epochs', { epochs: 0 }, 'input.hyperparameters.epochs'],
      ['a negative learning rate', { learningRate: -0.1 }, 'input.hyperparameters.learningRate'],
      ['a split that does not sum to 1', { split: { train: 0.5, validation: 0.2, test: 0.2 } }, 'input.hyperparameters.split'],
      ['a regression loss for a classifier', { loss: 'HUBER' }, 'input.hyperparameters.loss'],
      ['binary cross-entropy for a multiclass model', { loss: 'BINARY_CROSSENTROPY' }, 'input.hyperparameters.loss'],
      ['a regression monitor on a classifier', { earlyStopping: { monitor: 'VAL_MAE' } }, 'input.hyperparameters.earlyStopping.monitor'],
      [
        'a validation monitor without a validation split',
        { split: { train: 0.8, validation: 0, test: 0.2 }, earlyStopping: { monitor: 'VAL_LOSS' } },
        'input.hyperparameters.earlyStopping.monitor',
      ],
      ['a negative patience', { earlyStopping: { monitor: 'LOSS', patience: -1 } }, 'input.hyperparameters.earlyStopping.patience'],
      ['a class that is not a label', { classWeights: [{ class: 'rose', weight: 1 }] }, 'input.hyperparameters.classWeights[0].class'],
      [
        'a zero class weight',
        {
          classWeights: [
            { class: 'setosa', weight: 1 },
            { class: 'versicolor', weight: 0 },
          ],
        },
        'input.hyperparameters.classWeights[1].weight',
      ],
    ])('rejects %s with BAD_USER_INPUT at the field', async (_case, hyperparameters, field) => {
      const result = await gql(START, { input: { modelId, datasetVersionId, hyperparameters } });
      expect(result.data).toBeNull();
      expect(result.errors![0].extensions).toMatchObject({
        code: 'BAD_USER_INPUT',
        field: expect.stringMatching(new RegExp(`^${field.replace(/[[\].]/g, '\\$&')}`)),
      });
    });

    it('lists every bad setting of one request, each at its field', async () => {
      const result = await gql(START, {
        input: {
          modelId,
          datasetVersionId,
          hyperparameters: { epochs: 0, loss: 'MEAN_ABSOLUTE_ERROR', split: { train: 0.8, validation: 0, test: 0.2 }, earlyStopping: { monitor: 'VAL_LOSS' } },
        },
      });
      expect(result.errors).toHaveLength(1);
      expect(result.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.hyperparameters.epochs' });
      expect((result.errors![0].extensions!.errors as Array<{ field: string }>).map((error) => error.field)).toEqual([
        'input.hyperparameters.epochs',
        'input.hyperparameters.loss',
        'input.hyperparameters.earlyStopping.monitor',
      ]);
      expect(await prisma.run.count({ where: { modelId, hyperparameters: { path: ['epochs'], equals: 0 } } })).toBe(0);
    });

    it('accepts a split without test or validation rows', async () => {
      const result = await gql(START, {
        input: { modelId, datasetVersionId, hyperparameters: { split: { train: 1, validation: 0, test: 0 }, earlyStopping: { monitor: 'LOSS' } } },
      });
      expect(result.errors).toBeUndefined();
      expect(result.data!.startTrainingRun.hyperparameters.split).toEqual({ train: 1, validation: 0, test: 0 });
    });

    it('names the unknown model or dataset version with NOT_FOUND', async () => {
      const model = await gql(START, { input: { modelId: randomUUID(), datasetVersionId } });
      expect(model.errors![0].extensions).toMatchObject({ code: 'NOT_FOUND', field: 'input.modelId' });
      const version = await gql(START, { input: { modelId, datasetVersionId: randomUUID() } });
      expect(version.errors![0].extensions).toMatchObject({ code: 'NOT_FOUND', field: 'input.datasetVersionId' });
    });
  });

  describe('cancelRun', () => {
    it('cancels a queued run at once, and cancelling it again changes nothing', async () => {
      const runId = await startRun();
      const first = await gql(`mutation($id: ID!) { cancelRun(id: $id) { id status finishedAt cancelRequested } }`, { id: runId });
      expect(first.errors).toBeUndefined();
      expect(first.data!.cancelRun).toMatchObject({ id: runId, status: 'CANCELLED', cancelRequested: false });
      expect(first.data!.cancelRun.finishedAt).not.toBeNull();
      const again = await gql(`mutation($id: ID!) { cancelRun(id: $id) { status finishedAt } }`, { id: runId });
      expect(again.data!.cancelRun).toEqual({ status: 'CANCELLED', finishedAt: first.data!.cancelRun.finishedAt });
      expect(await store.claimRun(runId, WORKER)).toBeNull();
    });

    it('flags a running run for its worker, and refuses a finished one with INVALID_STATE', async () => {
      const runId = await startRun();
      await store.claimRun(runId, WORKER);
      const requested = await gql(`mutation($id: ID!) { cancelRun(id: $id) { status cancelRequested } }`, { id: runId });
      expect(requested.data!.cancelRun).toEqual({ status: 'RUNNING', cancelRequested: true });
      await store.finishRun(runId, 'CANCELLED', { workerId: WORKER });

      const succeeded = await startRun();
      await store.claimRun(succeeded, WORKER);
      await store.finishRun(succeeded, 'SUCCEEDED', { workerId: WORKER });
      const refused = await gql(`mutation($id: ID!) { cancelRun(id: $id) { status } }`, { id: succeeded });
      expect(refused.errors![0].extensions).toMatchObject({ code: 'INVALID_STATE' });
    });

    it('answers NOT_FOUND for an unknown run', async () => {
      for (const id of [randomUUID(), 'not-a-uuid']) {
        const result = await gql(`mutation($id: ID!) { cancelRun(id: $id) { id } }`, { id });
        expect(result.errors![0].extensions).toMatchObject({ code: 'NOT_FOUND' });
      }
    });
  });

  describe('queries', () => {
    it('serves a run with its epochs, metric history and lineage, and null for an unknown id', async () => {
      const runId = await startRun({ epochs: 3 });
      await store.claimRun(runId, WORKER);
      for (const epoch of [1, 2, 3]) await recordEpoch(runId, epoch);
      await store.finishRun(runId, 'SUCCEEDED', { workerId: WORKER, summary: { epochsRun: 3, stopReason: 'COMPLETED' } });
      const result = await gql(
        `query($id: ID!) { run(id: $id) {
          status attempts startedAt finishedAt summary { epochsRun stopReason } modelVersion { id }
          epochs(afterEpoch: 1) { totalCount edges { node { epoch train { loss accuracy mae rmse } validation { loss accuracy } elapsedMs epochMs samplesPerSecond } } }
          all: epochs { totalCount edges { node { epoch } } }
          firstTwo: epochs(first: 2) { pageInfo { hasNextPage hasPreviousPage endCursor } edges { cursor node { epoch } } }
          lastOne: epochs(last: 1) { pageInfo { hasNextPage hasPreviousPage } edges { node { epoch } } }
          valLoss: metrics(name: "val_loss") { totalCount edges { node { epoch value recordedAt } } }
          rmse: metrics(name: "rmse") { totalCount edges { node { epoch } } }
        } }`,
        { id: runId },
      );
      expect(result.errors).toBeUndefined();
      const run = result.data!.run;
      const nodesOf = (connection: { edges: { node: unknown }[] }) => connection.edges.map((edge) => edge.node);
      expect(run).toMatchObject({
        status: 'SUCCEEDED',
        attempts: 1,
        summary: { epochsRun: 3, stopReason: 'COMPLETED' },
        modelVersion: null,
        rmse: { totalCount: 0, edges: [] },
      });
      expect(run.all).toEqual({ totalCount: 3, edges: [{ node: { epoch: 1 } }, { node: { epoch: 2 } }, { node: { epoch: 3 } }] });
      expect(nodesOf(run.firstTwo)).toEqual([{ epoch: 1 }, { epoch: 2 }]);
      expect(run.firstTwo.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
      expect(run.lastOne).toMatchObject({ pageInfo: { hasNextPage: false, hasPreviousPage: true }, edges: [{ node: { epoch: 3 } }] });
      const rest = await gql(
        `query($id: ID!, $after: String) { run(id: $id) { epochs(first: 2, after: $after) { pageInfo { hasNextPage hasPreviousPage } edges { node { epoch } } } } }`,
        {
          id: runId,
          after: run.firstTwo.pageInfo.endCursor,
        },
      );
      expect(rest.data!.run.epochs).toEqual({ pageInfo: { hasNextPage: false, hasPreviousPage: true }, edges: [{ node: { epoch: 3 } }] });
      expect(run.epochs.totalCount).toBe(2);
      expect(nodesOf(run.epochs)).toEqual([
        // The values recordEpoch stored for epochs 2 and 3.
        {
          epoch: 2,
          train: { loss: 1 / 2, accuracy: 0.5 + 2 / 100, mae: null, rmse: null },
          validation: { loss: 1.5 / 2, accuracy: 0.4 + 2 / 100 },
          elapsedMs: 20,
          epochMs: 10,
          samplesPerSecond: 1002,
        },
        {
          epoch: 3,
          train: { loss: 1 / 3, accuracy: 0.5 + 3 / 100, mae: null, rmse: null },
          validation: { loss: 1.5 / 3, accuracy: 0.4 + 3 / 100 },
          elapsedMs: 30,
          epochMs: 10,
          samplesPerSecond: 1003,
        },
      ]);
      expect(run.valLoss.totalCount).toBe(3);
      expect((nodesOf(run.valLoss) as { epoch: number; value: number }[]).map((point) => [point.epoch, point.value])).toEqual([
        [1, 1.5],
        [2, 0.75],
        [3, 0.5],
      ]);

      for (const id of [randomUUID(), 'not-a-uuid']) {
        const missing = await gql(`query($id: ID!) { run(id: $id) { id } modelVersion(id: $id) { id } }`, { id });
        expect(missing.errors).toBeUndefined();
        expect(missing.data).toEqual({ run: null, modelVersion: null });
      }
    });

    it('lists runs newest first, filtered, a page at a time', async () => {
      const mine = [await startRun({}, otherModelId), await startRun({}, otherModelId), await startRun({}, otherModelId)];
      await gql(`mutation($id: ID!) { cancelRun(id: $id) { id } }`, { id: mine[1] });
      const page = async (filter: Record<string, unknown>, after?: string) =>
        (
          await gql(
            `query($filter: RunFilter, $after: String) { runs(filter: $filter, first: 2, after: $after) { totalCount edges { node { id status } } pageInfo { hasNextPage endCursor } } }`,
            { filter, after },
          )
        ).data!.runs;
      const first = await page({ modelId: otherModelId });
      expect(first.totalCount).toBe(3);
      expect(first.edges.map((edge: { node: { id: string } }) => edge.node.id)).toEqual([mine[2], mine[1]]);
      expect(first.pageInfo.hasNextPage).toBe(true);
      const second = await page({ modelId: otherModelId }, first.pageInfo.endCursor);
      expect(second.edges.map((edge: { node: { id: string } }) => edge.node.id)).toEqual([mine[0]]);
      expect(second.pageInfo.hasNextPage).toBe(false);
      const queued = await page({ modelId: otherModelId, status: 'QUEUED', kind: 'TRAINING' });
      expect(queued.edges.map((edge: { node: { id: string } }) => edge.node.id)).toEqual([mine[2], mine[0]]);
    });
  });

  describe('runUpdated', () => {
    it("streams the status changes of one model's runs", async () => {
      const subscription = ws.subscribe(`subscription($filter: RunFilter) { runUpdated(filter: $filter) { id status cancelRequested model { id } } }`, {
        filter: { modelId },
      });
      await waitFor(() => server.pubSub.subscriberCount('runUpdated') === 1);
      const ignored = await startRun({}, otherModelId);
      const runId = await startRun();
      expect((await subscription.next())!.data!.runUpdated).toEqual({ id: runId, status: 'QUEUED', cancelRequested: false, model: { id: modelId } });
      await store.claimRun(runId, WORKER);
      expect((await subscription.next())!.data!.runUpdated).toMatchObject({ id: runId, status: 'RUNNING' });
      await gql(`mutation($id: ID!) { cancelRun(id: $id) { id } }`, { id: runId });
      expect((await subscription.next())!.data!.runUpdated).toMatchObject({ id: runId, status: 'RUNNING', cancelRequested: true });
      await store.finishRun(runId, 'CANCELLED', { workerId: WORKER });
      expect((await subscription.next())!.data!.runUpdated).toMatchObject({ id: runId, status: 'CANCELLED' });
      await gql(`mutation($id: ID!) { cancelRun(id: $id) { id } }`, { id: ignored });
      await expect(subscription.next(500)).rejects.toThrow(/nothing within/);
      await subscription.stop();
      await waitFor(() => server.pubSub.subscriberCount('runUpdated') === 0);
    });

    it('delivers each change with the state it made (QUEUED once, RUNNING once), and filters on that state', async () => {
      const fields = 'id status attempts cancelRequested startedAt finishedAt error modelVersion { id }';
      const all = ws.subscribe(`subscription($filter: RunFilter) { runUpdated(filter: $filter) { ${fields} } }`, { filter: { modelId } });
      const queued = ws.subscribe(`subscription($filter: RunFilter) { runUpdated(filter: $filter) { ${fields} } }`, { filter: { modelId, status: 'QUEUED' } });
      await waitFor(() => server.pubSub.subscriberCount('runUpdated') === 2);
      // The run moves on before any event is delivered: each event still shows its own change.
      const runId = await startRun();
      const claimed = (await store.claimRun(runId, WORKER))!;
      const failed = (await store.finishRun(runId, 'FAILED', { workerId: WORKER, error: 'boom' }))!;
      const received = [];
      for (let i = 0; i < 3; i++) received.push((await all.next(5_000))!.data!.runUpdated);
      expect(received).toEqual([
        { id: runId, status: 'QUEUED', attempts: 0, cancelRequested: false, startedAt: null, finishedAt: null, error: null, modelVersion: null },
        {
          id: runId,
          status: 'RUNNING',
          attempts: 1,
          cancelRequested: false,
          startedAt: claimed.startedAt!.toISOString(),
          finishedAt: null,
          error: null,
          modelVersion: null,
        },
        {
          id: runId,
          status: 'FAILED',
          attempts: 1,
          cancelRequested: false,
          startedAt: claimed.startedAt!.toISOString(),
          finishedAt: failed.finishedAt!.toISOString(),
          error: 'boom',
          modelVersion: null,
        },
      ]);
      expect((await queued.next(5_000))!.data!.runUpdated).toMatchObject({ id: runId, status: 'QUEUED', attempts: 0 });
      await expect(queued.next(300)).rejects.toThrow(/nothing within/);
      await expect(all.next(300)).rejects.toThrow(/nothing within/);
      await Promise.all([all.stop(), queued.stop()]);
      await waitFor(() => server.pubSub.subscriberCount('runUpdated') === 0);
    });
  });

  describe('runProgress', () => {
    it('replays the epochs after the cursor, streams the rest, and completes after the final status', async () => {
      const runId = await startRun({ epochs: 6 });
      await store.claimRun(runId, WORKER);
      for (const epoch of [1, 2, 3]) await recordEpoch(runId, epoch);

      const subscription = ws.subscribe(RUN_PROGRESS, { runId, afterEpoch: 1 });
      const replay = await collect(subscription, (event) => event.type === 'STATUS');
      expect(replay.events).toEqual([
        { type: 'EPOCH', status: 'RUNNING', epoch: 2 },
        { type: 'EPOCH', status: 'RUNNING', epoch: 3 },
        { type: 'STATUS', status: 'RUNNING', epoch: null },
      ]);
      await recordEpoch(runId, 4);
      const live = (await subscription.next())!.data!.runProgress;
      expect(live).toMatchObject({
        type: 'EPOCH',
        status: 'RUNNING',
        runId,
        epoch: {
          epoch: 4,
          train: { loss: 1 / 4, accuracy: 0.5 + 4 / 100, mae: null, rmse: null },
          validation: { loss: 1.5 / 4, accuracy: 0.4 + 4 / 100 },
          elapsedMs: 40,
          epochMs: 10,
          samplesPerSecond: 1004,
        },
        run: { id: runId, status: 'RUNNING' },
      });

      // The client goes away after epoch 4; epochs 5 and 6 happen while it is gone.
      await subscription.stop();
      await waitFor(() => server.pubSub.subscriberCount('runEpoch', runId) === 0 && server.pubSub.subscriberCount('runUpdated', runId) === 0);
      await recordEpoch(runId, 5);
      await recordEpoch(runId, 6);

      const resumed = ws.subscribe(RUN_PROGRESS, { runId, afterEpoch: 4 });
      expect((await collect(resumed, (event) => event.type === 'STATUS')).events).toEqual([
        { type: 'EPOCH', status: 'RUNNING', epoch: 5 },
        { type: 'EPOCH', status: 'RUNNING', epoch: 6 },
        { type: 'STATUS', status: 'RUNNING', epoch: null },
      ]);
      await store.finishRun(runId, 'SUCCEEDED', { workerId: WORKER });
      expect(await collect(resumed)).toEqual({ events: [{ type: 'STATUS', status: 'SUCCEEDED', epoch: null }], completed: true });
      await waitFor(() => server.pubSub.subscriberCount('runEpoch', runId) === 0);

      // A finished run replays and completes at once.
      const finished = ws.subscribe(RUN_PROGRESS, { runId, afterEpoch: 5 });
      expect(await collect(finished)).toEqual({
        events: [
          { type: 'EPOCH', status: 'SUCCEEDED', epoch: 6 },
          { type: 'STATUS', status: 'SUCCEEDED', epoch: null },
        ],
        completed: true,
      });
    });

    it('gives every epoch exactly once to clients that join and reconnect while the run trains', async () => {
      const runId = await startRun({ epochs: 40 });
      await store.claimRun(runId, WORKER);
      const epochs = 40;
      const worker = (async () => {
        for (let epoch = 1; epoch <= epochs; epoch++) {
          await recordEpoch(runId, epoch);
          // The simulated worker's pace (0-2 ms an epoch), so that clients join and leave mid-run.
          await sleep(epoch % 3);
        }
        await store.finishRun(runId, 'SUCCEEDED', { workerId: WORKER });
      })();

      const fromStart = collect(ws.subscribe(RUN_PROGRESS, { runId }));
      // The late client joins once some epochs are stored.
      await waitFor(async () => (await prisma.runEpoch.count({ where: { runId } })) >= 3);
      const late = collect(ws.subscribe(RUN_PROGRESS, { runId, afterEpoch: 0 }));
      // This client leaves after epoch 10 and comes back with afterEpoch = the last epoch it saw.
      const leaving = ws.subscribe(RUN_PROGRESS, { runId });
      const first = await collect(leaving, (event) => event.epoch !== null && event.epoch >= 10);
      await leaving.stop();
      const lastSeen = Math.max(...epochsOf(first.events));
      const second = await collect(ws.subscribe(RUN_PROGRESS, { runId, afterEpoch: lastSeen }));
      await worker;

      for (const { events, completed } of [await fromStart, await late]) {
        expect(completed).toBe(true);
        expect(epochsOf(events)).toEqual(range(1, epochs));
        expect(events[events.length - 1]).toEqual({ type: 'STATUS', status: 'SUCCEEDED', epoch: null });
      }
      expect(second.completed).toBe(true);
      expect([...epochsOf(first.events), ...epochsOf(second.events)]).toEqual(range(1, epochs));
      await waitFor(() => server.pubSub.subscriberCount('runEpoch', runId) === 0);
    });

    it('ends with the status of a queued run that is cancelled', async () => {
      const runId = await startRun();
      const subscription = ws.subscribe(RUN_PROGRESS, { runId });
      expect((await collect(subscription, () => true)).events).toEqual([{ type: 'STATUS', status: 'QUEUED', epoch: null }]);
      await gql(`mutation($id: ID!) { cancelRun(id: $id) { id } }`, { id: runId });
      expect(await collect(subscription)).toEqual({ events: [{ type: 'STATUS', status: 'CANCELLED', epoch: null }], completed: true });
    });

    it('answers NOT_FOUND for an unknown run and BAD_USER_INPUT for a negative cursor', async () => {
      const unknownId = randomUUID();
      const unknown = await ws.execute(RUN_PROGRESS, { runId: unknownId });
      expect(unknown.errors![0].extensions).toMatchObject({ code: 'NOT_FOUND', field: 'runId' });
      // It subscribed before looking the run up, and let go when it was not found.
      expect(server.pubSub.subscriberCount('runEpoch', unknownId)).toBe(0);
      expect(server.pubSub.subscriberCount('runUpdated', unknownId)).toBe(0);
      const runId = await startRun();
      const negative = await ws.execute(RUN_PROGRESS, { runId, afterEpoch: -1 });
      expect(negative.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'afterEpoch' });
      expect(server.pubSub.subscriberCount('runEpoch', runId)).toBe(0);
    });
  });

  describe('model versions and aliases', () => {
    const classes = ['setosa', 'versicolor', 'virginica'];
    let versionIds: string[];

    /** A version row as the training job registers it (training itself is the worker's, tested elsewhere). */
    async function insertVersion(version: number, runId: string | null): Promise<string> {
      const row = await prisma.modelVersion.create({
        data: {
          modelId,
          version,
          runId,
          datasetVersionId,
          datasetContentHash: 'a'.repeat(64),
          artifactSha256: 'b'.repeat(64),
          artifactBytes: 1234,
          preprocessing: {
            version: 1,
            task: 'MULTICLASS_CLASSIFICATION',
            features: PREPROCESSED_FEATURES,
            inputWidth: 4,
            label: { kind: 'CLASSES', column: 'species', numeric: false, classes },
            trainRowCount: 105,
          },
          hyperparameters: {
            epochs: 5,
            batchSize: 32,
            optimizer: 'ADAM',
            learningRate: 0.001,
            split: { train: 0.7, validation: 0.15, test: 0.15 },
            seed: 7,
            earlyStopping: { monitor: 'val_loss', patience: 3, minDelta: 0, restoreBestWeights: true },
            classWeights: null,
            backend: 'CPU',
          },
          environment: {
            backend: 'cpu',
            backendReason: 'requested CPU',
            tfjsVersion: '4.22.0',
            libtensorflowVersion: null,
            nodeVersion: 'v20.0.0',
            cpuModel: 'test cpu',
            cpuCores: 4,
            platform: 'linux-x64',
          },
          featureImportance: [
            { feature: 'petal_length_cm', importance: 0.4, std: 0.05 },
            { feature: 'sepal_width_cm', importance: 0.01, std: 0.01 },
          ],
        },
      });
      return row.id;
    }

    beforeAll(async () => {
      const runId = await startRun();
      await store.claimRun(runId, WORKER);
      await store.finishRun(runId, 'SUCCEEDED', { workerId: WORKER });
      versionIds = [await insertVersion(1, runId), await insertVersion(2, null)];
    });

    it('serves a version with its lineage, typed hyperparameters and environment, feature importance and evaluations', async () => {
      // Multiclass metrics as the evaluation code computes them, stored as the training job does.
      const metrics = evaluatePredictions('MULTICLASS_CLASSIFICATION', [0, 1, 2, 2], {
        data: [0.8, 0.1, 0.1, 0.2, 0.5, 0.3, 0.1, 0.2, 0.7, 0.1, 0.6, 0.3],
        rows: 4,
        cols: 3,
      });
      await prisma.evaluation.create({
        data: {
          modelVersionId: versionIds[0],
          datasetVersionId,
          split: 'TEST',
          rowCount: 4,
          task: 'MULTICLASS_CLASSIFICATION',
          metrics: metrics as unknown as Prisma.InputJsonValue,
        },
      });
      const result = await gql(
        `query($id: ID!) { modelVersion(id: $id) {
          version artifactSha256 artifactBytes datasetContentHash classes
          preprocessing { task inputWidth trainRowCount features { name type offset mean scale categories } label { kind column numeric classes mean scale } }
          run { status modelVersion { id } } model { id } datasetVersion { id }
          hyperparameters { epochs batchSize optimizer earlyStopping { monitor patience } backend seed }
          environment { backend backendReason tfjsVersion libtensorflowVersion nodeVersion cpuModel cpuCores platform }
          featureImportance { feature importance std }
          evaluations { edges { node { split rowCount task classes accuracy logLoss confusionMatrix macro { precision recall f1 } weighted { f1 }
            perClass { class precision recall f1 support } precision rocAuc mae r2 modelVersion { id } datasetVersion { id } } } }
        } }`,
        { id: versionIds[0] },
      );
      expect(result.errors).toBeUndefined();
      const version = result.data!.modelVersion;
      expect(version).toMatchObject({
        version: 1,
        artifactBytes: 1234,
        classes,
        preprocessing: {
          task: 'MULTICLASS_CLASSIFICATION',
          inputWidth: 4,
          trainRowCount: 105,
          features: [
            { name: 'petal_length_cm', type: 'NUMERIC', offset: 0, mean: 3.75, scale: 1.76, categories: null },
            { name: 'region', type: 'CATEGORICAL', offset: 1, mean: null, scale: null, categories: ['north', 'south', 'west'] },
          ],
          label: { kind: 'CLASSES', column: 'species', numeric: false, classes, mean: null, scale: null },
        },
        run: { status: 'SUCCEEDED', modelVersion: { id: versionIds[0] } },
        model: { id: modelId },
        datasetVersion: { id: datasetVersionId },
        hyperparameters: { epochs: 5, batchSize: 32, optimizer: 'ADAM', earlyStopping: { monitor: 'VAL_LOSS', patience: 3 }, backend: 'CPU', seed: 7 },
        environment: { backend: 'CPU', backendReason: 'requested CPU', libtensorflowVersion: null, cpuCores: 4, platform: 'linux-x64' },
        featureImportance: [
          { feature: 'petal_length_cm', importance: 0.4, std: 0.05 },
          { feature: 'sepal_width_cm', importance: 0.01, std: 0.01 },
        ],
      });
      const [evaluation] = version.evaluations.edges.map((edge: { node: unknown }) => edge.node);
      // By hand: predictions argmax = [0, 1, 2, 1]; true [0, 1, 2, 2]. Class 2: one of two found.
      expect(evaluation).toMatchObject({
        split: 'TEST',
        rowCount: 4,
        task: 'MULTICLASS_CLASSIFICATION',
        classes,
        accuracy: 0.75,
        confusionMatrix: [
          [1, 0, 0],
          [0, 1, 0],
          [0, 1, 1],
        ],
        perClass: [
          { class: 'setosa', precision: 1, recall: 1, f1: 1, support: 1 },
          { class: 'versicolor', precision: 0.5, recall: 1, f1: 2 / 3, support: 1 },
          { class: 'virginica', precision: 1, recall: 0.5, f1: 2 / 3, support: 2 },
        ],
        precision: null,
        rocAuc: null,
        mae: null,
        r2: null,
        modelVersion: { id: versionIds[0] },
        datasetVersion: { id: datasetVersionId },
      });
      expect(evaluation.macro.f1).toBeCloseTo((1 + 2 / 3 + 2 / 3) / 3, 12);
      expect(evaluation.weighted.f1).toBeCloseTo((1 + 2 / 3 + 2 * (2 / 3)) / 4, 12);
      // -(ln 0.8 + ln 0.5 + ln 0.7 + ln 0.3) / 4
      expect(evaluation.logLoss).toBeCloseTo(-(Math.log(0.8) + Math.log(0.5) + Math.log(0.7) + Math.log(0.3)) / 4, 12);
    });

    it('moves an alias, keeping who moved it, when, and from which version', async () => {
      const SET = `mutation($input: SetModelVersionAliasInput!) { setModelVersionAlias(input: $input) { alias updatedAt modelVersion { id version } } }`;
      const first = await gql(SET, { input: { modelVersionId: versionIds[0], alias: 'production' } }, await server.headersFor('alice@example.com'));
      expect(first.errors).toBeUndefined();
      expect(first.data!.setModelVersionAlias).toMatchObject({ alias: 'production', modelVersion: { id: versionIds[0], version: 1 } });
      const second = await gql(SET, { input: { modelVersionId: versionIds[1], alias: 'production' } }, await server.headersFor('bob'));
      expect(second.data!.setModelVersionAlias.modelVersion.version).toBe(2);
      // The x-mlplane-user header names no one: the actor is the key's name.
      await gql(SET, { input: { modelVersionId: versionIds[0], alias: 'staging' } }, { 'x-mlplane-user': 'mlplane' });

      const model = await gql(
        `query($id: ID!) { model(id: $id) {
          versions { totalCount edges { node { version aliases { totalCount edges { node { alias } } } } } }
          aliases { totalCount pageInfo { hasNextPage } edges { node { alias modelVersion { version } } } }
          firstAlias: aliases(first: 1) { totalCount pageInfo { hasNextPage endCursor } edges { node { alias } } }
          lastAlias: aliases(last: 1) { pageInfo { hasPreviousPage } edges { node { alias } } }
          production: aliasHistory(alias: "production") { edges { node { alias from { version } to { version } movedBy movedAt } } }
          all: aliasHistory { edges { node { alias movedBy } } }
          byAlias: version(alias: "production") { version }
          byNumber: version(version: 1) { id }
          missing: version(alias: "canary") { id }
        } }`,
        { id: modelId },
      );
      expect(model.errors).toBeUndefined();
      const nodes = (connection: { edges: { node: unknown }[] }) => connection.edges.map((edge) => edge.node);
      const found = {
        ...model.data!.model,
        aliases: nodes(model.data!.model.aliases),
        production: nodes(model.data!.model.production),
        all: nodes(model.data!.model.all),
      };
      expect(model.data!.model.aliases).toMatchObject({ totalCount: 2, pageInfo: { hasNextPage: false } });
      expect(model.data!.model.firstAlias).toMatchObject({ totalCount: 2, pageInfo: { hasNextPage: true }, edges: [{ node: { alias: 'production' } }] });
      expect(model.data!.model.lastAlias).toEqual({ pageInfo: { hasPreviousPage: true }, edges: [{ node: { alias: 'staging' } }] });
      const afterFirst = await gql(`query($id: ID!, $after: String) { model(id: $id) { aliases(first: 5, after: $after) { edges { node { alias } } } } }`, {
        id: modelId,
        after: model.data!.model.firstAlias.pageInfo.endCursor,
      });
      expect(afterFirst.data!.model.aliases.edges).toEqual([{ node: { alias: 'staging' } }]);
      expect(found.versions.totalCount).toBe(2);
      expect(nodes(found.versions)).toEqual([
        { version: 2, aliases: { totalCount: 1, edges: [{ node: { alias: 'production' } }] } },
        { version: 1, aliases: { totalCount: 1, edges: [{ node: { alias: 'staging' } }] } },
      ]);
      expect(found.aliases).toEqual([
        { alias: 'production', modelVersion: { version: 2 } },
        { alias: 'staging', modelVersion: { version: 1 } },
      ]);
      expect(found.production.map(({ movedAt: _movedAt, ...event }: { movedAt: string }) => event)).toEqual([
        { alias: 'production', from: { version: 1 }, to: { version: 2 }, movedBy: 'bob' },
        { alias: 'production', from: null, to: { version: 1 }, movedBy: 'alice@example.com' },
      ]);
      expect(Date.parse(found.production[0].movedAt)).toBeGreaterThanOrEqual(Date.parse(found.production[1].movedAt));
      expect(found.all).toEqual([
        { alias: 'staging', movedBy: server.adminKeyName },
        { alias: 'production', movedBy: 'bob' },
        { alias: 'production', movedBy: 'alice@example.com' },
      ]);
      expect(found).toMatchObject({ byAlias: { version: 2 }, byNumber: { id: versionIds[0] }, missing: null });
    });

    it('rejects a bad alias, an unknown version, and an ambiguous version lookup', async () => {
      const SET = `mutation($input: SetModelVersionAliasInput!) { setModelVersionAlias(input: $input) { alias } }`;
      const bad = await gql(SET, { input: { modelVersionId: versionIds[0], alias: 'Prod!' } });
      expect(bad.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.alias' });
      const unknown = await gql(SET, { input: { modelVersionId: randomUUID(), alias: 'production' } });
      expect(unknown.errors![0].extensions).toMatchObject({ code: 'NOT_FOUND', field: 'input.modelVersionId' });
      const both = await gql(`query($id: ID!) { model(id: $id) { version(alias: "production", version: 1) { id } } }`, { id: modelId });
      expect(both.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT' });
    });

    it('evaluates a trained version on every row of a dataset version with its columns', async () => {
      const trained = await trainVersions(prisma, server.services, {
        name: 'iris-eval',
        csv: fixtureCsv('iris'),
        labelColumn: 'species',
        seeds: [3],
        epochs: 3,
      });
      const EVALUATE = `mutation($input: EvaluateModelVersionInput!) { evaluateModelVersion(input: $input) {
        id split rowCount task classes accuracy confusionMatrix macro { f1 } perClass { class f1 support } logLoss threshold mae modelVersion { id } } }`;
      const result = await gql(EVALUATE, { input: { modelVersionId: trained.versionIds[0], datasetVersionId } });
      expect(result.errors).toBeUndefined();
      const evaluation = result.data!.evaluateModelVersion;
      expect(evaluation).toMatchObject({
        split: 'ALL',
        rowCount: 150,
        task: 'MULTICLASS_CLASSIFICATION',
        classes,
        threshold: null,
        mae: null,
        modelVersion: { id: trained.versionIds[0] },
      });
      // iris has 50 rows of each class; accuracy is the confusion matrix's trace over the rows.
      expect(evaluation.perClass.map((entry: { class: string; support: number }) => [entry.class, entry.support])).toEqual(classes.map((name) => [name, 50]));
      const matrix: number[][] = evaluation.confusionMatrix;
      expect(matrix.map((row) => row.reduce((sum, count) => sum + count, 0))).toEqual([50, 50, 50]);
      expect(evaluation.accuracy).toBeCloseTo((matrix[0][0] + matrix[1][1] + matrix[2][2]) / 150, 12);
      expect(evaluation.macro.f1).toBeCloseTo(evaluation.perClass.reduce((sum: number, entry: { f1: number }) => sum + entry.f1, 0) / 3, 12);
      expect(evaluation.logLoss).toBeGreaterThan(0);

      const stored = await gql(`query($id: ID!) { modelVersion(id: $id) { evaluations { edges { node { id split } } } } }`, { id: trained.versionIds[0] });
      expect(stored.data!.modelVersion.evaluations.edges).toContainEqual({ node: { id: evaluation.id, split: 'ALL' } });

      const diabetes = await gql(
        `mutation($csv: String!) { createDataset(input: { name: "diabetes", csv: $csv, labelColumn: "progression" }) { version { id } } }`,
        {
          csv: fixtureCsv('diabetes'),
        },
      );
      const mismatch = await gql(EVALUATE, { input: { modelVersionId: trained.versionIds[0], datasetVersionId: diabetes.data!.createDataset.version.id } });
      expect(mismatch.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.datasetVersionId' });
    });

    it('rejects evaluateModelVersion of an unknown version or with a threshold outside (0, 1)', async () => {
      const EVALUATE = `mutation($input: EvaluateModelVersionInput!) { evaluateModelVersion(input: $input) { id } }`;
      const unknown = await gql(EVALUATE, { input: { modelVersionId: randomUUID(), datasetVersionId } });
      expect(unknown.errors![0].extensions).toMatchObject({ code: 'NOT_FOUND' });
      const threshold = await gql(EVALUATE, { input: { modelVersionId: versionIds[0], datasetVersionId, threshold: 1.5 } });
      expect(threshold.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.threshold' });
    });
  });
});
