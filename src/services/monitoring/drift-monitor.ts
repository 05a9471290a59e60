/**
 * Drift reports of deployments, made while they serve.
 *
 * When: a report of a deployment is due once `windowSize` predictions of its stable version arrived
 * since its last report, or once `periodSeconds` passed since the last report (since the first
 * such prediction when there is none) with at least one prediction. Two triggers look for due
 * reports: the predict path, after the log commit and without awaiting (each process checks the
 * database every `max(1, windowSize / 10)` predictions it served), and a timer in every API process
 * (every `tickMs`, all deployments).
 *
 * The window: the predictions of the stable version logged after the previous report's
 * `windowEnd` up to now (the new `windowEnd`), at most the newest `windowSize` of them (a backlog
 * larger than that, after an outage of the triggers, is judged on its newest part). Canary
 * predictions are not tested. A prediction committed after a report whose window end is later than
 * its timestamp (a group commit in flight at that instant) is in no window.
 *
 * Several replicas: the report is stored in a transaction holding a per-deployment advisory lock,
 * taken with try-lock: a replica that finds it held leaves the work to the holder, and the holder
 * checks under the lock that the last report is still the one its window follows, so a window is
 * reported once.
 *
 * The reference: the first `referenceSize` rows of the training reference sample of the dataset
 * version the stable version was trained on, and the version's outputs on those rows, computed
 * once per process and version and kept (a few recent versions).
 */
import { performance } from 'node:perf_hooks';
import { Prisma, type Deployment } from '../../generated/prisma/client';
import { checkPageSize, decodeCursor, encodeCursor, type Page, type PageRequest } from '../../domain/common/pagination';
import { isUuid } from '../../domain/common/uuid';
import { findColumn } from '../../domain/datasets/data-table';
import { driftMonitoringOf, patchDriftMonitoring, type DriftMonitoringPatch, type DriftMonitoringSettings } from '../../domain/deployments/drift-monitoring';
import { NotFoundError } from '../../domain/errors';
import type { PrismaClient } from '../../infra/db/prisma-client';
import { logger } from '../../infra/logger';
import type { FeatureSample } from '../../ml/drift/feature-drift';
import { predict } from '../../ml/predictor';
import { applyPreprocessing, type FeatureRecord, type PreprocessingSpec } from '../../ml/preprocessing';
import { predictionOutputs } from '../../ml/serving/prediction-request';
import { WindowColumns } from '../../ml/serving/prediction-vector';
import { tf as loadTf } from '../../ml/tf-backend';
import type { DatasetService } from '../datasets/dataset.service';
import type { EventPublisher } from '../events/event-publisher';
import type { LoadedModelVersion } from '../model-versions/model-version.service';
import { columnSample, outputColumnType, outputValue, PREDICTION_COLUMN, summarizeDriftReport, testColumn, type DriftReference, type DriftReportResult } from './drift-report';

export type DriftReportRow = Prisma.DriftReportGetPayload<object>;

/** The alert calls a report makes (`AlertService` fits). */
export interface DriftAlerts {
  raise(input: { deploymentId: string; kind: 'DATA_DRIFT' | 'PREDICTION_DRIFT'; title: string; details: Record<string, unknown> }): Promise<unknown>;
  recordCleanWindow(deploymentId: string, kind: 'DATA_DRIFT' | 'PREDICTION_DRIFT'): Promise<unknown>;
}

export interface DriftMonitorOptions {
  /** Period of the timer looking for due reports. @default 10_000 */
  tickMs?: number;
  /** Versions whose reference is kept in memory. @default 8 */
  referenceCacheSize?: number;
  /** The clock that decides when a window's period has passed (milliseconds since the epoch). @default Date.now */
  now?: () => number;
}

interface DueWindow {
  since: Date;
  cutoff: Date;
  count: number;
}

const REPORT_TX_TIMEOUT_MS = 120_000;
/**
 * A window ends this long before the check: a prediction is stamped before its group commit, so
 * the newest stamps may belong to rows not yet committed.
 */
