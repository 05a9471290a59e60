import { Ctx, Query, Resolver } from 'type-graphql';
import type { GraphQLContext } from '../context';
import { toTrainingBackend } from '../runs/run.mapping';
import { checkHealth } from './health-probe';
import { Health } from './health.type';
import { Allow } from '../auth/access';

@Resolver(() => Health)
export class HealthResolver {
  @Allow('VIEWER')
  @Query(() => Health, { description: 'Status of this API process and of its database.' })
  async health(@Ctx() context: GraphQLContext): Promise<Health> {
    const report = await checkHealth(context.services.health);
    const backend = toTrainingBackend(report.backend, null);
    if (!backend) throw new Error(`unknown TensorFlow.js backend "${report.backend}"`);
    return { ...report, backend };
  }
}
