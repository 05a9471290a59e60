import { InvalidStateError, NotFoundError, ValidationError } from '../../../src/domain/errors';
import type { Run } from '../../../src/generated/prisma/client';
import type { PrismaClient } from '../../../src/infra/db/prisma-client';
import type { PgPubSub } from '../../../src/infra/events/pg-pubsub';
import { JobQueue, RUN_QUEUES } from '../../../src/infra/queue/job-queue';
import type { StartOptimizationInput } from '../../../src/services/optimization/optimization.service';
import { createStudyJob } from '../../../src/services/optimization/study-job';
import { createTrialJob } from '../../../src/services/optimization/trial-job';
import { RunExecutor, type RunExecutionContext } from '../../../src/services/runs/run-executor';
import { RunReaper } from '../../../src/services/runs/run-reaper';
import type { DomainServices } from '../../../src/services/services';
import { OptimizationService } from '../../../src/services/optimization/optimization.service';
import { logger } from '../../../src/infra/logger';
import { fixtureCsv } from '../../support/fixtures';
import { startInProcessWorker, type InProcessWorker } from '../../support/in-process-worker';
import { sleep, waitFor } from '../../support/wait-for';

type TrialSummary = { trialNumber: number; params: Record<string, number | string>; objective: number | null; pruned: boolean; pruneReason: string | null };

/**
 * Studies through the real pieces: the optimization service queues a study on pg-boss, an
 * in-process worker (the executor and jobs of `mlplane worker`) coordinates it and trains its
 * trials with tfjs on breast_cancer.csv.
 */
