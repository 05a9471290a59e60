import { GraphQLScalarType } from 'graphql';
import { GraphQLDateTimeISO } from 'graphql-scalars';
import type { BuildSchemaOptions } from 'type-graphql';

/** The GraphQL Scalars project's date-time specification (an RFC 3339 `date-time` with its offset). */
export const DATE_TIME_SPECIFICATION = 'https://scalars.graphql.org/andimarek/date-time';

/**
 * graphql-scalars' `DateTimeISO` (what type-graphql maps `Date` to), plus `@specifiedBy` so that
 * clients and code generators know its format: values are serialized as `2007-12-03T10:15:30.000Z`.
 */
export const DateTimeISOScalar = new GraphQLScalarType({ ...GraphQLDateTimeISO.toConfig(), specifiedByURL: DATE_TIME_SPECIFICATION });

/** The scalars the schema maps TypeScript types to. */
export const SCALARS_MAP: NonNullable<BuildSchemaOptions['scalarsMap']> = [{ type: Date, scalar: DateTimeISOScalar }];
