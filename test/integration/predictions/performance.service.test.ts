import { loadConfig } from '../../../src/config/config';
import { ValidationError } from '../../../src/domain/errors';
import { createPrismaClient, type PrismaClient } from '../../../src/infra/db/prisma-client';
import type { JobQueue } from '../../../src/infra/queue/job-queue';
import { createDomainServices, type DomainServices } from '../../../src/services/services';
import { fixtureCsv } from '../../support/fixtures';
import { RecordingPublisher } from '../../support/run-fixtures';
import { createTestDatabase, type TestDatabase } from '../../support/test-database';
import { trainVersions, type TrainedVersions } from '../../support/trained-version';

describe('deployment performance from actuals', () => {
  let db: TestDatabase;
  let prisma: PrismaClient;
  let services: DomainServices;
  let trained: TrainedVersions;
  let rows: { features: Record<string, number>; label: string }[];

  beforeAll(async () => {
    db = await createTestDatabase();
    prisma = createPrismaClient(db.url, 4);
    services = createDomainServices({ prisma, events: new RecordingPublisher(), queue: {} as JobQueue, config: loadConfig({}) });
    trained = await trainVersions(prisma, services, { name: 'bc', csv: fixtureCsv('breast_cancer'), labelColumn: 'benign', seeds: [4], epochs: 5 });
    const [header, ...lines] = fixtureCsv('breast_cancer').trim().split(/\r?\n/);
    const names = header.split(',');
    rows = lines.map((line) => {
      const cells = line.split(',').map(Number);
      return {
        features: Object.fromEntries(names.map((name, i) => [name, cells[i]]).filter(([name]) => name !== 'benign')),
        label: String(cells[names.indexOf('benign')]),
      };
    });
  }, 120_000);

  afterAll(async () => {
    // The drift monitor runs checks in the background (and a thread for their statistics): stop it before the database goes.
    await services.driftMonitor.stop();
    await prisma.$disconnect();
    await db.drop();
  });

  it("scores consecutive windows of labelled predictions, newest first, against the version's test evaluation", async () => {
    const deployment = (await services.deployments.deployModel({ name: 'perf', modelVersionId: trained.versionIds[0] }, 'test')).deployment;
    const baseline = await prisma.evaluation.create({
      data: {
        modelVersionId: trained.versionIds[0],
        datasetVersionId: trained.datasetVersionId,
        split: 'TEST',
        rowCount: 86,
        task: 'BINARY_CLASSIFICATION',
        metrics: {
          task: 'BINARY_CLASSIFICATION',
          sampleCount: 86,
          threshold: 0.5,
          accuracy: 0.95,
          precision: 0.96,
          recall: 0.97,
          f1: 0.965,
          rocAuc: 0.99,
          logLoss: 0.12,
          confusionMatrix: [
            [30, 2],
            [1, 53],
          ],
        },
      },
    });
    // 60 one-instance requests in order; no actual for the last 5, so 55 labelled.
    const served: { id: string; label: string; actual: string }[] = [];
    // Request keys sort in request order: predictions in the same millisecond are ordered by them.
    for (const [i, row] of rows.slice(0, 60).entries()) {
      const result = await services.serving.serve({
        route: 'graphql',
        deployment: 'perf',
        instances: [row.features],
        requestKey: `req-${String(i).padStart(3, '0')}`,
      });
      served.push({ id: result.predictions[0].id, label: (result.predictions[0].output as { label: string }).label, actual: row.label });
    }
    await services.predictions.recordActuals({ deployment: 'perf', actuals: served.slice(0, 55).map((s) => ({ predictionId: s.id, actual: s.actual })) });

    const performance = await services.performance.performance(deployment, { window: 25, windows: 3 });
    expect(performance.modelVersionId).toBe(trained.versionIds[0]);
    expect(performance.baseline).toMatchObject({ id: baseline.id, split: 'TEST' });
    expect(performance.windows.map((w) => w.count)).toEqual([25, 25, 5]);
    // Newest window = labelled predictions 30..54; its accuracy counted here from the answers.
    const newest = served.slice(30, 55);
    const accuracy = newest.filter((s) => s.label === s.actual).length / 25;
    const [first] = performance.windows;
    expect(first.evaluation).toMatchObject({ task: 'BINARY_CLASSIFICATION', sampleCount: 25 });
    const byName = Object.fromEntries(first.comparison.map((c) => [c.name, c]));
    expect(byName.accuracy.value).toBeCloseTo(accuracy, 12);
    expect(byName.accuracy.baseline).toBe(0.95);
    expect(byName.accuracy.change).toBeCloseTo(accuracy - 0.95, 12);
    expect(Object.keys(byName)).toEqual(['accuracy', 'precision', 'recall', 'f1', 'rocAuc', 'logLoss']);
    expect(first.from.getTime()).toBeLessThanOrEqual(first.to.getTime());
    expect(performance.windows[1].to.getTime()).toBeLessThanOrEqual(first.from.getTime());
    const oldest = served.slice(0, 5);
    expect(performance.windows[2].evaluation.sampleCount).toBe(5);
    expect((performance.windows[2].evaluation as { accuracy: number }).accuracy).toBeCloseTo(oldest.filter((s) => s.label === s.actual).length / 5, 12);

    await expect(services.performance.performance(deployment, { window: 0, windows: 1 })).rejects.toBeInstanceOf(ValidationError);
    const none = await services.performance
      .performance(deployment, { window: 10, windows: 1, modelVersionId: '00000000-0000-4000-8000-000000000000' })
      .catch((e: unknown) => e);
    expect(none).toBeInstanceOf(ValidationError);
  }, 60_000);
});