describe('optimization studies on a worker', () => {
  let worker: InProcessWorker;
  let prisma: PrismaClient;
  let pubSub: PgPubSub;
  let queue: JobQueue;
  let services: DomainServices;
  let modelId: string;
  let datasetVersionId: string;
  let executor: RunExecutor;

  beforeAll(async () => {
    worker = await startInProcessWorker({ prismaPoolSize: 8, queuePoolSize: 3, heartbeatIntervalMs: 500 });
    ({ prisma, pubSub, queue, services, executor } = worker);
    const { events } = worker;
    await queue.work(RUN_QUEUES.OPTIMIZATION, executor.jobHandler(createStudyJob({ prisma, optimization: services.optimization, events: pubSub })), {
      concurrency: 2,
    });
    await queue.work(RUN_QUEUES.TRIAL, executor.jobHandler(createTrialJob({ prisma, datasets: services.datasets, models: services.models, events })), {
      concurrency: 3,
    });
    const { version } = await services.datasets.createDataset({ name: 'bc', csv: fixtureCsv('breast_cancer'), labelColumn: 'benign' });
    const model = await services.models.createModel({ name: 'bc-model', datasetId: version.datasetId, layers: [{ units: 8, activation: 'relu' }] });
    modelId = model.id;
    datasetVersionId = version.id;
  }, 60_000);

  afterAll(async () => {
    await worker.close();
  });

  const base = { epochs: 4, batchSize: 64, seed: 5, backend: 'CPU' };

  function study(overrides: Partial<StartOptimizationInput>): StartOptimizationInput {
    return {
      modelId,
      datasetVersionId,
      objective: { metric: 'val_loss', direction: 'MINIMIZE' },
      searchSpace: [{ name: 'learningRate', kind: 'LOG_UNIFORM', low: 0.001, high: 0.1 }],
      strategy: 'RANDOM',
      maxTrials: 2,
      parallelism: 1,
      pruning: { kind: 'NONE' },
      seed: 1,
      baseHyperparameters: base,
      ...overrides,
    };
  }

  async function ended(runId: string, timeoutMs = 90_000): Promise<Run> {
    await waitFor(
      async () => ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes((await prisma.run.findUniqueOrThrow({ where: { id: runId } })).status),
      timeoutMs,
      50,
    );
    return prisma.run.findUniqueOrThrow({ where: { id: runId } });
  }

  async function trialsOf(studyId: string) {
    const runs = await prisma.run.findMany({ where: { parentRunId: studyId }, include: { epochs: { orderBy: { epoch: 'asc' } } } });
    return runs.map((run) => ({ ...run, trial: run.summary as unknown as TrialSummary })).sort((a, b) => a.trial.trialNumber - b.trial.trialNumber);
  }

  /** Most trials alive at one instant, each alive over [createdAt, finishedAt). */
  function maxOverlap(trials: readonly Run[]): number {
    const points = trials.flatMap((t) => [
      { at: t.createdAt.getTime(), delta: 1 },
      { at: t.finishedAt!.getTime(), delta: -1 },
    ]);
    points.sort((a, b) => a.at - b.at || a.delta - b.delta);
    let alive = 0;
    let most = 0;
    for (const point of points) most = Math.max(most, (alive += point.delta));
    return most;
  }

  it('enumerates exactly the grid, at most `parallelism` trials at once, and links the best trial version', async () => {
    const started = await services.optimization.startOptimization(
      study({
        strategy: 'GRID',
        maxTrials: 10,
        parallelism: 2,
        searchSpace: [
          { name: 'learningRate', kind: 'CHOICE', values: [0.01, 0.05] },
          { name: 'units[0]', kind: 'CHOICE', values: [4, 12] },
        ],
      }),
      'tester',
    );
    expect(started).toMatchObject({ kind: 'OPTIMIZATION', status: 'QUEUED' });
    // Sampled independently of the trials' own timestamps (every 20 ms: a sampling period, not a wait).
    let mostActive = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        mostActive = Math.max(mostActive, await prisma.run.count({ where: { parentRunId: started.id, status: { in: ['QUEUED', 'RUNNING'] } } }));
        await sleep(20);
      }
    })();
    const finished = await ended(started.id);
    sampling = false;
    await sampler;
    expect(finished.error).toBeNull();
    expect(finished.status).toBe('SUCCEEDED');

    const trials = await trialsOf(started.id);
    expect(trials.map((t) => t.trial.params)).toEqual([
      { learningRate: 0.01, 'units[0]': 4 },
      { learningRate: 0.01, 'units[0]': 12 },
      { learningRate: 0.05, 'units[0]': 4 },
      { learningRate: 0.05, 'units[0]': 12 },
    ]);
    for (const t of trials) {
      expect(t.status).toBe('SUCCEEDED');
      expect(t.kind).toBe('TRIAL');
      expect(t.hyperparameters).toMatchObject({ learningRate: t.trial.params.learningRate, architecture: { layers: [{ units: t.trial.params['units[0]'] }] } });
      expect(t.epochs).toHaveLength(4);
      expect(t.trial.objective).toBe((t.epochs[3].metrics as { val_loss: number }).val_loss);
    }
    expect(maxOverlap(trials)).toBe(2);
    expect(mostActive).toBeLessThanOrEqual(2);

    // The best trial, found here from the stored epochs: lowest val_loss at the last epoch.
    const best = trials.reduce((a, b) =>
      (b.epochs[3].metrics as { val_loss: number }).val_loss < (a.epochs[3].metrics as { val_loss: number }).val_loss ? b : a,
    );
    const version = await prisma.modelVersion.findUniqueOrThrow({ where: { runId: best.id } });
    expect(finished.summary).toMatchObject({ trialCount: 4, completed: 4, pruned: 0, exhausted: true, bestTrialId: best.id, bestModelVersionId: version.id });
    // Trials registered TRIAL versions (numbered 1..4 apart from the model's own); the study's end
    // promoted the best one alone to the model's first standard version, the only one Model.versions lists.
    expect(version).toMatchObject({ kind: 'STANDARD', version: 1 });
    const others = await prisma.modelVersion.findMany({ where: { run: { parentRunId: started.id }, id: { not: version.id } }, orderBy: { version: 'asc' } });
    expect(others.map((v) => v.kind)).toEqual(['TRIAL', 'TRIAL', 'TRIAL']);
    expect(new Set([...others.map((v) => v.version)]).size).toBe(3);
    for (const other of others) expect([1, 2, 3, 4]).toContain(other.version);
    await expect(services.modelVersions.pageVersions([modelId], { first: 100 }).then((pages) => pages.get(modelId)!.items.map((v) => v.id))).resolves.toEqual([
      version.id,
    ]);
    const leaderboard = await services.optimization.leaderboard(started.id);
    expect(leaderboard.map((e) => e.trialRunId)[0]).toBe(best.id);
    expect(leaderboard.map((e) => e.value)).toEqual([...trials.map((t) => t.trial.objective!)].sort((a, b) => a - b));
  }, 120_000);

  it('prunes a trial that learns far slower than the median, with the reason', async () => {
    const started = await services.optimization.startOptimization(
      study({
        strategy: 'GRID',
        maxTrials: 3,
        parallelism: 1,
        searchSpace: [{ name: 'learningRate', kind: 'CHOICE', values: [0.05, 0.03, 0.000001] }],
        pruning: { kind: 'MEDIAN', warmupEpochs: 2, startupTrials: 2 },
        baseHyperparameters: { ...base, epochs: 8 },
      }),
      'tester',
    );
    const finished = await ended(started.id);
    expect(finished.status).toBe('SUCCEEDED');
    const [first, second, slow] = await trialsOf(started.id);
    expect([first.trial.pruned, second.trial.pruned]).toEqual([false, false]);
    expect(slow.status).toBe('SUCCEEDED');
    expect(slow.trial.pruned).toBe(true);
    // Pruned at the first epoch after the 2 warm-up epochs.
    expect(slow.epochs).toHaveLength(3);
    expect(slow.trial.pruneReason).toMatch(/^val_loss [\d.]+ at epoch 3 is worse than the median [\d.]+ of 2 finished trials at epoch 3$/);
    expect(await prisma.modelVersion.count({ where: { runId: slow.id } })).toBe(0);
    expect(finished.summary).toMatchObject({ trialCount: 3, completed: 2, pruned: 1 });
  }, 120_000);

  it.each([
    ['cancelStudy', (id: string) => services.optimization.cancelStudy(id)],
    ['cancelRun on the study (its coordinator cancels the trials)', (id: string) => services.training.cancelRun(id)],
  ])(
    'cancels its queued and running trials when the study is cancelled with %s',
    async (_how, cancel) => {
      const started = await services.optimization.startOptimization(
        study({ maxTrials: 6, parallelism: 2, baseHyperparameters: { ...base, epochs: 5000, batchSize: 8 } }),
        'tester',
      );
      await waitFor(async () => (await prisma.run.count({ where: { parentRunId: started.id, status: 'RUNNING' } })) === 2, 60_000, 50);
      await cancel(started.id);
      expect((await ended(started.id, 10_000)).status).toBe('CANCELLED');
      await waitFor(async () => (await prisma.run.count({ where: { parentRunId: started.id, status: { in: ['QUEUED', 'RUNNING'] } } })) === 0, 10_000, 50);
      const trials = await trialsOf(started.id);
      expect(trials.map((t) => t.status)).toEqual(['CANCELLED', 'CANCELLED']);
    },
    120_000,
  );

  it('carries on a study whose coordinator died, from the trials in the database', async () => {
    // A service whose study job never reaches the queue, so a "dead" worker can take the study.
    const unqueued = new OptimizationService(prisma, worker.events, { enqueueRun: async () => null }, services.runStore, services.models);
    const created = await unqueued.startOptimization(study({ strategy: 'RANDOM', maxTrials: 4, parallelism: 2 }), 'tester');
    const claimed = (await services.runStore.claimRun(created.id, 'dead-worker'))!;
    // The dead coordinator creates two trials (on the real queue), then stops for good without ending the study.
    const controller = new AbortController();
    const dying: RunExecutionContext = {
      workerId: 'dead-worker',
      attempt: 1,
      signal: controller.signal,
      logger,
      shouldStop: () => controller.signal.aborted,
      recordEpoch: async () => false,
    };
    const coordinator = createStudyJob({ prisma, optimization: services.optimization, pollIntervalMs: 50 })(claimed, dying);
    await waitFor(async () => (await prisma.run.count({ where: { parentRunId: created.id } })) === 2, 20_000, 20);
    controller.abort();
    await coordinator;
    expect((await prisma.run.findUniqueOrThrow({ where: { id: created.id } })).status).toBe('RUNNING');

    const reaper = new RunReaper({ store: services.runStore, queue, staleAfterMs: 1500, maxAttempts: 3 });
    // Staleness is judged on the database clock: its last heartbeat moves 2 s into the past instead of waiting.
    await prisma.$executeRaw`UPDATE runs SET heartbeat_at = heartbeat_at - interval '2 seconds' WHERE id = ${created.id}::uuid`;
    expect((await reaper.sweep()).requeued).toContain(created.id);
    const finished = await ended(created.id);
    expect(finished.status).toBe('SUCCEEDED');
    expect(finished.attempts).toBe(2);
    const trials = await trialsOf(created.id);
    expect(trials.map((t) => t.trial.trialNumber)).toEqual([0, 1, 2, 3]);
    expect(trials.map((t) => t.status)).toEqual(['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED']);
    expect(finished.summary).toMatchObject({ trialCount: 4, completed: 4 });
  }, 120_000);

  it('samples the same trials for the same seed, and other trials for another seed', async () => {
    const space: StartOptimizationInput['searchSpace'] = [
      { name: 'learningRate', kind: 'LOG_UNIFORM', low: 0.001, high: 0.1 },
      { name: 'units[0]', kind: 'INT_RANGE', low: 2, high: 32 },
      { name: 'optimizer', kind: 'CHOICE', values: ['ADAM', 'SGD'] },
    ];
    const paramsOf = async (seed: number) => {
      const started = await services.optimization.startOptimization(
        study({ seed, maxTrials: 3, parallelism: 3, searchSpace: space, baseHyperparameters: { ...base, epochs: 1 } }),
        'tester',
      );
      expect((await ended(started.id)).status).toBe('SUCCEEDED');
      return (await trialsOf(started.id)).map((t) => t.trial.params);
    };
    const [first, again, other] = [await paramsOf(21), await paramsOf(21), await paramsOf(22)];
    expect(again).toEqual(first);
    expect(new Set(first.map((p) => p.learningRate)).size).toBe(3);
    expect(other.map((p) => p.learningRate)).not.toContain(first[0].learningRate);
  }, 120_000);

  it('cancels a queued study at once, and refuses to cancel a finished one', async () => {
    const unqueued = new OptimizationService(prisma, worker.events, { enqueueRun: async () => null }, services.runStore, services.models);
    const queued = await unqueued.startOptimization(study({}), 'tester');
    await expect(services.optimization.cancelStudy(queued.id)).resolves.toMatchObject({ id: queued.id, status: 'CANCELLED' });
    await expect(services.optimization.cancelStudy(queued.id)).resolves.toMatchObject({ status: 'CANCELLED' });
    const finished = await prisma.run.findFirstOrThrow({ where: { kind: 'OPTIMIZATION', status: 'SUCCEEDED' } });
    await expect(services.optimization.cancelStudy(finished.id)).rejects.toBeInstanceOf(InvalidStateError);
    const trial = await prisma.run.findFirstOrThrow({ where: { kind: 'TRIAL' } });
    await expect(services.optimization.cancelStudy(trial.id)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('rejects an invalid study with the field at fault', async () => {
    await expect(
      services.optimization.startOptimization(study({ searchSpace: [{ name: 'units[3]', kind: 'CHOICE', values: [4] }] }), 'tester'),
    ).rejects.toMatchObject({
      location: { field: 'input.searchSpace[0].name' },
    });
    await expect(services.optimization.startOptimization(study({ objective: { metric: 'val_mae', direction: 'MINIMIZE' } }), 'tester')).rejects.toBeInstanceOf(
      ValidationError,
    );
    await expect(services.optimization.startOptimization(study({ parallelism: 0 }), 'tester')).rejects.toMatchObject({
      location: { field: 'input.parallelism' },
    });
    await expect(
      services.optimization.startOptimization(
        study({ strategy: 'GRID', searchSpace: [{ name: 'learningRate', kind: 'UNIFORM', low: 0.01, high: 0.1 }] }),
        'tester',
      ),
    ).rejects.toMatchObject({ location: { field: 'input.searchSpace.learningRate.gridPoints' } });
  });
});
