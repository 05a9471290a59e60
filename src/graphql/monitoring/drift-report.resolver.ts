import { Arg, Ctx, FieldResolver, Int, Mutation, Query, Resolver, Root, Subscription } from 'type-graphql';
import { encodeCursor } from '../../domain/common/pagination';
import { driftMonitoringOf } from '../../domain/deployments/drift-monitoring';
import { NotFoundError } from '../../domain/errors';
import type { Deployment as DeploymentRow } from '../../services/deployments/deployment.service';
import type { DriftReportRow } from '../../services/monitoring/drift-monitor';
import { toConnection } from '../common/connection.type';
import type { GraphQLContext } from '../context';
import { Deployment } from '../deployments/deployment.type';
import { DriftMonitoring, DriftReport, DriftReportConnection, SetDeploymentMonitoringInput } from './drift-report.type';
import { Allow } from '../auth/access';

interface DriftReportedEvent {
  id: string;
  deploymentId: string;
}

/** A stored report as the GraphQL type (the JSON columns already have its shape). */
function toDriftReport(row: DriftReportRow): DriftReport {
  return { ...row, features: row.features as unknown as DriftReport['features'], prediction: row.prediction as unknown as DriftReport['prediction'] };
}

async function reportConnection(ctx: GraphQLContext, deploymentId: string, first: number, after: string | undefined) {
  const page = await ctx.services.driftMonitor.listReports(deploymentId, { first, after });
  return toConnection({ ...page, items: page.items.map(toDriftReport), cursorOf: (report) => encodeCursor(report) });
}

function toDriftMonitoring(monitoring: unknown): DriftMonitoring {
  const settings = driftMonitoringOf(monitoring);
  return {
    windowSize: settings.windowSize,
    periodSeconds: settings.periodSeconds,
    referenceSize: settings.referenceSize,
    numericMethod: settings.methods.NUMERIC as DriftMonitoring['numericMethod'],
    categoricalMethod: settings.methods.CATEGORICAL as DriftMonitoring['categoricalMethod'],
    thresholds: settings.thresholds,
    driftShare: settings.driftShare,
  };
}

@Resolver(() => Deployment)
export class DriftReportResolver {
  @Allow('VIEWER')
  @Query(() => DriftReportConnection, { description: "A deployment's drift reports, newest first." })
  async driftReports(
    @Ctx() ctx: GraphQLContext,
    @Arg('deployment', { description: 'Deployment name.' }) deployment: string,
    @Arg('first', () => Int, { defaultValue: 20 }) first: number,
    @Arg('after', () => String, { nullable: true }) after?: string,
  ) {
    const row = await ctx.services.deployments.requireDeployment(deployment, 'deployment');
    return reportConnection(ctx, row.id, first, after);
  }

  @FieldResolver(() => DriftReportConnection, { name: 'driftReports', description: 'Drift reports, newest first.' })
  async deploymentDriftReports(
    @Root() deployment: DeploymentRow,
    @Ctx() ctx: GraphQLContext,
    @Arg('first', () => Int, { defaultValue: 20 }) first: number,
    @Arg('after', () => String, { nullable: true }) after?: string,
  ) {
    return reportConnection(ctx, deployment.id, first, after);
  }

  @Allow('EDITOR')
  @Mutation(() => Deployment, { description: "Changes a deployment's drift monitoring settings (window, period, reference size, methods, thresholds, drift share)." })
  async setDeploymentMonitoring(@Ctx() ctx: GraphQLContext, @Arg('input') input: SetDeploymentMonitoringInput) {
    return ctx.services.driftMonitor.setSettings(input.deployment, input.drift);
  }

  @FieldResolver(() => DriftMonitoring, { description: 'Drift monitoring settings, defaults filled in.' })
  driftMonitoring(@Root() deployment: DeploymentRow): DriftMonitoring {
    return toDriftMonitoring(deployment.monitoring);
  }

  @Allow('VIEWER')
  @Subscription(() => DriftReport, {
    topics: 'driftReported',
    topicId: ({ args }: { args: { deployment?: string | null } }) => args.deployment ?? undefined,
    description: 'Every new drift report of one deployment (by name), or of all deployments when none is given, made by any API process.',
  })
  async driftReported(
    @Root() event: DriftReportedEvent,
    @Ctx() ctx: GraphQLContext,
    @Arg('deployment', () => String, { nullable: true }) _deployment?: string | null,
  ) {
    const row = await ctx.services.driftMonitor.findReport(event.id);
    if (!row) throw new NotFoundError('drift report', event.id);
    return toDriftReport(row);
  }
}
