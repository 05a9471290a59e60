import type { Config } from '../config/config';
import type { PrismaClient } from '../infra/db/prisma-client';
import { AlertService } from './alerts/alert.service';
import { DatasetService } from './datasets/dataset.service';
import { DeploymentService } from './deployments/deployment.service';
import type { EventPublisher } from './events/event-publisher';
import { ModelVersionService } from './model-versions/model-version.service';
import { ModelService } from './models/model.service';
import { OptimizationService } from './optimization/optimization.service';
import { PerformanceService } from './predictions/performance.service';
import { PredictionService } from './predictions/prediction.service';
import { RunStore } from './runs/run-store';
import { TrainingService, type RunEnqueuer } from './training/training.service';

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
  optimization: OptimizationService;
  alerts: AlertService;
}

export interface ServiceDependencies {
  prisma: PrismaClient;
  events: EventPublisher;
  /** Where new runs' jobs go. */
  queue: RunEnqueuer;
  config: Config;
}

export function createDomainServices({ prisma, events, queue, config }: ServiceDependencies): DomainServices {
  const datasets = new DatasetService(prisma, events, { maxBytes: config.maxDatasetBytes, maxColumns: config.maxDatasetColumns });
  const models = new ModelService(prisma, events, datasets);
  const runStore = new RunStore(prisma, events);
  const modelVersions = new ModelVersionService(prisma, datasets);
  const deployments = new DeploymentService(prisma, events, models, modelVersions);
  return {
    datasets,
    models,
    runStore,
    training: new TrainingService(prisma, events, queue, runStore, models),
    modelVersions,
    deployments,
    predictions: new PredictionService(prisma, deployments, modelVersions),
    performance: new PerformanceService(prisma),
    optimization: new OptimizationService(prisma, events, queue, runStore, models),
    alerts: new AlertService(prisma, events),
  };
}
