import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root, Subscription, type SubscriptionHandlerData } from 'type-graphql';
import { NotFoundError } from '../../domain/errors';
import type { Alert as AlertRow, AlertDelivery as AlertDeliveryRow, EffectiveAlertRule } from '../../domain/alerts/alert';
import type { AlertWebhookEvent, AlertWebhookPayload as AlertWebhookPayloadRecord } from '../../domain/alerts/alert-webhook-payload';
import { alertAsOfEvent, type AlertEventPayload } from '../../services/alerts/alert-state-event';
import type { Deployment as DeploymentRecord } from '../../domain/deployments/deployment';
import { PageArgs, toConnection } from '../common/connection.type';
import type { GraphQLContext } from '../context';
import { Deployment } from '../deployments/deployment.type';
import { AlertFilter, AlertSubscriptionFilter, ResolveAlertInput, SetAlertMonitoringInput, SetAlertRuleInput } from './alert.input';
import { AlertDetails, toAlertDetails } from './alert-details.type';
import {
  Alert,
  AlertConnection,
  AlertDelivery,
  AlertDeliveryConnection,
  AlertKindEnum,
  AlertMonitoring,
  AlertRule,
  AlertSeverityEnum,
  AlertStatusEnum,
  AlertWebhookEventEnum,
  AlertWebhookPayload,
} from './alert.type';
import { Allow } from '../auth/access';
import { deliveryPages } from './alert.loaders';

/** Filters on the event alone: no read per event and subscriber. */
function matchesAlertFilter({
  payload,
  args,
}: SubscriptionHandlerData<AlertEventPayload, { filter?: AlertSubscriptionFilter | null }, GraphQLContext>): boolean {
  const filter = args.filter;
  if (!filter) return true;
  return (
    (!filter.deployment || payload.deployment === filter.deployment) &&
    (!filter.kind || payload.kind === filter.kind) &&
    (!filter.severity || payload.severity === filter.severity)
  );
}

function toAlertRule(rule: EffectiveAlertRule & { generatedWebhookSecret?: string | null }): AlertRule {
  const { id, webhookSecret, generatedWebhookSecret, ...settings } = rule;
  return {
    ...(settings as Omit<AlertRule, 'stored' | 'hasWebhookSecret' | 'generatedWebhookSecret'>),
    stored: id !== null,
    hasWebhookSecret: Boolean(webhookSecret),
    generatedWebhookSecret: generatedWebhookSecret ?? null,
  };
}

const WEBHOOK_EVENTS: Record<AlertWebhookEvent, AlertWebhookEventEnum> = {
  'alert.opened': AlertWebhookEventEnum.ALERT_OPENED,
  'alert.repeated': AlertWebhookEventEnum.ALERT_REPEATED,
};

/** A stored webhook body as the GraphQL type: enums for its texts, dates for its times, the evidence of the alert's kind. */
function toAlertWebhookPayload({ event, alert, deployment }: AlertWebhookPayloadRecord): AlertWebhookPayload {
  return {
    event: WEBHOOK_EVENTS[event],
    alert: {
      id: alert.id,
      kind: AlertKindEnum[alert.kind],
      severity: AlertSeverityEnum[alert.severity],
      status: AlertStatusEnum[alert.status],
      title: alert.title,
      details: toAlertDetails(alert),
      occurrences: alert.occurrences,
      firstSeenAt: new Date(alert.firstSeenAt),
      lastSeenAt: new Date(alert.lastSeenAt),
    },
    deployment,
  };
}

async function loadAlert(ctx: GraphQLContext, id: string): Promise<AlertRow> {
  const alert = await ctx.services.alerts.findAlert(id);
  if (!alert) throw new NotFoundError('alert', id);
  return alert;
}

@Resolver(() => Alert)
export class AlertResolver {
  @Allow('VIEWER')
  @Query(() => AlertConnection, { description: 'Alerts matching the filter, most recently seen first.' })
  async alerts(@Ctx() ctx: GraphQLContext, @Arg('filter', () => AlertFilter, { nullable: true }) filter: AlertFilter | null, @Args() page: PageArgs) {
    let deploymentId: string | undefined;
    if (filter?.deployment) deploymentId = (await ctx.services.deployments.requireDeployment(filter.deployment, 'filter.deployment')).id;
    return toConnection(await ctx.services.alerts.listAlerts({ ...filter, deploymentId }, page));
  }

  @Allow('VIEWER')
  @Query(() => Alert, { nullable: true })
  async alert(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string) {
    return ctx.services.alerts.findAlert(id);
  }

