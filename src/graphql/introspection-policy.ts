import { GraphQLError, NoSchemaIntrospectionCustomRule, type ValidationContext, type ValidationRule } from 'graphql';

const SUGGESTION = /\s*Did you mean .*\?$/s;

/**
 * Keeps field, argument, type and enum value suggestions ("Did you mean …?") out of validation
 * errors: with introspection off they would hand out the schema one guess at a time. It wraps the
 * context's error reporting, which every rule of the same validation run shares (rules are all
 * created before the document is visited).
 */
const HideSuggestionsRule: ValidationRule = (context: ValidationContext) => {
  const report = context.reportError.bind(context);
  context.reportError = (error: GraphQLError) => {
    if (!SUGGESTION.test(error.message)) return report(error);
    report(
      new GraphQLError(error.message.replace(SUGGESTION, ''), {
        nodes: error.nodes,
        source: error.source,
        positions: error.positions,
        path: error.path,
        originalError: error.originalError,
        extensions: error.extensions,
      }),
    );
  };
  return {};
};

/**
 * The validation rules of `MLPLANE_INTROSPECTION`, used by HTTP and graphql-ws alike: none when on;
 * when off, `__schema`/`__type` are refused (GRAPHQL_VALIDATION_FAILED) and suggestions are hidden.
 * `__typename` stays available.
 */
export function introspectionRules(enabled: boolean): ValidationRule[] {
  return enabled ? [] : [NoSchemaIntrospectionCustomRule, HideSuggestionsRule];
}
