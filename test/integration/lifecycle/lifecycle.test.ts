import { loadConfig } from '../../../src/config/config';
import { InUseError, InvalidStateError, NotFoundError } from '../../../src/domain/errors';
import type { DeletionReport } from '../../../src/domain/lifecycle/deletion';
import { createPrismaClient, type PrismaClient } from '../../../src/infra/db/prisma-client';
import { registerModelVersion } from '../../../src/services/model-versions/register-model-version';
import { createDomainServices, type DomainServices } from '../../../src/services/services';
import { fixtureCsv } from '../../support/fixtures';
import { RecordingPublisher } from '../../support/run-fixtures';
import { createTestDatabase, type TestDatabase } from '../../support/test-database';
import { trainVersions, type TrainedVersions } from '../../support/trained-version';
import { evidence } from '../../support/alert-details';

/**
 * Archive, restore and delete of datasets, models, model versions, studies and deployments,
 * through the services on a real database: what is hidden, what is refused (and why), and that a
 * deletion removes exactly what belongs to the deleted thing, counted.
 */
describe('lifecycle of datasets, models, versions, studies and deployments', () => {
  let db: TestDatabase;
  let prisma: PrismaClient;
  let services: DomainServices;
  let bc: TrainedVersions;
  let instance: Record<string, number>;

  beforeAll(async () => {
    db = await createTestDatabase();
    prisma = createPrismaClient(db.url, 6);
    // Runs are queued nowhere: nothing here trains through the queue.
    services = createDomainServices({ prisma, events: new RecordingPublisher(), queue: { enqueueRun: async () => null }, config: loadConfig({}) });
    bc = await trainVersions(prisma, services, { name: 'bc', csv: fixtureCsv('breast_cancer'), labelColumn: 'benign', seeds: [1, 2, 3], epochs: 1 });
    const [header, first] = fixtureCsv('breast_cancer').trim().split(/\r?\n/);
    const names = header.split(',');
    instance = Object.fromEntries(
      first
        .split(',')
        .map((cell, i) => [names[i], Number(cell)])
        .filter(([name]) => name !== 'benign'),
    );
  }, 120_000);

  afterAll(async () => {
    // The drift monitor runs checks in the background (and a thread for their statistics): stop it before the database goes.
    await services.driftMonitor.stop();
    await prisma.$disconnect();
    await db.drop();
  });

  const counts = (report: DeletionReport) => Object.fromEntries(report.deleted.map((d) => [d.kind, d.count]));
  const refusal = (promise: Promise<unknown>) =>
    promise.then(
      () => {
        throw new Error('expected a refusal');
      },
      (error: unknown) => error,
    );

  /** A study of the bc model whose jobs go nowhere (its trials are made by hand). */
  const startStudy = (maxTrials: number) =>
    services.optimization.startOptimization(
      {
        modelId: bc.modelId,
        datasetVersionId: bc.datasetVersionId,
        objective: { metric: 'val_loss', direction: 'MINIMIZE' },
        searchSpace: [{ name: 'learningRate', kind: 'LOG_UNIFORM', low: 0.001, high: 0.1 }],
        strategy: 'RANDOM',
        maxTrials,
      },
      'bob',
    );

  /** A copy of a version as another registration (same artifact), e.g. a trial's version under a trial run. */
  async function copyVersion(sourceId: string, registration: { runId?: string; kind?: 'STANDARD' | 'TRIAL' }) {
    const source = await prisma.modelVersion.findUniqueOrThrow({ where: { id: sourceId }, include: { artifact: true, datasetVersion: true } });
    return prisma.$transaction((tx) =>
      registerModelVersion(tx, {
        modelId: source.modelId,
        ...registration,
        datasetVersion: source.datasetVersion,
        trained: {
          artifact: { sha256: source.artifactSha256, bytes: Buffer.from(source.artifact!.bytes) },
          preprocessing: source.preprocessing as never,
          environment: source.environment as never,
        },
        hyperparameters: source.hyperparameters as never,
      }),
    );
  }

  it('archives a dataset: hidden from the list unless asked, no new versions or models, readable by name; restored, it takes work again', async () => {
    const { dataset } = await services.datasets.createDataset({ name: 'iris-archive', csv: fixtureCsv('iris'), labelColumn: 'species' });
    const archived = await services.archive.archiveDataset(dataset.id);
    expect(archived.archivedAt).toBeInstanceOf(Date);
    const visible = await services.datasets.listDatasets({ first: 100 });
    expect(visible.items.map((d) => d.name)).not.toContain('iris-archive');
    expect(visible.totalCount).toBe(visible.items.length);
    const all = await services.datasets.listDatasets({ first: 100 }, { includeArchived: true });
    expect(all.items.map((d) => d.name)).toContain('iris-archive');
    expect(all.totalCount).toBe(visible.totalCount + 1);
    expect((await services.datasets.findDataset({ name: 'iris-archive' }))!.archivedAt).toEqual(archived.archivedAt);

    await expect(services.datasets.createDatasetVersion({ datasetId: dataset.id, csv: fixtureCsv('iris') + '\n' })).rejects.toMatchObject({
      constructor: InvalidStateError,
      location: { field: 'input.datasetId' },
    });
    await expect(services.models.createModel({ name: 'on-archived', datasetId: dataset.id, layers: [{ units: 4, activation: 'relu' }] })).rejects.toMatchObject(
      {
        constructor: InvalidStateError,
        location: { field: 'input.datasetId' },
      },
    );
    await expect(services.archive.archiveDataset(dataset.id)).rejects.toBeInstanceOf(InvalidStateError);
    await expect(services.archive.archiveDataset('00000000-0000-4000-8000-000000000000')).rejects.toBeInstanceOf(NotFoundError);
    await expect(services.archive.archiveDataset('not-a-uuid')).rejects.toBeInstanceOf(NotFoundError);

    expect((await services.archive.restoreDataset(dataset.id)).archivedAt).toBeNull();
    await expect(services.archive.restoreDataset(dataset.id)).rejects.toBeInstanceOf(InvalidStateError);
    expect((await services.datasets.createDatasetVersion({ datasetId: dataset.id, csv: fixtureCsv('iris') + '\n' })).created).toBe(true);
  });

  it('archives a model only when no serving deployment uses it; an archived model takes no runs or deployments', async () => {
    const model = await trainVersions(prisma, services, {
      name: 'model-archive',
      csv: fixtureCsv('breast_cancer'),
      labelColumn: 'benign',
      seeds: [1],
      epochs: 1,
    });
    const { deployment } = await services.deployments.deployModel({ name: 'model-archive-web', modelVersionId: model.versionIds[0] }, 'bob');
    const error = await refusal(services.archive.archiveModel(model.modelId));
    expect(error).toBeInstanceOf(InUseError);
    expect(error).toMatchObject({ usedBy: [{ kind: 'DEPLOYMENT', id: deployment.id, name: 'model-archive-web', how: 'serves it' }] });

    await services.deployments.archiveDeployment('model-archive-web', 'bob');
    const archived = await services.archive.archiveModel(model.modelId);
    expect(archived.archivedAt).toBeInstanceOf(Date);
    expect((await services.models.listModels({ first: 100 })).items.map((m) => m.id)).not.toContain(model.modelId);
    expect((await services.models.listModels({ first: 100 }, { includeArchived: true })).items.map((m) => m.id)).toContain(model.modelId);
    await expect(
      services.training.startTrainingRun({ modelId: model.modelId, datasetVersionId: model.datasetVersionId, hyperparameters: {} }, 'bob'),
    ).rejects.toMatchObject({
      constructor: InvalidStateError,
      location: { field: 'input.modelId' },
    });
    await expect(services.deployments.deployModel({ name: 'model-archive-2', modelVersionId: model.versionIds[0] }, 'bob')).rejects.toMatchObject({
      constructor: InvalidStateError,
      location: { field: 'input.modelVersionId' },
    });
    await services.archive.restoreModel(model.modelId);
    await services.deployments.deployModel({ name: 'model-archive-2', modelVersionId: model.versionIds[0] }, 'bob');
  }, 60_000);

  it('archives a version only when no alias or deployment uses it, and hides it from the version list unless asked', async () => {
    const model = await trainVersions(prisma, services, {
      name: 'version-archive',
      csv: fixtureCsv('breast_cancer'),
      labelColumn: 'benign',
      seeds: [1, 2, 3],
      epochs: 1,
    });
    const [v1, v2, v3] = model.versionIds;
    await services.modelVersions.setAlias({ modelVersionId: v1, alias: 'production' }, 'bob');
    await services.deployments.deployModel({ name: 'version-archive-web', modelVersionId: v2 }, 'bob');
    await services.deployments.startCanary({ deployment: 'version-archive-web', modelVersionId: v3, percent: 10 }, 'bob');
    for (const [id, how] of [
      [v1, 'points at it'],
      [v2, 'serves it'],
      [v3, 'runs it as its canary'],
    ]) {
      const error = await refusal(services.archive.archiveModelVersion(id));
      expect(error).toBeInstanceOf(InUseError);
      expect((error as InUseError).usedBy.map((u) => u.how)).toEqual([how]);
    }
    await services.deployments.rollbackDeployment({ deployment: 'version-archive-web', reason: 'free v3' }, 'bob');
    const archived = await services.archive.archiveModelVersion(v3);
    expect(archived).toMatchObject({ id: v3, archivedAt: expect.any(Date) });
    const listed = async (options = {}) =>
      (await services.modelVersions.pageVersions([model.modelId], { first: 100 }, options)).get(model.modelId)!.items.map((v) => v.id);
    expect(await listed()).toEqual([v2, v1]);
    expect(await listed({ includeArchived: true })).toEqual([v3, v2, v1]);
    expect(await listed({ kinds: ['TRIAL'] })).toEqual([]);
    await services.archive.restoreModelVersion(v3);
    expect(await listed()).toEqual([v3, v2, v1]);
  }, 60_000);

  it('archives a study with its trials once it has ended, hiding them from the run list', async () => {
    const study = await startStudy(2);
    const trial = await services.optimization.createTrial(study, 0, { learningRate: 0.01 });
    await expect(services.archive.archiveStudy(study.id)).rejects.toMatchObject({
      constructor: InvalidStateError,
      message: expect.stringContaining('QUEUED: cancel it first'),
    });
    await services.optimization.cancelStudy(study.id);
    const archived = await services.archive.archiveStudy(study.id);
    expect(archived.archivedAt).toBeInstanceOf(Date);
    expect((await prisma.run.findUniqueOrThrow({ where: { id: trial.id } })).archivedAt).toEqual(archived.archivedAt);
    const ids = async (includeArchived: boolean) =>
      (await services.training.listRuns({ modelId: bc.modelId, includeArchived }, { first: 100 })).items.map((r) => r.id);
    expect(await ids(false)).not.toEqual(expect.arrayContaining([study.id]));
    expect(await ids(false)).not.toEqual(expect.arrayContaining([trial.id]));
    expect(await ids(true)).toEqual(expect.arrayContaining([study.id, trial.id]));
    await expect(services.archive.archiveStudy(bc.versionIds[0])).rejects.toBeInstanceOf(NotFoundError);
    await services.archive.restoreStudy(study.id);
    expect(await ids(false)).toEqual(expect.arrayContaining([study.id, trial.id]));
  });

  it('deletes a deployment only once archived, with its events, predictions, reports, rules and alerts, and takes it off PREDICTOR keys', async () => {
    await services.deployments.deployModel({ name: 'doomed', modelVersionId: bc.versionIds[0] }, 'bob');
    await services.serving.serve({ route: 'graphql', deployment: 'doomed', instances: [instance, instance], requestKey: 'r-1' });
    await services.serving.serve({ route: 'graphql', deployment: 'doomed', instances: [instance], requestKey: 'r-2' });
    await services.alerts.setAlertRule('doomed', { kind: 'LATENCY', threshold: 500 });
    const { alert } = await services.alerts.raise({
      deploymentId: (await services.deployments.requireDeployment('doomed')).id,
      kind: 'LATENCY',
      title: 'slow',
      details: evidence('LATENCY'),
    });
    await services.deployments.deployModel({ name: 'kept', modelVersionId: bc.versionIds[0] }, 'bob');
    const { key } = await services.apiKeys.createKey({ name: 'shop', role: 'PREDICTOR', deployments: ['doomed', 'kept'] });
    const doomed = await services.deployments.requireDeployment('doomed');
    const kept = await services.deployments.requireDeployment('kept');
    const auditRows = await prisma.auditEvent.count();

    await expect(services.deletion.deleteDeployment('doomed')).rejects.toMatchObject({
      constructor: InvalidStateError,
      message: expect.stringContaining('archive it first'),
    });
    await services.deployments.archiveDeployment('doomed', 'bob');
    await expect(services.serving.serve({ route: 'graphql', deployment: 'doomed', instances: [instance] })).rejects.toMatchObject({
      constructor: InvalidStateError,
      location: { field: 'input.deployment' },
    });
    const expected = {
      DEPLOYMENT: 1,
      DEPLOYMENT_EVENT: await prisma.deploymentEvent.count({ where: { deploymentId: doomed.id } }),
      PREDICTION: await prisma.prediction.count({ where: { deploymentId: doomed.id } }),
      DRIFT_REPORT: await prisma.driftReport.count({ where: { deploymentId: doomed.id } }),
      ALERT_RULE: 1,
      ALERT: 1,
      API_KEY_GRANT: 1,
    };
    expect(expected).toMatchObject({ DEPLOYMENT_EVENT: 2, PREDICTION: 3 });
    const report = await services.deletion.deleteDeployment('doomed');
    expect(report.id).toBe(doomed.id);
    expect(counts(report)).toEqual(expected);
    expect(await services.deployments.findDeployment({ name: 'doomed' })).toBeNull();
    expect(await prisma.prediction.count({ where: { deploymentId: doomed.id } })).toBe(0);
    expect(await prisma.alertDelivery.count({ where: { alertId: alert!.id } })).toBe(0);
    expect((await services.apiKeys.requireKey(key.id)).deploymentIds).toEqual([kept.id]);
    // What belongs to others stays: the other deployment, the version, the audit trail.
    expect(await prisma.prediction.count({ where: { deploymentId: kept.id } })).toBe(0);
    expect(await services.modelVersions.findVersion(bc.versionIds[0])).not.toBeNull();
    expect(await prisma.auditEvent.count()).toBe(auditRows);
    await expect(services.deletion.deleteDeployment('doomed')).rejects.toBeInstanceOf(NotFoundError);
  }, 60_000);

  it('deletes a version only when nothing uses it, naming aliases, deployments and stored predictions; its evaluations go with it, its run stays', async () => {
    const model = await trainVersions(prisma, services, {
      name: 'version-delete',
      csv: fixtureCsv('breast_cancer'),
      labelColumn: 'benign',
      seeds: [1, 2],
      epochs: 1,
    });
    const [v1, v2] = model.versionIds;
    await services.modelVersions.setAlias({ modelVersionId: v1, alias: 'production' }, 'bob');
    const { deployment } = await services.deployments.deployModel({ name: 'version-delete-web', modelVersionId: v1 }, 'bob');
    await services.serving.serve({ route: 'graphql', deployment: 'version-delete-web', instances: [instance] });
    const first = await refusal(services.deletion.deleteModelVersion(v1));
    expect(first).toBeInstanceOf(InUseError);
    expect((first as InUseError).usedBy).toEqual([
      { kind: 'ALIAS', id: null, name: 'production', how: 'points at it' },
      { kind: 'DEPLOYMENT', id: deployment.id, name: 'version-delete-web', how: 'serves it' },
      { kind: 'PREDICTIONS', id: deployment.id, name: 'version-delete-web', how: 'holds predictions it made' },
    ]);
    expect((first as Error).message).toMatch(
      /^cannot delete version 1 of model "version-delete-model" \(move its aliases and deployments to another version first\): alias "production" points at it; /,
    );

    // Moved away, v1 is still the rollback target and its predictions are still stored.
    await services.modelVersions.setAlias({ modelVersionId: v2, alias: 'production' }, 'bob');
    await services.deployments.updateDeployment({ deployment: 'version-delete-web', modelVersionId: v2 }, 'bob');
    expect(((await refusal(services.deletion.deleteModelVersion(v1))) as InUseError).usedBy.map((u) => u.how)).toEqual([
      'keeps it as its rollback target',
      'holds predictions it made',
    ]);

    // A version nothing uses: deleted with its evaluations; alias and deployment history keep its id.
    const run = await services.training.startTrainingRun({ modelId: model.modelId, datasetVersionId: model.datasetVersionId, hyperparameters: {} }, 'bob');
    await services.training.cancelRun(run.id);
    const v3 = await copyVersion(v2, { runId: run.id });
    await services.modelVersions.evaluateModelVersion({ modelVersionId: v3.id, datasetVersionId: model.datasetVersionId });
    const evaluations = await prisma.evaluation.count({ where: { modelVersionId: v3.id } });
    expect(evaluations).toBe(1);
    expect(counts(await services.deletion.deleteModelVersion(v3.id))).toEqual({ MODEL_VERSION: 1, EVALUATION: evaluations });
    expect(await prisma.modelArtifact.count({ where: { modelVersionId: v3.id } })).toBe(0);
    expect(await prisma.evaluation.count({ where: { modelVersionId: v3.id } })).toBe(0);
    expect(await services.training.findRun(run.id)).toMatchObject({ id: run.id, status: 'CANCELLED' });
    await expect(services.deletion.deleteModelVersion(v3.id)).rejects.toBeInstanceOf(NotFoundError);
  }, 60_000);

  it('deletes a study once it has ended and no version promoted from it remains, with its trials and their versions', async () => {
    const study = await startStudy(3);
    const trials = [];
    for (const number of [0, 1, 2]) trials.push(await services.optimization.createTrial(study, number, { learningRate: 0.01 * (number + 1) }));
    await expect(services.deletion.deleteStudy(study.id)).rejects.toMatchObject({
      constructor: InvalidStateError,
      message: expect.stringContaining('cancel it first'),
    });
    await services.optimization.cancelStudy(study.id);
    // Versions as the trials would have registered them; the best one promoted.
    const trialVersions = [
      await copyVersion(bc.versionIds[0], { runId: trials[0].id, kind: 'TRIAL' }),
      await copyVersion(bc.versionIds[0], { runId: trials[1].id, kind: 'TRIAL' }),
    ];
    await services.modelVersions.evaluateModelVersion({ modelVersionId: trialVersions[0].id, datasetVersionId: bc.datasetVersionId });
    const promoted = await services.modelVersions.promoteVersion(trialVersions[1].id);
    const error = await refusal(services.deletion.deleteStudy(study.id));
    expect(error).toBeInstanceOf(InUseError);
    expect((error as InUseError).usedBy).toEqual([
      {
        kind: 'MODEL_VERSION',
        id: promoted.id,
        name: `version ${promoted.version} of model "bc-model"`,
        how: 'was promoted from one of its trials (delete it first)',
      },
    ]);
    await services.deletion.deleteModelVersion(promoted.id);
    const report = await services.deletion.deleteStudy(study.id);
    expect(counts(report)).toEqual({ RUN: 4, MODEL_VERSION: 1, EVALUATION: 1, ALERT: 0 });
    expect(await prisma.run.count({ where: { id: { in: [study.id, ...trials.map((t) => t.id)] } } })).toBe(0);
    expect(await prisma.modelVersion.count({ where: { id: trialVersions[0].id } })).toBe(0);
    expect(await services.models.findModel({ id: bc.modelId })).not.toBeNull();
    await expect(services.deletion.deleteStudy(study.id)).rejects.toBeInstanceOf(NotFoundError);
    await expect(services.deletion.deleteStudy(bc.versionIds[0])).rejects.toBeInstanceOf(NotFoundError);
  });

  it('deletes a model only without deployments or active runs, with its versions, aliases, runs and their alerts', async () => {
    const model = await trainVersions(prisma, services, {
      name: 'model-delete',
      csv: fixtureCsv('breast_cancer'),
      labelColumn: 'benign',
      seeds: [1, 2],
      epochs: 1,
    });
    await services.modelVersions.setAlias({ modelVersionId: model.versionIds[0], alias: 'production' }, 'bob');
    await services.modelVersions.setAlias({ modelVersionId: model.versionIds[1], alias: 'production' }, 'bob');
    const { deployment } = await services.deployments.deployModel({ name: 'model-delete-web', model: model.modelName, alias: 'production' }, 'bob');
    await services.deployments.archiveDeployment('model-delete-web', 'bob');
    const failed = await services.training.startTrainingRun({ modelId: model.modelId, datasetVersionId: model.datasetVersionId, hyperparameters: {} }, 'bob');
    await services.runStore.claimRun(failed.id, 'w');
    await services.runStore.finishRun(failed.id, 'FAILED', { workerId: 'w', error: 'boom' });
    const queued = await services.training.startTrainingRun({ modelId: model.modelId, datasetVersionId: model.datasetVersionId, hyperparameters: {} }, 'bob');

    const error = await refusal(services.deletion.deleteModel(model.modelId));
    expect(error).toBeInstanceOf(InUseError);
    expect((error as InUseError).usedBy).toEqual([
      { kind: 'DEPLOYMENT', id: deployment.id, name: 'model-delete-web', how: 'is an archived deployment of it' },
      { kind: 'RUN', id: queued.id, name: null, how: '(TRAINING) is QUEUED: cancel it first' },
    ]);
    await services.training.cancelRun(queued.id);
    await services.deletion.deleteDeployment('model-delete-web');

    const expected = {
      MODEL: 1,
      MODEL_VERSION: 2,
      EVALUATION: await prisma.evaluation.count({ where: { modelVersion: { modelId: model.modelId } } }),
      MODEL_ALIAS: 1,
      MODEL_ALIAS_EVENT: 2,
      RUN: 2,
      ALERT: await prisma.alert.count({ where: { runId: failed.id } }),
    };
    expect(expected.ALERT).toBe(1);
    expect(counts(await services.deletion.deleteModel(model.modelId))).toEqual(expected);
    expect(await services.models.findModel({ id: model.modelId })).toBeNull();
    expect(await prisma.modelVersion.count({ where: { id: { in: model.versionIds } } })).toBe(0);
    // The dataset belongs to no model now, and can go too (it did not go with the model).
    expect(counts(await services.deletion.deleteDataset(model.datasetId))).toEqual({ DATASET: 1, DATASET_VERSION: 1 });
    expect(await prisma.datasetVersionColumn.count({ where: { datasetVersionId: model.datasetVersionId } })).toBe(0);
    expect(await prisma.datasetVersionData.count({ where: { datasetVersionId: model.datasetVersionId } })).toBe(0);
  }, 60_000);

  it('deletes a dataset only when no model is defined on it and no other model was evaluated on it', async () => {
    const error = await refusal(services.deletion.deleteDataset(bc.datasetId));
    expect(error).toBeInstanceOf(InUseError);
    expect((error as InUseError).usedBy).toEqual([{ kind: 'MODEL', id: bc.modelId, name: 'bc-model', how: 'is defined on it' }]);

    const { dataset, version } = await services.datasets.createDataset({ name: 'bc-holdout', csv: fixtureCsv('breast_cancer'), labelColumn: 'benign' });
    const evaluation = await services.modelVersions.evaluateModelVersion({ modelVersionId: bc.versionIds[2], datasetVersionId: version.id });
    const evaluated = await refusal(services.deletion.deleteDataset(dataset.id));
    expect(evaluated).toBeInstanceOf(InUseError);
    expect((evaluated as InUseError).usedBy).toEqual([
      { kind: 'EVALUATION', id: evaluation.id, name: null, how: 'evaluates version 3 of model "bc-model" on its version 1' },
    ]);
    expect(await services.datasets.findDataset({ id: dataset.id })).not.toBeNull();
    await services.deletion.deleteModelVersion(bc.versionIds[2]);
    expect(counts(await services.deletion.deleteDataset(dataset.id))).toEqual({ DATASET: 1, DATASET_VERSION: 1 });
    await expect(services.deletion.deleteDataset(dataset.id)).rejects.toBeInstanceOf(NotFoundError);
  }, 60_000);
});
