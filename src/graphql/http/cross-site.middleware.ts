import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { RequestGuard } from './request-guard';

/** How refusals under `prefix` are written, for paths that do not answer in GraphQL's shape (Host/Origin refusals come before any router). */
export interface ErrorShape {
  prefix: string;
  body: (message: string, code: string, requestId: string) => unknown;
}

/** Paths probes call with whatever `Host` their platform uses (a pod IP): exempt from the Host check, not from the Origin check. */
const PROBE_PATHS = new Set(['/healthz', '/readyz', '/v2/health/live', '/v2/health/ready']);

/** Headers a listed origin's scripts may send, and read back. */
const ALLOWED_REQUEST_HEADERS = 'authorization, content-type, x-request-id, x-mlplane-user, apollo-require-preflight';
const EXPOSED_RESPONSE_HEADERS = 'x-request-id, retry-after, ratelimit-limit, ratelimit-remaining, ratelimit-reset';

/**
 * Refuses (403, GraphQL error shape unless `shapes` name another for the path, before any GraphQL runs) requests with a foreign `Host` or a
 * foreign `Origin`, and answers CORS for the listed origins: preflights get 204 with the allowed
 * methods and headers; other requests get `Access-Control-Allow-Origin`. No credentials (mlplane
 * authenticates with a bearer key, not cookies).
 */
export function crossSiteProtection(guard: RequestGuard, shapes: readonly ErrorShape[] = []): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const refusal = guard.refusal(req, { skipHost: PROBE_PATHS.has(req.path) });
    if (refusal) {
      const requestId = res.locals.requestId as string;
      const shape = shapes.find((candidate) => req.path === candidate.prefix || req.path.startsWith(`${candidate.prefix}/`));
      res
        .status(refusal.status)
        .json(
          shape
            ? shape.body(refusal.message, 'FORBIDDEN', requestId)
            : { errors: [{ message: refusal.message, extensions: { code: 'FORBIDDEN', requestId } }] },
        );
      return;
    }
    const origin = req.headers.origin;
    res.vary('Origin');
    if (origin === undefined || !guard.isListedOrigin(origin)) {
      next();
      return;
    }
    res.setHeader('access-control-allow-origin', origin);
    res.setHeader('access-control-expose-headers', EXPOSED_RESPONSE_HEADERS);
    if (req.method === 'OPTIONS' && req.headers['access-control-request-method']) {
      res.setHeader('access-control-allow-methods', 'GET, POST, OPTIONS');
      res.setHeader('access-control-allow-headers', ALLOWED_REQUEST_HEADERS);
      res.setHeader('access-control-max-age', '600');
      res.status(204).end();
      return;
    }
    next();
  };
}
