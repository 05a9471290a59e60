import { Ctx, Query, Resolver } from 'type-graphql';
import type { GraphQLContext } from '../context';
import { checkHealth } from './health-probe';
import { Health } from './health.type';

@Resolver(() => Health)
export class HealthResolver {
  @Query(() => Health, { description: 'Status of this API process and of its database.' })
  health(@Ctx() context: GraphQLContext): Promise<Health> {
    return checkHealth(context.services.health);
  }
}
