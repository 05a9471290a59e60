import { shownValue } from '../../domain/errors';
import type { Deployment } from '../../domain/deployments/deployment';
import type { AlertKind } from '../../domain/alerts/alert';
import type { PerformanceDropVersion } from '../../domain/alerts/alert-details';
import { DEFAULT_ALERT_MONITORING } from '../../domain/alerts/alert-monitoring';
import { MAX_OUTCOME_WINDOW_SECONDS, RequestOutcomes, type OutcomeCounts } from '../../domain/alerts/request-outcomes';
import type { PrismaClient } from '../../infra/db/prisma-client';
import { logger } from '../../infra/logger';
import { DeploymentRepository } from '../deployments/deployment-repository';
import type { PerformanceService } from '../predictions/performance.service';
import { PredictionRepository } from '../predictions/prediction-repository';
import type { ServingEvents } from '../serving/serving-events';
import type { AlertService, RaiseOutcome } from './alert.service';

/** Fewest requests in a window before ERROR_RATE or LATENCY judge it (fewer: no verdict). */
export const MIN_WINDOW_REQUESTS = 20;
/** A deployment's serving rules are evaluated at least this often while it receives requests. */
export const EVALUATE_PERIOD_MS = 60_000;
/**
 * ... but request counts start an evaluation at most this often per deployment and process: the
 * LATENCY rule reads the window's logged latencies, which at a thousand requests a second would
 * otherwise be read ten times a second. Recorded actuals are not held back.
 */
export const MIN_EVALUATION_INTERVAL_MS = 5_000;
const DEFAULT_WINDOW_SECONDS = 300;

/** A version that failed the PERFORMANCE_DROP rule, as judged (the evidence stored is {@link PerformanceDropVersion}). */
interface JudgedVersion extends PerformanceDropVersion {
  modelVersionId: string;
  canary: boolean;
  metric: 'accuracy' | 'r2';
  value: number;
}

/** The verdict of one serving rule on one evaluation. */
export interface ServingVerdict {
  kind: AlertKind;
  /** RAISED: the rule fired; CLEAN: a judged window within bounds; NO_DATA: too little to judge (or the rule is disabled). */
  status: 'RAISED' | 'CLEAN' | 'NO_DATA';
  /** The measured value: metric, error share or p99 ms. */
  value: number | null;
  outcome?: RaiseOutcome;
}

interface DeploymentCounter {
  outcomes: RequestOutcomes;
  sinceEvaluation: number;
  lastEvaluationMs: number;
  /** When request counts last started an evaluation (-Infinity: never). */
  lastCountedEvaluationMs: number;
  evaluateEvery: number;
  running: Promise<void> | null;
}

/**
 * Serving alert rules of deployments, evaluated after every `monitoring.evaluateEveryRequests`
 * requests (default 100) or {@link EVALUATE_PERIOD_MS}, whichever comes first (at most once per
 * {@link MIN_EVALUATION_INTERVAL_MS} from request counts), and after actuals are recorded:
 * - PERFORMANCE_DROP: the newest full window of `monitoring.performanceWindowSize` labelled
 *   predictions of each served version (stable and canary); fires when the primary metric (accuracy,
 *   or r2 for regression) is below `monitoring.performanceFloor`, or lower than the version's TEST
 *   evaluation by more than the rule's threshold. A window already judged is not judged again.
 * - ERROR_RATE: share of failed predict requests over the rule's window, counted in this process
 *   (each API process judges its own traffic; a restart forgets the counts).
 * - LATENCY: p99 (linear interpolation) of the logged latency of the deployment's requests over the
 *   rule's window, one value per request.
 * A rule that fires raises its alert; a judged window within bounds counts a clean window.
 */
export class ServingAlertMonitor {
  private readonly counters = new Map<string, DeploymentCounter>();
  private readonly judgedWindows = new Map<string, number>();
  private readonly log = logger.child({ component: 'serving-alerts' });

  /** With `serving`, counts every request the serving pipeline answers or fails (server faults only). */
  private readonly deployments: DeploymentRepository;
  private readonly predictions: PredictionRepository;

  constructor(
    prisma: PrismaClient,
    private readonly alerts: AlertService,
    private readonly performance: PerformanceService,
    serving?: ServingEvents,
  ) {
    this.deployments = new DeploymentRepository(prisma);
    this.predictions = new PredictionRepository(prisma);
    serving?.on('predictionsServed', (served) => this.recordRequest(served.deploymentId, true));
    // ERROR_RATE counts the service's failures; a caller's mistake (bad input, unknown deployment) is not one.
    serving?.on('predictionFailed', (failed) => {
      if (failed.serverFault && failed.deploymentId !== null) this.recordRequest(failed.deploymentId, false);
    });
    // New actuals may complete a performance window: PERFORMANCE_DROP is judged without waiting for more requests.
    serving?.on('actualsRecorded', (recorded) => this.evaluateInBackground(recorded.deploymentId));
  }

