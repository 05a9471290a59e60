/**
 * Drift reports of deployments, made while they serve.
 *
 * When: a report of a deployment is due once `windowSize` predictions of its stable version arrived
 * since its last report, or once `periodSeconds` passed since the last report (since the first
 * such prediction when there is none) with at least one prediction. Two triggers look for due
 * reports: the predict path, after the log commit and without awaiting, and a timer in every API
 * process (every `tickMs`, all deployments).
 *
 * The predict path's trigger coalesces on the trailing edge and drops nothing: every committed
 * request is noted with its timestamp; a check is scheduled for the instant the newest noted
 * prediction is inside a window (its stamp plus {@link COMMIT_GRACE_MS}); requests noted while a
 * check is scheduled or running stay noted, and once it finished, those its window did not cover
 * schedule the next one. A check that found `c` of `windowSize` predictions waits for
 * `min(windowSize - c, windowSize / 10)` more of this process's predictions before the next (exact
 * with one API process; with several, each also checks every tenth of a window), so the request
 * that fills a window, whatever its size, is followed by its report within COMMIT_GRACE_MS plus
 * the time to test the window.
 *
 * The window: the predictions of the stable version logged after the previous report's
 * `windowEnd` up to the check's cutoff (the new `windowEnd`), at most the newest `windowSize` of
 * them (a backlog larger than that, after an outage of the triggers, is judged on its newest part).
 * Canary predictions are not tested. The cutoff is COMMIT_GRACE_MS before the check, and before
 * the earliest stamp of this process's predictions still being committed: a prediction is stamped
 * before its group commit, and one committed after a report whose window end is later than its
 * stamp is in no window. This process's own predictions are thus always in a window; another
 * replica's only if its group commit took less than COMMIT_GRACE_MS.
 *
 * Several replicas: the report is stored in a transaction holding a per-deployment advisory lock,
 * taken with try-lock: a replica that finds it held leaves the work to the holder, and the holder
 * checks under the lock that the last report is still the one its window follows, so a window is
 * reported once.
 *
 * The reference: the first `referenceSize` rows of the training reference sample of the dataset
 * version the stable version was trained on, and the version's outputs on those rows, computed
 * once per process and version and kept (a few recent versions).
 *
 * The statistics: every window is tested on the monitor's drift thread (`drift-threads.ts`),
 * started at the first report and kept until `stop()`, which holds the version's reference (sent
 * once per reference key), so a report does not hold the event loop. The reports made while the
 * thread starts (the first one, the first after its death) are tested inline rather than wait; a
 * check that finds half a window starts the thread, so under steady traffic the first report finds
 * it ready (tested inline, a 500-row window blocked the event loop for 50-100 ms).
 */
import { performance } from 'node:perf_hooks';
import type { Deployment } from '../../domain/deployments/deployment';
import type { Page, PageRequest } from '../../domain/common/pagination';
import { findColumn } from '../../domain/datasets/data-table';
import {
  DEFAULT_DRIFT_MONITORING,
  patchDriftMonitoring,
  type DriftMonitoringPatch,
  type DriftMonitoringSettings,
} from '../../domain/deployments/drift-monitoring';
import { NotFoundError } from '../../domain/errors';
import type { PrismaClient } from '../../infra/db/prisma-client';
import { logger } from '../../infra/logger';
import type { FeatureSample } from '../../ml/drift/feature-drift';
import { predictWith } from '../../ml/predictor';
import { applyPreprocessing, type FeatureRecord, type PreprocessingSpec } from '../../ml/preprocessing';
import { predictionOutputs } from '../../ml/serving/prediction-request';
import { WindowColumns } from '../../ml/serving/prediction-vector';
import type { DatasetService } from '../datasets/dataset.service';
import type { EventPublisher } from '../events/event-publisher';
import type { ServingEvents } from '../serving/serving-events';
import type { ServedModel } from '../serving/served-model';
import { DeploymentRepository } from '../deployments/deployment-repository';
import { PredictionRepository } from '../predictions/prediction-repository';
import { findVersion } from '../model-versions/model-version-repository';
import type { ModelVersion } from '../../domain/models/model-version';
import { required } from '../../domain/common/required';
import { DriftReportRepository } from './drift-report-repository';
import {
  columnSample,
  computeDriftReport,
  outputColumnType,
  outputValue,
  PREDICTION_COLUMN,
  type DriftReference,
  type DriftReportResult,
} from './drift-report';
import { DriftThread } from './drift-threads';

