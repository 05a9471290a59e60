import { existsSync, readFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { InvalidStateError } from '../../../src/domain/errors';
import type { PrismaClient } from '../../../src/infra/db/prisma-client';
import { JobQueue, RUN_QUEUES } from '../../../src/infra/queue/job-queue';
import type { DomainServices } from '../../../src/services/services';
import { createTrainingJob } from '../../../src/services/training/training-job';
import { startInProcessWorker, type InProcessWorker } from '../../support/in-process-worker';
import { fixtureCsv } from '../../support/fixtures';
import { waitFor } from '../../support/wait-for';

/**
 * Training through the real pieces: the run service queues on pg-boss, an in-process worker
 * (the same executor and job as `mlplane worker`) trains with tfjs and registers the version.
 */
describe('training runs on a worker', () => {
  let worker: InProcessWorker;
  let prisma: PrismaClient;
  let queue: JobQueue;
  let services: DomainServices;
  const tensorboardDir = mkdtempSync(path.join(os.tmpdir(), 'mlplane-tensorboard-'));

  beforeAll(async () => {
    worker = await startInProcessWorker();
    ({ prisma, queue, services } = worker);
    const { events, executor } = worker;
    await queue.work(
      RUN_QUEUES.TRAINING,
      executor.jobHandler(createTrainingJob({ datasets: services.datasets, models: services.models, events, tensorboardDir })),
      {
        concurrency: 1,
      },
    );
  }, 60_000);

  afterAll(async () => {
    await worker.close();
    rmSync(tensorboardDir, { recursive: true, force: true });
  });

  async function finished(runId: string, timeoutMs = 120_000) {
    await waitFor(async () => ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes((await services.training.findRun(runId))!.status), timeoutMs, 100);
    return (await services.training.findRun(runId))!;
  }

  async function train(name: string, csv: string, labelColumn: string, hyperparameters: Record<string, unknown>, units = 16) {
    const { version } = await services.datasets.createDataset({ name, csv, labelColumn });
    const model = await services.models.createModel({ name: `${name}-model`, datasetId: version.datasetId, layers: [{ units, activation: 'relu' }] });
    const run = await services.training.startTrainingRun({ modelId: model.id, datasetVersionId: version.id, hyperparameters }, 'tester');
    expect(run.status).toBe('QUEUED');
    return { run: await finished(run.id), version, model };
  }

  it('trains breast_cancer to a registered, evaluated version with test accuracy >= 0.93', async () => {
    const { run, version, model } = await train('breast-cancer', fixtureCsv('breast_cancer'), 'benign', { epochs: 30, batchSize: 32, seed: 7 });
    expect(run.error).toBeNull();
    expect(run.status).toBe('SUCCEEDED');
    expect(['tensorflow', 'cpu']).toContain(run.backend);
    expect(run.backendReason).toMatch(/AUTO/);
    const modelVersion = await prisma.modelVersion.findUniqueOrThrow({ where: { runId: run.id }, include: { evaluations: true } });
    expect(modelVersion).toMatchObject({ modelId: model.id, version: 1, datasetVersionId: version.id, datasetContentHash: version.contentHash });
    expect(modelVersion.artifactSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(modelVersion.environment).toMatchObject({ nodeVersion: process.version, tfjsVersion: '4.22.0' });
    const [evaluation] = modelVersion.evaluations;
    expect(evaluation.split).toBe('TEST');
    const metrics = evaluation.metrics as { accuracy: number; rocAuc: number; confusionMatrix: number[][] };
    expect(metrics.accuracy).toBeGreaterThanOrEqual(0.93);
    expect(metrics.rocAuc).toBeGreaterThan(0.95);
    expect(metrics.confusionMatrix.flat().reduce((a, b) => a + b, 0)).toBe(evaluation.rowCount);
    const importance = modelVersion.featureImportance as { feature: string; importance: number }[];
    expect(importance).toHaveLength(30);
    const epochs = await services.training.epochs(run.id);
    expect(epochs.map((e) => e.epoch)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(epochs[29].metrics).toEqual(expect.objectContaining({ loss: expect.any(Number), accuracy: expect.any(Number), val_loss: expect.any(Number) }));
  }, 180_000);

  it("learns with Keras' defaults alone (10 epochs, batches of 32, Adam 0.001): 130 steps on breast_cancer, no warning", async () => {
    const { run } = await train('bc-defaults', fixtureCsv('breast_cancer'), 'benign', { seed: 5 }, 10);
    expect(run.status).toBe('SUCCEEDED');
    expect(run.warnings).toEqual([]);
    // 569 rows: 398 training rows, ceil(398 / 32) = 13 batches, x 10 epochs.
    expect(run.summary).toMatchObject({
      loss: 'BINARY_CROSSENTROPY',
      epochsRun: 10,
      batchSize: 32,
      gradientSteps: 130,
      plannedGradientSteps: 130,
      warnings: [],
    });
    const evaluation = await prisma.evaluation.findFirstOrThrow({ where: { modelVersion: { runId: run.id } } });
    expect((evaluation.metrics as { accuracy: number }).accuracy).toBeGreaterThanOrEqual(0.9);
    const epochs = await services.training.epochs(run.id);
    // Each epoch's own time, and the time since training started, which adds them up.
    let sum = 0;
    for (const epoch of epochs) {
      sum += epoch.epochMs;
      expect(epoch.elapsedMs).toBeGreaterThanOrEqual(sum - 1e-6);
    }
    expect(epochs[9].elapsedMs).toBeGreaterThan(epochs[9].epochMs);
  }, 180_000);

  it('warns when the settings give fewer than 100 gradient steps, on the run and in its summary', async () => {
    // iris: 150 rows, 105 training rows, 4 batches of 32 x 10 epochs = 40 steps.
    const { run } = await train('iris-defaults', fixtureCsv('iris'), 'species', { seed: 2, backend: 'CPU' });
    expect(run.status).toBe('SUCCEEDED');
    const warnings = run.warnings as Array<{ code: string; message: string }>;
    expect(warnings.map((warning) => warning.code)).toEqual(['FEW_GRADIENT_STEPS']);
    expect(warnings[0].message).toMatch(/^these settings give 40 gradient steps \(10 epochs x 4 batches of up to 32 of 105 training rows\), fewer than 100/);
    expect(run.summary).toMatchObject({ gradientSteps: 40, plannedGradientSteps: 40, warnings: [warnings[0].message] });
  }, 180_000);

  it("trains on every row with no validation or test split (Keras' plain fit), with a Huber loss, compiled: no validation or test metrics", async () => {
    const { run } = await train('diabetes-all-rows', fixtureCsv('diabetes'), 'progression', {
      epochs: 12,
      seed: 4,
      loss: 'HUBER',
      split: { train: 1, validation: 0, test: 0 },
      earlyStopping: { monitor: 'loss', patience: 3 },
      backend: 'TENSORFLOW_COMPILED',
    });
    expect(run.error).toBeNull();
    expect(run.status).toBe('SUCCEEDED');
    expect(run.summary).toMatchObject({ loss: 'HUBER', stepEngine: 'COMPILED', splitSizes: { train: 442, validation: 0, test: 0 }, testMetrics: null });
    const version = await prisma.modelVersion.findUniqueOrThrow({ where: { runId: run.id }, include: { evaluations: true } });
    expect(version.evaluations).toEqual([]);
    expect(version.featureImportance).toBeNull();
    const epochs = await services.training.epochs(run.id);
    expect(epochs.length).toBeGreaterThan(0);
    for (const epoch of epochs) expect(Object.keys(epoch.metrics as object).sort()).toEqual(['loss', 'mae', 'rmse']);
  }, 180_000);

  it('trains iris (multiclass) to test accuracy >= 0.90', async () => {
    const { run } = await train('iris', fixtureCsv('iris'), 'species', { epochs: 60, batchSize: 16, seed: 3, backend: 'CPU' });
    expect(run.status).toBe('SUCCEEDED');
    const evaluation = await prisma.evaluation.findFirstOrThrow({ where: { modelVersion: { runId: run.id } } });
    expect((evaluation.metrics as { accuracy: number }).accuracy).toBeGreaterThanOrEqual(0.9);
  }, 180_000);

  it('trains diabetes (regression) to test R2 >= 0.3', async () => {
    const { run } = await train('diabetes', fixtureCsv('diabetes'), 'progression', {
      epochs: 60,
      batchSize: 32,
      seed: 11,
      learningRate: 0.005,
      backend: 'CPU',
    });
    expect(run.status).toBe('SUCCEEDED');
    const evaluation = await prisma.evaluation.findFirstOrThrow({ where: { modelVersion: { runId: run.id } } });
    expect((evaluation.metrics as { r2: number }).r2).toBeGreaterThanOrEqual(0.3);
  }, 180_000);

  it('gives the same split, initial weights and final loss for the same seed and backend', async () => {
    const { version } = await services.datasets.createDataset({ name: 'repro', csv: fixtureCsv('breast_cancer'), labelColumn: 'benign' });
    const model = await services.models.createModel({ name: 'repro-model', datasetId: version.datasetId, layers: [{ units: 8, activation: 'relu' }] });
    const hyperparameters = { epochs: 5, batchSize: 64, seed: 99, backend: 'TENSORFLOW' };
    const runs = [];
    for (let i = 0; i < 2; i++) {
      const run = await services.training.startTrainingRun({ modelId: model.id, datasetVersionId: version.id, hyperparameters }, 'tester');
      runs.push(await finished(run.id));
    }
    // Native-backend runs save their artifact too (tfjs's own encoder refused native arrays under jest).
    expect(runs.map((run) => [run.status, run.backend, run.error])).toEqual([
      ['SUCCEEDED', 'tensorflow', null],
      ['SUCCEEDED', 'tensorflow', null],
    ]);
    const [a, b] = await Promise.all(runs.map((run) => services.training.epochs(run.id)));
    expect(a).toHaveLength(5);
    for (let i = 0; i < 5; i++) expect((a[i].metrics as { loss: number }).loss).toBeCloseTo((b[i].metrics as { loss: number }).loss, 4);
    // On the native backend each run also wrote TensorBoard event files for both splits.
    for (const split of ['train', 'validation']) {
      const dir = path.join(tensorboardDir, runs[0].id, split);
      expect(existsSync(dir)).toBe(true);
      expect(readdirSync(dir).some((file) => file.startsWith('events.out.tfevents'))).toBe(true);
    }
  }, 180_000);

  it('writes the same TensorBoard event files on the cpu backend as on tensorflow, and says so in the summary', async () => {
    const csv = fixtureCsv('breast_cancer');
    const { version } = await services.datasets.createDataset({ name: 'bc-tensorboard', csv, labelColumn: 'benign' });
    const model = await services.models.createModel({
      name: 'bc-tensorboard-model',
      datasetId: version.datasetId,
      layers: [{ units: 10, activation: 'relu' }],
    });
    const tagsOf = (runId: string, split: string): string[] => {
      const dir = path.join(tensorboardDir, runId, split);
      const files = readdirSync(dir).filter((file) => file.startsWith('events.out.tfevents'));
      expect(files.length).toBeGreaterThan(0);
      const bytes = files.map((file) => readFileSync(path.join(dir, file)).toString('latin1')).join('');
      return [...bytes.matchAll(/epoch_[a-z_]+/g)].map((match) => match[0]).sort();
    };
    const tags: Record<string, string[][]> = {};
    for (const backend of ['CPU', 'TENSORFLOW']) {
      const started = await services.training.startTrainingRun(
        { modelId: model.id, datasetVersionId: version.id, hyperparameters: { epochs: 3, batchSize: 32, seed: 3, backend } },
        'test',
      );
      const run = await finished(started.id);
      expect(run.status).toBe('SUCCEEDED');
      expect(run.backend).toBe(backend.toLowerCase());
      expect((run.summary as { tensorboard: unknown }).tensorboard).toEqual({ written: true, dir: path.join(tensorboardDir, run.id) });
      tags[backend] = ['train', 'validation'].map((split) => tagsOf(run.id, split));
    }
    // One scalar per metric and epoch, under the same tags, in both splits.
    expect(tags.CPU).toEqual(tags.TENSORFLOW);
    expect(tags.CPU[0].filter((tag) => tag === 'epoch_loss')).toHaveLength(3);
    expect(tags.CPU[1].filter((tag) => tag === 'epoch_loss')).toHaveLength(3);
  }, 180_000);

  it('cancels a running run within 2 s and registers no version', async () => {
    const { version } = await services.datasets.createDataset({ name: 'cancel', csv: fixtureCsv('digits'), labelColumn: 'digit' });
    const model = await services.models.createModel({ name: 'cancel-model', datasetId: version.datasetId, layers: [{ units: 64, activation: 'relu' }] });
    const run = await services.training.startTrainingRun(
      { modelId: model.id, datasetVersionId: version.id, hyperparameters: { epochs: 5000, batchSize: 1, seed: 1 } },
      'tester',
    );
    await waitFor(async () => (await services.training.findRun(run.id))!.status === 'RUNNING', 60_000, 50);
    const requestedAt = Date.now();
    await services.training.cancelRun(run.id);
    const ended = await finished(run.id, 10_000);
    expect(ended.status).toBe('CANCELLED');
    expect(ended.finishedAt!.getTime() - requestedAt).toBeLessThan(2_000);
    expect(await prisma.modelVersion.count({ where: { runId: run.id } })).toBe(0);
    await expect(services.training.cancelRun(run.id)).resolves.toMatchObject({ status: 'CANCELLED' });
  }, 120_000);

  it('refuses to load a version whose stored artifact was tampered with', async () => {
    const version = await prisma.modelVersion.findFirstOrThrow({ where: { model: { name: 'breast-cancer-model' } } });
    const loaded = await services.modelVersions.loadModel(version.id);
    loaded.model.dispose();
    const artifact = await prisma.modelArtifact.findUniqueOrThrow({ where: { modelVersionId: version.id } });
    const tampered = Buffer.from(artifact.bytes);
    tampered[tampered.length - 1] ^= 0xff;
    await prisma.modelArtifact.update({ where: { modelVersionId: version.id }, data: { bytes: new Uint8Array(tampered) } });
    await expect(services.modelVersions.loadModel(version.id)).rejects.toBeInstanceOf(InvalidStateError);
    await expect(services.modelVersions.loadModel(version.id)).rejects.toThrow(version.artifactSha256);
  });
});