  /** Counts one predict request (answered or failed); may start an evaluation in the background. Never throws. */
  recordRequest(deploymentId: string, ok: boolean, nowMs = Date.now()): void {
    const counter = this.counterOf(deploymentId, nowMs);
    counter.outcomes.record(ok, nowMs);
    counter.sinceEvaluation += 1;
    if (counter.sinceEvaluation < counter.evaluateEvery && nowMs - counter.lastEvaluationMs < EVALUATE_PERIOD_MS) return;
    if (nowMs - counter.lastCountedEvaluationMs < MIN_EVALUATION_INTERVAL_MS) return;
    counter.lastCountedEvaluationMs = nowMs;
    this.evaluateInBackground(deploymentId, nowMs);
  }

  /** Evaluates the deployment's serving rules in the background now (e.g. once actuals arrived), unless an evaluation is running. Never throws. */
  evaluateInBackground(deploymentId: string, nowMs = Date.now()): void {
    const counter = this.counterOf(deploymentId, nowMs);
    if (counter.running) return;
    counter.sinceEvaluation = 0;
    counter.lastEvaluationMs = nowMs;
    counter.running = this.evaluateServingAlerts(deploymentId)
      .then(
        () => undefined,
        (error: unknown) => this.log.error({ err: error, deploymentId }, 'evaluating serving alerts failed'),
      )
      .finally(() => (counter.running = null));
  }

  /** This process's counts of the deployment's predict requests over the last `windowSeconds`. */
  requestCounts(deploymentId: string, windowSeconds: number, nowMs = Date.now()): OutcomeCounts {
    return this.counters.get(deploymentId)?.outcomes.counts(windowSeconds, nowMs) ?? { total: 0, failed: 0, rate: null };
  }

  /** Resolves once the background evaluation of the deployment (if any) has finished. */
  async idle(deploymentId: string): Promise<void> {
    await this.counters.get(deploymentId)?.running;
  }

  private counterOf(deploymentId: string, nowMs: number): DeploymentCounter {
    let counter = this.counters.get(deploymentId);
    if (!counter) {
      counter = {
        outcomes: new RequestOutcomes(),
        sinceEvaluation: 0,
        lastEvaluationMs: nowMs,
        lastCountedEvaluationMs: -Infinity,
        evaluateEvery: DEFAULT_ALERT_MONITORING.evaluateEveryRequests,
        running: null,
      };
      this.counters.set(deploymentId, counter);
    }
    return counter;
  }

  /** Evaluates the deployment's PERFORMANCE_DROP, ERROR_RATE and LATENCY rules now. */
  async evaluateServingAlerts(deploymentId: string, nowMs = Date.now()): Promise<ServingVerdict[]> {
    const deployment = await this.deployments.findById(deploymentId);
    if (!deployment) return [];
    const settings = deployment.monitoring.alerting;
    const counter = this.counters.get(deploymentId);
    if (counter) counter.evaluateEvery = settings.evaluateEveryRequests;
    return [await this.evaluatePerformance(deployment), await this.evaluateErrorRate(deployment, nowMs), await this.evaluateLatency(deployment, nowMs)];
  }