import type { DriftReport } from '../../domain/monitoring/drift-report';
import type { RaiseAlertInput } from '../alerts/alert.service';

export type { DriftReport };

/** A drift alert with its evidence. */
type DriftAlertInput = RaiseAlertInput<'DATA_DRIFT'> | RaiseAlertInput<'PREDICTION_DRIFT'>;

/** The alert calls a report makes (`AlertService` fits). */
export interface DriftAlerts {
  raise(input: DriftAlertInput): Promise<unknown>;
  recordCleanWindow(deploymentId: string, kind: 'DATA_DRIFT' | 'PREDICTION_DRIFT'): Promise<unknown>;
}

export interface DriftMonitorDependencies {
  prisma: PrismaClient;
  events: EventPublisher;
  datasets: DatasetService;
  /** A served version's model (the serving model cache). */
  loadModel: (versionId: string) => Promise<ServedModel>;
  /** Where reports raise and clear alerts. */
  alerts?: DriftAlerts;
  /** The earliest stamp of this process's predictions not yet committed (`PredictionLog.oldestPending`). */
  pendingSince?: () => Date | undefined;
  /** Serving's bus: committed requests trigger checks; stored reports are announced on it. */
  serving?: ServingEvents;
}

export interface DriftMonitorOptions {
  /** Period of the timer looking for due reports. @default 10_000 */
  tickMs?: number;
  /** Versions whose reference is kept in memory. @default 8 */
  referenceCacheSize?: number;
  /** The clock that decides when a window's period has passed (milliseconds since the epoch). @default Date.now */
  now?: () => number;
  /**
   * Windows with fewer rows are tested inline (on the event loop), the others on the drift thread
   * (`drift-threads.ts`). Even a tiny window costs tens of milliseconds inline (the reference's
   * side dominates), more than the thread's round trip. @default 0 (every window on the thread,
   * once it started: a report made while it starts is tested inline)
   */
  inlineDriftRows?: number;
}

interface DueWindow {
  since: Date;
  cutoff: Date;
  count: number;
}

/** What one check learned: how far its window reached, and how much of a window it found. */
interface CheckOutcome {
  report: DriftReport | null;
  /** Null when the deployment is gone. */
  cutoff: Date | null;
  /** Predictions after the last report up to the cutoff (before a report was made of them). */
  counted: number;
  windowSize: number;
}

/** The predict path's trigger state of one deployment. */
interface Trigger {
  /** Requests noted whose stamps no finished check's cutoff covered, oldest first. */
  uncovered: { at: number; count: number }[];
  uncoveredCount: number;
  /** Uncovered predictions that justify the next check (1 until a check has counted). */
  needed: number;
  timer: NodeJS.Timeout | null;
}

const REPORT_TX_TIMEOUT_MS = 120_000;
/**
 * A window ends this long before the check: a prediction is stamped before its group commit, so
 * the newest stamps may belong to rows not yet committed (by another replica: this process's own
 * are known, see `pendingSince`). A group commit takes milliseconds; 250 ms leaves room for a slow
 * one and keeps a report within a second of the prediction that filled its window.
 */
export const COMMIT_GRACE_MS = 250;
/**
 * Statements that read a window at once, on separate connections, each the predictions whose id's
 * last byte falls in its share (random in v4 and v7 ids alike: a v7 id begins with its time, so its
 * first byte is the same for every prediction of a window): string_agg does not run in parallel inside PostgreSQL 15, and
 * several values of a few megabytes move through node-postgres faster than one of tens.
 */
const READ_STATEMENTS = 4;
/** Most requests a deployment's trigger remembers between two successful checks. */
const MAX_UNCOVERED_NOTES = 10_000;

