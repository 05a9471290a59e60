import { loadConfig } from '../../../src/config/config';
import { InvalidStateError, NotFoundError, ValidationError } from '../../../src/domain/errors';
import { createPrismaClient, type PrismaClient } from '../../../src/infra/db/prisma-client';
import type { JobQueue } from '../../../src/infra/queue/job-queue';
import { alertDedupKey } from '../../../src/services/alerts/alert.service';
import { createDomainServices, type DomainServices } from '../../../src/services/services';
import { fixtureCsv } from '../../support/fixtures';
import { RecordingPublisher } from '../../support/run-fixtures';
import { createTestDatabase, type TestDatabase } from '../../support/test-database';
import { trainVersions, type TrainedVersions } from '../../support/trained-version';
import { evidence } from '../../support/alert-details';

describe('alerts', () => {
  let db: TestDatabase;
  let prisma: PrismaClient;
  let services: DomainServices;
  let events: RecordingPublisher;
  let trained: TrainedVersions;
  let rows: Record<string, number>[];

  beforeAll(async () => {
    db = await createTestDatabase();
    prisma = createPrismaClient(db.url, 4);
    events = new RecordingPublisher();
    services = createDomainServices({ prisma, events, queue: {} as JobQueue, config: loadConfig({}) });
    trained = await trainVersions(prisma, services, { name: 'bc', csv: fixtureCsv('breast_cancer'), labelColumn: 'benign', seeds: [1, 2], epochs: 2 });
    const [header, ...lines] = fixtureCsv('breast_cancer').trim().split(/\r?\n/);
    const names = header.split(',');
    rows = lines.map((line) =>
      Object.fromEntries(
        line
          .split(',')
          .map((cell, i) => [names[i], Number(cell)])
          .filter(([name]) => name !== 'benign'),
      ),
    );
  }, 120_000);

  afterAll(async () => {
    // The drift monitor runs checks in the background (and a thread for their statistics): stop it before the database goes.
    await services.driftMonitor.stop();
    await prisma.$disconnect();
    await db.drop();
  });

  async function deploy(name: string): Promise<string> {
    return (await services.deployments.deployModel({ name, modelVersionId: trained.versionIds[0] }, 'test')).deployment.id;
  }

  it('keeps one open alert per deployment and kind: repeats count occurrences, notify only past the cooldown, nothing when disabled', async () => {
    const deploymentId = await deploy('dedup');
    await services.alerts.setAlertRule('dedup', { kind: 'DATA_DRIFT', cooldownSeconds: 600 });
    const raise = () =>
      services.alerts.raise({
        deploymentId,
        kind: 'DATA_DRIFT',
        severity: 'CRITICAL',
        title: 'drift',
        details: evidence('DATA_DRIFT', { driftedFeatures: ['a'] }),
      });

    const first = await raise();
    expect(first.outcome).toBe('OPENED');
    // A stored rule's severity (the DATA_DRIFT default WARNING here) wins over the raiser's.
    expect(first.alert).toMatchObject({
      kind: 'DATA_DRIFT',
      severity: 'WARNING',
      status: 'OPEN',
      occurrences: 1,
      dedupKey: alertDedupKey('DATA_DRIFT', deploymentId),
    });
    const [second, third] = [await raise(), await raise()];
    expect(second.outcome).toBe('SUPPRESSED');
    expect(third).toMatchObject({ outcome: 'SUPPRESSED', alert: { id: first.alert!.id, occurrences: 3 } });
    expect(third.alert!.lastSeenAt.getTime()).toBeGreaterThanOrEqual(first.alert!.lastSeenAt.getTime());
    expect(third.alert!.notifiedAt).toEqual(first.alert!.notifiedAt);
    expect(events.of('alertRaised', first.alert!.id)).toHaveLength(1);
    expect(events.of('alertUpdated', first.alert!.id)).toHaveLength(0);

    // Past the cooldown, the next repeat notifies again.
    await prisma.alert.update({ where: { id: first.alert!.id }, data: { notifiedAt: new Date(Date.now() - 601_000) } });
    const fourth = await raise();
    expect(fourth).toMatchObject({ outcome: 'REPEATED', alert: { id: first.alert!.id, occurrences: 4 } });
    // The event carries what filters match on and the state of that repeat: its occurrence count and times.
    expect(events.of('alertUpdated', first.alert!.id)).toEqual([
      {
        id: first.alert!.id,
        deploymentId,
        deployment: 'dedup',
        kind: 'DATA_DRIFT',
        severity: 'WARNING',
        status: 'OPEN',
        occurrences: 4,
        cleanWindows: 0,
        lastSeenAt: fourth.alert!.lastSeenAt.toISOString(),
        notifiedAt: fourth.alert!.notifiedAt!.toISOString(),
        acknowledgedAt: null,
        acknowledgedBy: null,
        details: fourth.alert!.details,
      },
    ]);
    expect(await prisma.alert.count({ where: { deploymentId, kind: 'DATA_DRIFT' } })).toBe(1);

    // Concurrent raisers still leave a single open alert.
    await Promise.all(Array.from({ length: 8 }, () => services.alerts.raise({ deploymentId, kind: 'LATENCY', title: 'slow', details: evidence('LATENCY') })));
    expect(await prisma.alert.findMany({ where: { deploymentId, kind: 'LATENCY' } })).toEqual([expect.objectContaining({ occurrences: 8, status: 'OPEN' })]);

    await services.alerts.setAlertRule('dedup', { kind: 'PREDICTION_DRIFT', enabled: false });
    expect(await services.alerts.raise({ deploymentId, kind: 'PREDICTION_DRIFT', title: 'x', details: evidence('PREDICTION_DRIFT') })).toEqual({
      alert: null,
      outcome: 'DISABLED',
    });
    expect(await prisma.alert.count({ where: { deploymentId, kind: 'PREDICTION_DRIFT' } })).toBe(0);
  });

  it('acknowledges and resolves with a note; a raise after resolution opens a new alert', async () => {
    const deploymentId = await deploy('lifecycle');
    const { alert } = await services.alerts.raise({ deploymentId, kind: 'LATENCY', title: 'slow', details: evidence('LATENCY') });
    const acked = await services.alerts.acknowledgeAlert(alert!.id, 'alice');
    expect(acked).toMatchObject({ status: 'ACKNOWLEDGED', acknowledgedBy: 'alice' });
    expect(acked.acknowledgedAt).toBeInstanceOf(Date);
    // Repeats land on the acknowledged alert.
    expect(await services.alerts.raise({ deploymentId, kind: 'LATENCY', title: 'slow', details: evidence('LATENCY') })).toMatchObject({
      alert: { id: alert!.id, status: 'ACKNOWLEDGED', occurrences: 2 },
    });

    const resolved = await services.alerts.resolveAlert({ id: alert!.id, note: '  scaled out  ' }, 'bob');
    expect(resolved).toMatchObject({ status: 'RESOLVED', resolvedBy: 'bob', resolutionNote: 'scaled out', acknowledgedBy: 'alice' });
    expect(events.of('alertUpdated', alert!.id).map((e) => e.status)).toEqual(['ACKNOWLEDGED', 'RESOLVED']);
    await expect(services.alerts.resolveAlert({ id: alert!.id, note: 'again' }, 'bob')).rejects.toBeInstanceOf(InvalidStateError);
    await expect(services.alerts.acknowledgeAlert(alert!.id, 'bob')).rejects.toBeInstanceOf(InvalidStateError);
    await expect(services.alerts.acknowledgeAlert('00000000-0000-4000-8000-000000000000', 'bob')).rejects.toBeInstanceOf(NotFoundError);
    await expect(services.alerts.acknowledgeAlert('nope', 'bob')).rejects.toBeInstanceOf(NotFoundError);

    const next = await services.alerts.raise({ deploymentId, kind: 'LATENCY', title: 'slow again', details: evidence('LATENCY') });
    expect(next.outcome).toBe('OPENED');
    expect(next.alert!.id).not.toBe(alert!.id);
  });

  it("resolves itself after the rule's clean windows in a row; a repeat resets the count", async () => {
    const deploymentId = await deploy('auto-resolve');
    await services.alerts.setAlertRule('auto-resolve', { kind: 'ERROR_RATE', autoResolveAfter: 3 });
    expect(await services.alerts.recordCleanWindow(deploymentId, 'ERROR_RATE')).toBeNull();
    const { alert } = await services.alerts.raise({ deploymentId, kind: 'ERROR_RATE', title: 'errors', details: evidence('ERROR_RATE') });
    expect(await services.alerts.recordCleanWindow(deploymentId, 'ERROR_RATE')).toMatchObject({ cleanWindows: 1, status: 'OPEN' });
    expect(await services.alerts.recordCleanWindow(deploymentId, 'ERROR_RATE')).toMatchObject({ cleanWindows: 2, status: 'OPEN' });
    expect((await services.alerts.raise({ deploymentId, kind: 'ERROR_RATE', title: 'errors', details: evidence('ERROR_RATE') })).alert).toMatchObject({
      cleanWindows: 0,
    });
    expect(await services.alerts.recordCleanWindow(deploymentId, 'ERROR_RATE')).toMatchObject({ cleanWindows: 1, status: 'OPEN' });
    expect(await services.alerts.recordCleanWindow(deploymentId, 'ERROR_RATE')).toMatchObject({ cleanWindows: 2, status: 'OPEN' });
    const resolved = await services.alerts.recordCleanWindow(deploymentId, 'ERROR_RATE');
    expect(resolved).toMatchObject({ id: alert!.id, cleanWindows: 3, status: 'RESOLVED', resolvedBy: 'mlplane' });
    expect(resolved!.resolutionNote).toMatch(/3 clean windows/);
    expect(events.of('alertUpdated', alert!.id).at(-1)).toMatchObject({ status: 'RESOLVED' });
    expect(await services.alerts.recordCleanWindow(deploymentId, 'ERROR_RATE')).toBeNull();
  });

  it('lists alerts by deployment, kind, severity and status, most recently seen first, page by page', async () => {
    const deploymentId = await deploy('listing');
    const kinds = ['DATA_DRIFT', 'PREDICTION_DRIFT', 'LATENCY'] as const;
    const raised = [];
    for (const kind of kinds) raised.push((await services.alerts.raise({ deploymentId, kind, title: kind, details: evidence(kind) })).alert!);
    await services.alerts.resolveAlert({ id: raised[0].id, note: null }, 'x');
    const page1 = await services.alerts.listAlerts({ deploymentId }, { first: 2 });
    expect(page1.items.map((a) => a.kind)).toEqual(['LATENCY', 'PREDICTION_DRIFT']);
    expect(page1).toMatchObject({ hasNextPage: true, totalCount: 3 });
    const page2 = await services.alerts.listAlerts({ deploymentId }, { first: 2, after: page1.cursorOf(page1.items[1]) });
    expect(page2.items.map((a) => a.kind)).toEqual(['DATA_DRIFT']);
    expect(page2.hasNextPage).toBe(false);
    expect((await services.alerts.listAlerts({ deploymentId, status: 'OPEN' }, { first: 10 })).totalCount).toBe(2);
    expect((await services.alerts.listAlerts({ deploymentId, severity: 'WARNING', kind: 'LATENCY' }, { first: 10 })).items.map((a) => a.id)).toEqual([
      raised[2].id,
    ]);
    await expect(services.alerts.listAlerts({}, { first: 0 })).rejects.toBeInstanceOf(ValidationError);
  });

  it('lists alerts whose stored evidence is of an older shape or malformed, with null for what it lacks', async () => {
    const deploymentId = await deploy('old-evidence');
    const old = await prisma.alert.create({
      data: { kind: 'DATA_DRIFT', severity: 'WARNING', dedupKey: 'old', title: 'old', details: { drifted: ['a'], windowSize: 500 }, deploymentId },
    });
    await prisma.alert.create({ data: { kind: 'LATENCY', severity: 'WARNING', dedupKey: 'bad', title: 'bad', details: 'not an object', deploymentId } });
    const listed = await services.alerts.listAlerts({ deploymentId }, { first: 10 });
    expect(listed.items.map((alert) => [alert.title, alert.details])).toEqual([
      ['bad', { p99Ms: null, thresholdMs: null, requests: null, windowSeconds: null }],
      ['old', { reportId: null, driftShare: null, driftedFeatures: null, windowSize: 500 }],
    ]);
    expect((await services.alerts.findAlert(old.id))?.kind).toBe('DATA_DRIFT');
  });

  it('validates rules', async () => {
    await deploy('rules');
    await expect(services.alerts.setAlertRule('rules', { kind: 'ERROR_RATE', threshold: 2 })).rejects.toMatchObject({ location: { field: 'input.threshold' } });
    await expect(services.alerts.setAlertRule('rules', { kind: 'LATENCY', webhookUrl: 'ftp://x' })).rejects.toMatchObject({
      location: { field: 'input.webhookUrl' },
    });
    await expect(
      services.alerts.setAlertRule('rules', { kind: 'LATENCY', webhookUrl: 'http://127.0.0.1:1/x', webhookSecret: 'x'.repeat(32) }),
    ).rejects.toMatchObject({ location: { field: 'input.webhookUrl' } });
    await expect(
      services.alerts.setAlertRule('rules', { kind: 'LATENCY', webhookUrl: 'http://93.184.216.34/x', webhookSecret: 'short' }),
    ).rejects.toMatchObject({ location: { field: 'input.webhookSecret' } });
    await expect(services.alerts.setAlertRule('rules', { kind: 'RUN_FAILED' })).rejects.toMatchObject({ location: { field: 'input.kind' } });
    await expect(services.alerts.setAlertRule('nope', { kind: 'LATENCY' })).rejects.toBeInstanceOf(NotFoundError);
    // Every bad setting is reported, each with its field; nothing is stored.
    const several = await services.alerts
      .setAlertRule('rules', { kind: 'ERROR_RATE', threshold: 2, windowSeconds: 0, cooldownSeconds: 1.5, webhookUrl: 'ftp://x', webhookSecret: 'short' })
      .catch((error: unknown) => error);
    expect(several).toBeInstanceOf(ValidationError);
    expect((several as ValidationError).violations.map((violation) => violation.field)).toEqual([
      'input.threshold',
      'input.windowSeconds',
      'input.cooldownSeconds',
      'input.webhookSecret',
      'input.webhookUrl',
    ]);
    expect((several as ValidationError).violations[0].message).toBe('input.threshold must be a share above 0 and at most 1 for an ERROR_RATE rule');
    expect(await prisma.alertRule.count({ where: { deployment: { name: 'rules' } } })).toBe(0);
    const rule = await services.alerts.setAlertRule('rules', { kind: 'LATENCY', threshold: 250 });
    expect(rule).toMatchObject({
      kind: 'LATENCY',
      enabled: true,
      severity: 'WARNING',
      threshold: 250,
      windowSeconds: 300,
      cooldownSeconds: 300,
      autoResolveAfter: 3,
    });
    const replaced = await services.alerts.setAlertRule('rules', { kind: 'LATENCY', severity: 'CRITICAL' });
    expect(replaced).toMatchObject({ id: rule.id, severity: 'CRITICAL', threshold: 1000 });
    await expect(services.alerts.setAlertMonitoring('rules', { rollbackWindowSeconds: 0 })).rejects.toMatchObject({
      location: { field: 'input.rollbackWindowSeconds' },
    });
    const monitoring = await services.alerts
      .setAlertMonitoring('rules', { autoRollback: true, rollbackWindowSeconds: 0, performanceFloor: Number.NaN, evaluateEveryRequests: 0 })
      .catch((error: unknown) => error);
    expect((monitoring as ValidationError).violations.map((violation) => violation.field)).toEqual([
      'input.rollbackWindowSeconds',
      'input.performanceFloor',
      'input.evaluateEveryRequests',
    ]);
    expect((await prisma.deployment.findUniqueOrThrow({ where: { name: 'rules' } })).monitoring).not.toHaveProperty('autoRollback');
  });

  it('rolls a canary back on a critical ERROR_RATE alert when autoRollback is on, and not when it is off', async () => {
    const [v1, v2] = trained.versionIds;
    const offId = await deploy('canary-off');
    await services.deployments.startCanary({ deployment: 'canary-off', modelVersionId: v2, percent: 20 }, 'carol');
    await services.alerts.raise({ deploymentId: offId, kind: 'ERROR_RATE', title: 'errors', details: evidence('ERROR_RATE') });
    expect(await prisma.deployment.findUniqueOrThrow({ where: { id: offId } })).toMatchObject({ canaryModelVersionId: v2 });

    const id = await deploy('canary-on');
    // Merging keeps keys other writers own (drift settings live under `drift`).
    await prisma.deployment.update({ where: { id }, data: { monitoring: { drift: { windowSize: 50 } } } });
    const updated = await services.alerts.setAlertMonitoring('canary-on', { autoRollback: true });
    // The deployment returned holds the settings decoded (defaults filled in); the column holds exactly the merged keys.
    expect(updated.monitoring.alerting.autoRollback).toBe(true);
    expect(updated.monitoring.drift.windowSize).toBe(50);
    expect((await prisma.deployment.findUniqueOrThrow({ where: { id } })).monitoring).toEqual({ drift: { windowSize: 50 }, autoRollback: true });
    await services.deployments.startCanary({ deployment: 'canary-on', modelVersionId: v2, percent: 20 }, 'carol');
    // WARNING alerts do not roll back.
    await services.alerts.raise({ deploymentId: id, kind: 'LATENCY', title: 'slow', details: evidence('LATENCY') });
    expect(await prisma.deployment.findUniqueOrThrow({ where: { id } })).toMatchObject({ canaryModelVersionId: v2 });

    const { alert } = await services.alerts.raise({ deploymentId: id, kind: 'ERROR_RATE', title: '12% of requests failed', details: evidence('ERROR_RATE') });
    expect(alert!.severity).toBe('CRITICAL');
    expect(await prisma.deployment.findUniqueOrThrow({ where: { id } })).toMatchObject({ modelVersionId: v1, canaryModelVersionId: null, canaryPercent: null });
    const event = await prisma.deploymentEvent.findFirstOrThrow({ where: { deploymentId: id }, orderBy: { sequence: 'desc' } });
    expect(event).toMatchObject({ kind: 'ROLLED_BACK', actor: 'mlplane', fromModelVersionId: v2, toModelVersionId: v1 });
    expect(event.reason).toContain(alert!.id);
    expect(event.reason).toContain('ERROR_RATE');
    expect(events.of('deploymentChanged', event.id)).toEqual([{ id: event.id, deploymentId: id, name: 'canary-on' }]);

    // A repeat after the rollback has nothing to undo: the stable version stays.
    await prisma.alert.update({ where: { id: alert!.id }, data: { notifiedAt: new Date(0) } });
    await services.alerts.raise({ deploymentId: id, kind: 'ERROR_RATE', title: 'errors', details: evidence('ERROR_RATE') });
    expect(await prisma.deployment.findUniqueOrThrow({ where: { id } })).toMatchObject({ modelVersionId: v1 });
    expect(await prisma.deploymentEvent.count({ where: { deploymentId: id, kind: 'ROLLED_BACK' } })).toBe(1);
  });

  it('rolls back a version switch on a critical PERFORMANCE_DROP within the rollback window only', async () => {
    const [v1, v2] = trained.versionIds;
    const id = await deploy('switch');
    await services.alerts.setAlertMonitoring('switch', { autoRollback: true, rollbackWindowSeconds: 600 });
    const switched = await services.deployments.updateDeployment({ deployment: 'switch', modelVersionId: v2 }, 'bob');
    // Outside the window: the switch was 601 s ago.
    await prisma.deploymentEvent.update({ where: { id: switched.event.id }, data: { createdAt: new Date(Date.now() - 601_000) } });
    const { alert } = await services.alerts.raise({
      deploymentId: id,
      kind: 'PERFORMANCE_DROP',
      title: 'accuracy down',
      details: evidence('PERFORMANCE_DROP'),
    });
    expect(await prisma.deployment.findUniqueOrThrow({ where: { id } })).toMatchObject({ modelVersionId: v2 });
    await services.alerts.resolveAlert({ id: alert!.id }, 'x');

    await prisma.deploymentEvent.update({ where: { id: switched.event.id }, data: { createdAt: new Date(Date.now() - 30_000) } });
    await services.alerts.raise({ deploymentId: id, kind: 'PERFORMANCE_DROP', title: 'accuracy down', details: evidence('PERFORMANCE_DROP') });
    expect(await prisma.deployment.findUniqueOrThrow({ where: { id } })).toMatchObject({ modelVersionId: v1, previousModelVersionId: null });
    const event = await prisma.deploymentEvent.findFirstOrThrow({ where: { deploymentId: id }, orderBy: { sequence: 'desc' } });
    expect(event).toMatchObject({ kind: 'ROLLED_BACK', actor: 'mlplane', fromModelVersionId: v2, toModelVersionId: v1 });
    expect(event.reason).toMatch(/PERFORMANCE_DROP/);
  });

  it('evaluates serving rules: error rate from counted requests, p99 latency of logged requests, accuracy drop from actuals', async () => {
    const id = await deploy('serving');
    const monitor = services.servingAlerts;
    const now = Date.now();
    // 100 requests, 10 failed: rate 0.10 > default 0.05.
    for (let i = 0; i < 100; i += 1) monitor.recordRequest(id, i % 10 !== 0, now);
    await monitor.idle(id);
    const alerts = await prisma.alert.findMany({ where: { deploymentId: id, kind: 'ERROR_RATE' } });
    expect(alerts).toEqual([
      expect.objectContaining({ status: 'OPEN', severity: 'CRITICAL', details: expect.objectContaining({ failed: 10, total: 100, rate: 0.1 }) }),
    ]);

    // 100 logged requests with latencies 1..100 ms. p99 with linear interpolation (numpy.percentile default):
    // rank 0.99 * 99 = 98.01 -> 99 + 0.01 * (100 - 99) = 99.01 ms.
    const version = trained.versionIds[0];
    const base = new Date(now - 10_000);
    await prisma.prediction.createMany({
      data: Array.from({ length: 100 }, (_, i) => ({
        id: crypto.randomUUID(),
        deploymentId: id,
        modelVersionId: version,
        requestKey: `lat-${i}`,
        instanceIndex: 0,
        inputs: {},
        output: { label: '1', probabilities: { '0': 0.2, '1': 0.8 } },
        latencyMs: (i % 100) + 1,
        createdAt: base,
      })),
    });
    await services.alerts.setAlertRule('serving', { kind: 'LATENCY', threshold: 99 });
    const verdicts = await monitor.evaluateServingAlerts(id, now);
    const latency = verdicts.find((v) => v.kind === 'LATENCY')!;
    expect(latency.status).toBe('RAISED');
    expect(latency.value).toBeCloseTo(99.01, 9);
    await services.alerts.setAlertRule('serving', { kind: 'LATENCY', threshold: 99.5, autoResolveAfter: 1 });
    expect((await monitor.evaluateServingAlerts(id, now)).find((v) => v.kind === 'LATENCY')).toMatchObject({ status: 'CLEAN' });
    expect(await prisma.alert.findFirstOrThrow({ where: { deploymentId: id, kind: 'LATENCY' } })).toMatchObject({ status: 'RESOLVED', resolvedBy: 'mlplane' });
    // The error rate is still 0.10 over the window: the alert repeats inside its cooldown.
    expect(verdicts.find((v) => v.kind === 'ERROR_RATE')).toMatchObject({ status: 'RAISED', outcome: 'SUPPRESSED', value: 0.1 });
    expect(verdicts.find((v) => v.kind === 'PERFORMANCE_DROP')).toMatchObject({ status: 'NO_DATA' });

    // Accuracy: 20 labelled predictions, 14 actuals equal to the served label and 6 not: 14 / 20 = 0.70,
    // against a TEST accuracy of 0.95: a drop of 0.25 > 0.05.
    await prisma.evaluation.create({
      data: {
        modelVersionId: version,
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
    await services.alerts.setAlertMonitoring('serving', { performanceWindowSize: 20 });
    const served = [];
    for (const [i, row] of rows.slice(0, 20).entries()) {
      const result = await services.serving.serve({
        route: 'graphql',
        deployment: 'serving',
        instances: [row],
        requestKey: `perf-${String(i).padStart(2, '0')}`,
      });
      served.push({ id: result.predictions[0].id, label: (result.predictions[0].output as { label: string }).label });
    }
    await services.predictions.recordActuals({
      deployment: 'serving',
      actuals: served.map((s, i) => ({ predictionId: s.id, actual: i < 14 ? s.label : s.label === '1' ? '0' : '1' })),
    });
    // Recording actuals publishes actualsRecorded: the monitor judges the now complete window in the background.
    await monitor.idle(id);
    const drop = await prisma.alert.findFirstOrThrow({ where: { deploymentId: id, kind: 'PERFORMANCE_DROP' } });
    expect(drop).toMatchObject({ severity: 'CRITICAL', status: 'OPEN' });
    const [judged] = (drop.details as { versions: { drop: number; value: number }[] }).versions;
    expect(judged.value).toBeCloseTo(0.7, 12);
    expect(judged.drop).toBeCloseTo(0.25, 12);
    // The same window is not judged twice.
    expect((await monitor.evaluateServingAlerts(id)).find((v) => v.kind === 'PERFORMANCE_DROP')).toMatchObject({ status: 'NO_DATA' });
  });
});
