import { loadConfig } from '../../../src/config/config';
import { ValidationError } from '../../../src/domain/errors';
import { countParameters } from '../../../src/domain/models/model-size';
import type { PrismaClient } from '../../../src/infra/db/prisma-client';
import { JobQueue, RUN_QUEUES } from '../../../src/infra/queue/job-queue';
import { createDomainServices, type DomainServices } from '../../../src/services/services';
import { createTrainingJob } from '../../../src/services/training/training-job';
import { startInProcessWorker, type InProcessWorker } from '../../support/in-process-worker';
import { fixtureCsv } from '../../support/fixtures';
import { waitFor } from '../../support/wait-for';

/**
 * Issue 9 point 4: a model that cannot fit is refused at createModel (and a run whose step or
 * memory is too big at startTrainingRun) with the numbers; a large model's run stops within 2 s of
 * cancelRun; a worker past its memory limit fails the run with a clear error (real tfjs training).
 */
describe('big models are bounded and cancellable', () => {
  let worker: InProcessWorker;
  let prisma: PrismaClient;
  let queue: JobQueue;
  let services: DomainServices;
  let datasetId: string;
  let versionId: string;
  /** The worker's memory limit, read by the job at the start of each run. */
  let memoryLimitBytes = Infinity;

  beforeAll(async () => {
    worker = await startInProcessWorker({ env: { MLPLANE_WORKER_MEMORY_LIMIT_MB: '4096' } });
    ({ prisma, queue, services } = worker);
    const { events, executor } = worker;
    const job = {
      datasets: services.datasets,
      models: services.models,
      events,
      get memoryLimitBytes() {
        return memoryLimitBytes;
      },
    };
    await queue.work(RUN_QUEUES.TRAINING, executor.jobHandler(createTrainingJob(job)), { concurrency: 1 });
    const { version } = await services.datasets.createDataset({ name: 'digits', csv: fixtureCsv('digits'), labelColumn: 'digit' });
    datasetId = version.datasetId;
    versionId = version.id;
  }, 60_000);

  afterAll(async () => {
    await worker.close();
  });

  async function finished(runId: string, timeoutMs: number) {
    await waitFor(async () => ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes((await services.training.findRun(runId))!.status), timeoutMs, 50);
    return (await services.training.findRun(runId))!;
  }

  const wide = (layers: number, units: number) => Array.from({ length: layers }, () => ({ units, activation: 'relu' as const }));

  it('refuses at createModel a model over MLPLANE_MAX_MODEL_PARAMETERS, with its parameter count and the limit', async () => {
    // digits: 64 pixel features, 10 classes.
    const expected = countParameters({ inputWidth: 64, hiddenUnits: Array(10).fill(4096), outputUnits: 10 });
    expect(expected).toBe(64 * 4096 + 4096 + 9 * (4096 * 4096 + 4096) + 4096 * 10 + 10);
    const refused = services.models.createModel({ name: 'huge', datasetId, layers: wide(10, 4096) });
    await expect(refused).rejects.toBeInstanceOf(ValidationError);
    await expect(refused).rejects.toMatchObject({ location: { field: 'input.layers' } });
    await expect(refused).rejects.toThrow(`the model has ${expected.toLocaleString('en-US')} parameters`);
    await expect(refused).rejects.toThrow('over the limit of 20,000,000 (MLPLANE_MAX_MODEL_PARAMETERS)');
    expect(await prisma.model.count({ where: { name: 'huge' } })).toBe(0);
  });

  it('refuses a model whose estimated training memory is over the worker memory limit', async () => {
    const small = createDomainServices({ prisma, events: worker.events, queue, config: loadConfig({ MLPLANE_WORKER_MEMORY_LIMIT_MB: '500' }) });
    // 4 x 2048: about 12.7 M parameters, 200 MB of training state on top of the 400 MB a worker starts with.
    const refused = small.models.createModel({ name: 'too-big-for-500mb', datasetId, layers: wide(4, 2048) });
    await expect(refused).rejects.toMatchObject({ location: { field: 'input.layers' } });
    await expect(refused).rejects.toThrow(
      /needs about [\d,]+ MB \([\d,]+ parameters\), over the worker memory limit of 500 MB \(MLPLANE_WORKER_MEMORY_LIMIT_MB\)/,
    );
  });

  it('refuses at startTrainingRun a full-batch step too costly to cancel within 2 s, naming the batch size that fits', async () => {
    const model = await services.models.createModel({ name: 'wide', datasetId, layers: wide(4, 1024) });
    // A batch of at least the training rows is one full batch.
    const refused = services.training.startTrainingRun(
      { modelId: model.id, datasetVersionId: versionId, hyperparameters: { epochs: 1, batchSize: 1_000_000 } },
      'test',
    );
    await expect(refused).rejects.toMatchObject({ location: { field: 'input.hyperparameters.batchSize' } });
    await expect(refused).rejects.toThrow(/GFLOP, over the limit of 20 GFLOP that keeps a cancel within 2 s; use a batchSize of at most [\d,]+/);
    expect(await prisma.run.count({ where: { modelId: model.id } })).toBe(0);
  });

  it("stops a large model's run within 2 s of cancelRun", async () => {
    const model = await services.models.createModel({ name: 'large', datasetId, layers: wide(3, 1024) });
    const run = await services.training.startTrainingRun(
      { modelId: model.id, datasetVersionId: versionId, hyperparameters: { epochs: 1000, batchSize: 512, seed: 1, backend: 'TENSORFLOW' } },
      'test',
    );
    await waitFor(async () => (await prisma.runEpoch.count({ where: { runId: run.id } })) >= 1, 60_000, 50);
    const requestedAt = Date.now();
    await services.training.cancelRun(run.id);
    const ended = await finished(run.id, 10_000);
    expect(ended.status).toBe('CANCELLED');
    expect(ended.finishedAt!.getTime() - requestedAt).toBeLessThan(2_000);
  }, 120_000);

  it('fails a run whose worker goes past its memory limit, with both figures, instead of being killed', async () => {
    memoryLimitBytes = 64 * 1024 * 1024;
    try {
      const model = await services.models.createModel({ name: 'watched', datasetId, layers: wide(1, 32) });
      const run = await services.training.startTrainingRun(
        { modelId: model.id, datasetVersionId: versionId, hyperparameters: { epochs: 50, batchSize: 32, seed: 1 } },
        'test',
      );
      const ended = await finished(run.id, 60_000);
      expect(ended.status).toBe('FAILED');
      expect(ended.error).toMatch(/^the worker used [\d,]+ MB while training, over its memory limit of 64 MB \(MLPLANE_WORKER_MEMORY_LIMIT_MB\)/);
      expect(await prisma.modelVersion.count({ where: { runId: run.id } })).toBe(0);
    } finally {
      memoryLimitBytes = Infinity;
    }
  }, 120_000);
});
