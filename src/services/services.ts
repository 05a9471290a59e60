import type { Config } from '../config/config';
import { pgPoolOf, type PrismaClient } from '../infra/db/prisma-client';
import { AlertService } from './alerts/alert.service';
import { AutoRollback } from './alerts/auto-rollback';
import { AuditLog } from './audit/audit-log';
import { ApiKeyService } from './auth/api-key.service';
import { ServingAlertMonitor } from './alerts/serving-alerts';
import { DatasetService } from './datasets/dataset.service';
import { DeploymentRepository } from './deployments/deployment-repository';
import { DeploymentService } from './deployments/deployment.service';
import type { EventPublisher } from './events/event-publisher';
import { ArchiveService } from './lifecycle/archive.service';
import { DeletionService } from './lifecycle/deletion.service';
import { ModelVersionService } from './model-versions/model-version.service';
import { ModelService } from './models/model.service';
import { OptimizationService } from './optimization/optimization.service';
import { PerformanceService } from './predictions/performance.service';
import { ModelCache } from './predictions/model-cache';
import { PredictionLog, prismaLogWriter, type LogWriter } from './predictions/prediction-log';
import { PredictionService } from './predictions/prediction.service';
import { TrafficService } from './predictions/traffic.service';
import { DeploymentCache } from './serving/deployment-cache';
import { InferenceBatcher } from './serving/inference-batcher';
import { servedModel } from './serving/served-model';
import { ServingEvents } from './serving/serving-events';
import { ServingPipeline } from './serving/serving-pipeline';
import { DriftMonitor } from './monitoring/drift-monitor';
import { NodeLocator } from './nodes/node-locator';
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
  /** Archiving and restoring datasets, models, versions and studies (deployments: `deployments`). */
  archive: ArchiveService;
  /** Deleting datasets, models, versions, studies and deployments, with what belongs to them. */
  deletion: DeletionService;
  /** Where alert webhooks may go: checked by setAlertRule and by the dispatcher at each attempt. */
  webhookGuard: WebhookTargetGuard;
  /** Which table holds an id (GraphQL `node(id:)`). */
  nodes: NodeLocator;
  /** The one prediction path (GraphQL `predict`, the Open Inference Protocol). */
  serving: ServingPipeline;
  /** Serving's typed in-process events (predictionsServed, ...): monitors and metrics subscribe. */
  servingEvents: ServingEvents;
  /** Deployments by name for serving, invalidated by deployment changes. */
  deploymentCache: DeploymentCache;
  /** The served models of this process. */
  modelCache: ModelCache;
  batcher: InferenceBatcher;
  predictionLog: PredictionLog;
}

export interface ServiceDependencies {
  prisma: PrismaClient;
  events: EventPublisher;
  /** Where new runs' jobs go. */
  queue: RunEnqueuer;
  config: Config;
  /** Resolves webhook host names. @default the system resolver (tests pass a table) */
  hostResolver?: HostResolver;
  /** Runs the prediction log's statement; defaults to the Prisma client's INSERT (API processes pass a `pg` pool's, which COPYs). */
  logWriter?: LogWriter;
  /** Which connection deployment changes of other processes reach this one on (`PgPubSub.listenEpoch`). @default always 1 */
  invalidationEpoch?: () => number | null;
}

export function createDomainServices({
  prisma: client,
  events,
  queue,
  config,
  hostResolver,
  logWriter,
  invalidationEpoch,
}: ServiceDependencies): DomainServices {
  const audit = new AuditLog(client);
  // Services' transactions write the audit row of the mutation that runs them (see AuditLog).
  const prisma = audit.auditingClient(client);
  const webhookGuard = new WebhookTargetGuard(config.webhookAllow, hostResolver);
  const runQuota = new ActiveRunQuota(config.limits.maxActiveRunsPerClient);
  const servingEvents = new ServingEvents();
  const datasets = new DatasetService(
    prisma,
    events,
    { maxBytes: config.maxDatasetBytes, maxColumns: config.maxDatasetColumns },
    audit.pgTransactions(pgPoolOf(client)),
  );
  const models = new ModelService(prisma, events, datasets, {
    maxParameters: config.maxModelParameters,
    memoryBytes: config.workerMemoryLimitMb * 1024 * 1024,
  });
  const alerts = new AlertService(prisma, events, webhookGuard);
  // A failed run's RUN_FAILED alert is opened by the alert service, in the run's transaction.
  const runStore = new RunStore(prisma, events, alerts);
  const modelVersions = new ModelVersionService(prisma, datasets);
  const deployments = new DeploymentService(prisma, events, models, modelVersions, servingEvents);
  // Deployments made by alias follow its moves, in the transaction that moves it.
  modelVersions.aliasFollowers = deployments;
  const modelCache = new ModelCache(async (id) => servedModel(await modelVersions.loadModel(id)));
  const deploymentRows = new DeploymentRepository(prisma);
  const deploymentCache = new DeploymentCache((name) => deploymentRows.findByName(name), servingEvents, { invalidationEpoch });
  const predictionLog = new PredictionLog(logWriter ?? prismaLogWriter(prisma), { events: servingEvents });
  const batcher = new InferenceBatcher(servingEvents);
  const serving = new ServingPipeline({ deployments: deploymentCache, models: modelCache, batcher, log: predictionLog, events: servingEvents });
  new AutoRollback(prisma, deployments).attach(alerts);
  const performance = new PerformanceService(prisma);
  const driftMonitor = new DriftMonitor({
    prisma,
    events,
    datasets,
    loadModel: (id) => modelCache.get(id),
    alerts,
    pendingSince: () => predictionLog.oldestPending(),
    serving: servingEvents,
  });
  return {
    datasets,
    models,
    runStore,
    training: new TrainingService(prisma, events, queue, runStore, models, runQuota),
    modelVersions,
    deployments,
    predictions: new PredictionService(prisma, deployments, serving, modelCache, servingEvents),
    performance,
    traffic: new TrafficService(prisma),
    optimization: new OptimizationService(prisma, events, queue, runStore, models, { maxTrialEpochs: config.limits.maxStudyTrialEpochs, runs: runQuota }),
    alerts,
    servingAlerts: new ServingAlertMonitor(prisma, alerts, performance, servingEvents),
    driftMonitor,
    apiKeys: new ApiKeyService(prisma, events),
    audit,
    archive: new ArchiveService(prisma, datasets, models),
    deletion: new DeletionService(prisma),
    webhookGuard,
    nodes: new NodeLocator(client),
    serving,
    servingEvents,
    deploymentCache,
    modelCache,
    batcher,
    predictionLog,
  };
}
