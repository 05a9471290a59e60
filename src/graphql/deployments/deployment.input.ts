import { Field, Float, ID, InputType, Int } from 'type-graphql';
import { DeploymentMonitoringInput } from '../monitoring/drift-report.type';
import { AliasUpdateEnum } from './deployment.type';

@InputType({ description: 'Give either modelVersionId (the deployment is pinned to it), or model and alias (the deployment follows the alias).' })
export class DeployModelInput {
  @Field({ description: '1-100 letters, digits, . _ or -, starting with a letter or digit; unique.' }) name!: string;
  @Field(() => ID, { nullable: true }) modelVersionId?: string | null;
  @Field(() => String, { nullable: true, description: 'Model id or name (with alias).' }) model?: string | null;
  @Field(() => String, { nullable: true, description: 'Alias of the model, e.g. production: the deployment serves where it points and follows its moves.' })
  alias?: string | null;
  @Field(() => AliasUpdateEnum, { nullable: true, description: 'With alias: what a move of the alias does; SWITCH when omitted.' })
  aliasUpdate?: AliasUpdateEnum | null;
  @Field(() => Float, {
    nullable: true,
    description: 'With aliasUpdate CANARY (required then): the canary share in percent, greater than 0 and less than 100.',
  })
  aliasCanaryPercent?: number | null;
  @Field(() => DeploymentMonitoringInput, { nullable: true, description: 'Monitoring settings that differ from the defaults.' })
  monitoring?: DeploymentMonitoringInput | null;
}

@InputType({ description: 'Give either modelVersionId (the deployment is pinned to it) or alias (it serves where the alias points and follows it).' })
export class UpdateDeploymentInput {
  @Field({ description: 'Deployment name.' }) deployment!: string;
  @Field(() => ID, { nullable: true, description: 'Another version of the same model.' }) modelVersionId?: string | null;
  @Field(() => String, { nullable: true, description: "An alias of the deployment's model." }) alias?: string | null;
  @Field(() => AliasUpdateEnum, { nullable: true, description: 'With alias: what a move of the alias does; SWITCH when omitted.' })
  aliasUpdate?: AliasUpdateEnum | null;
  @Field(() => Float, { nullable: true, description: 'With aliasUpdate CANARY (required then): the canary share in percent.' }) aliasCanaryPercent?:
    number | null;
  @Field(() => String, { nullable: true }) reason?: string | null;
}

@InputType()
export class StartCanaryInput {
  @Field({ description: 'Deployment name.' }) deployment!: string;
  @Field(() => ID) modelVersionId!: string;
  @Field(() => Float, { description: 'Share of requests in percent, greater than 0 and less than 100.' }) percent!: number;
}

@InputType()
export class RollbackDeploymentInput {
  @Field({ description: 'Deployment name.' }) deployment!: string;
  @Field() reason!: string;
}

@InputType({ description: 'Dynamic batching of a deployment: omitted settings are kept, null resets one to its default.' })
export class SetDeploymentBatchingInput {
  @Field({ description: 'Deployment name.' }) deployment!: string;
  @Field(() => Int, { nullable: true, description: 'Most rows one model call carries, 1-65,536 (default 1,024); a larger request runs alone.' }) maxBatchSize?:
    number | null;
  @Field(() => Int, {
    nullable: true,
    description: 'How long the first queued request waits for others, 0-100 ms (default 0: only requests of the same event-loop turn).',
  })
  maxDelayMs?: number | null;
}
