import { Field, Float, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Connection } from '../common/connection.type';
import { Allow } from '../auth/access';
import { Node } from '../common/node.type';
import { AlertDetails } from './alert-details.type';

export enum AlertKindEnum {
  DATA_DRIFT = 'DATA_DRIFT',
  PREDICTION_DRIFT = 'PREDICTION_DRIFT',
  PERFORMANCE_DROP = 'PERFORMANCE_DROP',
  ERROR_RATE = 'ERROR_RATE',
  LATENCY = 'LATENCY',
  RUN_FAILED = 'RUN_FAILED',
}
registerEnumType(AlertKindEnum, { name: 'AlertKind', description: 'What an alert is about; RUN_FAILED alerts belong to runs, the others to deployments.' });

export enum AlertSeverityEnum {
  INFO = 'INFO',
  WARNING = 'WARNING',
  CRITICAL = 'CRITICAL',
}
registerEnumType(AlertSeverityEnum, { name: 'AlertSeverity' });

export enum AlertStatusEnum {
  OPEN = 'OPEN',
  ACKNOWLEDGED = 'ACKNOWLEDGED',
  RESOLVED = 'RESOLVED',
}
registerEnumType(AlertStatusEnum, {
  name: 'AlertStatus',
  description: 'OPEN -> ACKNOWLEDGED -> RESOLVED (OPEN may resolve directly, by a person or after clean windows).',
});

export enum AlertDeliveryStatusEnum {
  PENDING = 'PENDING',
  DELIVERED = 'DELIVERED',
  FAILED = 'FAILED',
}
registerEnumType(AlertDeliveryStatusEnum, { name: 'AlertDeliveryStatus' });

@ObjectType({ implements: Node, description: 'Something that needs attention. One alert per deployment and kind stays open; repeats count occurrences.' })
export class Alert {
  @Field(() => ID) id!: string;
  @Field(() => AlertKindEnum) kind!: AlertKindEnum;
  @Field(() => AlertSeverityEnum) severity!: AlertSeverityEnum;
  @Field(() => AlertStatusEnum) status!: AlertStatusEnum;
  @Field() title!: string;
  @Field(() => ID, { nullable: true }) deploymentId!: string | null;
  @Field(() => ID, { nullable: true, description: 'The failed run of a RUN_FAILED alert.' }) runId!: string | null;
  @Field(() => Int, { description: 'Times raised while open (deduplicated repeats included).' }) occurrences!: number;
  @Field() firstSeenAt!: Date;
  @Field() lastSeenAt!: Date;
  @Field(() => Date, { nullable: true, description: "Last notification (opened, or repeated past the rule's cooldown)." }) notifiedAt!: Date | null;
  @Field(() => Int, { description: "Clean windows in a row while open; the rule's autoResolveAfter resolves it." }) cleanWindows!: number;
  @Field(() => Date, { nullable: true }) acknowledgedAt!: Date | null;
  @Field(() => String, { nullable: true }) acknowledgedBy!: string | null;
  @Field(() => Date, { nullable: true }) resolvedAt!: Date | null;
  @Field(() => String, { nullable: true, description: 'Who resolved it; "mlplane" for automatic resolution.' }) resolvedBy!: string | null;
  @Field(() => String, { nullable: true }) resolutionNote!: string | null;
}

@ObjectType()
export class AlertConnection extends Connection(Alert, 'Alert') {}

@ObjectType({ implements: Node, description: 'One webhook notification of an alert and its attempts.' })
export class AlertDelivery {
  @Field(() => ID) id!: string;
  @Allow('ADMIN')
  @Field(() => String, { description: 'The webhook URL (ADMIN only: it can carry a token).' })
  url!: string;
  @Field(() => AlertDeliveryStatusEnum) status!: AlertDeliveryStatusEnum;
  @Field(() => Int) attempts!: number;
  @Field(() => Int, { nullable: true, description: 'HTTP status of the last attempt.' }) responseStatus!: number | null;
  @Field(() => Float, { nullable: true, description: "How long the last attempt waited for the answer's status (ms)." }) lastDurationMs!: number | null;
  @Field(() => String, {
    nullable: true,
    description: 'Why the last attempt failed (HTTP status, redirect, refused target, network error); never the response body.',
  })
  lastError!: string | null;
  @Field(() => Date, { nullable: true }) nextAttemptAt!: Date | null;
  @Field(() => Date, { nullable: true }) deliveredAt!: Date | null;
  @Field({ description: "The X-Mlplane-Signature header: sha256=<hex HMAC-SHA256 of the body with the rule's secret>." }) signature!: string;
  @Field() createdAt!: Date;
}

