/**
 * The Open Inference Protocol (KServe V2) over REST, on the API's port:
 * - `GET /v2/health/live`, `GET /v2/health/ready`: the API's probes (served next to `/healthz`, `/readyz`);
 * - `GET /v2`: server metadata;
 * - `GET /v2/models/{deployment}`: model metadata (inputs, outputs, the stable version);
 * - `GET /v2/models/{deployment}/ready`: 200 when the deployment exists and its model loads;
 * - `POST /v2/models/{deployment}/infer`: predictions, through the same serving pipeline as GraphQL
 *   `predict` (validation, canary routing by `X-Request-Key` or the request's `id`, durable log,
 *   drift and alerts).
 * Errors are `{ "error": message }` with the status of their kind (400 bad input, 404 unknown
 * deployment, 401/403 auth, 429, 503, 500 masked with the request id).
 */
import express, { Router, type NextFunction, type Request, type Response } from 'express';
import { checkInputString } from '../../domain/common/input-rules';
import { DomainError } from '../../domain/errors';
import { requireServable } from '../../graphql/auth/access';
import { auditFailure } from '../../graphql/auth/audit-mutations';
import { guardRoute, routePrincipal, type RouteGuardDependencies, type RouteRefusal } from '../../http/route-guard';
import { isDatabaseUnavailable } from '../../infra/db/connection-errors';
import type { Logger } from '../../infra/logger';
import type { DeploymentGuard, ServingPipeline } from '../../services/serving/serving-pipeline';
import { instancesOf, metadataTensors, readInferRequest, responseOutputs, type InferRequestBody } from './infer-request';

/** Where the protocol lives; refusals under it are written in its `{ error }` shape. */
export const INFERENCE_PROTOCOL_PREFIX = '/v2';

export interface InferenceRouterOptions {
  serving: ServingPipeline;
  serverVersion: string;
  logger: Logger;
  /** API keys, audit log and rate buckets: the same checks as GraphQL and the upload route. */
  guard: Omit<RouteGuardDependencies, 'errorBody'>;
  /** Largest request body (`MLPLANE_MAX_JSON_BODY_BYTES`, as GraphQL's). */
  bodyLimitBytes: number;
}

const STATUS_BY_CODE: Record<string, number> = {
  BAD_USER_INPUT: 400,
  NOT_FOUND: 404,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  CONFLICT: 409,
  INVALID_STATE: 409,
  RATE_LIMITED: 429,
  SERVICE_UNAVAILABLE: 503,
};

const REQUEST_KEY_HEADER = 'x-request-key';
/** What Node accepts in a header value. */
const HEADER_SAFE = /^[\t\x20-\x7e\x80-\xff]*$/;

/** The `{deployment}` of the path, decoded, under the rules of every input (no NUL byte from `%00`, ...). */
function deploymentOf(req: Request): string {
  const name = String(req.params.deployment);
  checkInputString(name, 'deployment');
  return name;
}

/** The protocol's error body: `{ "error": message }`, with mlplane's code (and request id where it helps). */
export function protocolErrorBody(message: string, code: string, requestId?: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { error: message, code, ...extra, ...(requestId ? { requestId } : {}) };
}

function refusalBody(refusal: RouteRefusal, requestId: string): unknown {
  return protocolErrorBody(
    refusal.message,
    refusal.code,
    requestId,
    refusal.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: refusal.retryAfterSeconds },
  );
}

/**
 * Who may call what: server and model metadata need a VIEWER key (or a PREDICTOR key, for its own
 * deployments); inference an EDITOR key or a PREDICTOR key naming the deployment, as GraphQL
 * `predict`. Inference spends the predictions bucket and is audited as `predict` (accepted calls
 * in batches, refusals and failures at once); reads spend the request bucket and are not audited.
 */
