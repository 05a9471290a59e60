import type { IncomingMessage, ServerResponse } from 'node:http';
import { appendVary, graphqlErrorBody, sendJson } from './json-response';
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
 * The cross-site check of one request: true when it answered the request (a refusal, or a CORS
 * preflight), false when the request may proceed (with its CORS headers set).
 */
export type CrossSiteCheck = (request: IncomingMessage, response: ServerResponse, path: string, requestId: string) => boolean;

/**
 * Refuses (403, GraphQL error shape unless `shapes` name another for the path, before any GraphQL runs) requests with a foreign `Host` or a
 * foreign `Origin`, and answers CORS for the listed origins: preflights get 204 with the allowed
 * methods and headers; other requests get `Access-Control-Allow-Origin`. No credentials (mlplane
 * authenticates with a bearer key, not cookies).
 */
export function crossSiteCheck(guard: RequestGuard, shapes: readonly ErrorShape[] = []): CrossSiteCheck {
  return (request, response, path, requestId) => {
    const refusal = guard.refusal(request, { skipHost: PROBE_PATHS.has(path) });
    if (refusal) {
      const shape = shapes.find((candidate) => path === candidate.prefix || path.startsWith(`${candidate.prefix}/`));
      sendJson(
        response,
        refusal.status,
        shape ? shape.body(refusal.message, 'FORBIDDEN', requestId) : graphqlErrorBody(refusal.message, 'FORBIDDEN', requestId),
      );
      return true;
    }
    const origin = request.headers.origin;
    appendVary(response, 'Origin');
    if (origin === undefined || !guard.isListedOrigin(origin)) return false;
    response.setHeader('access-control-allow-origin', origin);
    response.setHeader('access-control-expose-headers', EXPOSED_RESPONSE_HEADERS);
    if (request.method === 'OPTIONS' && request.headers['access-control-request-method']) {
      response.setHeader('access-control-allow-methods', 'GET, POST, OPTIONS');
      response.setHeader('access-control-allow-headers', ALLOWED_REQUEST_HEADERS);
      response.setHeader('access-control-max-age', '600');
      response.statusCode = 204;
      response.end();
      return true;
    }
    return false;
  };
}
