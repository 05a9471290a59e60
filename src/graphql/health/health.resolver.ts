import { Ctx, Query, Resolver } from 'type-graphql';
import type { GraphQLContext } from '../context';
import { checkHealth } from './health-probe';
import { Health } from './health.type';
import { Allow } from '../auth/access';

@Resolver(() => Health)
export class HealthResolver {
  @Allow('VIEWER')
  @Query(() => Health, { description: 'Status of this API process and of its database.' })
  health(@Ctx() context: GraphQLContext): Promise<Health> {
    return checkHealth(context.services.health);
  }
}
