import { Arg, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import type { PredictionOutput } from '../../ml/serving/prediction-request';
import type { DeploymentGuard } from '../../services/serving/serving-pipeline';
import type { GraphQLContext } from '../context';
import { ExplanationMethodEnum } from '../common/enums';
import {
  ExplainPredictionInput,
  InstancePrediction,
  PredictInput,
  PredictionExplanation,
  PredictPayload,
  RecordActualsInput,
  RecordActualsPayload,
} from './prediction.type';
import { Allow, requireServable } from '../auth/access';
import { readActuals, readExplainedInstance, readPredictInstances } from './prediction-input.mapping';

export function toInstancePrediction(id: string, index: number, output: PredictionOutput): InstancePrediction {
  if ('value' in output) return { id, index, label: null, probabilities: null, value: output.value };
  return {
    id,
    index,
    label: output.label,
    probabilities: Object.entries(output.probabilities).map(([label, probability]) => ({ label, probability })),
    value: null,
  };
}

/** PREDICTOR keys serve only the deployments named on them: FORBIDDEN, naming the deployment, for any other. */
function servableBy(ctx: GraphQLContext): DeploymentGuard {
  return (deployment) => requireServable(ctx.principal, deployment);
}

@Resolver()
export class PredictionResolver {
  @Allow('EDITOR', 'PREDICTOR')
  @Mutation(() => PredictPayload, { description: 'Predicts with a deployment; every prediction is logged before the answer is sent.' })
  async predict(@Ctx() ctx: GraphQLContext, @Arg('input') input: PredictInput): Promise<PredictPayload> {
    const { deployment, requestKey } = input;
    const read = readPredictInstances(input);
    const result = await ctx.services.serving.serve({ deployment, requestKey, ...read, route: 'graphql', guard: servableBy(ctx) });
    return { ...result, predictions: result.predictions.map((p) => toInstancePrediction(p.id, p.index, p.output)) };
  }

  @Allow('EDITOR', 'PREDICTOR')
  @Mutation(() => RecordActualsPayload, { description: 'Attaches true labels or values to earlier predictions, all or none.' })
  async recordActuals(@Ctx() ctx: GraphQLContext, @Arg('input') input: RecordActualsInput): Promise<RecordActualsPayload> {
    return ctx.services.predictions.recordActuals({ deployment: input.deployment, actuals: readActuals(input.actuals) }, servableBy(ctx));
  }

  @Allow('VIEWER', 'PREDICTOR')
  @Query(() => PredictionExplanation, { description: "Per-feature attributions of one instance's output (integrated gradients); nothing is logged." })
  async explainPrediction(@Ctx() ctx: GraphQLContext, @Arg('input') input: ExplainPredictionInput): Promise<PredictionExplanation> {
    const { deployment, requestKey, classLabel } = input;
    const explanation = await ctx.services.predictions.explain({ deployment, requestKey, classLabel, ...readExplainedInstance(input) }, servableBy(ctx));
    return { ...explanation, method: ExplanationMethodEnum[explanation.method], label: explanation.label ?? null };
  }
}