export const COMMIT_GRACE_MS = 1_000;
/**
 * Statements that read a window at once, on separate connections, each the predictions whose id's
 * first byte falls in its share: string_agg does not run in parallel inside PostgreSQL 15, and
 * several values of a few megabytes move through node-postgres faster than one of tens.
 */
const READ_STATEMENTS = 4;

/** Finds due windows, tests them, stores and pushes the reports, and raises or clears drift alerts. */
export class DriftMonitor {
  private readonly references = new Map<string, Promise<DriftReference>>();
  private readonly served = new Map<string, number>();
  private readonly windowSizes = new Map<string, number>();
  private readonly running = new Map<string, Promise<DriftReportRow | null>>();
  private readonly rerun = new Set<string>();
  private readonly delayed = new Map<string, NodeJS.Timeout>();
  private timer: NodeJS.Timeout | null = null;
  private ticking: Promise<void> | null = null;
  private readonly tickMs: number;
  private readonly referenceCacheSize: number;
  private readonly now: () => number;
  /** Where reports raise and clear alerts; set once the alert service exists. */
  alerts: DriftAlerts | null = null;

  constructor(
    private readonly prisma: PrismaClient,
    private readonly events: EventPublisher,
    private readonly datasets: DatasetService,
    private readonly loadModel: (versionId: string) => Promise<LoadedModelVersion>,
    options: DriftMonitorOptions = {},
  ) {
    this.tickMs = options.tickMs ?? 10_000;
    this.referenceCacheSize = options.referenceCacheSize ?? 8;
    this.now = options.now ?? Date.now;
  }

