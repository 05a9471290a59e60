import { createPrismaClient, type PrismaClient } from '../../../src/infra/db/prisma-client';
import { MalformedJsonColumnError } from '../../../src/infra/db/json-columns';
import {
  activeRunsOfModel,
  countActiveRunsStartedBy,
  deleteRuns,
  insertRun,
  lockRun,
  runCountsByStatus,
  RunRepository,
  setStudyArchivedAt,
} from '../../../src/services/runs/run-repository';
import { createRunParents, type RunParents } from '../../support/run-fixtures';
import { createTestDatabase, type TestDatabase } from '../../support/test-database';

describe('RunRepository: runs and epochs as domain types', () => {
  let db: TestDatabase;
  let prisma: PrismaClient;
  let parents: RunParents;
  let runs: RunRepository;

  beforeAll(async () => {
    db = await createTestDatabase();
    prisma = createPrismaClient(db.url, 2);
    parents = await createRunParents(prisma);
    runs = new RunRepository(prisma);
  });

  afterAll(async () => {
    await prisma.$disconnect();
    await db.drop();
  });

  const base = () => ({ modelId: parents.modelId, datasetVersionId: parents.datasetVersionId });

  it('returns a run with its JSON columns decoded: hyperparameters and summary objects, warnings checked', async () => {
    const warning = { code: 'FEW_GRADIENT_STEPS' as const, message: 'only 3 steps' };
    const inserted = await insertRun(prisma, { ...base(), kind: 'TRAINING', hyperparameters: { epochs: 2 }, warnings: [warning], startedBy: 'alice' });
    const found = await runs.findRun(inserted.id);
    expect(found).toEqual(inserted);
    expect(found).toMatchObject({ kind: 'TRAINING', status: 'QUEUED', hyperparameters: { epochs: 2 }, summary: null, environment: null, warnings: [warning] });
    // A stored warning of an unknown shape is left out (runs from before warnings were recorded store []).
    await prisma.$executeRaw`UPDATE runs SET warnings = '[{"code":"OTHER"}]'::jsonb WHERE id = ${inserted.id}::uuid`;
    expect((await runs.findRun(inserted.id))?.warnings).toEqual([]);
    expect(await runs.findRun('not-a-uuid')).toBeNull();
  });

  it('refuses a corrupt JSON column, naming it, instead of handing it on', async () => {
    const run = await insertRun(prisma, { ...base(), kind: 'TRAINING', hyperparameters: { epochs: 1 }, startedBy: null });
    await prisma.$executeRaw`UPDATE runs SET summary = '[1, 2]'::jsonb WHERE id = ${run.id}::uuid`;
    await expect(runs.findRun(run.id)).rejects.toThrow(MalformedJsonColumnError);
    await expect(runs.findRun(run.id)).rejects.toThrow(/Run\.summary/);
    await prisma.run.delete({ where: { id: run.id } });
  });

  it('claims, records epochs and ends a run through guarded statements', async () => {
    const run = await insertRun(prisma, { ...base(), kind: 'TRAINING', hyperparameters: { epochs: 2 }, startedBy: null });
    expect(await runs.upsertEpoch({ runId: run.id, workerId: 'w1', epoch: 1, metrics: { loss: 1 }, elapsedMs: 1, epochMs: 1, samplesPerSecond: 1 })).toBeNull();
    const claimed = await runs.claim(run.id, 'w1');
    expect(claimed).toMatchObject({ id: run.id, status: 'RUNNING', attempts: 1, summary: null });
    expect(await runs.claim(run.id, 'w2')).toBeNull();
    expect(await runs.upsertEpoch({ runId: run.id, workerId: 'w2', epoch: 1, metrics: { loss: 1 }, elapsedMs: 1, epochMs: 1, samplesPerSecond: 1 })).toBeNull();
    expect(
      await runs.upsertEpoch({ runId: run.id, workerId: 'w1', epoch: 1, metrics: { loss: 0.5 }, elapsedMs: 10, epochMs: 10, samplesPerSecond: 3 }),
    ).toBeInstanceOf(Date);
    const epochs = await runs.findEpochs(run.id, null, 10);
    expect(epochs).toEqual([
      { runId: run.id, epoch: 1, metrics: { loss: 0.5 }, elapsedMs: 10, epochMs: 10, samplesPerSecond: 3, recordedAt: expect.any(Date) },
    ]);
    const page = (await runs.pageEpochs([run.id], { first: 5 }, { metric: 'loss' })).get(run.id);
    expect(page?.items.map((epoch) => epoch.metrics)).toEqual([{ loss: 0.5 }]);
    const ended = await runs.transaction((tx) =>
      runs.finish(tx, run.id, 'SUCCEEDED', { summary: JSON.stringify({ epochsRun: 1 }), error: null, workerId: 'w2' }),
    );
    expect(ended).toBeNull();
    const finished = await runs.transaction((tx) =>
      runs.finish(tx, run.id, 'SUCCEEDED', { summary: JSON.stringify({ epochsRun: 1 }), error: null, workerId: 'w1' }),
    );
    expect(finished).toMatchObject({ status: 'SUCCEEDED', summary: { epochsRun: 1 }, error: null });
  });

  it('counts, lists, archives and deletes a study with its trials', async () => {
    const study = await insertRun(prisma, { ...base(), kind: 'OPTIMIZATION', hyperparameters: { strategy: 'RANDOM' }, startedBy: 'bob' });
    const trial = await insertRun(prisma, {
      ...base(),
      kind: 'TRIAL',
      parentRunId: study.id,
      hyperparameters: { epochs: 1 },
      summary: { trialNumber: 0, params: {} },
      startedBy: 'mlplane',
    });
    // The metrics gauge's counts: the earlier tests left one QUEUED and one SUCCEEDED run.
    const counts = await runCountsByStatus(prisma);
    expect(counts.sort((a, b) => a.status.localeCompare(b.status))).toEqual([
      { status: 'QUEUED', count: 3 },
      { status: 'SUCCEEDED', count: 1 },
    ]);
    expect(await countActiveRunsStartedBy(prisma, 'bob')).toBe(1);
    expect(await countActiveRunsStartedBy(prisma, 'mlplane')).toBe(0);
    expect((await activeRunsOfModel(prisma, parents.modelId)).map((run) => run.id)).toContain(study.id);
    expect((await activeRunsOfModel(prisma, parents.modelId)).map((run) => run.id)).not.toContain(trial.id);
    expect(await runs.activeTrialIds(study.id)).toEqual([trial.id]);
    expect((await runs.findTrials(study.id, 'ALL')).map(({ run }) => run.summary)).toEqual([{ trialNumber: 0, params: {} }]);
    const trialPage = (await runs.pageTrials([study.id], { first: 5 }, async (trials) => trials.map(({ run }) => ({ id: run.id, trialNumber: 0 })))).get(
      study.id,
    );
    expect(trialPage?.items).toEqual([{ id: trial.id, trialNumber: 0 }]);

    const archivedAt = new Date();
    await runs.transaction(async (tx) => {
      expect(await lockRun(tx, study.id)).toEqual({ kind: 'OPTIMIZATION', status: 'QUEUED', archivedAt: null });
      expect((await setStudyArchivedAt(tx, study.id, archivedAt)).archivedAt).toEqual(archivedAt);
    });
    expect((await runs.findRun(trial.id))?.archivedAt).toEqual(archivedAt);
    expect((await runs.pageRuns({ parentRunId: study.id }, { first: 5 })).totalCount).toBe(0);
    expect((await runs.pageRuns({ parentRunId: study.id, includeArchived: true }, { first: 5 })).items.map((run) => run.id)).toEqual([trial.id]);

    expect(await runs.transaction((tx) => deleteRuns(tx, [study.id]))).toBe(2);
    expect(await runs.findRuns([study.id, trial.id])).toEqual([]);
  });
});
