import { GraphQLError, Kind, type DocumentNode, type GraphQLSchema, type OperationDefinitionNode, type SelectionSetNode } from 'graphql';
import { TokenBuckets, type BucketVerdict, type Clock } from '../../domain/limits/token-bucket';
import type { GraphQLContext } from '../context';
import { clientIdentity } from './client-identity';
import { countListItems, type ListSizes } from './list-items';

/**
 * Mutations that start work measured in minutes or megabytes; they spend a token of the
 * "expensive" bucket each (an alias counts again).
 */
export const EXPENSIVE_MUTATIONS: ReadonlySet<string> = new Set([
  'startTrainingRun',
  'startOptimization',
  'createDataset',
  'createDatasetVersion',
  'evaluateModelVersion',
]);

/**
 * Mutations of the serving path (thousands a second from one key): they spend the "predictions"
 * bucket, sized for serving, instead of the request bucket (an alias counts again).
 */
export const PREDICTION_MUTATIONS: ReadonlySet<string> = new Set(['predict']);

export interface AdmissionSettings {
  /** Every operation, per client. */
  requests: { capacity: number; refillPerMinute: number };
  /** Each expensive mutation, per client. */
  expensive: { capacity: number; refillPerMinute: number };
  /** Each prediction request (GraphQL `predict`, `/v2/.../infer`), per client. */
  predictions: { capacity: number; refillPerMinute: number };
  /** List items an operation may return (see countListItems); 0 turns the check off. */
  maxListItems: number;
}

/** One operation as both transports see it once it parsed and validated. */
export interface AdmissionRequest {
  context: GraphQLContext;
  schema: GraphQLSchema;
  document: DocumentNode;
  operation: OperationDefinitionNode;
  variables: Record<string, unknown>;
}

export interface Admission {
  /** `RateLimit-Limit/Remaining/Reset` of the request bucket (HTTP responses carry them). */
  headers: Record<string, string>;
  /** Set when the operation may not run: RATE_LIMITED (HTTP 429, with `Retry-After`) or GRAPHQL_VALIDATION_FAILED (too many list items). */
  error?: GraphQLError;
}

/** Decides whether an operation runs now; the HTTP plugin and graphql-ws both call it before execution. */
export type AdmitOperation = (request: AdmissionRequest) => Promise<Admission>;

/** The root fields an operation selects (through inline and named fragments; an alias counts again). */
function rootFieldNames(selectionSet: SelectionSetNode, document: DocumentNode, seen = new Set<string>()): string[] {
  const names: string[] = [];
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      names.push(selection.name.value);
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      names.push(...rootFieldNames(selection.selectionSet, document, seen));
    } else if (!seen.has(selection.name.value)) {
      seen.add(selection.name.value);
      const fragment = document.definitions.find(
        (definition) => definition.kind === Kind.FRAGMENT_DEFINITION && definition.name.value === selection.name.value,
      );
      if (fragment?.kind === Kind.FRAGMENT_DEFINITION) names.push(...rootFieldNames(fragment.selectionSet, document, seen));
    }
  }
  return names;
}

function rateLimitHeaders(verdict: BucketVerdict): Record<string, string> {
  return {
    'ratelimit-limit': String(verdict.limit),
    'ratelimit-remaining': String(verdict.remaining),
    'ratelimit-reset': String(verdict.resetSeconds),
  };
}

function rateLimited(message: string, verdict: BucketVerdict, headers: Record<string, string>): GraphQLError {
  // Apollo takes `extensions.http` as the response's status and headers (a Map); formatting drops it.
  const extensions: Record<string, unknown> = {
    code: 'RATE_LIMITED',
    retryAfterSeconds: verdict.retryAfterSeconds,
    http: { status: 429, headers: new Map(Object.entries({ ...headers, 'retry-after': String(verdict.retryAfterSeconds) })) },
  };
  return new GraphQLError(message, { extensions });
}

/** Split sizes from the datasets service: the named version's rows, else the largest version's (cached for 5 s). */
function splitSizes(
  context: GraphQLContext,
  clock: Clock,
  largest: { value: number; at: number } | undefined,
  remember: (value: { value: number; at: number }) => void,
): ListSizes {
  return {
    splitRows: async (versionId) => {
      if (versionId !== null) {
        const rows = await context.services.datasets.rowCountOf(versionId);
        if (rows !== null) return rows;
      }
      if (largest && clock() - largest.at < 5_000) return largest.value;
      const value = await context.services.datasets.largestRowCount();
      remember({ value, at: clock() });
      return value;
    },
  };
}

