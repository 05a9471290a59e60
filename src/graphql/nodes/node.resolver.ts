import { Arg, Ctx, ID, Query, Resolver } from 'type-graphql';
import { allows, type AccessRule } from '../../domain/auth/principal';
import type { StoredNodeType } from '../../services/nodes/node-locator';
import { Allow, forbidden } from '../auth/access';
import { Node, typedNode, type TypedNode } from '../common/node.type';
import type { GraphQLContext } from '../context';
import { datasetById, datasetVersionById } from '../datasets/dataset.loaders';
import { toInstancePrediction } from '../deployments/prediction.resolver';
import { modelVersionById } from '../model-versions/model-version.loaders';
import { toEvaluation } from '../model-versions/model-version.mapping';
import { modelById } from '../models/model.loaders';
import { toDriftReport } from '../monitoring/drift-report.resolver';
import { runIdOfStudy } from '../optimization/study-id';
import { runById } from '../runs/run.loaders';

type NodeTypeName = StoredNodeType | 'Study';

interface NodeType {
  /** Who may read it: the rule of the query that lists objects of the type. */
  rules: readonly [AccessRule, ...AccessRule[]];
  load: (ctx: GraphQLContext, id: string) => Promise<object | null>;
}

const VIEWER = ['VIEWER'] as const;
const ADMIN = ['ADMIN'] as const;

/** Every Node type: how to load one by id, and who may. */
const NODE_TYPES: Record<NodeTypeName, NodeType> = {
  Dataset: { rules: VIEWER, load: (ctx, id) => ctx.loaders.get(datasetById).load(id) },
  DatasetVersion: { rules: VIEWER, load: (ctx, id) => ctx.loaders.get(datasetVersionById).load(id) },
  Model: { rules: VIEWER, load: (ctx, id) => ctx.loaders.get(modelById).load(id) },
  ModelVersion: { rules: VIEWER, load: (ctx, id) => ctx.loaders.get(modelVersionById).load(id) },
  ModelAliasEvent: { rules: VIEWER, load: (ctx, id) => ctx.services.modelVersions.findAliasEvent(id) },
  Evaluation: {
    rules: VIEWER,
    load: async (ctx, id) => {
      const evaluation = await ctx.services.modelVersions.findEvaluation(id);
      return evaluation && toEvaluation(evaluation);
    },
  },
  Run: { rules: VIEWER, load: (ctx, id) => ctx.loaders.get(runById).load(id) },
  Study: { rules: VIEWER, load: (ctx, id) => ctx.services.optimization.findStudy(runIdOfStudy(id)) },
  Deployment: { rules: VIEWER, load: (ctx, id) => ctx.services.deployments.findDeployment({ id }) },
  DeploymentEvent: { rules: VIEWER, load: (ctx, id) => ctx.services.deployments.findEvent(id) },
  InstancePrediction: {
    rules: VIEWER,
    load: async (ctx, id) => {
      const prediction = await ctx.services.predictions.findPrediction(id);
      return prediction && toInstancePrediction(prediction.id, prediction.instanceIndex, prediction.output);
    },
  },
  DriftReport: {
    rules: VIEWER,
    load: async (ctx, id) => {
      const report = await ctx.services.driftMonitor.findReport(id);
      return report && toDriftReport(report);
    },
  },
  Alert: { rules: VIEWER, load: (ctx, id) => ctx.services.alerts.findAlert(id) },
  AlertDelivery: { rules: VIEWER, load: (ctx, id) => ctx.services.alerts.findDelivery(id) },
  ApiKey: { rules: ADMIN, load: (ctx, id) => ctx.services.apiKeys.findKeyById(id) },
  AuditEvent: { rules: ADMIN, load: (ctx, id) => ctx.services.audit.findEvent(id) },
};

/** The type of the object an id names: a study's own id, else the table holding the UUID. */
async function typeOf(ctx: GraphQLContext, id: string): Promise<NodeTypeName | null> {
  if (runIdOfStudy(id) !== id) return 'Study';
  return ctx.services.nodes.locate(id);
}

@Resolver()
export class NodeResolver {
  @Allow('VIEWER')
  @Query(() => Node, {
    nullable: true,
    description:
      'The object with this id, whatever its type (Relay Object Identification); null when none has it. Reading it needs what the query listing its type needs (ApiKey and AuditEvent: ADMIN).',
  })
  async node(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string): Promise<TypedNode | null> {
    const type = await typeOf(ctx, id);
    if (!type) return null;
    const { rules, load } = NODE_TYPES[type];
    if (!allows(ctx.principal, rules)) throw forbidden(ctx.principal, `node (${type})`, rules);
    const value = await load(ctx, id);
    return value && typedNode(type, value);
  }
}
