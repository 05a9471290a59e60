import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { allows, type AccessRule, type Principal } from '../domain/auth/principal';
import { ANONYMOUS_ACTOR } from '../domain/auth/principal';
import { resolveCredentials, type Authenticator } from '../graphql/auth/authenticate';
import type { RateBuckets } from '../graphql/limits/operation-admission';
import type { AuditLog } from '../services/audit/audit-log';
import type { Logger } from '../infra/logger';

/** What a guarded REST route declares: who may call it, and the operation name its audit rows carry. */
export interface RouteRule {
  /** The roles allowed (the same rules GraphQL fields declare). */
  allow: readonly AccessRule[];
  /** The audit log's operation name, e.g. `uploadDataset`. */
  operation: string;
  /** Spends a token of the "expensive" bucket too (uploads), besides the request bucket. */
  expensive?: boolean;
}

export interface RouteGuardDependencies {
  auth: Authenticator;
  audit: AuditLog;
  logger: Logger;
  /** The process's rate buckets (the same GraphQL spends); none: no rate limit. */
  buckets?: RateBuckets;
}

/** Answers 429 with `Retry-After` and `RateLimit-*` when the client's buckets are empty; true when it did. */
function rateLimited(res: Response, buckets: RateBuckets | undefined, client: string, rule: RouteRule): boolean {
  if (!buckets) return false;
  const verdicts = [buckets.requests.take(client), ...(rule.expensive ? [buckets.expensive.take(client)] : [])];
  const refused = verdicts.find((verdict) => !verdict.allowed);
  if (buckets.requests.enabled) {
    res.setHeader('ratelimit-limit', String(verdicts[0].limit));
    res.setHeader('ratelimit-remaining', String(verdicts[0].remaining));
    res.setHeader('ratelimit-reset', String(verdicts[0].resetSeconds));
  }
  if (!refused) return false;
  res.setHeader('retry-after', String(refused.retryAfterSeconds));
  res.status(429).json({
    errors: [
      {
        message: `Too many requests to ${rule.operation}: ${refused.limit} per burst (MLPLANE_${rule.expensive ? 'EXPENSIVE_' : ''}RATE_LIMIT_*); retry in ${refused.retryAfterSeconds} s`,
        extensions: { code: 'RATE_LIMITED', retryAfterSeconds: refused.retryAfterSeconds, requestId: res.locals.requestId as string | undefined },
      },
    ],
  });
  return true;
}

/** The principal a guarded route runs as (set by {@link guardRoute}). */
export function routePrincipal(res: Response): Principal {
  return res.locals.principal as Principal;
}

/** Ids of what a guarded route changed, for its audit row. */
export function noteAuditTargets(res: Response, ids: readonly string[]): void {
  res.locals.auditTargetIds = [...((res.locals.auditTargetIds as string[] | undefined) ?? []), ...ids];
}

function refuse(res: Response, status: 401 | 403, code: 'UNAUTHENTICATED' | 'FORBIDDEN', message: string): void {
  if (status === 401) res.setHeader('www-authenticate', 'Bearer realm="mlplane"');
  res.status(status).json({ errors: [{ message, extensions: { code, requestId: res.locals.requestId as string | undefined } }] });
}

/** Fails the audited promise of a route that answered with an error status. */
class RouteFailed extends Error {
  constructor(readonly status: number, readonly errorCode: string) {
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
  return async (req: Request, res: Response, next: NextFunction) => {
    const requestId = res.locals.requestId as string;
    const clientAddress = req.socket.remoteAddress ?? null;
    const entry = { operation: rule.operation, targetIds: [] as string[], requestId, clientAddress };
    try {
      const credentials = await resolveCredentials(deps.auth, req.headers.authorization);
      if (!credentials.ok) {
        await deps.audit.record({ ...entry, principal: ANONYMOUS_ACTOR, role: null, outcome: 'DENIED', errorCode: 'UNAUTHENTICATED' });
        refuse(res, 401, 'UNAUTHENTICATED', credentials.message);
        return;
      }
      const principal = credentials.principal;
      if (!allows(principal, rule.allow)) {
        await deps.audit.record({ ...entry, principal: principal.name, role: principal.role, outcome: 'DENIED', errorCode: 'FORBIDDEN' });
        refuse(res, 403, 'FORBIDDEN', `${rule.operation} requires the ${rule.allow.join(' or ')} role; key "${principal.name}" has ${principal.role}`);
        return;
      }
      if (rateLimited(res, deps.buckets, principal.keyId ? `key:${principal.keyId}` : `address:${clientAddress ?? 'unknown'}`, rule)) return;
      res.locals.principal = principal;
      await deps.audit
        .audit(
          { ...entry, principal: principal.name, role: principal.role },
          () =>
            new Promise<void>((resolve, reject) => {
              res.once('finish', () => (res.statusCode >= 400 ? reject(new RouteFailed(res.statusCode, String(res.locals.errorCode ?? res.statusCode))) : resolve()));
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
      if (!res.headersSent) {
        res.status(503).json({ errors: [{ message: 'The service is unavailable, try again', extensions: { code: 'SERVICE_UNAVAILABLE', requestId } }] });
      }
    }
  };
}
