import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { allows, type AccessRule, type Principal } from '../domain/auth/principal';
import { ANONYMOUS_ACTOR } from '../domain/auth/principal';
import { resolveCredentials, type Authenticator } from '../graphql/auth/authenticate';
import type { RateBuckets } from '../graphql/limits/operation-admission';
import type { BucketVerdict } from '../domain/limits/token-bucket';
import type { AuditLog } from '../services/audit/audit-log';
import type { Logger } from '../infra/logger';

/** What a guarded REST route declares: who may call it, and the operation name its audit rows carry. */
export interface RouteRule {
  /** The roles allowed (the same rules GraphQL fields declare). */
  allow: readonly AccessRule[];
  /** The audit log's operation name, e.g. `uploadDataset`. */
  operation: string;
  /** The bucket each call spends: `requests`, or `predictions` (the serving path). @default 'requests' */
  bucket?: 'requests' | 'predictions';
  /** Spends a token of the "expensive" bucket too (uploads), besides the request bucket. */
  expensive?: boolean;
  /**
   * Which calls get an audit row: `each` (mutations: refusals, successes and failures), `refusals`
   * (only the guard's 401/403; the route audits its own outcomes), `none` (reads). @default 'each'
   */
  audit?: 'each' | 'refusals' | 'none';
}

/** A refusal as a route answers it (status, error code, message). */
export interface RouteRefusal {
  status: number;
  code: string;
  message: string;
  retryAfterSeconds?: number;
}

/** The GraphQL error shape REST routes answer in by default: `{ errors: [{ message, extensions: { code, requestId } }] }`. */
export function graphqlErrorBody(refusal: RouteRefusal, requestId: string): unknown {
  const extensions = { code: refusal.code, ...(refusal.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: refusal.retryAfterSeconds }), requestId };
  return { errors: [{ message: refusal.message, extensions }] };
}

export interface RouteGuardDependencies {
  auth: Authenticator;
  audit: AuditLog;
  logger: Logger;
  /** The process's rate buckets (the same GraphQL spends); none: no rate limit. */
  buckets?: RateBuckets;
  /** How refusals are written. @default {@link graphqlErrorBody} */
  errorBody?: (refusal: RouteRefusal, requestId: string) => unknown;
}

const BUCKET_VARIABLES = {
  requests: 'MLPLANE_RATE_LIMIT_*',
  expensive: 'MLPLANE_EXPENSIVE_RATE_LIMIT_*',
  predictions: 'MLPLANE_PREDICT_RATE_LIMIT_*',
} as const;

/** Spends the rule's tokens; sets `RateLimit-*` (of its main bucket) and returns the refusal when a bucket is empty. */
function spendTokens(res: Response, buckets: RateBuckets | undefined, client: string, rule: RouteRule): RouteRefusal | undefined {
  if (!buckets) return undefined;
  const main = rule.bucket ?? 'requests';
  const spent: ['requests' | 'expensive' | 'predictions', BucketVerdict][] = [[main, buckets[main].take(client)]];
  if (rule.expensive) spent.push(['expensive', buckets.expensive.take(client)]);
  if (buckets[main].enabled) {
    const [, verdict] = spent[0];
    res.setHeader('ratelimit-limit', String(verdict.limit));
    res.setHeader('ratelimit-remaining', String(verdict.remaining));
    res.setHeader('ratelimit-reset', String(verdict.resetSeconds));
  }
  const refused = spent.find(([, verdict]) => !verdict.allowed);
  if (!refused) return undefined;
  const [bucket, verdict] = refused;
  res.setHeader('retry-after', String(verdict.retryAfterSeconds));
  return {
    status: 429,
    code: 'RATE_LIMITED',
    message: `Too many requests to ${rule.operation}: ${verdict.limit} per burst (${BUCKET_VARIABLES[bucket]}); retry in ${verdict.retryAfterSeconds} s`,
    retryAfterSeconds: verdict.retryAfterSeconds,
  };
}