  @Allow('EDITOR')
  @Mutation(() => Alert, { description: 'Marks an open alert as seen by the caller; repeats still count on it.' })
  async acknowledgeAlert(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string) {
    return ctx.services.alerts.acknowledgeAlert(id, ctx.principal.name);
  }

  @Allow('EDITOR')
  @Mutation(() => Alert, { description: 'Resolves an alert with a note; the next occurrence opens a new alert.' })
  async resolveAlert(@Ctx() ctx: GraphQLContext, @Arg('input') input: ResolveAlertInput) {
    return ctx.services.alerts.resolveAlert(input, ctx.principal.name);
  }

  @Allow('EDITOR')
  @Mutation(() => AlertRule, { description: "Creates or replaces a deployment's rule of one kind." })
  async setAlertRule(@Ctx() ctx: GraphQLContext, @Arg('input') input: SetAlertRuleInput) {
    const { deployment, ...settings } = input;
    return toAlertRule(await ctx.services.alerts.setAlertRule(deployment, settings));
  }

  @Allow('EDITOR')
  @Mutation(() => Deployment, { description: "Changes a deployment's alerting settings (automatic rollback, performance floor and window)." })
  async setAlertMonitoring(@Ctx() ctx: GraphQLContext, @Arg('input') input: SetAlertMonitoringInput) {
    const { deployment, ...patch } = input;
    return ctx.services.alerts.setAlertMonitoring(deployment, patch);
  }

  @FieldResolver(() => Deployment, { nullable: true })
  async deployment(@Root() alert: AlertRow, @Ctx() ctx: GraphQLContext) {
    return alert.deploymentId ? ctx.services.deployments.findDeployment({ id: alert.deploymentId }) : null;
  }

  @FieldResolver(() => AlertDetails, { description: 'Kind-specific evidence of the latest occurrence: the member of the AlertDetails union of `kind`.' })
  details(@Root() alert: AlertRow): typeof AlertDetails {
    return toAlertDetails(alert);
  }

  @FieldResolver(() => AlertDeliveryConnection, { description: 'Webhook notifications, oldest first.' })
  async deliveries(@Root() alert: AlertRow, @Ctx() ctx: GraphQLContext, @Args() page: PageArgs) {
    return toConnection(await ctx.loaders.get(deliveryPages).load({ parentId: alert.id, args: page }));
  }

  @Allow('VIEWER')
  @Subscription(() => Alert, {
    topics: 'alertRaised',
    filter: matchesAlertFilter,
    description:
      "Newly opened alerts (of any API or worker process) matching the filter, as they were opened: status, severity, occurrences, times, acknowledgement and details (when under 4 KB) are the event's own, not the alert's state when the event is delivered.",
  })
  async alertRaised(
    @Root() event: AlertEventPayload,
    @Ctx() ctx: GraphQLContext,
    @Arg('filter', () => AlertSubscriptionFilter, { nullable: true }) _filter?: AlertSubscriptionFilter | null,
  ) {
    return alertAsOfEvent(await loadAlert(ctx, event.id), event);
  }

  @Allow('VIEWER')
  @Subscription(() => Alert, {
    topics: 'alertUpdated',
    filter: matchesAlertFilter,
    description:
      'Alerts matching the filter that repeated past their cooldown, were acknowledged or were resolved. Each event carries the alert as that change left it (status, severity, occurrences, times, acknowledgement and details when under 4 KB), not as it is when delivered.',
  })
  async alertUpdated(
    @Root() event: AlertEventPayload,
    @Ctx() ctx: GraphQLContext,
    @Arg('filter', () => AlertSubscriptionFilter, { nullable: true }) _filter?: AlertSubscriptionFilter | null,
  ) {
    return alertAsOfEvent(await loadAlert(ctx, event.id), event);
  }
}

@Resolver(() => AlertDelivery)
export class AlertDeliveryResolver {
  @FieldResolver(() => AlertWebhookPayload, { description: 'The JSON body sent, field by field.' })
  payload(@Root() delivery: AlertDeliveryRow): AlertWebhookPayload {
    return toAlertWebhookPayload(delivery.payload);
  }
}

@Resolver(() => Deployment)
export class DeploymentAlertsResolver {
  @FieldResolver(() => [AlertRule], { description: 'The rule of every deployment alert kind, stored or defaulted.' })
  async alertRules(@Root() deployment: DeploymentRecord, @Ctx() ctx: GraphQLContext) {
    return (await ctx.services.alerts.effectiveRules(deployment.id)).map(toAlertRule);
  }

  @FieldResolver(() => AlertMonitoring, { description: 'Alerting settings, defaults filled in.' })
  alertMonitoring(@Root() deployment: DeploymentRecord): AlertMonitoring {
    return deployment.monitoring.alerting;
  }
}
