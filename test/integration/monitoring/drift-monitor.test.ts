import { randomUUID } from 'node:crypto';
import { loadConfig } from '../../../src/config/config';
import { ValidationError } from '../../../src/domain/errors';
import { createPrismaClient, type PrismaClient } from '../../../src/infra/db/prisma-client';
import type { JobQueue } from '../../../src/infra/queue/job-queue';
import { COMMIT_GRACE_MS, DriftMonitor } from '../../../src/services/monitoring/drift-monitor';
import type { PredictionRecord } from '../../../src/services/predictions/prediction-log';
import { createDomainServices, type DomainServices } from '../../../src/services/services';
import { fixtureCsv } from '../../support/fixtures';
import { RecordingPublisher } from '../../support/run-fixtures';
import { createTestDatabase, type TestDatabase } from '../../support/test-database';
import { trainVersions, type TrainedVersions } from '../../support/trained-version';
import { waitFor } from '../../support/wait-for';

/** When a report is due, which predictions its window holds, and one report per window across monitors. */
describe('DriftMonitor', () => {
  let db: TestDatabase;
  let prisma: PrismaClient;
  let replicaPrisma: PrismaClient;
  let services: DomainServices;
  let replica: DomainServices;
  let events: RecordingPublisher;
  let trained: TrainedVersions;
  let instances: Record<string, number>[];

  beforeAll(async () => {
    db = await createTestDatabase();
    prisma = createPrismaClient(db.url, 6);
    events = new RecordingPublisher();
    services = createDomainServices({ prisma, events, queue: {} as JobQueue, config: loadConfig({}) });
    // A second set of services on its own pool behaves like another API replica.
    replicaPrisma = createPrismaClient(db.url, 6);
    replica = createDomainServices({ prisma: replicaPrisma, events, queue: {} as JobQueue, config: loadConfig({}) });
    trained = await trainVersions(prisma, services, { name: 'bc', csv: fixtureCsv('breast_cancer'), labelColumn: 'benign', seeds: [3], epochs: 3 });
    const [header, ...lines] = fixtureCsv('breast_cancer').trim().split(/\r?\n/);
    const names = header.split(',');
    instances = lines.map((line) =>
      Object.fromEntries(
        line
          .split(',')
          .map((cell, i) => [names[i], Number(cell)])
          .filter(([name]) => name !== 'benign'),
      ),
    );
  }, 120_000);

  afterAll(async () => {
    await services.driftMonitor.stop();
    await replica.driftMonitor.stop();
    await replicaPrisma.$disconnect();
    await prisma.$disconnect();
    await db.drop();
  });

  const deploy = async (name: string, drift: { windowSize?: number; periodSeconds?: number }) => {
    const { deployment } = await services.deployments.deployModel({ name, modelVersionId: trained.versionIds[0] }, 'test');
    await services.driftMonitor.setSettings(name, drift);
    return deployment;
  };

  /** Logs `count` predictions of instances (from the `offset`th on), `msApart` milliseconds apart, the last one `endAgoMs` ago. */
  const logPredictions = async (deploymentId: string, count: number, endAgoMs: number, msApart = 10, offset = 0): Promise<PredictionRecord[]> => {
    const end = Date.now() - endAgoMs;
    const records = Array.from({ length: count }, (_, i) => ({
      id: randomUUID(),
      deploymentId,
      modelVersionId: trained.versionIds[0],
      requestKey: randomUUID(),
      instanceIndex: 0,
      inputs: instances[(offset + i) % instances.length],
      output: { label: '1', probabilities: { '0': 0.2, '1': 0.8 } },
      latencyMs: 1,
      createdAt: new Date(end - (count - 1 - i) * msApart),
    }));
    await services.predictionLog.append(records);
    return records;
  };

  it('is not due below the window size within the period, then reports once the period passed', async () => {
    const deployment = await deploy('period', { windowSize: 100, periodSeconds: 2 });
    await logPredictions(deployment.id, 30, 1_500);
    let clock = Date.now();
    const monitor = new DriftMonitor({ prisma, events, datasets: services.datasets, loadModel: (id) => services.modelCache.get(id) }, { now: () => clock });
    try {
      expect(await monitor.check(deployment.id)).toBeNull();
      clock += 2_000;
      const report = await monitor.check(deployment.id);
      expect(report).toMatchObject({ windowSize: 30, referenceSize: 569 });
      expect(events.of('driftReported', report!.id)).toEqual([{ id: report!.id, deploymentId: deployment.id }]);
      // Nothing new since: not due again.
      expect(await monitor.check(deployment.id)).toBeNull();
    } finally {
      await monitor.stop();
    }
  }, 30_000);

  it('judges a backlog larger than the window on its newest predictions, and the next window starts after it', async () => {
    const deployment = await deploy('backlog', { windowSize: 50, periodSeconds: 3600 });
    const backlog = await logPredictions(deployment.id, 120, 5_000);
    // The first check runs 5 ms in the past, so that predictions stamped now, past the commit
    // grace, fall after the report's window end.
    let lagMs = 5;
    const monitor = new DriftMonitor(
      { prisma, events, datasets: services.datasets, loadModel: (id) => services.modelCache.get(id) },
      { now: () => Date.now() - lagMs },
    );
    try {
      const report = await monitor.check(deployment.id);
      expect(report!.windowSize).toBe(50);
      expect(report!.windowStart).toEqual(backlog[70].createdAt);
      lagMs = 0;
      await logPredictions(deployment.id, 49, COMMIT_GRACE_MS + 1, 0);
      expect(await monitor.check(deployment.id)).toBeNull();
      await logPredictions(deployment.id, 1, COMMIT_GRACE_MS + 1, 0);
      expect((await monitor.check(deployment.id))!.windowSize).toBe(50);
    } finally {
      await monitor.stop();
    }
  }, 30_000);

  it('reports the same numbers on its drift thread as inline, sends the reference once, replaces a dead thread, and stop() ends it', async () => {
    const [inline, threaded] = [await deploy('inline-stats', { windowSize: 80 }), await deploy('threaded-stats', { windowSize: 80 })];
    const dependencies = { prisma, events, datasets: services.datasets, loadModel: (id: string) => services.modelCache.get(id) };
    const [inlineMonitor, threadMonitor] = [new DriftMonitor(dependencies, { inlineDriftRows: Infinity }), new DriftMonitor(dependencies)];
    const numbers = (report: Awaited<ReturnType<DriftMonitor['check']>>) => {
      const { features, prediction, driftShare, drifted, predictionDrifted, windowSize, referenceSize } = report!;
      return { features, prediction, driftShare, drifted, predictionDrifted, windowSize, referenceSize };
    };
    /** A new window of 80 predictions on both deployments, reported by both monitors: the same numbers. */
    const round = async (offset: number) => {
      for (const id of [inline.id, threaded.id]) await logPredictions(id, 80, 0, 1, offset);
      await new Promise((resolve) => setTimeout(resolve, COMMIT_GRACE_MS + 50));
      const [fromInline, fromThread] = [await inlineMonitor.check(inline.id), await threadMonitor.check(threaded.id)];
      expect(numbers(fromThread)).toEqual(numbers(fromInline));
      expect(fromThread).toMatchObject({ windowSize: 80, referenceSize: 569 });
    };
    try {
      // The first report starts the thread and is tested inline while it starts.
      await round(0);
      expect(threadMonitor.driftThread.stats()).toMatchObject({ threadsStarted: 1, requests: 0, running: true });
      await waitFor(() => threadMonitor.driftThread.ready(), 20_000, 20);
      await round(80);
      await round(160);
      expect(threadMonitor.driftThread.stats()).toMatchObject({ threadsStarted: 1, referencesSent: 1, requests: 2, running: true });
      // A thread that died between reports is replaced (the report meanwhile inline); the reference is sent to the new one.
      await threadMonitor.driftThread.kill();
      await round(240);
      await waitFor(() => threadMonitor.driftThread.ready(), 20_000, 20);
      await round(320);
      expect(threadMonitor.driftThread.stats()).toMatchObject({ threadsStarted: 2, referencesSent: 2, requests: 3, running: true });
      expect(inlineMonitor.driftThread.stats()).toMatchObject({ threadsStarted: 0, running: false });
    } finally {
      await inlineMonitor.stop();
      await threadMonitor.stop();
    }
    expect(threadMonitor.driftThread.stats()).toMatchObject({ running: false, queued: 0 });
  }, 60_000);

  it('starts its drift thread at half a window, so that the report of the full window is tested on it, not inline', async () => {
    const deployment = await deploy('warm-thread', { windowSize: 80, periodSeconds: 3600 });
    const dependencies = { prisma, events, datasets: services.datasets, loadModel: (id: string) => services.modelCache.get(id) };
    const monitor = new DriftMonitor(dependencies);
    try {
      await logPredictions(deployment.id, 39, COMMIT_GRACE_MS + 50);
      expect(await monitor.check(deployment.id)).toBeNull();
      expect(monitor.driftThread.stats()).toMatchObject({ threadsStarted: 0, running: false });
      await logPredictions(deployment.id, 1, COMMIT_GRACE_MS + 50);
      expect(await monitor.check(deployment.id)).toBeNull();
      expect(monitor.driftThread.stats()).toMatchObject({ threadsStarted: 1, requests: 0, running: true });
      await waitFor(() => monitor.driftThread.ready(), 20_000, 20);
      await logPredictions(deployment.id, 40, COMMIT_GRACE_MS + 50);
      expect(await monitor.check(deployment.id)).toMatchObject({ windowSize: 80 });
      expect(monitor.driftThread.stats()).toMatchObject({ threadsStarted: 1, requests: 1, referencesSent: 1 });
    } finally {
      await monitor.stop();
    }
  }, 60_000);

  it('reports a window once when two replicas check it at the same time', async () => {
    const deployment = await deploy('replicas', { windowSize: 40, periodSeconds: 3600 });
    await logPredictions(deployment.id, 40, 2_000, 1);
    const results = await Promise.all([
      services.driftMonitor.check(deployment.id),
      replica.driftMonitor.check(deployment.id),
      services.driftMonitor.check(deployment.id),
    ]);
    expect(results.filter((r) => r !== null).length).toBeGreaterThanOrEqual(1);
    expect(await prisma.driftReport.count({ where: { deploymentId: deployment.id } })).toBe(1);
  }, 30_000);

  it('reports due windows from its timer', async () => {
    const deployment = await deploy('timer', { windowSize: 15, periodSeconds: 3600 });
    await logPredictions(deployment.id, 15, 2_000, 1);
    const monitor = new DriftMonitor({ prisma, events, datasets: services.datasets, loadModel: (id) => services.modelCache.get(id) }, { tickMs: 100 });
    monitor.start();
    try {
      await waitFor(async () => (await prisma.driftReport.count({ where: { deploymentId: deployment.id } })) > 0, 10_000, 50);
    } finally {
      await monitor.stop();
    }
    expect(await prisma.driftReport.findMany({ where: { deploymentId: deployment.id }, select: { windowSize: true } })).toEqual([{ windowSize: 15 }]);
  }, 30_000);

  it('leaves predictions stamped within the commit grace for the next window', async () => {
    const deployment = await deploy('grace', { windowSize: 10, periodSeconds: 3600 });
    await logPredictions(deployment.id, 10, 5_000, 0);
    await logPredictions(deployment.id, 10, 0, 0);
    expect((await services.driftMonitor.check(deployment.id))!.windowSize).toBe(10);
  });

  it('reports from the predict path after the log commit, without the caller awaiting it', async () => {
    const deployment = await deploy('predict-path', { windowSize: 20, periodSeconds: 3600 });
    await services.serving.serve({ route: 'graphql', deployment: 'predict-path', instances: instances.slice(0, 20) });
    await waitFor(async () => (await prisma.driftReport.count({ where: { deploymentId: deployment.id } })) > 0, 10_000, 50);
    expect(await prisma.driftReport.findFirst({ where: { deploymentId: deployment.id } })).toMatchObject({ windowSize: 20 });
  }, 30_000);

  it('reads categorical features and missing numeric values from the log', async () => {
    const colors = ['red', 'green', 'blue'];
    const csv = ['x,color,label', ...Array.from({ length: 300 }, (_, i) => `${(i * 7) % 13},${colors[i % 3]},${i % 2}`)].join('\n');
    const mixed = await trainVersions(prisma, services, { name: 'mixed', csv, labelColumn: 'label', seeds: [1], epochs: 1 });
    const { deployment } = await services.deployments.deployModel(
      { name: 'mixed', modelVersionId: mixed.versionIds[0], monitoring: { drift: { windowSize: 60 } } },
      'test',
    );
    const createdAt = new Date(Date.now() - 5_000);
    await services.predictionLog.append(
      Array.from({ length: 60 }, (_, i) => ({
        id: randomUUID(),
        deploymentId: deployment.id,
        modelVersionId: mixed.versionIds[0],
        requestKey: randomUUID(),
        instanceIndex: 0,
        // Every color is red; a third of x is missing, the rest drawn as in training.
        inputs: { x: i % 3 === 0 ? null : (i * 7) % 13, color: 'red' },
        output: { label: '0', probabilities: { '0': 0.6, '1': 0.4 } },
        latencyMs: 1,
        createdAt,
      })),
    );
    const report = await services.driftMonitor.check(deployment.id);
    const features = report!.features;
    expect(features).toEqual([
      expect.objectContaining({ feature: 'x', method: 'KOLMOGOROV_SMIRNOV', currentCount: 40, referenceCount: 300 }),
      expect.objectContaining({ feature: 'color', method: 'CHI_SQUARED', drifted: true, currentCount: 60, referenceCount: 300 }),
    ]);
    expect(report!.prediction).toMatchObject({ feature: 'prediction', type: 'CATEGORICAL', method: 'CHI_SQUARED', currentCount: 60 });
  }, 60_000);

  it('takes drift settings with deployModel', async () => {
    const { deployment } = await services.deployments.deployModel(
      {
        name: 'deployed-with-settings',
        modelVersionId: trained.versionIds[0],
        monitoring: { drift: { windowSize: 7, thresholds: { KOLMOGOROV_SMIRNOV: 0.01 } } },
      },
      'test',
    );
    expect(deployment.monitoring).toMatchObject({ drift: { windowSize: 7, periodSeconds: 300, thresholds: { KOLMOGOROV_SMIRNOV: 0.01, CHI_SQUARED: 0.05 } } });
    await expect(
      services.deployments.deployModel({ name: 'bad-settings', modelVersionId: trained.versionIds[0], monitoring: { drift: { windowSize: -1 } } }, 'test'),
    ).rejects.toMatchObject({ location: { field: 'input.monitoring.drift.windowSize' } });
    expect(await prisma.deployment.count({ where: { name: 'bad-settings' } })).toBe(0);
    const several = await services.deployments
      .deployModel(
        { name: 'bad settings', modelVersionId: trained.versionIds[0], monitoring: { drift: { windowSize: -1, referenceSize: 1, driftShare: 0 } } },
        'test',
      )
      .catch((error: unknown) => error);
    expect((several as ValidationError).violations.map((violation) => violation.field)).toEqual([
      'input.name',
      'input.monitoring.drift.driftShare',
      'input.monitoring.drift.windowSize',
      'input.monitoring.drift.referenceSize',
    ]);
    expect(await prisma.deployment.count({ where: { name: 'bad settings' } })).toBe(0);
  });

  it('refuses settings out of range, naming the field, and keeps other monitoring keys', async () => {
    await deploy('settings', {});
    await prisma.deployment.update({ where: { name: 'settings' }, data: { monitoring: { autoRollback: true } } });
    await expect(services.driftMonitor.setSettings('settings', { periodSeconds: 0 })).rejects.toThrow(ValidationError);
    // Every bad setting is reported, each with its field, and nothing is stored.
    const several = await services.driftMonitor
      .setSettings('settings', { windowSize: 0, numericMethod: 'CHI_SQUARED', thresholds: { JENSEN_SHANNON: -1 }, driftShare: 2 })
      .catch((error: unknown) => error);
    expect(several).toBeInstanceOf(ValidationError);
    expect((several as ValidationError).violations.map((violation) => violation.field)).toEqual([
      'input.drift.thresholds.JENSEN_SHANNON',
      'input.drift.driftShare',
      'input.drift.windowSize',
      'input.drift.numericMethod',
    ]);
    expect((await prisma.deployment.findUniqueOrThrow({ where: { name: 'settings' } })).monitoring).toEqual({ autoRollback: true });
    await expect(services.driftMonitor.setSettings('no-such-deployment', { periodSeconds: 0 })).rejects.toThrow(ValidationError);
    const updated = await services.driftMonitor.setSettings('settings', { driftShare: 0.3 });
    // The deployment returned holds the settings decoded; the column keeps the alerting key beside the new drift key.
    expect(updated.monitoring).toMatchObject({ alerting: { autoRollback: true }, drift: { driftShare: 0.3, windowSize: 500 } });
    expect((await prisma.deployment.findUniqueOrThrow({ where: { name: 'settings' } })).monitoring).toMatchObject({
      autoRollback: true,
      drift: { driftShare: 0.3, windowSize: 500 },
    });
  });
});