/** The key of a version's reference: what it is cached under, here and on the drift thread. */
function referenceKey(versionId: string, size: number): string {
  return `${versionId}:${size}`;
}

/** Finds due windows, tests them, stores and pushes the reports, and raises or clears drift alerts. */
export class DriftMonitor {
  private readonly references = new Map<string, Promise<DriftReference>>();
  private readonly triggers = new Map<string, Trigger>();
  private readonly running = new Map<string, Promise<CheckOutcome>>();
  private readonly rerun = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  /** Set by `stop()`: no check is scheduled or re-run (a check would start the drift thread again). */
  private stopped = false;
  private ticking: Promise<void> | null = null;
  private readonly tickMs: number;
  private readonly referenceCacheSize: number;
  private readonly now: () => number;
  private readonly inlineDriftRows: number;
  private readonly prisma: PrismaClient;
  private readonly reports: DriftReportRepository;
  private readonly deployments: DeploymentRepository;
  private readonly predictions: PredictionRepository;
  private readonly events: EventPublisher;
  private readonly datasets: DatasetService;
  private readonly loadModel: (versionId: string) => Promise<ServedModel>;
  private readonly alerts: DriftAlerts | undefined;
  private readonly pendingSince: (() => Date | undefined) | undefined;
  private readonly serving: ServingEvents | undefined;
  /** Where the windows are tested: one long-lived thread, started at the first report, terminated by `stop()`. */
  readonly driftThread: DriftThread;

  constructor(dependencies: DriftMonitorDependencies, options: DriftMonitorOptions = {}) {
    ({ prisma: this.prisma, events: this.events, datasets: this.datasets, loadModel: this.loadModel } = dependencies);
    this.reports = new DriftReportRepository(this.prisma);
    this.deployments = new DeploymentRepository(this.prisma);
    this.predictions = new PredictionRepository(this.prisma);
    this.alerts = dependencies.alerts;
    this.pendingSince = dependencies.pendingSince;
    this.serving = dependencies.serving;
    this.tickMs = options.tickMs ?? 10_000;
    this.referenceCacheSize = options.referenceCacheSize ?? 8;
    this.now = options.now ?? Date.now;
    this.inlineDriftRows = options.inlineDriftRows ?? 0;
    this.driftThread = new DriftThread({ references: this.referenceCacheSize });
    this.serving?.on('predictionsServed', (served) => this.notePredictions(served.deploymentId, served.count, served.createdAt));
  }

  /** Starts the timer (idempotent). */
  start(): void {
    this.stopped = false;
    if (this.timer) return;
    this.timer = setInterval(() => {
      // A tick that fails (the database is away) is logged; the next tick tries again.
      if (!this.ticking)
        this.ticking = this.tick()
          .catch((error: unknown) => logger.warn({ err: error }, 'drift monitor tick failed'))
          .finally(() => (this.ticking = null));
    }, this.tickMs);
    this.timer.unref();
  }

  /**
   * Stops the timer and the predict path's trigger (until `start()`), waits for the checks under way
   * (and the re-runs they started) and terminates the drift thread. A `check` called after this
   * would start a new thread: call `stop()` again after it.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    for (const trigger of this.triggers.values()) {
      if (trigger.timer) clearTimeout(trigger.timer);
      trigger.timer = null;
    }
    await this.ticking;
    await this.idle();
    await this.driftThread.close();
  }

  /**
   * Told of each committed request (by the serving pipeline's `predictionsServed`) (its predictions and their stamp):
   * schedules a check once the predictions noted since the last one may fill a window, for the
   * instant they are inside one. Never awaits, never throws.
   */
  notePredictions(deploymentId: string, count: number, stampedAt: Date): void {
    const trigger = this.triggerOf(deploymentId);
    trigger.uncovered.push({ at: stampedAt.getTime(), count });
    trigger.uncoveredCount += count;
    // While checks keep failing nothing is covered: remember the newest notes only.
    if (trigger.uncovered.length > MAX_UNCOVERED_NOTES) trigger.uncovered.shift();
    this.schedule(deploymentId, trigger);
  }