/** The principal a guarded route runs as (set by {@link guardRoute}). */
export function routePrincipal(res: Response): Principal {
  return res.locals.principal as Principal;
}

/** Ids of what a guarded route changed, for its audit row. */
export function noteAuditTargets(res: Response, ids: readonly string[]): void {
  res.locals.auditTargetIds = [...((res.locals.auditTargetIds as string[] | undefined) ?? []), ...ids];
}

function answer(res: Response, deps: RouteGuardDependencies, refusal: RouteRefusal): void {
  if (refusal.status === 401) res.setHeader('www-authenticate', 'Bearer realm="mlplane"');
  res.status(refusal.status).json((deps.errorBody ?? graphqlErrorBody)(refusal, res.locals.requestId as string));
}

/** Fails the audited promise of a route that answered with an error status. */
class RouteFailed extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: string,
  ) {
    super(`route answered ${status}`);
  }
}

/**
 * The REST counterpart of a field's `@Allow` and the audit wrapper of mutations: authenticates the
 * `Authorization` header as GraphQL over HTTP does (401 UNAUTHENTICATED), checks the role (403
 * FORBIDDEN naming the role needed), and audits the call: DENIED when refused, else SUCCEEDED or
 * FAILED with the route's error code, written in the route's transaction when it has one.
 */
export function guardRoute(deps: RouteGuardDependencies, rule: RouteRule): RequestHandler {
  const auditing = rule.audit ?? 'each';
  return async (req: Request, res: Response, next: NextFunction) => {
    const requestId = res.locals.requestId as string;
    const clientAddress = req.socket.remoteAddress ?? null;
    const entry = { operation: rule.operation, targetIds: [] as string[], requestId, clientAddress };
    try {
      const credentials = await resolveCredentials(deps.auth, req.headers.authorization);
      if (!credentials.ok) {
        if (auditing !== 'none') await deps.audit.record({ ...entry, principal: ANONYMOUS_ACTOR, role: null, outcome: 'DENIED', errorCode: 'UNAUTHENTICATED' });
        answer(res, deps, { status: 401, code: 'UNAUTHENTICATED', message: credentials.message });
        return;
      }
      const principal = credentials.principal;
      if (!allows(principal, rule.allow)) {
        if (auditing !== 'none')
          await deps.audit.record({ ...entry, principal: principal.name, role: principal.role, outcome: 'DENIED', errorCode: 'FORBIDDEN' });
        answer(res, deps, {
          status: 403,
          code: 'FORBIDDEN',
          message: `${rule.operation} requires the ${rule.allow.join(' or ')} role; key "${principal.name}" has ${principal.role}`,
        });
        return;
      }
      const limited = spendTokens(res, deps.buckets, principal.keyId ? `key:${principal.keyId}` : `address:${clientAddress ?? 'unknown'}`, rule);
      if (limited) {
        answer(res, deps, limited);
        return;
      }
      res.locals.principal = principal;
      if (auditing !== 'each') {
        next();
        return;
      }
      await deps.audit
        .audit(
          { ...entry, principal: principal.name, role: principal.role },
          () =>
            new Promise<void>((resolve, reject) => {
              res.once('finish', () =>
                res.statusCode >= 400 ? reject(new RouteFailed(res.statusCode, String(res.locals.errorCode ?? res.statusCode))) : resolve(),
              );
              next();
            }),
          {
            resultIds: () => (res.locals.auditTargetIds as string[] | undefined) ?? [],
            failure: (error) => ({ outcome: 'FAILED', errorCode: error instanceof RouteFailed ? error.errorCode : 'INTERNAL_SERVER_ERROR' }),
          },
        )
        .catch((error: unknown) => {
          if (!(error instanceof RouteFailed)) throw error;
        });
    } catch (error) {
      // The audit row or the key lookup failed (the database is away): the answer may be sent already.
      deps.logger.error({ err: error, requestId, operation: rule.operation }, 'guarded route failed');
      if (!res.headersSent) answer(res, deps, { status: 503, code: 'SERVICE_UNAVAILABLE', message: 'The service is unavailable, try again' });
    }
  };
}
