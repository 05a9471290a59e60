import { randomUUID } from 'node:crypto';
import { DEFAULT_ALERT_MONITORING } from '../../../src/domain/alerts/alert-monitoring';
import { DEFAULT_BATCHING } from '../../../src/domain/deployments/batching';
import { DEFAULT_DRIFT_MONITORING } from '../../../src/domain/deployments/drift-monitoring';
import { MalformedJsonColumnError } from '../../../src/infra/db/json-columns';
import { createPrismaClient, type PrismaClient } from '../../../src/infra/db/prisma-client';
import { DeploymentRepository } from '../../../src/services/deployments/deployment-repository';
import { PredictionRepository } from '../../../src/services/predictions/prediction-repository';
import { createLogParents } from '../../support/log-fixtures';
import { createTestDatabase, type TestDatabase } from '../../support/test-database';

describe('deployment and prediction repositories (row mapping)', () => {
  let db: TestDatabase;
  let prisma: PrismaClient;
  let deployments: DeploymentRepository;
  let predictions: PredictionRepository;
  let modelVersionId: string;
  let ids: string[];

  beforeAll(async () => {
    db = await createTestDatabase();
    prisma = createPrismaClient(db.url, 2);
    deployments = new DeploymentRepository(prisma);
    predictions = new PredictionRepository(prisma);
    ({ modelVersionId, deploymentIds: ids } = await createLogParents(prisma, ['plain', 'tuned', 'corrupt-monitoring', 'corrupt-serving']));
  });

  afterAll(async () => {
    await prisma.$disconnect();
    await db.drop();
  });

  it('decodes the settings columns once: defaults filled in, stored keys kept, a malformed key falling back to its default', async () => {
    expect(await deployments.findByName('plain')).toMatchObject({
      monitoring: { drift: DEFAULT_DRIFT_MONITORING, alerting: DEFAULT_ALERT_MONITORING },
      batching: DEFAULT_BATCHING,
      aliasUpdate: null,
      archivedAt: null,
    });
    await prisma.deployment.update({
      where: { name: 'tuned' },
      data: { monitoring: { drift: { windowSize: 50 }, autoRollback: true, performanceFloor: 'high' }, serving: { maxDelayMs: 5, maxBatchSize: 'many' } },
    });
    const tuned = await deployments.findByName('tuned');
    expect(tuned?.monitoring.drift).toEqual({ ...DEFAULT_DRIFT_MONITORING, windowSize: 50 });
    expect(tuned?.monitoring.alerting).toEqual({ ...DEFAULT_ALERT_MONITORING, autoRollback: true });
    expect(tuned?.batching).toEqual({ maxBatchSize: DEFAULT_BATCHING.maxBatchSize, maxDelayMs: 5 });
    // No raw column leaves the repository.
    expect(tuned).not.toHaveProperty('serving');
  });

  it('refuses a settings column that is not a JSON object, naming the column', async () => {
    await prisma.deployment.update({ where: { name: 'corrupt-monitoring' }, data: { monitoring: ['drift'] } });
    await prisma.deployment.update({ where: { name: 'corrupt-serving' }, data: { serving: 'fast' } });
    await expect(deployments.findByName('corrupt-monitoring')).rejects.toThrow(
      new MalformedJsonColumnError('Deployment.monitoring', 'expected an object, got an array'),
    );
    await expect(deployments.findById(ids[3])).rejects.toThrow(MalformedJsonColumnError);
    await expect(deployments.findById(ids[3])).rejects.toThrow(/stored Deployment\.serving is malformed/);
  });

  it('writes the drift key under the row lock and merges alerting keys, each keeping the other keys', async () => {
    const merged = await deployments.mergeMonitoring('plain', { autoRollback: true }, []);
    expect(merged?.monitoring.alerting.autoRollback).toBe(true);
    const drift = await deployments.setDriftMonitoring('plain', (current) => ({ ...current, windowSize: 7 }));
    expect(drift?.monitoring).toEqual({ drift: { ...DEFAULT_DRIFT_MONITORING, windowSize: 7 }, alerting: { ...DEFAULT_ALERT_MONITORING, autoRollback: true } });
    expect((await prisma.deployment.findUniqueOrThrow({ where: { name: 'plain' } })).monitoring).toEqual({
      autoRollback: true,
      drift: { ...DEFAULT_DRIFT_MONITORING, windowSize: 7 },
    });
    const batching = await deployments.setBatching('plain', (current) => ({ ...current, maxDelayMs: 3 }));
    expect(batching?.batching).toEqual({ ...DEFAULT_BATCHING, maxDelayMs: 3 });
    expect(await deployments.setDriftMonitoring('no-such-deployment', (current) => current)).toBeNull();
    expect(await deployments.mergeMonitoring('no-such-deployment', {}, [])).toBeNull();
    expect(await deployments.setBatching('no-such-deployment', (current) => current)).toBeNull();
  });

  it('numbers events per deployment and reads them back as domain events', async () => {
    const [first, second] = await prisma.$transaction(async (tx) => [
      await deployments.appendEvent(tx, {
        deploymentId: ids[0],
        kind: 'DEPLOYED',
        fromModelVersionId: null,
        toModelVersionId: modelVersionId,
        actor: 'alice',
        reason: null,
        canaryPercent: null,
        aliasEventId: null,
      }),
      await deployments.appendEvent(tx, {
        deploymentId: ids[0],
        kind: 'ARCHIVED',
        fromModelVersionId: modelVersionId,
        toModelVersionId: modelVersionId,
        actor: 'alice',
        reason: 'done',
        canaryPercent: null,
        aliasEventId: null,
      }),
    ]);
    expect([first.sequence, second.sequence]).toEqual([1, 2]);
    expect(await deployments.lastEvent(ids[0])).toEqual(second);
    expect(await deployments.findEvent(first.id)).toEqual(first);
    expect(await deployments.findEvent('not-a-uuid')).toBeNull();
    const page = (await deployments.pageEvents([ids[0], ids[1]], { first: 1 })).get(ids[0]);
    expect(page?.items).toEqual([second]);
    expect(page?.totalCount).toBe(2);
  });

  it('decodes a prediction: its output and its actual (null until recorded); a malformed actual names the column', async () => {
    const id = randomUUID();
    await prisma.prediction.create({
      data: {
        id,
        deploymentId: ids[0],
        modelVersionId,
        requestKey: 'r1',
        instanceIndex: 0,
        output: { label: 'a', probabilities: { a: 0.75, b: 0.25 } },
        latencyMs: 1.5,
        createdAt: new Date('2026-01-02T03:04:05.678Z'),
      },
    });
    expect(await predictions.findById(id)).toEqual({
      id,
      deploymentId: ids[0],
      modelVersionId,
      requestKey: 'r1',
      instanceIndex: 0,
      output: { label: 'a', probabilities: { a: 0.75, b: 0.25 } },
      latencyMs: 1.5,
      createdAt: new Date('2026-01-02T03:04:05.678Z'),
      actual: null,
      actualRecordedAt: null,
    });
    expect(await prisma.$transaction((tx) => predictions.recordActuals(tx, [{ id, actual: 'b' }]))).toBe(1);
    expect(await predictions.findById(id)).toMatchObject({ actual: 'b', actualRecordedAt: expect.any(Date) });
    await prisma.prediction.update({ where: { id }, data: { actual: { label: 'b' } } });
    await expect(predictions.findById(id)).rejects.toThrow(
      new MalformedJsonColumnError('Prediction.actual', 'expected a class, a number or null, got an object'),
    );
  });
});