  /** Resolves once no check is running in this process (those under way and the ones they re-run). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running.values()]);
  }

  /** Makes the deployment's report if one is due; one check per deployment at a time in this process. */
  async check(deploymentId: string): Promise<DriftReport | null> {
    return (await this.checkCoalesced(deploymentId)).report;
  }

  private checkCoalesced(deploymentId: string): Promise<CheckOutcome> {
    const current = this.running.get(deploymentId);
    if (current) {
      this.rerun.add(deploymentId);
      return current;
    }
    const run = this.checkOnce(deploymentId);
    this.running.set(deploymentId, run);
    void run.then(
      (outcome) => this.afterCheck(deploymentId, outcome),
      (error: unknown) => {
        logger.error({ err: error, deploymentId }, 'drift check failed');
        this.afterCheck(deploymentId, null);
      },
    );
    return run;
  }

  /** Forgets what the check covered, learns how much of a window is missing, and runs what waits. */
  private afterCheck(deploymentId: string, outcome: CheckOutcome | null): void {
    this.running.delete(deploymentId);
    const trigger = this.triggerOf(deploymentId);
    if (outcome?.cutoff) {
      const cutoff = outcome.cutoff.getTime();
      trigger.uncovered = trigger.uncovered.filter((noted) => noted.at > cutoff);
      trigger.uncoveredCount = trigger.uncovered.reduce((sum, noted) => sum + noted.count, 0);
      const missing = outcome.report ? outcome.windowSize : outcome.windowSize - outcome.counted;
      trigger.needed = Math.max(1, Math.min(missing, Math.ceil(outcome.windowSize / 10)));
    }
    if (this.rerun.delete(deploymentId) && !this.stopped) {
      void this.checkCoalesced(deploymentId).catch(() => undefined);
      return;
    }
    // After a failure, the next noted request schedules the next check (no retry loop on a broken database).
    if (!outcome) return;
    // A cutoff held back by a commit of this process still in flight: look again a little later, not at once.
    const heldBack = outcome.cutoff !== null && outcome.cutoff.getTime() < Date.now() - COMMIT_GRACE_MS - 20;
    this.schedule(deploymentId, trigger, heldBack ? 50 : 0);
  }

  /** Schedules a check for when the newest noted prediction is inside a window, unless one is scheduled or running. */
  private schedule(deploymentId: string, trigger: Trigger, minDelayMs = 0): void {
    if (this.stopped || trigger.uncoveredCount < trigger.needed || trigger.timer || this.running.has(deploymentId)) return;
    const newest = trigger.uncovered[trigger.uncovered.length - 1].at;
    trigger.timer = setTimeout(
      () => {
        trigger.timer = null;
        void this.checkCoalesced(deploymentId).catch(() => undefined);
      },
      Math.max(minDelayMs, newest + COMMIT_GRACE_MS + 1 - Date.now()),
    );
    trigger.timer.unref();
  }

  private triggerOf(deploymentId: string): Trigger {
    let trigger = this.triggers.get(deploymentId);
    if (!trigger) {
      trigger = { uncovered: [], uncoveredCount: 0, needed: 1, timer: null };
      this.triggers.set(deploymentId, trigger);
    }
    return trigger;
  }

  /** Checks every deployment that serves (what the timer runs); archived ones serve nothing. */
  async tick(): Promise<void> {
    for (const id of await this.deployments.ids({ includeArchived: false })) {
      await this.check(id).catch((error: unknown) => logger.error({ err: error, deploymentId: id }, 'drift check failed'));
    }
  }

  /** The reference of a version (cached per process). */
  reference(versionId: string, size: number): Promise<DriftReference> {
    const key = referenceKey(versionId, size);
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
    // Every bad setting is refused before the deployment is looked up (the checks do not depend on the stored settings).
    patchDriftMonitoring(DEFAULT_DRIFT_MONITORING, patch, 'input.drift');
    const deployment = await this.deployments.setDriftMonitoring(deploymentName, (current) => patchDriftMonitoring(current, patch, 'input.drift'));
    if (!deployment) throw new NotFoundError('deployment', deploymentName, { field: 'input.deployment' });
    // A new window size may make a window due now: the next request checks.
    this.triggerOf(deployment.id).needed = 1;
    return deployment;
  }