/**
 * Rate limits and the list-item budget of operations, per process and in memory (with N API
 * processes a client gets N times the rate). Buckets are keyed by {@link clientIdentity}.
 */
/** The per-client token buckets of one process, shared by GraphQL and the REST routes. */
export interface RateBuckets {
  requests: TokenBuckets;
  expensive: TokenBuckets;
  predictions: TokenBuckets;
}

/** The buckets `settings` describe (one set per process). */
export function createRateBuckets(settings: Pick<AdmissionSettings, 'requests' | 'expensive' | 'predictions'>, clock: Clock = Date.now): RateBuckets {
  return {
    requests: new TokenBuckets(settings.requests, clock),
    expensive: new TokenBuckets(settings.expensive, clock),
    predictions: new TokenBuckets(settings.predictions, clock),
  };
}

export function createOperationAdmission(
  settings: AdmissionSettings,
  clock: Clock = Date.now,
  buckets: RateBuckets = createRateBuckets(settings, clock),
): AdmitOperation {
  const { requests, expensive, predictions } = buckets;
  let largest: { value: number; at: number } | undefined;
  return async ({ context, schema, document, operation, variables }) => {
    const client = clientIdentity(context);
    const fields = operation.operation === 'mutation' ? rootFieldNames(operation.selectionSet, document) : [];
    const predicts = fields.filter((name) => PREDICTION_MUTATIONS.has(name)).length;
    // A prediction-only operation spends the predictions bucket alone; anything else a request token.
    const servingOnly = predicts > 0 && predicts === fields.length;
    const [bucket, tokens, variable] = servingOnly ? [predictions, predicts, 'MLPLANE_PREDICT_RATE_LIMIT_*'] : [requests, 1, 'MLPLANE_RATE_LIMIT_*'];
    const verdict = bucket.take(client, tokens);
    const headers = bucket.enabled ? rateLimitHeaders(verdict) : {};
    if (!verdict.allowed) {
      return {
        headers,
        error: rateLimited(
          `Too many requests: ${verdict.limit} per burst, ${bucket.settings.refillPerMinute} per minute (${variable}); retry in ${verdict.retryAfterSeconds} s`,
          verdict,
          headers,
        ),
      };
    }
    if (predicts > 0 && !servingOnly) {
      const spent = predictions.take(client, predicts);
      if (!spent.allowed) {
        return {
          headers,
          error: rateLimited(
            `Too many predictions: ${spent.limit} per burst, ${predictions.settings.refillPerMinute} per minute (MLPLANE_PREDICT_RATE_LIMIT_*); retry in ${spent.retryAfterSeconds} s`,
            spent,
            headers,
          ),
        };
      }
    }
    const cost = fields.filter((name) => EXPENSIVE_MUTATIONS.has(name)).length;
    if (cost > 0) {
      const spent = expensive.take(client, cost);
      if (!spent.allowed) {
        const names = [...EXPENSIVE_MUTATIONS].join(', ');
        return {
          headers,
          error: rateLimited(
            `Too many expensive mutations (${names}): ${spent.limit} per burst, ${settings.expensive.refillPerMinute} per minute (MLPLANE_EXPENSIVE_RATE_LIMIT_*); this operation asks for ${cost}; retry in ${spent.retryAfterSeconds} s`,
            spent,
            headers,
          ),
        };
      }
    }
    if (settings.maxListItems > 0) {
      const items = await countListItems(
        schema,
        document,
        operation,
        variables,
        splitSizes(context, clock, largest, (value) => (largest = value)),
      );
      if (items > settings.maxListItems) {
        return {
          headers,
          error: new GraphQLError(
            `Query would return up to ${items.toLocaleString('en-US')} list items; the limit is ${settings.maxListItems.toLocaleString('en-US')} (MLPLANE_MAX_QUERY_ITEMS). Ask for smaller pages (first, limit) or fewer aliases.`,
            { extensions: { code: 'GRAPHQL_VALIDATION_FAILED', http: { status: 400 } } },
          ),
        };
      }
    }
    return { headers };
  };
}
