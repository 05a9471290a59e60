import type { ClassType, NonEmptyArray } from 'type-graphql';
import { AlertDeliveryResolver, AlertResolver, DeploymentAlertsResolver } from './alerts/alert.resolver';
import { ApiKeyResolver } from './auth/api-key.resolver';
import { DatasetResolver, DatasetVersionResolver } from './datasets/dataset.resolver';
import { CanaryResolver, DeploymentAliasFollowResolver, DeploymentEventResolver, DeploymentResolver } from './deployments/deployment.resolver';
import { PredictionResolver } from './deployments/prediction.resolver';
import { HealthResolver } from './health/health.resolver';
import { LifecycleResolver } from './lifecycle/lifecycle.resolver';
import {
  EvaluationResolver,
  ModelAliasEventResolver,
  ModelAliasResolver,
  ModelVersionResolver,
  WindowMetricsResolver,
} from './model-versions/model-version.resolver';
import { ModelResolver } from './models/model.resolver';
import { DriftReportResolver } from './monitoring/drift-report.resolver';
import { NodeResolver } from './nodes/node.resolver';
import { LeaderboardEntryResolver, StudyProgressResolver, StudyResolver, TrialResolver } from './optimization/study.resolver';
import { RunProgressResolver, RunResolver } from './runs/run.resolver';

/** Every resolver class of the schema. An area adds its resolvers here (one import and one entry). */
export const resolvers: NonEmptyArray<ClassType> = [
  HealthResolver,
  DatasetResolver,
  DatasetVersionResolver,
  ModelResolver,
  RunResolver,
  RunProgressResolver,
  ModelVersionResolver,
  EvaluationResolver,
  WindowMetricsResolver,
  ModelAliasResolver,
  ModelAliasEventResolver,
  DeploymentResolver,
  DeploymentEventResolver,
  DeploymentAliasFollowResolver,
  CanaryResolver,
  PredictionResolver,
  DriftReportResolver,
  StudyResolver,
  TrialResolver,
  LeaderboardEntryResolver,
  StudyProgressResolver,
  AlertResolver,
  AlertDeliveryResolver,
  DeploymentAlertsResolver,
  ApiKeyResolver,
  LifecycleResolver,
  NodeResolver,
];
