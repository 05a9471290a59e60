import { Pool } from 'pg';
import { createPrismaClient, type PrismaClient } from '../../src/infra/db/prisma-client';
import { NotifyEventPublisher } from '../../src/infra/events/notify-event-publisher';
import { createPgPubSub, type PgPubSub } from '../../src/infra/events/pg-pubsub';
import { JobQueue, RUN_QUEUES } from '../../src/infra/queue/job-queue';
import { createStudyJob } from '../../src/services/optimization/study-job';
import { createTrialJob } from '../../src/services/optimization/trial-job';
import { RunExecutor } from '../../src/services/runs/run-executor';
import { connectWsClient, postGraphQL, type GraphQLResponseBody, type WsTestClient } from '../support/graphql-client';
import { fixtureCsv } from '../support/fixtures';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { startTestServer, type TestServer } from '../support/test-server';
import { loadConfig } from '../../src/config/config';
import { createDomainServices } from '../../src/services/services';

/*
 * A study through a real API server (HTTP and graphql-ws) and an in-process worker (the executor
 * and jobs of `mlplane worker`) on a real database, training breast_cancer.csv.
 */

const START = `mutation($input: StartOptimizationInput!) {
  startOptimization(input: $input) {
    id status strategy maxTrials parallelism seed objective { metric direction } pruning { kind warmupEpochs startupTrials }
    searchSpace { name kind values optimizers low high } baseHyperparameters { epochs batchSize seed backend } run { id kind }
  }
}`;

const PROGRESS = `subscription($studyId: ID!) {
  studyProgress(studyId: $studyId) {
    type status studyId trialNumber trialRunId epoch value pruneReason
    leaderboard { rank trialNumber value trialRunId }
  }
}`;

const STUDY = `query($id: ID!) {
  study(id: $id) {
    id status summary { trialCount completed exhausted bestModelVersionId }
    trials { totalCount edges { node { number state params { learningRate batchSize layers { index units } } value pruned intermediateValues { epoch value } run { id kind status } modelVersion { id } } } }
    bestTrial { number value }
    leaderboard { rank trialNumber value params { learningRate } run { id } }
    bestModelVersion { id }
  }
}`;

type ProgressEvent = {
  type: string;
  status: string;
  trialNumber: number | null;
  trialRunId: string | null;
  epoch: number | null;
  value: number | null;
  leaderboard: { rank: number; trialNumber: number; value: number; trialRunId: string }[];
};

