import { createPubSub } from '@graphql-yoga/subscription';
import type { GraphQLObjectType, GraphQLSchema } from 'graphql';
import { ROLES, type AccessRule } from '../../../src/domain/auth/principal';
import { accessRulesOf } from '../../../src/graphql/auth/access';
import { buildMlplaneSchema } from '../../../src/graphql/schema';

/** Walks the whole built schema: every operation field must declare who may call it. */
describe('access rules declared on the schema', () => {
  let schema: GraphQLSchema;

  beforeAll(async () => {
    schema = await buildMlplaneSchema({ pubSub: createPubSub() });
  });

  const rootFields = () =>
    [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()]
      .filter((type): type is GraphQLObjectType => type != null)
      .flatMap((type) => Object.values(type.getFields()).map((field) => ({ type: type.name, field })));

  it('gives every Query, Mutation and Subscription field a rule made of known roles', () => {
    const fields = rootFields();
    expect(fields.length).toBeGreaterThan(40);
    const undeclared = fields.filter(({ field }) => !accessRulesOf(field)?.length).map(({ type, field }) => `${type}.${field.name}`);
    expect(undeclared).toEqual([]);
    for (const { field } of fields) for (const rule of accessRulesOf(field)!) expect(ROLES).toContain(rule);
  });

  it('lets PREDICTOR keys reach only predict, recordActuals and explainPrediction', () => {
    const predictorFields = rootFields()
      .filter(({ field }) => accessRulesOf(field)!.includes('PREDICTOR'))
      .map(({ type, field }) => `${type}.${field.name}`)
      .sort();
    expect(predictorFields).toEqual(['Mutation.predict', 'Mutation.recordActuals', 'Query.explainPrediction']);
  });

  it('requires EDITOR (or more) for every mutation but key management and deletions, which are ADMIN', () => {
    const mutations = Object.values(schema.getMutationType()!.getFields());
    const byRule = (rule: AccessRule) =>
      mutations
        .filter((field) => accessRulesOf(field)![0] === rule)
        .map((field) => field.name)
        .sort();
    const admin = ['createApiKey', 'deleteDataset', 'deleteDeployment', 'deleteModel', 'deleteModelVersion', 'deleteStudy', 'revokeApiKey'];
    expect(byRule('ADMIN')).toEqual(admin);
    expect(byRule('VIEWER')).toEqual([]);
    expect(byRule('EDITOR').length + admin.length).toBe(mutations.length);
    // Every delete of stored things is ADMIN; deleting an alias (a pointer whose history stays) is EDITOR like moving it.
    expect(mutations.filter((field) => field.name.startsWith('delete') && accessRulesOf(field)![0] !== 'ADMIN').map((field) => field.name)).toEqual([
      'deleteModelVersionAlias',
    ]);
  });

  it('keeps keys, the audit log and webhook URLs to ADMIN', () => {
    const query = schema.getQueryType()!.getFields();
    expect(accessRulesOf(query.apiKeys)).toEqual(['ADMIN']);
    expect(accessRulesOf(query.auditEvents)).toEqual(['ADMIN']);
    const alertRule = schema.getType('AlertRule') as GraphQLObjectType;
    expect(accessRulesOf(alertRule.getFields().webhookUrl)).toEqual(['ADMIN']);
    const delivery = schema.getType('AlertDelivery') as GraphQLObjectType;
    expect(accessRulesOf(delivery.getFields().url)).toEqual(['ADMIN']);
  });
});