export enum AlertWebhookEventEnum {
  ALERT_OPENED = 'ALERT_OPENED',
  ALERT_REPEATED = 'ALERT_REPEATED',
}
registerEnumType(AlertWebhookEventEnum, {
  name: 'AlertWebhookEvent',
  description: "Why a webhook was sent (the body's `event`): ALERT_OPENED is `alert.opened`, ALERT_REPEATED `alert.repeated` (a repeat past the cooldown).",
});

@ObjectType({ description: 'The alert as a webhook body describes it: its state when the notification was queued.' })
export class AlertWebhookAlert {
  @Field(() => ID) id!: string;
  @Field(() => AlertKindEnum) kind!: AlertKindEnum;
  @Field(() => AlertSeverityEnum) severity!: AlertSeverityEnum;
  @Field(() => AlertStatusEnum) status!: AlertStatusEnum;
  @Field() title!: string;
  @Field(() => AlertDetails) details!: typeof AlertDetails;
  @Field(() => Int) occurrences!: number;
  @Field() firstSeenAt!: Date;
  @Field() lastSeenAt!: Date;
}

@ObjectType({ description: 'The deployment a webhook body names.' })
export class AlertWebhookDeployment {
  @Field(() => ID) id!: string;
  @Field() name!: string;
}

@ObjectType({ description: 'The JSON body of a webhook notification, field by field (`event` is the enum of its text).' })
export class AlertWebhookPayload {
  @Field(() => AlertWebhookEventEnum) event!: AlertWebhookEventEnum;
  @Field(() => AlertWebhookAlert) alert!: AlertWebhookAlert;
  @Field(() => AlertWebhookDeployment, { nullable: true }) deployment!: AlertWebhookDeployment | null;
}

@ObjectType()
export class AlertDeliveryConnection extends Connection(AlertDelivery, 'AlertDelivery') {}

@ObjectType({ description: "A deployment's rule of one alert kind: stored, or the defaults of the kind." })
export class AlertRule {
  @Field(() => AlertKindEnum) kind!: AlertKindEnum;
  @Field({ description: 'False when no rule is stored and the defaults apply.' }) stored!: boolean;
  @Field() enabled!: boolean;
  @Field(() => AlertSeverityEnum) severity!: AlertSeverityEnum;
  @Field(() => Float, {
    nullable: true,
    description: 'PERFORMANCE_DROP: largest tolerated drop of the primary metric from the TEST evaluation; ERROR_RATE: failed share; LATENCY: p99 in ms.',
  })
  threshold!: number | null;
  @Field(() => Int, { nullable: true, description: 'Window of ERROR_RATE and LATENCY.' }) windowSeconds!: number | null;
  @Field(() => Int, { description: 'Repeats within this time count without notifying again.' }) cooldownSeconds!: number;
  @Field(() => Int, { description: 'Clean windows in a row that resolve an open alert.' }) autoResolveAfter!: number;
  @Allow('ADMIN')
  @Field(() => String, { nullable: true, description: 'Where alerts of this kind are posted (ADMIN only: it can carry a token).' })
  webhookUrl!: string | null;
  @Field({ description: 'Whether a signing secret is set (the secret itself is never returned).' }) hasWebhookSecret!: boolean;
  @Allow('ADMIN')
  @Field(() => String, {
    nullable: true,
    description: 'The signing secret mlplane generated because setAlertRule gave none: returned by that setAlertRule only, never again.',
  })
  generatedWebhookSecret!: string | null;
}

@ObjectType({ description: "A deployment's alerting settings, defaults filled in." })
export class AlertMonitoring {
  @Field({ description: 'Roll back on a CRITICAL PERFORMANCE_DROP or ERROR_RATE alert during a canary or soon after a switch.' }) autoRollback!: boolean;
  @Field(() => Int, { description: 'How long after a version switch an alert still rolls it back.' }) rollbackWindowSeconds!: number;
  @Field(() => Float, { nullable: true, description: 'PERFORMANCE_DROP also fires below this primary metric (accuracy, or r2).' }) performanceFloor!:
    number | null;
  @Field(() => Int, { description: 'Labelled predictions per performance window.' }) performanceWindowSize!: number;
  @Field(() => Int, { description: 'Serving rules are evaluated after this many predict requests (or 60 s).' }) evaluateEveryRequests!: number;
}