  private async evaluatePerformance(deployment: Deployment): Promise<ServingVerdict> {
    const kind: AlertKind = 'PERFORMANCE_DROP';
    const rule = await this.alerts.effectiveRule(deployment.id, kind);
    if (!rule.enabled) return { kind, status: 'NO_DATA', value: null };
    const settings = deployment.monitoring.alerting;
    const versions = [deployment.modelVersionId, deployment.canaryModelVersionId].filter((id): id is string => id !== null);
    const problems: JudgedVersion[] = [];
    let judged = 0;
    let worst: number | null = null;
    for (const modelVersionId of versions) {
      const { windows, baseline } = await this.performance.performance(deployment, { window: settings.performanceWindowSize, windows: 1, modelVersionId });
      const newest = windows.at(0);
      if (!newest || newest.count < settings.performanceWindowSize) continue;
      const judgedKey = `${deployment.id}:${modelVersionId}`;
      if (this.judgedWindows.get(judgedKey) === newest.to.getTime()) continue;
      this.judgedWindows.set(judgedKey, newest.to.getTime());
      const primary = newest.evaluation.task === 'REGRESSION' ? 'r2' : 'accuracy';
      const metric = newest.comparison.find((comparison) => comparison.name === primary);
      if (!metric || metric.value === null) continue;
      judged += 1;
      worst = worst === null ? metric.value : Math.min(worst, metric.value);
      const floor = settings.performanceFloor;
      const drop = metric.baseline === null ? null : metric.baseline - metric.value;
      const belowFloor = floor !== null && metric.value < floor;
      const dropped = drop !== null && rule.threshold !== null && drop > rule.threshold;
      if (belowFloor || dropped) {
        problems.push({
          modelVersionId,
          canary: modelVersionId === deployment.canaryModelVersionId,
          metric: primary,
          value: metric.value,
          baseline: metric.baseline,
          baselineSplit: baseline?.split ?? null,
          drop,
          floor,
          maxDrop: rule.threshold,
          window: { count: newest.count, from: newest.from.toISOString(), to: newest.to.toISOString() },
        });
      }
    }
    if (problems.length > 0) {
      const first = problems[0];
      const title = `${first.metric} ${first.value.toFixed(4)} on deployment ${deployment.name}${first.canary ? ' (canary)' : ''}: ${
        first.floor !== null && first.value < first.floor
          ? `below the floor ${shownValue(first.floor)}`
          : `down ${(first.drop ?? 0).toFixed(4)} from ${String(first.baselineSplit)}`
      }`;
      const { outcome } = await this.alerts.raise({ deploymentId: deployment.id, kind, title, details: { versions: problems } });
      return { kind, status: 'RAISED', value: worst, outcome };
    }
    if (judged === 0) return { kind, status: 'NO_DATA', value: null };
    await this.alerts.recordCleanWindow(deployment.id, kind);
    return { kind, status: 'CLEAN', value: worst };
  }

  private async evaluateErrorRate(deployment: Deployment, nowMs: number): Promise<ServingVerdict> {
    const kind: AlertKind = 'ERROR_RATE';
    const rule = await this.alerts.effectiveRule(deployment.id, kind);
    if (!rule.enabled) return { kind, status: 'NO_DATA', value: null };
    const windowSeconds = Math.min(rule.windowSeconds ?? DEFAULT_WINDOW_SECONDS, MAX_OUTCOME_WINDOW_SECONDS);
    const counts = this.counters.get(deployment.id)?.outcomes.counts(windowSeconds, nowMs);
    if (!counts || counts.total < MIN_WINDOW_REQUESTS || counts.rate === null) return { kind, status: 'NO_DATA', value: counts?.rate ?? null };
    const threshold = rule.threshold ?? 0;
    if (counts.rate > threshold) {
      const { outcome } = await this.alerts.raise({
        deploymentId: deployment.id,
        kind,
        title: `${(counts.rate * 100).toFixed(1)}% of predict requests to ${deployment.name} failed in the last ${windowSeconds} s`,
        details: {
          failed: counts.failed,
          total: counts.total,
          rate: counts.rate,
          threshold,
          windowSeconds,
          canaryModelVersionId: deployment.canaryModelVersionId,
        },
      });
      return { kind, status: 'RAISED', value: counts.rate, outcome };
    }
    await this.alerts.recordCleanWindow(deployment.id, kind);
    return { kind, status: 'CLEAN', value: counts.rate };
  }

  private async evaluateLatency(deployment: Deployment, nowMs: number): Promise<ServingVerdict> {
    const kind: AlertKind = 'LATENCY';
    const rule = await this.alerts.effectiveRule(deployment.id, kind);
    if (!rule.enabled) return { kind, status: 'NO_DATA', value: null };
    const windowSeconds = rule.windowSeconds ?? DEFAULT_WINDOW_SECONDS;
    const since = new Date(nowMs - windowSeconds * 1000);
    const { requests, p99 } = await this.predictions.requestLatency(deployment.id, since);
    if (requests < MIN_WINDOW_REQUESTS || p99 === null) return { kind, status: 'NO_DATA', value: p99 };
    const threshold = rule.threshold ?? Infinity;
    if (p99 > threshold) {
      const { outcome } = await this.alerts.raise({
        deploymentId: deployment.id,
        kind,
        title: `p99 latency ${p99.toFixed(1)} ms on ${deployment.name} over the last ${windowSeconds} s (limit ${threshold} ms)`,
        details: { p99Ms: p99, thresholdMs: threshold, requests, windowSeconds },
      });
      return { kind, status: 'RAISED', value: p99, outcome };
    }
    await this.alerts.recordCleanWindow(deployment.id, kind);
    return { kind, status: 'CLEAN', value: p99 };
  }
}
