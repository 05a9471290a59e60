import { Field, Float, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Connection } from '../common/connection.type';

export enum DeploymentEventKindEnum {
  DEPLOYED = 'DEPLOYED',
  UPDATED = 'UPDATED',
  CANARY_STARTED = 'CANARY_STARTED',
  CANARY_PROMOTED = 'CANARY_PROMOTED',
  ROLLED_BACK = 'ROLLED_BACK',
}
registerEnumType(DeploymentEventKindEnum, { name: 'DeploymentEventKind', description: 'What changed in a deployment.' });

@ObjectType({ description: 'A second version serving a share of the requests, chosen by a stable hash of the request key.' })
export class Canary {
  @Field(() => ID) modelVersionId!: string;
  @Field(() => Float, { description: 'Share of requests in percent (0-100, exclusive).' }) percent!: number;
}

@ObjectType({ description: 'A named endpoint serving versions of one model.' })
export class Deployment {
  @Field(() => ID) id!: string;
  @Field() name!: string;
  @Field(() => ID) modelId!: string;
  @Field(() => ID, { description: 'The stable version: serves every request the canary does not.' }) modelVersionId!: string;
  @Field(() => ID, { nullable: true, description: 'The version served before the last switch; where a rollback without a canary returns.' })
  previousModelVersionId!: string | null;
  @Field() createdAt!: Date;
  @Field() updatedAt!: Date;
}

@ObjectType({ description: 'One change of a deployment: who, when, from which version to which, and why.' })
export class DeploymentEvent {
  @Field(() => ID) id!: string;
  @Field(() => Int, { description: '1, 2, ... per deployment, in commit order.' }) sequence!: number;
  @Field(() => DeploymentEventKindEnum) kind!: DeploymentEventKindEnum;
  @Field(() => ID, { nullable: true, description: 'The version serving before (the stable one for CANARY_STARTED, the canary for a canary rollback).' })
  fromModelVersionId!: string | null;
  @Field(() => ID, { description: 'The version serving after (the canary for CANARY_STARTED).' }) toModelVersionId!: string;
  @Field(() => Float, { nullable: true, description: 'Canary share, for CANARY_STARTED and CANARY_PROMOTED.' }) canaryPercent!: number | null;
  @Field({ description: 'Who made the change (the x-mlplane-user header; "anonymous" when absent).' }) actor!: string;
  @Field(() => String, { nullable: true }) reason!: string | null;
  @Field({ description: 'When the change committed.' }) createdAt!: Date;
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
