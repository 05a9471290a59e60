import { isUuid } from '../../../src/domain/common/uuid';
import { decodePredictionInputs } from '../../../src/ml/serving/prediction-vector';
import { loadConfig } from '../../../src/config/config';
import { NotFoundError, ValidationError } from '../../../src/domain/errors';
import { routesToCanary } from '../../../src/domain/deployments/deployment-rules';
import { createPrismaClient, type PrismaClient } from '../../../src/infra/db/prisma-client';
import type { JobQueue } from '../../../src/infra/queue/job-queue';
import type { PreprocessingSpec } from '../../../src/ml/preprocessing';
import { tf } from '../../../src/ml/tf-backend';
import type { Tensor } from '../../../src/ml/tf-types';
import { createDomainServices, type DomainServices } from '../../../src/services/services';
import { fixtureCsv } from '../../support/fixtures';
import { RecordingPublisher } from '../../support/run-fixtures';
import { createTestDatabase, type TestDatabase } from '../../support/test-database';
import { trainVersions, type TrainedVersions } from '../../support/trained-version';

/** The fixture's rows as JSON records: numbers where the text is numeric. */
function records(csv: string): Record<string, string | number>[] {
  const [header, ...lines] = csv.trim().split(/\r?\n/);
  const names = header.split(',');
  return lines.map((line) =>
    Object.fromEntries(line.split(',').map((cell, i) => [names[i], cell !== '' && Number.isFinite(Number(cell)) ? Number(cell) : cell])),
  );
}

function withoutLabel(row: Record<string, string | number>, label: string): Record<string, string | number> {
  const { [label]: _omitted, ...features } = row;
  return features;
}