  /** Starts the timer (idempotent). */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      if (!this.ticking) this.ticking = this.tick().finally(() => (this.ticking = null));
    }, this.tickMs);
    this.timer.unref();
  }

  /** Stops the timer and waits for the checks under way. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    for (const timer of this.delayed.values()) clearTimeout(timer);
    this.delayed.clear();
    await this.ticking;
    await Promise.allSettled([...this.running.values()]);
  }

  /**
   * The predict path's hook: counts served predictions and, now and then, schedules a check
   * `COMMIT_GRACE_MS` later (once the window's last predictions are past the grace), without awaiting.
   */
  notePredictions(deploymentId: string, count: number): void {
    const seen = (this.served.get(deploymentId) ?? 0) + count;
    const windowSize = this.windowSizes.get(deploymentId);
    if (windowSize !== undefined && seen < Math.max(1, Math.floor(windowSize / 10))) {
      this.served.set(deploymentId, seen);
      return;
    }
    this.served.set(deploymentId, 0);
    if (this.delayed.has(deploymentId)) return;
    const timer = setTimeout(() => {
      this.delayed.delete(deploymentId);
      void this.check(deploymentId).catch((error: unknown) => logger.error({ err: error, deploymentId }, 'drift check failed'));
    }, COMMIT_GRACE_MS + 50);
    timer.unref();
    this.delayed.set(deploymentId, timer);
  }

  /** Resolves once no check is running in this process (those under way and the ones they re-run). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running.values()]);
  }

  /** Makes the deployment's report if one is due; one check per deployment at a time in this process. */
  check(deploymentId: string): Promise<DriftReportRow | null> {
    const current = this.running.get(deploymentId);
    if (current) {
      this.rerun.add(deploymentId);
      return current;
    }
    const run = this.checkOnce(deploymentId).finally(() => {
      this.running.delete(deploymentId);
      if (this.rerun.delete(deploymentId)) void this.check(deploymentId).catch((error: unknown) => logger.error({ err: error, deploymentId }, 'drift check failed'));
    });
    this.running.set(deploymentId, run);
    return run;
  }

  /** Checks every deployment (what the timer runs). */
  async tick(): Promise<void> {
    const deployments = await this.prisma.deployment.findMany({ select: { id: true } });
    for (const { id } of deployments) {
      await this.check(id).catch((error: unknown) => logger.error({ err: error, deploymentId: id }, 'drift check failed'));
    }
  }

  /** The reference of a version (cached per process). */
  reference(versionId: string, size: number): Promise<DriftReference> {
    const key = `${versionId}:${size}`;
    const cached = this.references.get(key);
    if (cached) return cached;
    const loading = this.loadReference(versionId, size);
    this.references.set(key, loading);
    loading.catch(() => this.references.delete(key));
    while (this.references.size > this.referenceCacheSize) this.references.delete(this.references.keys().next().value as string);
    return loading;
  }

  /**
   * Applies a patch to a deployment's drift settings (`monitoring.drift`; other keys are kept).
   * @throws NotFoundError for an unknown deployment name; ValidationError for a bad setting.
   */
  async setSettings(deploymentName: string, patch: DriftMonitoringPatch): Promise<Deployment> {
    const deployment = await this.prisma.$transaction(async (tx) => {
      const [locked] = await tx.$queryRaw<{ id: string; monitoring: unknown }[]>`SELECT id, monitoring FROM deployments WHERE name = ${deploymentName} FOR UPDATE`;
      if (!locked) throw new NotFoundError('deployment', deploymentName, { field: 'input.deployment' });
      const drift = patchDriftMonitoring(driftMonitoringOf(locked.monitoring), patch, 'input.drift');
      const monitoring = { ...((locked.monitoring as Record<string, unknown> | null) ?? {}), drift };
      return tx.deployment.update({ where: { id: locked.id }, data: { monitoring: monitoring as unknown as Prisma.InputJsonValue, updatedAt: new Date() } });
    });
    this.windowSizes.set(deployment.id, driftMonitoringOf(deployment.monitoring).windowSize);
    return deployment;
  }

  /** Reports of a deployment, newest first. */
  async listReports(deploymentId: string, request: PageRequest): Promise<Page<DriftReportRow>> {
    const first = checkPageSize(request.first);
    const after = request.after ? decodeCursor(request.after) : undefined;
    const where: Prisma.DriftReportWhereInput = after
      ? { deploymentId, OR: [{ createdAt: { lt: after.createdAt } }, { createdAt: after.createdAt, id: { lt: after.id } }] }
      : { deploymentId };
    const [rows, totalCount] = await Promise.all([
      this.prisma.driftReport.findMany({ where, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], take: first + 1 }),
      this.prisma.driftReport.count({ where: { deploymentId } }),
    ]);
    return { items: rows.slice(0, first), hasNextPage: rows.length > first, totalCount, cursorOf: encodeCursor };
  }

  async findReport(id: string): Promise<DriftReportRow | null> {
    return isUuid(id) ? this.prisma.driftReport.findUnique({ where: { id } }) : null;
  }

  private async checkOnce(deploymentId: string): Promise<DriftReportRow | null> {
    const deployment = await this.prisma.deployment.findUnique({ where: { id: deploymentId } });
    if (!deployment) return null;
    const settings = driftMonitoringOf(deployment.monitoring);
    this.windowSizes.set(deploymentId, settings.windowSize);
    const due = await this.dueWindow(deployment.id, deployment.modelVersionId, settings);
    if (!due) return null;
    const reference = await this.reference(deployment.modelVersionId, settings.referenceSize);
    const spec = await this.specOf(deployment.modelVersionId);
    let elapsedMs = 0;
    const report = await this.prisma.$transaction(
      async (tx) => {
        const [{ locked }] = await tx.$queryRaw<{ locked: boolean }[]>`SELECT pg_try_advisory_xact_lock(hashtextextended(${`drift:${deploymentId}`}, 0)) AS locked`;
        if (!locked) return null;
        // Under the lock, the window found before it is still the one due unless a report was stored meanwhile.
        const last = await tx.driftReport.findFirst({ where: { deploymentId }, orderBy: { windowEnd: 'desc' }, select: { windowEnd: true } });
        if ((last?.windowEnd.getTime() ?? 0) !== due.since.getTime()) return null;
        const started = performance.now();
        const window = await this.testWindow(deployment, due, spec, reference, settings);
        if (!window) return null;
        const { result } = window;
        elapsedMs = Math.round(performance.now() - started);
        return tx.driftReport.create({
          data: {
            deploymentId: deployment.id,
            modelVersionId: deployment.modelVersionId,
            windowStart: window.start,
            windowEnd: due.cutoff,
            windowSize: window.size,
            referenceSize: reference.size,
            driftShare: result.driftShare,
            drifted: result.drifted,
            features: result.features as unknown as Prisma.InputJsonValue,
            prediction: result.prediction as unknown as Prisma.InputJsonValue,
            predictionDrifted: result.predictionDrifted,
          },
        });
      },
      { timeout: REPORT_TX_TIMEOUT_MS, maxWait: 10_000 },
    );
    if (!report) return null;
    logger.info(
      { deployment: deployment.name, report: report.id, windowSize: report.windowSize, driftShare: report.driftShare, drifted: report.drifted, readAndTestMs: elapsedMs },
      'drift report',
    );
    await this.events.publish('driftReported', { id: report.id, deploymentId: deployment.id }, deployment.name);
    await this.notifyAlerts(deployment.name, report);
    return report;
  }

  /** The window to report now, if one is due. */
  private async dueWindow(deploymentId: string, versionId: string, settings: DriftMonitoringSettings): Promise<DueWindow | null> {
    const last = await this.prisma.driftReport.findFirst({ where: { deploymentId }, orderBy: { windowEnd: 'desc' }, select: { windowEnd: true } });
    const since = last?.windowEnd ?? new Date(0);
    const cutoff = new Date(this.now() - COMMIT_GRACE_MS);
    const [{ count, oldest }] = await this.prisma.$queryRaw<{ count: number; oldest: Date | null }[]>`
      SELECT count(*)::int AS count, min(created_at) AS oldest FROM predictions
      WHERE deployment_id = ${deploymentId}::uuid AND model_version_id = ${versionId}::uuid AND created_at > ${since} AND created_at <= ${cutoff}`;
    if (count === 0) return null;
    const periodStart = last?.windowEnd ?? oldest!;
    const due = count >= settings.windowSize || cutoff.getTime() - periodStart.getTime() >= settings.periodSeconds * 1000;
    return due ? { since, cutoff, count } : null;
  }

  /**
   * Reads and tests the window. Its predictions' drift vectors (see `prediction-vector.ts`) come
   * concatenated (a share of the rows per statement) and are split into columns in bulk; reading
   * 100,000 predictions' JSON inputs costs several times more than the tests themselves. A
   * prediction logged without a vector (before vectors were stored) is read from its JSON inputs
   * and output by the same statement, into the same columns.
   */
  private async testWindow(
    deployment: Pick<Deployment, 'id' | 'modelVersionId'>,
    due: DueWindow,
    spec: PreprocessingSpec,
    reference: DriftReference,
    settings: DriftMonitoringSettings,
  ): Promise<{ size: number; start: Date; result: DriftReportResult } | null> {
    const where = Prisma.sql`deployment_id = ${deployment.id}::uuid AND model_version_id = ${deployment.modelVersionId}::uuid
      AND created_at > ${due.since} AND created_at <= ${due.cutoff}`;
    // A backlog beyond the window size keeps its newest rows; otherwise no sort is needed.
    const window =
      due.count > settings.windowSize
        ? Prisma.sql`(SELECT id, vector, inputs, output, created_at FROM predictions WHERE ${where} ORDER BY created_at DESC, id DESC LIMIT ${settings.windowSize})`
        : Prisma.sql`(SELECT id, vector, inputs, output, created_at FROM predictions WHERE ${where})`;
    const output = outputColumnType(spec) === 'NUMERIC' ? 'value' : 'label';
    const shares = await Promise.all(
      Array.from({ length: READ_STATEMENTS }, async (_, share) => {
        const [row] = await this.prisma.$queryRaw<{ size: number; start: Date | null; vectors: string | null; legacy: string | null }[]>`
          SELECT count(*)::int AS size, min(w.created_at) AS start, encode(string_agg(w.vector, ''::bytea), 'base64') AS vectors,
                 (json_agg(json_build_array(w.inputs, w.output -> ${output})) FILTER (WHERE w.vector IS NULL))::text AS legacy
          FROM ${window} AS w WHERE get_byte(uuid_send(w.id), 0) % ${READ_STATEMENTS} = ${share}`;
        return row;
      }),
    );
    const size = shares.reduce((sum, share) => sum + share.size, 0);
    if (size === 0) return null;
    const columns = new WindowColumns(spec, size);
    let start = due.cutoff;
    for (const share of shares) {
      if (share.start && share.start < start) start = share.start;
      if (share.vectors !== null) columns.addVectors(Buffer.from(share.vectors, 'base64'));
      if (share.legacy === null) continue;
      for (const [inputs, value] of JSON.parse(share.legacy) as [FeatureRecord, unknown][]) columns.addRecord(inputs, value);
    }
    const samples = columns.samples(PREDICTION_COLUMN);
    const features = reference.features.map((sample, i) => testColumn(sample, samples.features[i], settings));
    return { size, start, result: summarizeDriftReport(features, testColumn(reference.prediction, samples.prediction, settings), settings) };
  }

  private async specOf(versionId: string): Promise<PreprocessingSpec> {
    const version = await this.prisma.modelVersion.findUniqueOrThrow({ where: { id: versionId }, select: { preprocessing: true } });
    return version.preprocessing as unknown as PreprocessingSpec;
  }

  private async loadReference(versionId: string, size: number): Promise<DriftReference> {
    const version = await this.prisma.modelVersion.findUniqueOrThrow({ where: { id: versionId }, select: { datasetVersionId: true, preprocessing: true } });
    const spec = version.preprocessing as unknown as PreprocessingSpec;
    const rows = Int32Array.from((await this.datasets.referenceRowIndices(version.datasetVersionId)).slice(0, size));
    const table = await this.datasets.loadTable(version.datasetVersionId, spec.features.map((feature) => feature.name));
    const features: FeatureSample[] = spec.features.map((feature) => {
      const column = findColumn(table, feature.name);
      if (!column || column.type !== feature.type) throw new Error(`reference column ${feature.name} is missing or not ${feature.type}`);
      return column.type === 'NUMERIC'
        ? { type: 'NUMERIC', name: feature.name, values: Float64Array.from(rows, (row) => column.values[row]) }
        : { type: 'CATEGORICAL', name: feature.name, categories: column.categories, codes: Int32Array.from(rows, (row) => column.codes[row]) };
    });
    const x = applyPreprocessing(spec, table, { rows, labels: false }).x;
    const loaded = await this.loadModel(versionId);
    // Nothing awaits between taking the model and using it: the cache disposes only between requests.
    const outputs = predictionOutputs(predict(loadTf(), loaded.model, spec, x));
    return { size: rows.length, features, prediction: columnSample({ name: PREDICTION_COLUMN, type: outputColumnType(spec) }, outputs.map(outputValue)) };
  }

  private async notifyAlerts(deploymentName: string, report: DriftReportRow): Promise<void> {
    if (!this.alerts) return;
    const features = report.features as unknown as { feature: string; drifted: boolean }[];
    const driftedFeatures = features.filter((entry) => entry.drifted).map((entry) => entry.feature);
    const checks = [
      {
        kind: 'DATA_DRIFT' as const,
        drifted: report.drifted,
        title: `Data drift on ${deploymentName}: ${driftedFeatures.length} of ${features.length} features drifted`,
        details: { reportId: report.id, driftShare: report.driftShare, driftedFeatures, windowSize: report.windowSize },
      },
      {
        kind: 'PREDICTION_DRIFT' as const,
        drifted: report.predictionDrifted,
        title: `Prediction drift on ${deploymentName}`,
        details: { reportId: report.id, prediction: report.prediction, windowSize: report.windowSize },
      },
    ];
    for (const check of checks) {
      try {
        if (check.drifted) await this.alerts.raise({ deploymentId: report.deploymentId, kind: check.kind, title: check.title, details: check.details });
        else await this.alerts.recordCleanWindow(report.deploymentId, check.kind);
      } catch (error) {
        logger.error({ err: error, deploymentId: report.deploymentId, kind: check.kind }, 'drift alert failed');
      }
    }
  }
}