  /** The same page of each deployment's reports (newest first), by deployment id. */
  async pageReports(deploymentIds: readonly string[], request: PageRequest): Promise<Map<string, Page<DriftReport>>> {
    return this.reports.pageByDeployments(deploymentIds, request);
  }

  async findReport(id: string): Promise<DriftReport | null> {
    return this.reports.findById(id);
  }

  private async checkOnce(deploymentId: string): Promise<CheckOutcome> {
    const deployment = await this.deployments.findById(deploymentId);
    if (!deployment) return { report: null, cutoff: null, counted: 0, windowSize: 1 };
    const settings = deployment.monitoring.drift;
    const { due, cutoff, count } = await this.dueWindow(deployment.id, deployment.modelVersionId, settings);
    const outcome: CheckOutcome = { report: null, cutoff, counted: count, windowSize: settings.windowSize };
    if (!due) {
      // Half a window in: the thread starts now, so that the window's report finds it ready rather than block the event loop inline.
      if (count * 2 >= settings.windowSize && settings.windowSize >= this.inlineDriftRows) this.driftThread.warm();
      return outcome;
    }
    const reference = await this.reference(deployment.modelVersionId, settings.referenceSize);
    const spec = await this.specOf(deployment.modelVersionId);
    let elapsedMs = 0;
    const report = await this.prisma.$transaction(
      async (tx) => {
        if (!(await this.reports.tryLockDeployment(tx, deploymentId))) return null;
        // Under the lock, the window found before it is still the one due unless a report was stored meanwhile.
        const lastEnd = await this.reports.lastWindowEnd(tx, deploymentId);
        if ((lastEnd?.getTime() ?? 0) !== due.since.getTime()) return null;
        const started = performance.now();
        const window = await this.testWindow(deployment, due, spec, reference, settings);
        if (!window) return null;
        const { result } = window;
        elapsedMs = Math.round(performance.now() - started);
        return this.reports.insert(tx, {
          deploymentId: deployment.id,
          modelVersionId: deployment.modelVersionId,
          windowStart: window.start,
          windowEnd: due.cutoff,
          windowSize: window.size,
          referenceSize: reference.size,
          driftShare: result.driftShare,
          drifted: result.drifted,
          features: result.features,
          prediction: result.prediction,
          predictionDrifted: result.predictionDrifted,
        });
      },
      { timeout: REPORT_TX_TIMEOUT_MS, maxWait: 10_000 },
    );
    if (!report) return outcome;
    logger.info(
      {
        deployment: deployment.name,
        report: report.id,
        windowSize: report.windowSize,
        driftShare: report.driftShare,
        drifted: report.drifted,
        readAndTestMs: elapsedMs,
      },
      'drift report',
    );
    await this.events.publish('driftReported', { id: report.id, deploymentId: deployment.id }, deployment.name);
    this.serving?.emit('driftReported', { deploymentName: deployment.name, drifted: report.drifted });
    await this.notifyAlerts(deployment.name, report);
    return { ...outcome, report };
  }

