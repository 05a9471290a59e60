import { Field, Float, ID, InputType, Int } from 'type-graphql';
import { AlertKindEnum, AlertSeverityEnum, AlertStatusEnum } from './alert.type';

@InputType({ description: 'Every given field must match.' })
export class AlertFilter {
  @Field(() => String, { nullable: true, description: 'Deployment name.' }) deployment?: string | null;
  @Field(() => AlertKindEnum, { nullable: true }) kind?: AlertKindEnum | null;
  @Field(() => AlertSeverityEnum, { nullable: true }) severity?: AlertSeverityEnum | null;
  @Field(() => AlertStatusEnum, { nullable: true }) status?: AlertStatusEnum | null;
}

@InputType({ description: 'Every given field must match.' })
export class AlertSubscriptionFilter {
  @Field(() => String, { nullable: true, description: 'Deployment name.' }) deployment?: string | null;
  @Field(() => AlertKindEnum, { nullable: true }) kind?: AlertKindEnum | null;
  @Field(() => AlertSeverityEnum, { nullable: true }) severity?: AlertSeverityEnum | null;
}

@InputType()
export class ResolveAlertInput {
  @Field(() => ID) id!: string;
  @Field(() => String, { nullable: true, description: 'Why or how it was resolved (up to 2,000 characters).' }) note?: string | null;
}

@InputType({ description: "Creates or replaces a deployment's rule of one kind; omitted fields take the kind's defaults." })
export class SetAlertRuleInput {
  @Field({ description: 'Deployment name.' }) deployment!: string;
  @Field(() => AlertKindEnum) kind!: AlertKindEnum;
  @Field(() => Boolean, { nullable: true }) enabled?: boolean | null;
  @Field(() => AlertSeverityEnum, { nullable: true }) severity?: AlertSeverityEnum | null;
  @Field(() => Float, { nullable: true }) threshold?: number | null;
  @Field(() => Int, { nullable: true }) windowSeconds?: number | null;
  @Field(() => Int, { nullable: true }) cooldownSeconds?: number | null;
  @Field(() => Int, { nullable: true }) autoResolveAfter?: number | null;
  @Field(() => String, {
    nullable: true,
    description:
      'http(s) URL receiving the signed JSON notifications. Its host must resolve to public addresses only (or be listed in MLPLANE_WEBHOOK_ALLOW); redirects are not followed.',
  })
  webhookUrl?: string | null;
  @Field(() => String, {
    nullable: true,
    description:
      'HMAC-SHA256 key of X-Mlplane-Signature, 32 to 512 characters; omitted with a webhookUrl, mlplane generates one and returns it once (generatedWebhookSecret).',
  })
  webhookSecret?: string | null;
}

@InputType({ description: 'Changes the given alerting settings of a deployment; null resets one to its default.' })
export class SetAlertMonitoringInput {
  @Field({ description: 'Deployment name.' }) deployment!: string;
  @Field(() => Boolean, { nullable: true }) autoRollback?: boolean | null;
  @Field(() => Int, { nullable: true }) rollbackWindowSeconds?: number | null;
  @Field(() => Float, { nullable: true }) performanceFloor?: number | null;
  @Field(() => Int, { nullable: true }) performanceWindowSize?: number | null;
  @Field(() => Int, { nullable: true }) evaluateEveryRequests?: number | null;
}
