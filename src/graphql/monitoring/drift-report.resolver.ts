import { Arg, Args, Ctx, FieldResolver, Mutation, Query, Resolver, Root, Subscription } from 'type-graphql';
import { mapPage } from '../../domain/common/pagination';
import type { DriftMonitoringSettings } from '../../domain/deployments/drift-monitoring';
import { NotFoundError } from '../../domain/errors';
import type { Deployment as DeploymentRecord } from '../../domain/deployments/deployment';
import type { EventPayloads } from '../../services/events/event-publisher';
import type { DriftReport as DriftReportRecord, FeatureDriftEntry } from '../../domain/monitoring/drift-report';
import { PageArgs, toConnection } from '../common/connection.type';
import { definePageLoader } from '../common/page-loader';
import type { GraphQLContext } from '../context';
import { Deployment } from '../deployments/deployment.type';
import { DriftMethodEnum, DriftMonitoring, DriftReport, DriftReportConnection, FeatureDrift, SetDeploymentMonitoringInput } from './drift-report.type';
import type { ColumnTypeEnum } from '../common/enums';
import { Allow } from '../auth/access';

/** A report as the GraphQL type (a tested column already has the GraphQL shape). */
export function toDriftReport(report: DriftReportRecord): DriftReport {
  return { ...report, features: report.features.map(toFeatureDrift), prediction: report.prediction && toFeatureDrift(report.prediction) };
}

/** The GraphQL enums are the domain's strings. */
export function toFeatureDrift(entry: FeatureDriftEntry): FeatureDrift {
  return { ...entry, type: entry.type as ColumnTypeEnum, method: entry.method as DriftMethodEnum | null, distribution: entry.distribution ?? null };
}

/** A page of each deployment's drift reports. */
const driftReportPages = definePageLoader<DriftReportRecord>('driftReportPages', (ids, args, ctx) => ctx.services.driftMonitor.pageReports(ids, args));

async function reportConnection(ctx: GraphQLContext, deploymentId: string, request: PageArgs) {
  return toConnection(mapPage(await ctx.loaders.get(driftReportPages).load({ parentId: deploymentId, args: request }), toDriftReport));
}

function toDriftMonitoring(settings: DriftMonitoringSettings): DriftMonitoring {
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
  async driftReports(@Ctx() ctx: GraphQLContext, @Arg('deployment', { description: 'Deployment name.' }) deployment: string, @Args() page: PageArgs) {
    const row = await ctx.services.deployments.requireDeployment(deployment, 'deployment');
    return reportConnection(ctx, row.id, page);
  }

  @FieldResolver(() => DriftReportConnection, { name: 'driftReports', description: 'Drift reports, newest first.' })
  async deploymentDriftReports(@Root() deployment: DeploymentRecord, @Ctx() ctx: GraphQLContext, @Args() page: PageArgs) {
    return reportConnection(ctx, deployment.id, page);
  }

  @Allow('EDITOR')
  @Mutation(() => Deployment, {
    description: "Changes a deployment's drift monitoring settings (window, period, reference size, methods, thresholds, drift share).",
  })
  async setDeploymentMonitoring(@Ctx() ctx: GraphQLContext, @Arg('input') input: SetDeploymentMonitoringInput) {
    return ctx.services.driftMonitor.setSettings(input.deployment, input.drift);
  }

  @FieldResolver(() => DriftMonitoring, { description: 'Drift monitoring settings, defaults filled in.' })
  driftMonitoring(@Root() deployment: DeploymentRecord): DriftMonitoring {
    return toDriftMonitoring(deployment.monitoring.drift);
  }

  @Allow('VIEWER')
  @Subscription(() => DriftReport, {
    topics: 'driftReported',
    topicId: ({ args }: { args: { deployment?: string | null } }) => args.deployment ?? undefined,
    description: 'Every new drift report of one deployment (by name), or of all deployments when none is given, made by any API process.',
  })
  async driftReported(
    @Root() event: EventPayloads['driftReported'],
    @Ctx() ctx: GraphQLContext,
    @Arg('deployment', () => String, { nullable: true }) _deployment?: string | null,
  ) {
    const row = await ctx.services.driftMonitor.findReport(event.id);
    if (!row) throw new NotFoundError('drift report', event.id);
    return toDriftReport(row);
  }
}
