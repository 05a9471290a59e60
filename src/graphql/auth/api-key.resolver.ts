import { Arg, Args, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import type { ApiKey as ApiKeyRecord } from '../../domain/auth/api-key';
import { PageArgs, toConnection } from '../common/connection.type';
import type { GraphQLContext } from '../context';
import { Allow } from './access';
import { ApiKey, ApiKeyConnection, AuditEventConnection, AuditEventFilter, CreateApiKeyInput, CreateApiKeyPayload } from './api-key.type';

@Resolver(() => ApiKey)
export class ApiKeyResolver {
  @Allow('ADMIN')
  @Query(() => ApiKeyConnection, { description: 'Every API key, newest first, revoked ones included.' })
  async apiKeys(@Ctx() ctx: GraphQLContext, @Args() page: PageArgs) {
    return toConnection(await ctx.services.apiKeys.pageKeys(page));
  }

  @Allow('ADMIN')
  @Mutation(() => CreateApiKeyPayload, { description: "Creates an API key; the payload's `key` is its secret, shown this once." })
  async createApiKey(@Ctx() ctx: GraphQLContext, @Arg('input') input: CreateApiKeyInput): Promise<{ apiKey: ApiKeyRecord; key: string }> {
    const { key, token } = await ctx.services.apiKeys.createKey(input);
    return { apiKey: key, key: token };
  }

  @Allow('ADMIN')
  @Mutation(() => ApiKey, { description: 'Revokes a key (by id or name): it stops working at once, and its open graphql-ws sockets close within a second.' })
  async revokeApiKey(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID, { description: "The key's id or name." }) id: string): Promise<ApiKeyRecord> {
    return ctx.services.apiKeys.revokeKey(id);
  }

  @Allow('ADMIN')
  @Query(() => AuditEventConnection, { description: 'Audited mutations matching the filter, newest first.' })
  async auditEvents(
    @Ctx() ctx: GraphQLContext,
    @Arg('filter', () => AuditEventFilter, { nullable: true }) filter: AuditEventFilter | null,
    @Args() page: PageArgs,
  ) {
    return toConnection(await ctx.services.audit.list(filter ?? {}, page));
  }
}