describe('optimization studies over HTTP and graphql-ws', () => {
  let db: TestDatabase;
  let server: TestServer;
  let ws: WsTestClient;
  let prisma: PrismaClient;
  let pool: Pool;
  let pubSub: PgPubSub;
  let queue: JobQueue;
  let modelId: string;
  let datasetVersionId: string;

  const gql = async (query: string, variables?: Record<string, unknown>): Promise<GraphQLResponseBody> =>
    (await postGraphQL(server.url, query, variables)).body;

  beforeAll(async () => {
    db = await createTestDatabase();
    server = await startTestServer({ databaseUrl: db.url });
    ws = await connectWsClient(server.url);
    const { version } = await server.services.datasets.createDataset({ name: 'bc', csv: fixtureCsv('breast_cancer'), labelColumn: 'benign' });
    const model = await server.services.models.createModel({ name: 'bc-model', datasetId: version.datasetId, layers: [{ units: 8, activation: 'relu' }] });
    modelId = model.id;
    datasetVersionId = version.id;
    prisma = createPrismaClient(db.url, 4);
    pool = new Pool({ connectionString: db.url, max: 2 });
    pubSub = await createPgPubSub({ connectionString: db.url });
    queue = new JobQueue({ connectionString: db.url, events: pubSub, poolSize: 2 });
    await queue.start();
  }, 60_000);

  afterAll(async () => {
    await ws?.close();
    await queue?.stop({ graceful: false });
    await pubSub?.close();
    await pool?.end();
    await prisma?.$disconnect();
    await server?.close();
    await db?.drop();
  });

  async function startWorker(): Promise<void> {
    const events = new NotifyEventPublisher(pool);
    const services = createDomainServices({ prisma, events, queue, config: loadConfig({}) });
    const executor = new RunExecutor({ store: services.runStore, events: pubSub, heartbeatIntervalMs: 1_000 });
    await queue.work(RUN_QUEUES.OPTIMIZATION, executor.jobHandler(createStudyJob({ prisma, optimization: services.optimization, events: pubSub })));
    await queue.work(RUN_QUEUES.TRIAL, executor.jobHandler(createTrialJob({ prisma, datasets: services.datasets, models: services.models, events })));
  }

  it('starts a study, streams its trials and leaderboard until it ends, and queries trials, best trial and version', async () => {
    const started = await gql(START, {
      input: {
        modelId,
        datasetVersionId,
        objective: { metric: 'val_loss', direction: 'MINIMIZE' },
        searchSpace: [{ name: 'learningRate', kind: 'CHOICE', values: [0.01, 0.05] }],
        strategy: 'GRID',
        maxTrials: 5,
        parallelism: 1,
        pruning: { kind: 'NONE' },
        seed: 4,
        baseHyperparameters: { epochs: 3, batchSize: 64, backend: 'CPU' },
      },
    });
    expect(started.errors).toBeUndefined();
    const study = started.data!.startOptimization;
    expect(study).toMatchObject({
      status: 'QUEUED',
      strategy: 'GRID',
      maxTrials: 5,
      parallelism: 1,
      seed: 4,
      objective: { metric: 'val_loss', direction: 'MINIMIZE' },
      pruning: { kind: 'NONE', warmupEpochs: 1, startupTrials: 5 },
      searchSpace: [{ name: 'learningRate', kind: 'CHOICE', values: [0.01, 0.05], optimizers: null, low: null, high: null }],
      baseHyperparameters: { epochs: 3, batchSize: 64, seed: 4, backend: 'CPU' },
      run: { kind: 'OPTIMIZATION' },
    });

    const subscription = ws.subscribe(PROGRESS, { studyId: study.id });
    const first = await subscription.next(10_000);
    expect(first?.data?.studyProgress).toMatchObject({ type: 'STUDY_STATUS', status: 'QUEUED', leaderboard: [] });
    // The worker starts only now, so every trial event happens while the subscription listens.
    await startWorker();
    const events: ProgressEvent[] = [];
    for (;;) {
      const result = await subscription.next(60_000);
      if (result === undefined) break;
      expect(result.errors).toBeUndefined();
      events.push(result.data!.studyProgress);
    }

    const last = events[events.length - 1];
    expect(last).toMatchObject({ type: 'STUDY_STATUS', status: 'SUCCEEDED' });
    expect(events.filter((e) => e.type === 'STUDY_STATUS').map((e) => e.status)).toEqual(['RUNNING', 'SUCCEEDED']);
    for (const trialNumber of [0, 1]) {
      const ofTrial = events.filter((e) => e.trialNumber === trialNumber);
      expect(ofTrial.filter((e) => e.type === 'TRIAL_EPOCH').map((e) => e.epoch)).toEqual([1, 2, 3]);
      expect(ofTrial.filter((e) => e.type === 'TRIAL_FINISHED')).toHaveLength(1);
    }

    const queried = await gql(STUDY, { id: study.id });
    expect(queried.errors).toBeUndefined();
    const { trials: trialConnection, bestTrial, leaderboard, bestModelVersion, summary } = queried.data!.study;
    expect(trialConnection.totalCount).toBe(2);
    const trials = trialConnection.edges.map((edge: { node: { number: number; value: number; intermediateValues: { value: number }[] } }) => edge.node);
    const TRIAL_PAGE = `query($id: ID!, $after: String) { study(id: $id) { trials(first: 1, after: $after) { totalCount pageInfo { hasNextPage hasPreviousPage } edges { cursor node { number } } } } }`;
    const firstPage = (await gql(TRIAL_PAGE, { id: study.id })).data!.study.trials;
    expect(firstPage).toMatchObject({ totalCount: 2, pageInfo: { hasNextPage: true, hasPreviousPage: false }, edges: [{ node: { number: 0 } }] });
    const secondPage = (await gql(TRIAL_PAGE, { id: study.id, after: firstPage.edges[0].cursor })).data!.study.trials;
    expect(secondPage).toMatchObject({ totalCount: 2, pageInfo: { hasNextPage: false, hasPreviousPage: true }, edges: [{ node: { number: 1 } }] });
    expect(study.id).toBe(Buffer.from(`Study:${study.run.id}`).toString('base64url'));
    expect(trials.map((t: { params: unknown }) => t.params)).toEqual([
      { learningRate: 0.01, batchSize: null, layers: [] },
      { learningRate: 0.05, batchSize: null, layers: [] },
    ]);
    for (const trial of trials) {
      expect(trial).toMatchObject({ state: 'COMPLETE', pruned: false, run: { kind: 'TRIAL', status: 'SUCCEEDED' }, modelVersion: { id: expect.any(String) } });
      expect(trial.value).toBe(trial.intermediateValues[2].value);
      const finished = events.find((e) => e.type === 'TRIAL_FINISHED' && e.trialNumber === trial.number)!;
      expect(finished.value).toBe(trial.value);
    }
    const best = trials[0].value <= trials[1].value ? trials[0] : trials[1];
    expect(bestTrial).toEqual({ number: best.number, value: best.value });
    expect(leaderboard.map((e: { trialNumber: number }) => e.trialNumber)).toEqual([best.number, 1 - best.number]);
    expect(last.leaderboard.map((e) => e.trialRunId)).toEqual(leaderboard.map((e: { run: { id: string } }) => e.run.id));
    expect(bestModelVersion).toEqual(best.modelVersion);
    expect(summary).toMatchObject({ trialCount: 2, completed: 2, exhausted: true, bestModelVersionId: best.modelVersion.id });
  }, 120_000);

  it('rejects an invalid search space with the field at fault, and lists the problem of each part of a bad study at once', async () => {
    const input = {
      modelId,
      datasetVersionId,
      objective: { metric: 'val_loss', direction: 'MINIMIZE' },
      searchSpace: [{ name: 'learningRate', kind: 'LOG_UNIFORM', low: -1, high: 0.1 }],
      strategy: 'RANDOM',
      maxTrials: 3,
    };
    const invalid = await gql(START, { input });
    expect(invalid.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field: 'input.searchSpace.learningRate.low' } });

    const many = await gql(START, {
      input: { ...input, maxTrials: 0, baseHyperparameters: { epochs: 0, loss: 'HUBER', split: { train: 0.9, validation: 0, test: 0.1 } } },
    });
    expect(many.errors).toHaveLength(1);
    const fields = (many.errors![0].extensions!.errors as Array<{ field: string }>).map((problem) => problem.field);
    expect(fields).toEqual([
      'input.baseHyperparameters.epochs',
      'input.baseHyperparameters.loss',
      'input.searchSpace.learningRate.low',
      'input.objective.metric',
      'input.maxTrials',
    ]);
  });
});