export function createInferenceRouter(options: InferenceRouterOptions): Router {
  const { serving, logger } = options;
  const deps: RouteGuardDependencies = { ...options.guard, errorBody: refusalBody };
  const { audit } = options.guard;
  const reads = guardRoute(deps, { allow: ['VIEWER', 'PREDICTOR'], operation: 'modelMetadata', audit: 'none' });
  const infers = guardRoute(deps, { allow: ['EDITOR', 'PREDICTOR'], operation: 'predict', bucket: 'predictions', audit: 'refusals' });
  const servable = (res: Response): DeploymentGuard => {
    const principal = routePrincipal(res);
    return (deployment) => requireServable(principal, deployment, 'deployment');
  };
  // Everything is under /v2 (parsing and error handling included), so GraphQL's routes are untouched.
  const router = Router();

  router.get('/', reads, (_req, res) => {
    res.json({ name: 'mlplane', version: options.serverVersion, extensions: [] });
  });
  router.get('/models/:deployment', reads, async (req, res) => {
    const { deployment, modelVersionId, spec } = await serving.describe(deploymentOf(req), 'deployment');
    servable(res)(deployment);
    res.json({
      name: deployment.name,
      versions: [modelVersionId],
      platform: 'tensorflowjs',
      ...metadataTensors(spec),
      parameters: { task: spec.task, canary_model_version_id: deployment.canaryModelVersionId ?? '', canary_percent: deployment.canaryPercent ?? 0 },
    });
  });
  router.get('/models/:deployment/ready', reads, async (req, res) => {
    const { deployment } = await serving.describe(deploymentOf(req), 'deployment');
    servable(res)(deployment);
    res.json({ name: deployment.name, ready: true });
  });
  // The key is checked before the body is read: an unauthenticated client cannot make the server parse it.
  router.post('/models/:deployment/infer', infers, express.json({ limit: options.bodyLimitBytes }), async (req, res) => {
    const name = String(req.params.deployment);
    const principal = routePrincipal(res);
    const entry = {
      principal: principal.name,
      role: principal.role,
      operation: 'predict',
      targetIds: [name],
      requestId: res.locals.requestId as string,
      clientAddress: req.socket.remoteAddress ?? null,
    };
    const body: unknown = req.body;
    const header = req.headers[REQUEST_KEY_HEADER];
    const givenId = (body as { id?: unknown } | null)?.id;
    const headerKey = Array.isArray(header) ? header[0] : header;
    const requestKey = headerKey ?? (typeof givenId === 'string' ? givenId : null);
    // The body is read inside the pipeline, so a malformed one counts as the deployment's refused request.
    let request: InferRequestBody | undefined;
    let result;
    try {
      checkInputString(name, 'deployment');
      result = await serving.serve({
        deployment: name,
        guard: servable(res),
        requestKey,
        route: 'v2',
        instances: (spec) => instancesOf((request = readInferRequest(body)), spec),
        fields: { list: 'inputs', item: (row) => `inputs.row[${row}]` },
        deploymentField: 'deployment',
        requestKeyField: headerKey === undefined ? 'id' : 'X-Request-Key',
      });
    } catch (error) {
      // As GraphQL's predict: refusals and failures are audited at once, before the answer.
      await audit.record({ ...entry, ...auditFailure(error) });
      throw error;
    }
    audit.recordSoon({ ...entry, outcome: 'SUCCEEDED' });
    // Echoed as a header only when it can be one (an `id` may hold any text; the body always carries it).
    if (HEADER_SAFE.test(result.requestKey)) res.setHeader(REQUEST_KEY_HEADER, result.requestKey);
    // The pipeline read the body (through `instances`) before it predicted.
    if (!request) throw new Error('internal error: the inference request body was not read');
    // Written directly: express's res.json would also hash the body for an ETag nobody sends back.
    const answer = JSON.stringify({
      model_name: result.deploymentName,
      model_version: result.modelVersionId,
      id: request.id ?? result.requestKey,
      parameters: { request_key: result.requestKey, canary: result.canary },
      outputs: responseOutputs(result.spec, result.predictions, request.outputs),
    });
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(answer) }).end(answer);
  });
  router.use((req, res) => {
    res.status(404).json(protocolErrorBody(`no route ${req.method} ${INFERENCE_PROTOCOL_PREFIX}${req.path}`, 'NOT_FOUND', res.locals.requestId as string));
  });

  router.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const requestId = res.locals.requestId as string | undefined;
    if (error instanceof DomainError) {
      res.status(STATUS_BY_CODE[error.code] ?? 500).json(protocolErrorBody(error.message, error.code, undefined, { ...error.location }));
      return;
    }
    if (isDatabaseUnavailable(error)) {
      logger.warn({ err: error, requestId }, 'database unavailable during an inference request');
      res
        .status(503)
        .json(protocolErrorBody(`The database is unavailable; retry shortly (request id ${requestId ?? 'unknown'})`, 'SERVICE_UNAVAILABLE', requestId));
      return;
    }
    const { status, message } = error as { status?: unknown; message?: unknown };
    if (typeof status === 'number' && status >= 400 && status < 500) {
      res.status(status).json(protocolErrorBody(typeof message === 'string' ? message : 'bad request', 'BAD_REQUEST', requestId));
      return;
    }
    logger.error({ err: error, requestId }, 'inference request failed');
    res.status(500).json(protocolErrorBody(`Internal server error (request id ${requestId ?? 'unknown'})`, 'INTERNAL_SERVER_ERROR', requestId));
  });
  return Router().use(INFERENCE_PROTOCOL_PREFIX, router);
}
