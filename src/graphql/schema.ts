import 'reflect-metadata';
import { createPubSub } from '@graphql-yoga/subscription';
import { lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql';
import { buildSchema, type ClassType, type NonEmptyArray, type PubSub, type ValidatorFn } from 'type-graphql';
import { authChecker } from './auth/access';
import { SCALARS_MAP } from './common/scalars';
import { auditMutationFields } from './auth/audit-mutations';
import { checkArgumentValues } from './input-values';
import { resolvers as mlplaneResolvers } from './resolvers';
import { bindPubSub } from './schema-pub-sub';

/**
 * Checks every argument value for text and numbers PostgreSQL could refuse (`input-values.ts`) and
 * throws every violation found as one domain `ValidationError` (each with its field path), so it
 * reaches clients as BAD_USER_INPUT with `extensions.field` and `extensions.errors`. The shape rules
 * of each input are zod schemas in the domain (`src/domain/common/input-schema.ts`), checked by the
 * services that take the input.
 */
const validateInput: ValidatorFn = (_argValue, _argType, { args, info }) => checkArgumentValues(args, info);

export interface MlplaneSchemaOptions {
  /** Where `@Subscription({ topics })` resolvers subscribe (a PgPubSub in the server). */
  pubSub: PubSub;
  /** The resolver classes; defaults to every area's (`resolvers.ts`). */
  resolvers?: NonEmptyArray<ClassType>;
}

/** Builds the executable schema from the resolver classes, bound to its pub/sub (see `schema-pub-sub.ts`). */
export async function buildMlplaneSchema(options: MlplaneSchemaOptions): Promise<GraphQLSchema> {
  const schema = await buildSchema({
    resolvers: options.resolvers ?? mlplaneResolvers,
    pubSub: options.pubSub,
    validateFn: validateInput,
    authChecker,
    scalarsMap: SCALARS_MAP,
    emitSchemaFile: false,
  });
  bindPubSub(schema, options.pubSub);
  auditMutationFields(schema);
  return schema;
}

/** The schema's SDL, types sorted by name: what `schema.graphql` holds. */
export async function printMlplaneSchema(): Promise<string> {
  const schema = await buildMlplaneSchema({ pubSub: createPubSub() });
  return `${printSchema(lexicographicSortSchema(schema))}\n`;
}