describe('predictions', () => {
  let db: TestDatabase;
  let prisma: PrismaClient;
  let services: DomainServices;
  let cancer: TrainedVersions;
  const cancerRows = records(fixtureCsv('breast_cancer'));

  beforeAll(async () => {
    db = await createTestDatabase();
    prisma = createPrismaClient(db.url, 6);
    services = createDomainServices({ prisma, events: new RecordingPublisher(), queue: {} as JobQueue, config: loadConfig({}) });
    cancer = await trainVersions(prisma, services, { name: 'bc', csv: fixtureCsv('breast_cancer'), labelColumn: 'benign', seeds: [5, 6], epochs: 10 });
    await services.deployments.deployModel({ name: 'cancer', modelVersionId: cancer.versionIds[0] }, 'alice');
  }, 120_000);

  afterAll(async () => {
    // The drift monitor runs checks in the background (and a thread for their statistics): stop it before the database goes.
    await services.driftMonitor.stop();
    await prisma.$disconnect();
    await db.drop();
  });

  it('answers a label with class probabilities per instance, as the model computes them, and logs each prediction first', async () => {
    const instances = cancerRows.slice(0, 50).map((row) => withoutLabel(row, 'benign'));
    const result = await services.serving.serve({ route: 'graphql', deployment: 'cancer', instances, requestKey: 'first-batch' });
    expect(result).toMatchObject({ requestKey: 'first-batch', modelVersionId: cancer.versionIds[0], canary: false });
    expect(result.predictions).toHaveLength(50);

    // Independently: standardize by hand with the stored spec, run the bare tfjs model.
    const version = await prisma.modelVersion.findUniqueOrThrow({ where: { id: cancer.versionIds[0] } });
    const spec = version.preprocessing as unknown as PreprocessingSpec;
    const loaded = await services.modelVersions.loadModel(version.id);
    const x = instances.map((instance) => spec.features.map((f) => (f.type === 'NUMERIC' ? ((instance[f.name] as number) - f.mean) / f.scale : 0)));
    const p = Array.from((loaded.model.predict(tf().tensor2d(x)) as Tensor).dataSync());
    loaded.model.dispose();
    result.predictions.forEach((prediction, i) => {
      const output = prediction.output as { label: string; probabilities: Record<string, number> };
      expect(prediction.index).toBe(i);
      expect(output.probabilities['1']).toBeCloseTo(p[i], 6);
      expect(output.probabilities['0']).toBeCloseTo(1 - p[i], 6);
      expect(output.label).toBe(p[i] >= 0.5 ? '1' : '0');
    });
    const correct = result.predictions.filter((prediction, i) => (prediction.output as { label: string }).label === String(cancerRows[i].benign)).length;
    expect(correct / 50).toBeGreaterThan(0.85);

    const stored = await prisma.prediction.findMany({ where: { requestKey: 'first-batch' }, orderBy: { instanceIndex: 'asc' } });
    expect(stored.map((row) => row.id)).toEqual(result.predictions.map((prediction) => prediction.id));
    // The inputs are stored once, as the drift vector, which gives them back exactly.
    expect(stored[3]).toMatchObject({ modelVersionId: cancer.versionIds[0], instanceIndex: 3, inputs: null, output: result.predictions[3].output });
    expect(decodePredictionInputs(result.spec, stored[3].vector!)).toEqual(instances[3]);
    expect(stored[3].latencyMs).toBeGreaterThan(0);

    // Without a key of the client's, the request is named by a new time-ordered UUID (version 7).
    const unnamed = await services.serving.serve({ route: 'graphql', deployment: 'cancer', instances: instances.slice(0, 1) });
    expect(isUuid(unnamed.requestKey) && unnamed.requestKey[14] === '7').toBe(true);
    expect(parseInt(unnamed.requestKey.slice(0, 8) + unnamed.requestKey.slice(9, 13), 16)).toBeGreaterThanOrEqual(stored[3].createdAt.getTime());
  });

  it('refuses instances that do not fit the feature schema, naming instance and feature, and logs nothing', async () => {
    const good = withoutLabel(cancerRows[0], 'benign');
    const { mean_area: _dropped, ...missing } = good;
    const cases: [Record<string, unknown>, string, string][] = [
      [missing, 'mean_area', 'lacks feature'],
      [{ ...good, colour: 'red' }, 'colour', 'not a feature'],
      [{ ...good, benign: 1 }, 'benign', 'label column'],
      [{ ...good, mean_radius: '17.99' }, 'mean_radius', 'finite number'],
    ];
    for (const [bad, feature, message] of cases) {
      const error = await services.serving
        .serve({ route: 'graphql', deployment: 'cancer', instances: [good, good, bad], requestKey: 'refused' })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).message).toContain(message);
      expect((error as ValidationError).location).toEqual({ field: `input.instances[2].${feature}`, index: 2, column: feature });
    }
    await expect(services.serving.serve({ route: 'graphql', deployment: 'cancer', instances: Array(1001).fill(good) })).rejects.toMatchObject({
      location: { field: 'input.instances' },
    });
    await expect(services.serving.serve({ route: 'graphql', deployment: 'cancer', instances: [] })).rejects.toBeInstanceOf(ValidationError);
    await expect(services.serving.serve({ route: 'graphql', deployment: 'nope', instances: [good] })).rejects.toBeInstanceOf(NotFoundError);
    expect(await prisma.prediction.count({ where: { requestKey: 'refused' } })).toBe(0);
    const thousand = await services.serving.serve({ route: 'graphql', deployment: 'cancer', instances: Array(1000).fill(good) });
    expect(thousand.predictions).toHaveLength(1000);
  });

  it('refuses a category unseen in training and imputes an explicit null', async () => {
    const iris = records(fixtureCsv('iris')).map((row, i) => ({ ...row, region: ['north', 'south', 'east'][i % 3] }));
    const csv = [Object.keys(iris[0]).join(','), ...iris.map((row) => Object.values(row).join(','))].join('\n');
    const trained = await trainVersions(prisma, services, { name: 'iris-region', csv, labelColumn: 'species', seeds: [1], epochs: 3 });
    await services.deployments.deployModel({ name: 'iris', modelVersionId: trained.versionIds[0] }, 'alice');
    const instance = withoutLabel(iris[0], 'species');
    const error = await services.serving
      .serve({ route: 'graphql', deployment: 'iris', instances: [instance, { ...instance, region: 'west' }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).message).toMatch(/category "west" of feature "region" was not seen in training/);
    expect((error as ValidationError).location).toEqual({ field: 'input.instances[1].region', index: 1, column: 'region' });
    const answered = await services.serving.serve({ route: 'graphql', deployment: 'iris', instances: [{ ...instance, region: null, petal_width_cm: null }] });
    const output = answered.predictions[0].output as { label: string; probabilities: Record<string, number> };
    expect(Object.keys(output.probabilities).sort()).toEqual(['setosa', 'versicolor', 'virginica']);
    expect(Object.values(output.probabilities).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);

    const explained = await services.predictions.explain({ deployment: 'iris', instance, classLabel: 'virginica' });
    expect(explained.label).toBe('virginica');
    expect(explained.attributions.map((a) => a.feature)).toEqual(['sepal_length_cm', 'sepal_width_cm', 'petal_length_cm', 'petal_width_cm', 'region']);
    const total = explained.attributions.reduce((sum, a) => sum + a.attribution, 0);
    expect(total).toBeCloseTo(explained.output - explained.baselineOutput, 2);
    await expect(services.predictions.explain({ deployment: 'iris', instance, classLabel: 'rose' })).rejects.toMatchObject({
      location: { field: 'input.classLabel' },
    });
  }, 60_000);

  it('explains an instance: attributions per feature that sum to the output minus the baseline output', async () => {
    const instance = withoutLabel(cancerRows[20], 'benign');
    const explanation = await services.predictions.explain({ deployment: 'cancer', instance });
    const predicted = await services.serving.serve({ route: 'graphql', deployment: 'cancer', instances: [instance] });
    const probability = (predicted.predictions[0].output as { probabilities: Record<string, number> }).probabilities['1'];
    expect(explanation).toMatchObject({ method: 'INTEGRATED_GRADIENTS', modelVersionId: cancer.versionIds[0], label: '1' });
    expect(explanation.output).toBeCloseTo(probability, 5);
    // The baseline is the all-zero preprocessed row, run here through the bare model.
    const loaded = await services.modelVersions.loadModel(cancer.versionIds[0]);
    const baseline = (loaded.model.predict(tf().zeros([1, 30])) as Tensor).dataSync()[0];
    loaded.model.dispose();
    expect(explanation.baselineOutput).toBeCloseTo(baseline, 5);
    expect(explanation.attributions.map((a) => a.feature)).toEqual(Object.keys(instance));
    const total = explanation.attributions.reduce((sum, a) => sum + a.attribution, 0);
    expect(Math.abs(total - (explanation.output - explanation.baselineOutput))).toBeLessThanOrEqual(
      0.005 * Math.abs(explanation.output - explanation.baselineOutput) + 1e-5,
    );

    const { mean_area: _dropped, ...missing } = instance;
    await expect(services.predictions.explain({ deployment: 'cancer', instance: missing })).rejects.toMatchObject({
      location: { field: 'input.instance.mean_area', index: 0, column: 'mean_area' },
    });
    await expect(services.predictions.explain({ deployment: 'cancer', instance, classLabel: '1' })).rejects.toMatchObject({
      location: { field: 'input.classLabel' },
    });
  });

  it('answers regression values in label units', async () => {
    const rows = records(fixtureCsv('diabetes'));
    const trained = await trainVersions(prisma, services, { name: 'diabetes', csv: fixtureCsv('diabetes'), labelColumn: 'progression', seeds: [2], epochs: 3 });
    await services.deployments.deployModel({ name: 'diabetes', modelVersionId: trained.versionIds[0] }, 'alice');
    const instances = rows.slice(0, 5).map((row) => withoutLabel(row, 'progression'));
    const result = await services.serving.serve({ route: 'graphql', deployment: 'diabetes', instances });
    const version = await prisma.modelVersion.findUniqueOrThrow({ where: { id: trained.versionIds[0] } });
    const spec = version.preprocessing as unknown as PreprocessingSpec;
    if (spec.label.kind !== 'TARGET') throw new Error('expected a regression spec');
    const loaded = await services.modelVersions.loadModel(version.id);
    const x = instances.map((instance) => spec.features.map((f) => (f.type === 'NUMERIC' ? ((instance[f.name] as number) - f.mean) / f.scale : 0)));
    const raw = Array.from((loaded.model.predict(tf().tensor2d(x)) as Tensor).dataSync());
    loaded.model.dispose();
    const { mean, scale } = spec.label;
    result.predictions.forEach((prediction, i) => expect((prediction.output as { value: number }).value).toBeCloseTo(raw[i] * scale + mean, 3));
  }, 60_000);

  it('sends the canary its share by the request key, the same key always to the same version', async () => {
    await services.deployments.deployModel({ name: 'canary', modelVersionId: cancer.versionIds[0] }, 'alice');
    await services.deployments.startCanary({ deployment: 'canary', modelVersionId: cancer.versionIds[1], percent: 30 }, 'alice');
    const instance = withoutLabel(cancerRows[1], 'benign');
    const keys = Array.from({ length: 300 }, (_, i) => `user-${i}`);
    const served = await Promise.all(
      keys.map((requestKey) => services.serving.serve({ route: 'graphql', deployment: 'canary', instances: [instance], requestKey })),
    );
    served.forEach((result, i) => {
      const canary = routesToCanary(keys[i], 30);
      expect(result.canary).toBe(canary);
      expect(result.modelVersionId).toBe(cancer.versionIds[canary ? 1 : 0]);
    });
    const canaryShare = served.filter((result) => result.canary).length / served.length;
    expect(canaryShare).toBeGreaterThan(0.2);
    expect(canaryShare).toBeLessThan(0.4);
    const again = await services.serving.serve({ route: 'graphql', deployment: 'canary', instances: [instance], requestKey: keys[7] });
    expect(again.modelVersionId).toBe(served[7].modelVersionId);
  });

  it('answers NOT_FOUND, storing nothing, when the deployment was deleted while this process still served it from its cache', async () => {
    const { deployment } = await services.deployments.deployModel({ name: 'vanishing', modelVersionId: cancer.versionIds[0] }, 'alice');
    const instances = cancerRows.slice(0, 3).map((row) => withoutLabel(row, 'benign'));
    await services.serving.serve({ route: 'graphql', deployment: 'vanishing', instances });
    // Gone from the database behind the serving cache's back (another process deleted it; its event has not arrived).
    await prisma.$executeRaw`DELETE FROM predictions WHERE deployment_id = ${deployment.id}::uuid`;
    await prisma.$executeRaw`DELETE FROM deployments WHERE id = ${deployment.id}::uuid`;
    await expect(services.serving.serve({ route: 'graphql', deployment: 'vanishing', instances, requestKey: 'after-deletion' })).rejects.toMatchObject({
      code: 'NOT_FOUND',
      location: { field: 'input.deployment' },
    });
    expect(await prisma.prediction.count({ where: { requestKey: 'after-deletion' } })).toBe(0);
  });

  it('loads each version once per process', async () => {
    const before = services.modelCache.loads;
    const instance = withoutLabel(cancerRows[2], 'benign');
    await Promise.all(Array.from({ length: 20 }, () => services.serving.serve({ route: 'graphql', deployment: 'cancer', instances: [instance] })));
    expect(services.modelCache.loads).toBe(before);
  });

  it('group-commits concurrent requests: every prediction stored, fewer INSERTs than requests', async () => {
    const before = services.predictionLog.stats();
    const instance = withoutLabel(cancerRows[3], 'benign');
    const requests = 300;
    const results = await Promise.all(
      Array.from({ length: requests }, (_, i) =>
        services.serving.serve({ route: 'graphql', deployment: 'cancer', instances: [instance, instance], requestKey: `burst-${i}` }),
      ),
    );
    const after = services.predictionLog.stats();
    const ids = results.flatMap((result) => result.predictions.map((prediction) => prediction.id));
    expect(await prisma.prediction.count({ where: { id: { in: ids } } })).toBe(2 * requests);
    expect(after.appends - before.appends).toBe(requests);
    expect(after.rows - before.rows).toBe(2 * requests);
    const inserts = after.inserts - before.inserts;
    expect(inserts).toBeLessThan(requests);
    expect(after.largestBatch).toBeGreaterThan(2);
  });

  it('records actuals by prediction id or request key, all or none, naming the index at fault', async () => {
    const instances = cancerRows.slice(10, 13).map((row) => withoutLabel(row, 'benign'));
    const many = await services.serving.serve({ route: 'graphql', deployment: 'cancer', instances, requestKey: 'three' });
    const single = await services.serving.serve({ route: 'graphql', deployment: 'cancer', instances: [instances[0]], requestKey: 'single' });
    const [a, b] = many.predictions;

    const failures: [Parameters<typeof services.predictions.recordActuals>[0]['actuals'], unknown, string][] = [
      [
        [
          { predictionId: a.id, actual: 1 },
          { predictionId: '00000000-0000-4000-8000-000000000000', actual: 0 },
        ],
        NotFoundError,
        'input.actuals[1].predictionId',
      ],
      [
        [
          { predictionId: a.id, actual: 1 },
          { requestKey: 'three', actual: 0 },
        ],
        ValidationError,
        'input.actuals[1].requestKey',
      ],
      [
        [
          { predictionId: a.id, actual: 1 },
          { predictionId: b.id, actual: 'maybe' },
        ],
        ValidationError,
        'input.actuals[1].actual',
      ],
      [
        [
          { predictionId: a.id, actual: 1 },
          { predictionId: a.id, actual: 0 },
        ],
        ValidationError,
        'input.actuals[1]',
      ],
      [[{ predictionId: a.id, requestKey: 'single', actual: 1 }], ValidationError, 'input.actuals[0]'],
    ];
    for (const [actuals, type, field] of failures) {
      const error = await services.predictions.recordActuals({ deployment: 'cancer', actuals }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(type);
      expect((error as ValidationError).location.field).toBe(field);
    }
    // Every actual at fault is reported, each with its index and field: shapes first, then what the stored predictions tell.
    const shapes = await services.predictions
      .recordActuals({
        deployment: 'cancer',
        actuals: [{ predictionId: a.id, actual: 1 }, { predictionId: b.id, requestKey: 'single', actual: 0 }, { actual: 0 }],
      })
      .catch((e: unknown) => e);
    expect(shapes).toBeInstanceOf(ValidationError);
    expect((shapes as ValidationError).violations.map(({ field, index }) => ({ field, index }))).toEqual([
      { field: 'input.actuals[1]', index: 1 },
      { field: 'input.actuals[2]', index: 2 },
    ]);
    const values = await services.predictions
      .recordActuals({
        deployment: 'cancer',
        actuals: [
          { predictionId: a.id, actual: 'maybe' },
          { requestKey: 'three', actual: 0 },
          { predictionId: b.id, actual: 1 },
          { predictionId: '00000000-0000-4000-8000-000000000000', actual: 0 },
          { predictionId: b.id, actual: null },
        ],
      })
      .catch((e: unknown) => e);
    expect(values).toBeInstanceOf(ValidationError);
    expect((values as ValidationError).violations.map(({ field }) => field)).toEqual([
      'input.actuals[0].actual',
      'input.actuals[1].requestKey',
      'input.actuals[4]',
    ]);
    expect(await prisma.prediction.count({ where: { id: a.id, actual: { not: { equals: null } } } })).toBe(0);
    expect((await prisma.prediction.findUniqueOrThrow({ where: { id: a.id } })).actual).toBeNull();
    expect((await prisma.prediction.findUniqueOrThrow({ where: { id: b.id } })).actual).toBeNull();

    await expect(
      services.predictions.recordActuals({
        deployment: 'cancer',
        actuals: [
          { predictionId: a.id, actual: 1 },
          { predictionId: b.id, actual: '0' },
          { requestKey: 'single', actual: 0 },
        ],
      }),
    ).resolves.toEqual({ recorded: 3 });
    const stored = await prisma.prediction.findMany({ where: { id: { in: [a.id, b.id, single.predictions[0].id] } } });
    const byId = new Map(stored.map((row) => [row.id, row]));
    expect(byId.get(a.id)!.actual).toBe('1');
    expect(byId.get(b.id)!.actual).toBe('0');
    expect(byId.get(single.predictions[0].id)!.actual).toBe('0');
    expect(byId.get(a.id)!.actualRecordedAt).toBeInstanceOf(Date);
    await expect(services.predictions.recordActuals({ deployment: 'canary', actuals: [{ predictionId: a.id, actual: 1 }] })).rejects.toBeInstanceOf(
      NotFoundError,
    );
  });
});
