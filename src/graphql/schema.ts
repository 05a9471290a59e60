import 'reflect-metadata';
import { createPubSub } from '@graphql-yoga/subscription';
import { validate } from 'class-validator';
import { getNamedType, lexicographicSortSchema, printSchema, type GraphQLResolveInfo, type GraphQLSchema } from 'graphql';
import { buildSchema, getMetadataStorage, type ClassType, type NonEmptyArray, type PubSub, type ValidatorFn } from 'type-graphql';
import { Violations } from '../domain/errors';
import { authChecker } from './auth/access';
import { SCALARS_MAP } from './common/scalars';
import { auditMutationFields } from './auth/audit-mutations';
import { constraintViolations } from './errors';
import { checkArgumentValues, resolvedField } from './input-values';
import { resolvers as mlplaneResolvers } from './resolvers';
import { bindPubSub } from './schema-pub-sub';

/**
 * The argument an input class arrived in, for error paths such as `input.layers[2].units`.
 * None for an `@ArgsType` class (its properties already are the argument names) or when two
 * arguments share the type.
 */
function argumentName(argType: Parameters<ValidatorFn>[1], info: GraphQLResolveInfo): string | undefined {
  const typeName = getMetadataStorage().inputTypes.find((input) => input.target === argType)?.name;
  if (!typeName) return undefined;
  const matches = resolvedField(info)?.args.filter((arg) => getNamedType(arg.type).name === typeName);
  return matches?.length === 1 ? matches[0].name : undefined;
}

/**
 * Checks every argument value for text and numbers PostgreSQL could refuse (`input-values.ts`),
 * then runs the class-validator rules declared on input classes, and throws every violation found
 * as one domain `ValidationError` (each with its field path), so it reaches clients as
 * BAD_USER_INPUT with `extensions.field` and `extensions.errors`. Properties GraphQL left out are
 * skipped (its non-null checks cover them).
 */
const validateInput: ValidatorFn = async (argValue, argType, { args, info }) => {
  const violations = new Violations();
  violations.check(() => checkArgumentValues(args, info));
  if (argValue !== null && typeof argValue === 'object') {
    const name = argumentName(argType, info) ?? '';
    const items: [string, unknown][] = Array.isArray(argValue) ? argValue.map((item, index) => [`${name}[${index}]`, item]) : [[name, argValue]];
    for (const [prefix, item] of items) {
      if (item === null || typeof item !== 'object') continue;
      for (const { field, message } of constraintViolations(await validate(item, { skipMissingProperties: true, forbidUnknownValues: false }), prefix)) {
        violations.add(`${field}: ${message}`, { field });
      }
    }
  }
  violations.throwIfAny();
};

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
