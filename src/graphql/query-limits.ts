import { ApolloArmor } from '@escape.tech/graphql-armor';
import type { ApolloServerPlugin } from '@apollo/server';
import type { ValidationRule } from 'graphql';

/**
 * Bounds on one GraphQL document, enforced over HTTP and graphql-ws alike: depth, aliases,
 * directives by graphql-armor's validation rules (GRAPHQL_VALIDATION_FAILED), tokens by
 * graphql-js's own parser (GRAPHQL_PARSE_FAILED). Messages name the bound. Introspection is exempt
 * from depth.
 */
export interface QueryLimits {
  /**
   * Field nesting. The deepest query mlplane's own views need (dataset -> versions -> columns ->
   * profile -> histogram, under a connection's edges/node) is 8 levels; 12 leaves room and still
   * stops cycles such as model -> versions -> model from being walked without end.
   * @default 12
   */
  maxDepth: number;
  /**
   * Aliases per document. Aliases let one request run a field many times (the batched-query
   * denial of service MLflow had, CVE-2025-0453); a client needs a handful.
   * @default 15
   */
  maxAliases: number;
  /** Directives per document. @default 20 */
  maxDirectives: number;
  /**
   * Lexical tokens per document, counted by the parser itself (graphql-js `maxTokens`), so a huge
   * document costs little to refuse. (graphql-armor's own token plugin re-parses the document in an
   * Apollo hook and turns every syntax error into a 500, so it is not used.)
   * Data travels in variables, and a string literal is one token whatever its length.
   * @default 2000
   */
  maxTokens: number;
}

export const DEFAULT_QUERY_LIMITS: QueryLimits = {
  maxDepth: 12,
  maxAliases: 15,
  maxDirectives: 20,
  maxTokens: 2000,
};

/**
 * graphql-armor's Apollo protection for these limits, except tokens (pass `maxTokens` to the parser).
 * Field suggestions stay on: introspection is public anyway.
 */
export function armorProtection(limits: QueryLimits): {
  plugins: ApolloServerPlugin[];
  validationRules: ValidationRule[];
  allowBatchedHttpRequests: false;
} {
  const { plugins, validationRules, allowBatchedHttpRequests } = new ApolloArmor({
    blockFieldSuggestion: { enabled: false },
    maxDepth: { n: limits.maxDepth },
    maxAliases: { n: limits.maxAliases },
    maxDirectives: { n: limits.maxDirectives },
    maxTokens: { enabled: false },
    // graphql-armor's static cost multiplies by every `first` and by 1.5 per level of depth; a
    // Relay connection's edges/node add two levels, so it refused the dashboard's own nested views.
    // The size of an answer is bounded instead by the list-item budget (MLPLANE_MAX_QUERY_ITEMS,
    // operation-admission.ts), which multiplies the page sizes the document asks for.
    costLimit: { enabled: false },
  }).protect();
  return { plugins, validationRules, allowBatchedHttpRequests };
}
