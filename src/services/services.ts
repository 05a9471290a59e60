import type { Config } from '../config/config';
import { pgPoolOf, type PrismaClient } from '../infra/db/prisma-client';
import { AlertService } from './alerts/alert.service';
import { AutoRollback } from './alerts/auto-rollback';
import { AuditLog } from './audit/audit-log';
import { ApiKeyService } from './auth/api-key.service';
import { ServingAlertMonitor } from './alerts/serving-alerts';
import { DatasetService } from './datasets/dataset.service';
import { DeploymentService } from './deployments/deployment.service';
import type { EventPublisher } from './events/event-publisher';
import { ModelVersionService } from './model-versions/model-version.service';
import { ModelService } from './models/model.service';
import { OptimizationService } from './optimization/optimization.service';
import { PerformanceService } from './predictions/performance.service';
import { PredictionService } from './predictions/prediction.service';
import { TrafficService } from './predictions/traffic.service';
import { DriftMonitor } from './monitoring/drift-monitor';
import { ActiveRunQuota } from './runs/active-run-quota';
import { RunStore } from './runs/run-store';
import { TrainingService, type RunEnqueuer } from './training/training.service';
import { WebhookTargetGuard, type HostResolver } from './alerts/webhook-target';

/** The domain services of one process, shared by resolvers and jobs alike. */
export interface DomainServices {
  datasets: DatasetService;
  models: ModelService;
  training: TrainingService;
  modelVersions: ModelVersionService;
  runStore: RunStore;
  deployments: DeploymentService;
  predictions: PredictionService;
  performance: PerformanceService;
  traffic: TrafficService;
  optimization: OptimizationService;
  alerts: AlertService;
  servingAlerts: ServingAlertMonitor;
  driftMonitor: DriftMonitor;
  apiKeys: ApiKeyService;
  audit: AuditLog;
  /** Where alert webhooks may go: checked by setAlertRule and by the dispatcher at each attempt. */
  webhookGuard: WebhookTargetGuard;
}

export interface ServiceDependencies {
  prisma: PrismaClient;
  events: EventPublisher;
  /** Where new runs' jobs go. */
  queue: RunEnqueuer;
  config: Config;
  /** Resolves webhook host names. @default the system resolver (tests pass a table) */
  hostResolver?: HostResolver;
}

export function createDomainServices({ prisma: client, events, queue, config, hostResolver }: ServiceDependencies): DomainServices {
  const audit = new AuditLog(client);
  // Services' transactions write the audit row of the mutation that runs them (see AuditLog).
  const prisma = audit.auditingClient(client);
  const webhookGuard = new WebhookTargetGuard(config.webhookAllow, hostResolver);
  const runQuota = new ActiveRunQuota(config.limits.maxActiveRunsPerClient);
  const datasets = new DatasetService(
    prisma,
    events,
    { maxBytes: config.maxDatasetBytes, maxColumns: config.maxDatasetColumns },
    audit.pgTransactions(pgPoolOf(client)),
  );
  const models = new ModelService(prisma, events, datasets, { maxParameters: config.maxModelParameters, memoryBytes: config.workerMemoryLimitMb * 1024 * 1024 });
  const runStore = new RunStore(prisma, events);
  const modelVersions = new ModelVersionService(prisma, datasets);
  const deployments = new DeploymentService(prisma, events, models, modelVersions);
  const predictions = new PredictionService(prisma, deployments, modelVersions);
  const driftMonitor = new DriftMonitor(prisma, events, datasets, (id) => predictions.models.get(id));
  predictions.afterLog = (deploymentId, count, createdAt) => driftMonitor.notePredictions(deploymentId, count, createdAt);
  driftMonitor.pendingSince = () => predictions.log.oldestPending();
  const alerts = new AlertService(prisma, events, webhookGuard);
  new AutoRollback(prisma, deployments).attach(alerts);
  const performance = new PerformanceService(prisma);
  driftMonitor.alerts = alerts;
  return {
    datasets,
    models,
    runStore,
    training: new TrainingService(prisma, events, queue, runStore, models, runQuota),
    modelVersions,
    deployments,
    predictions,
    performance,
    traffic: new TrafficService(prisma),
    optimization: new OptimizationService(prisma, events, queue, runStore, models, { maxTrialEpochs: config.limits.maxStudyTrialEpochs, runs: runQuota }),
    alerts,
    servingAlerts: new ServingAlertMonitor(prisma, alerts, performance),
    driftMonitor,
    apiKeys: new ApiKeyService(prisma, events),
    audit,
    webhookGuard,
  };
}
