import { Field, Float, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Connection } from '../common/connection.type';
import { EvaluationSplitEnum, WindowMetrics } from '../model-versions/model-version.type';
import { Node } from '../common/node.type';

export enum DeploymentEventKindEnum {
  DEPLOYED = 'DEPLOYED',
  UPDATED = 'UPDATED',
  CANARY_STARTED = 'CANARY_STARTED',
  CANARY_PROMOTED = 'CANARY_PROMOTED',
  ROLLED_BACK = 'ROLLED_BACK',
  ALIAS_FOLLOW_CHANGED = 'ALIAS_FOLLOW_CHANGED',
  ARCHIVED = 'ARCHIVED',
  RESTORED = 'RESTORED',
}
registerEnumType(DeploymentEventKindEnum, {
  name: 'DeploymentEventKind',
  description:
    'What changed in a deployment. ALIAS_FOLLOW_CHANGED: it started or stopped following an alias, or follows it otherwise, serving the same versions. ARCHIVED: it stopped serving (hidden from lists); RESTORED: it serves again.',
});

export enum AliasUpdateEnum {
  SWITCH = 'SWITCH',
  CANARY = 'CANARY',
}
registerEnumType(AliasUpdateEnum, {
  name: 'AliasUpdate',
  description:
    "What a deployment that follows an alias does when the alias moves. SWITCH: the new version becomes the stable one. CANARY: it starts as a canary (at the deployment's aliasCanaryPercent), to be promoted or rolled back.",
});

@ObjectType({ description: "The alias a deployment follows (it was deployed or updated by alias), as MLflow's `models:/name@alias` resolves at load time." })
export class DeploymentAliasFollow {
  @Field() alias!: string;
  @Field(() => AliasUpdateEnum) update!: AliasUpdateEnum;
  @Field(() => Float, { nullable: true, description: 'CANARY: the share an alias move starts the canary at.' }) canaryPercent!: number | null;
  modelId!: string;
}

@ObjectType({ description: 'A second version serving a share of the requests, chosen by a stable hash of the request key.' })
export class Canary {
  @Field(() => ID) modelVersionId!: string;
  @Field(() => Float, { description: 'Share of requests in percent (0-100, exclusive).' }) percent!: number;
}

@ObjectType({ description: 'Dynamic batching: concurrent requests to one version share one model call.' })
export class DeploymentBatching {
  @Field(() => Int, { description: 'Most rows per model call.' }) maxBatchSize!: number;
  @Field(() => Int, { description: 'Longest wait of the first queued request, in ms (0: the current event-loop turn only).' }) maxDelayMs!: number;
}

@ObjectType({ implements: Node, description: 'A named endpoint serving versions of one model.' })
export class Deployment {
  @Field(() => ID) id!: string;
  @Field() name!: string;
  @Field(() => ID) modelId!: string;
  @Field(() => ID, { description: 'The stable version: serves every request the canary does not.' }) modelVersionId!: string;
  @Field(() => ID, { nullable: true, description: 'The version served before the last switch; where a rollback without a canary returns.' })
  previousModelVersionId!: string | null;
  @Field() createdAt!: Date;
  @Field() updatedAt!: Date;
  @Field(() => Date, {
    nullable: true,
    description:
      'When it was archived; null while it serves. An archived deployment serves no predictions and leaves `deployments` unless `includeArchived: true`.',
  })
  archivedAt!: Date | null;
}

@ObjectType({ implements: Node, description: 'One change of a deployment: who, when, from which version to which, and why.' })
export class DeploymentEvent {
  @Field(() => ID) id!: string;
  @Field(() => Int, { description: '1, 2, ... per deployment, in commit order.' }) sequence!: number;
  @Field(() => DeploymentEventKindEnum) kind!: DeploymentEventKindEnum;
  @Field(() => ID, { nullable: true, description: 'The version serving before (the stable one for CANARY_STARTED, the canary for a canary rollback).' })
  fromModelVersionId!: string | null;
  @Field(() => ID, { description: 'The version serving after (the canary for CANARY_STARTED).' }) toModelVersionId!: string;
  @Field(() => Float, { nullable: true, description: 'Canary share, for CANARY_STARTED and CANARY_PROMOTED.' }) canaryPercent!: number | null;
  @Field({ description: "Who made the change: the API key's name, or `mlplane` for its own actions (automatic rollback)." }) actor!: string;
  @Field(() => String, { nullable: true }) reason!: string | null;
  @Field({ description: 'When the change committed.' }) createdAt!: Date;
  @Field(() => ID, { nullable: true, description: 'The alias move (a ModelAliasEvent) that made this change; null for changes made otherwise.' })
  aliasEventId!: string | null;
  deploymentId!: string;
}

@ObjectType()
export class DeploymentConnection extends Connection(Deployment, 'Deployment') {}

@ObjectType()
export class DeploymentEventConnection extends Connection(DeploymentEvent, 'DeploymentEvent') {}

@ObjectType({ description: 'A deployment after a change, and the event recording it.' })
export class DeploymentChangePayload {
  @Field(() => Deployment) deployment!: Deployment;
  @Field(() => DeploymentEvent) event!: DeploymentEvent;
}

@ObjectType({ description: 'A headline metric of a window next to the same metric of the baseline evaluation.' })
export class MetricComparison {
  @Field() name!: string;
  @Field(() => Float, { nullable: true, description: 'Null when undefined on the window (e.g. ROC AUC with one class present).' }) value!: number | null;
  @Field(() => Float, { nullable: true }) baseline!: number | null;
  @Field(() => Float, { nullable: true, description: 'value - baseline.' }) change!: number | null;
}

@ObjectType({ description: 'Consecutive labelled predictions of one version, scored with the training metrics of the task.' })
export class PerformanceWindow {
  @Field(() => Int) count!: number;
  @Field({ description: 'Time of the oldest prediction in the window.' }) from!: Date;
  @Field({ description: 'Time of the newest prediction in the window.' }) to!: Date;
  @Field(() => [MetricComparison]) comparison!: MetricComparison[];
  @Field(() => WindowMetrics, { description: 'Every metric of the window, as evaluations have them.' }) metrics!: WindowMetrics;
}

@ObjectType({ description: "Predictions of one time bucket of a deployment's log." })
export class TrafficBucket {
  @Field({ description: 'Start of the bucket.' }) start!: Date;
  @Field(() => Int, { description: 'Logged predictions (instances) in the bucket.' }) predictions!: number;
  @Field(() => Int, { description: 'Distinct requests (request keys) in the bucket.' }) requests!: number;
  @Field(() => Float, { description: 'Median logged latency (ms) of the predictions.' }) latencyP50Ms!: number;
  @Field(() => Float, { description: '99th percentile of the logged latency (ms).' }) latencyP99Ms!: number;
}

@ObjectType({ description: 'How a served version performs on predictions whose actuals were recorded.' })
export class DeploymentPerformance {
  @Field(() => ID) modelVersionId!: string;
  @Field(() => ID, { nullable: true, description: "The evaluation compared with: the version's TEST split, else its latest." }) baselineEvaluationId!:
    string | null;
  @Field(() => EvaluationSplitEnum, { nullable: true }) baselineSplit!: EvaluationSplitEnum | null;
  @Field(() => [PerformanceWindow], { description: 'Newest first; the oldest may hold fewer predictions than the window size.' }) windows!: PerformanceWindow[];
}