  /** The window to report now, if one is due, and how many predictions the check's cutoff covered. */
  private async dueWindow(
    deploymentId: string,
    versionId: string,
    settings: DriftMonitoringSettings,
  ): Promise<{ due: DueWindow | null; cutoff: Date; count: number }> {
    const lastEnd = await this.reports.lastWindowEnd(this.prisma, deploymentId);
    const since = lastEnd ?? new Date(0);
    const pending = this.pendingSince?.()?.getTime() ?? Infinity;
    const cutoff = new Date(Math.min(this.now() - COMMIT_GRACE_MS, pending - 1));
    const { count, oldest } = await this.predictions.countDriftWindow({ deploymentId, modelVersionId: versionId, since, cutoff });
    if (count === 0) return { due: null, cutoff, count };
    // count > 0, so the window has an oldest prediction.
    const periodStart = lastEnd ?? oldest ?? cutoff;
    const due = count >= settings.windowSize || cutoff.getTime() - periodStart.getTime() >= settings.periodSeconds * 1000;
    return { due: due ? { since, cutoff, count } : null, cutoff, count };
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
    const range = { deploymentId: deployment.id, modelVersionId: deployment.modelVersionId, since: due.since, cutoff: due.cutoff };
    // A backlog beyond the window size keeps its newest rows; otherwise no sort is needed.
    const newest = due.count > settings.windowSize ? settings.windowSize : null;
    const output = outputColumnType(spec) === 'NUMERIC' ? 'value' : 'label';
    const shares = await Promise.all(
      Array.from({ length: READ_STATEMENTS }, (_, share) => this.predictions.readDriftWindowShare(range, newest, output, share, READ_STATEMENTS)),
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
    // The statistics run on the drift thread: the columns are handed over; the reference is sent once per key and kept there.
    const samples = columns.samples(PREDICTION_COLUMN);
    // While the thread starts (the first report, or the first after its death) the window is tested
    // inline: a report does not wait for a thread's start.
    const onThread = size >= this.inlineDriftRows && this.driftThread.ready();
    if (!onThread && size >= this.inlineDriftRows) this.driftThread.warm();
    const result = onThread
      ? await this.driftThread.test(referenceKey(deployment.modelVersionId, settings.referenceSize), reference, samples, settings)
      : computeDriftReport(reference, samples, settings);
    return { size, start, result };
  }

  private async requireVersion(versionId: string): Promise<ModelVersion> {
    return required(await findVersion(this.prisma, versionId), `model version ${versionId}`);
  }

  private async specOf(versionId: string): Promise<PreprocessingSpec> {
    return (await this.requireVersion(versionId)).preprocessing;
  }

  private async loadReference(versionId: string, size: number): Promise<DriftReference> {
    const version = await this.requireVersion(versionId);
    const spec = version.preprocessing;
    const rows = Int32Array.from((await this.datasets.referenceRowIndices(version.datasetVersionId)).slice(0, size));
    const table = await this.datasets.loadTable(
      version.datasetVersionId,
      spec.features.map((feature) => feature.name),
    );
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
    const outputs = predictionOutputs(predictWith((rows) => loaded.forward.outputs(rows), spec, x));
    return { size: rows.length, features, prediction: columnSample({ name: PREDICTION_COLUMN, type: outputColumnType(spec) }, outputs.map(outputValue)) };
  }

  private async notifyAlerts(deploymentName: string, report: DriftReport): Promise<void> {
    if (!this.alerts) return;
    const features = report.features;
    const driftedFeatures = features.filter((entry) => entry.drifted).map((entry) => entry.feature);
    const checks: { drifted: boolean; alert: DriftAlertInput }[] = [
      {
        drifted: report.drifted,
        alert: {
          deploymentId: report.deploymentId,
          kind: 'DATA_DRIFT',
          title: `Data drift on ${deploymentName}: ${driftedFeatures.length} of ${features.length} features drifted`,
          details: { reportId: report.id, driftShare: report.driftShare, driftedFeatures, windowSize: report.windowSize },
        },
      },
      {
        drifted: report.predictionDrifted,
        alert: {
          deploymentId: report.deploymentId,
          kind: 'PREDICTION_DRIFT',
          title: `Prediction drift on ${deploymentName}`,
          details: { reportId: report.id, prediction: report.prediction, windowSize: report.windowSize },
        },
      },
    ];
    for (const { drifted, alert } of checks) {
      try {
        if (drifted) await this.alerts.raise(alert);
        else await this.alerts.recordCleanWindow(report.deploymentId, alert.kind);
      } catch (error) {
        logger.error({ err: error, deploymentId: report.deploymentId, kind: alert.kind }, 'drift alert failed');
      }
    }
  }
}
