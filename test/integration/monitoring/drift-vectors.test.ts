import { randomUUID } from 'node:crypto';
import { loadConfig } from '../../../src/config/config';
import { createPrismaClient, type PrismaClient } from '../../../src/infra/db/prisma-client';
import type { JobQueue } from '../../../src/infra/queue/job-queue';
import type { PreprocessingSpec } from '../../../src/ml/preprocessing';
import { encodePredictionVector } from '../../../src/ml/serving/prediction-vector';
import type { PredictionRecord } from '../../../src/services/predictions/prediction-log';
import { createDomainServices, type DomainServices } from '../../../src/services/services';
import { RecordingPublisher } from '../../support/run-fixtures';
import { createTestDatabase, type TestDatabase } from '../../support/test-database';
import { trainVersions } from '../../support/trained-version';

/** The drift monitor reads the vectors `predict` logs, and the JSON of predictions logged without one, alike. */
describe('DriftMonitor with prediction vectors', () => {
  let db: TestDatabase;
  let prisma: PrismaClient;
  let services: DomainServices;
  let versionId: string;
  let spec: PreprocessingSpec;
  const colors = ['red', 'green', 'blue'];

  beforeAll(async () => {
    db = await createTestDatabase();
    prisma = createPrismaClient(db.url, 8);
    services = createDomainServices({ prisma, events: new RecordingPublisher(), queue: {} as JobQueue, config: loadConfig({}) });
    const csv = ['x,color,label', ...Array.from({ length: 300 }, (_, i) => `${(i * 7) % 13},${colors[i % 3]},${i % 2}`)].join('\n');
    versionId = (await trainVersions(prisma, services, { name: 'vectors', csv, labelColumn: 'label', seeds: [1], epochs: 1 })).versionIds[0];
    spec = (await services.modelVersions.requireVersion(versionId)).preprocessing;
  }, 120_000);

  afterAll(async () => {
    await services.driftMonitor.stop();
    await prisma.$disconnect();
    await db.drop();
  });

  it('stores the vector of every prediction predict logs', async () => {
    await services.deployments.deployModel({ name: 'served', modelVersionId: versionId }, 'test');
    const { predictions } = await services.serving.serve({
      route: 'graphql',
      deployment: 'served',
      instances: [
        { x: 4.5, color: 'blue' },
        { x: null, color: null },
      ],
    });
    const stored = await prisma.prediction.findMany({
      where: { id: { in: predictions.map((p) => p.id) } },
      orderBy: { instanceIndex: 'asc' },
      select: { vector: true },
    });
    const floats = (bytes: Uint8Array | null) => Array.from({ length: 3 }, (_, i) => Buffer.from(bytes!).readDoubleLE(i * 8));
    const color = spec.features.find((f) => f.name === 'color')!;
    const labelIndex = (p: (typeof predictions)[number]) =>
      spec.label.kind === 'CLASSES' && 'label' in p.output ? spec.label.classes.indexOf(p.output.label) : -1;
    expect(color.type === 'CATEGORICAL' && color.categories).toEqual(['blue', 'green', 'red']);
    expect(spec.features.map((f) => f.name)).toEqual(['x', 'color']);
    // x as given (NaN for null), blue is category 0 (NaN for null), then the predicted class's index.
    expect(floats(stored[0].vector)).toEqual([4.5, 0, labelIndex(predictions[0])]);
    expect(floats(stored[1].vector)).toEqual([NaN, NaN, labelIndex(predictions[1])]);
  });

  it('reports a window of vectors and of JSON-only predictions exactly as the same window logged as JSON only', async () => {
    const createdAt = new Date(Date.now() - 5_000);
    const deploy = async (name: string) =>
      (await services.deployments.deployModel({ name, modelVersionId: versionId, monitoring: { drift: { windowSize: 90 } } }, 'test')).deployment.id;
    const [mixed, legacy] = [await deploy('mixed-log'), await deploy('json-log')];
    // Shifted: x moved up by 4, most colors red, a sixth of x missing; one JSON-only row with a category outside the schema.
    const rows = Array.from({ length: 90 }, (_, i) => ({
      inputs: { x: i % 6 === 0 ? null : ((i * 7) % 13) + 4, color: i === 89 ? 'purple' : i % 4 === 0 ? colors[i % 3] : 'red' },
      output: { label: i % 5 === 0 ? '1' : '0', probabilities: { '0': 0.5, '1': 0.5 } },
    }));
    const records = (deploymentId: string, withVectors: boolean): PredictionRecord[] =>
      rows.map((row, i) => ({
        id: randomUUID(),
        deploymentId,
        modelVersionId: versionId,
        requestKey: randomUUID(),
        instanceIndex: 0,
        inputs: row.inputs,
        output: row.output,
        vector: withVectors && i % 2 === 0 ? encodePredictionVector(spec, row.inputs, row.output) : null,
        latencyMs: 1,
        createdAt,
      }));
    await services.predictionLog.append(records(mixed, true));
    await services.predictionLog.append(records(legacy, false));
    expect(await prisma.prediction.count({ where: { deploymentId: mixed, vector: { not: null } } })).toBe(45);

    const [fromVectors, fromJson] = [await services.driftMonitor.check(mixed), await services.driftMonitor.check(legacy)];
    expect(fromVectors!.windowSize).toBe(90);
    expect(fromVectors!.windowStart).toEqual(createdAt);
    expect(fromVectors!.features).toEqual(fromJson!.features);
    expect(fromVectors!.prediction).toEqual(fromJson!.prediction);
    expect(fromVectors!.driftShare).toBe(fromJson!.driftShare);
    expect(fromVectors!.features).toEqual([
      expect.objectContaining({ feature: 'x', method: 'KOLMOGOROV_SMIRNOV', drifted: true, currentCount: 75 }),
      // purple is absent from the reference: chi-squared is infinite.
      expect.objectContaining({ feature: 'color', method: 'CHI_SQUARED', drifted: true, infinite: true, currentCount: 90 }),
    ]);
    expect(fromVectors!.prediction).toMatchObject({ feature: 'prediction', type: 'CATEGORICAL', currentCount: 90 });
  }, 60_000);
});
