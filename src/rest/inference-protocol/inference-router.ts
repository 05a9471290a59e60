/**
 * The Open Inference Protocol (KServe V2) over REST, on the API's port:
 * - `GET /v2/health/live`, `GET /v2/health/ready`: 200 when alive / ready, else 503 (body `{ live }` / `{ ready }`);
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
import { DomainError, ForbiddenError } from '../../domain/errors';
import type { Logger } from '../../infra/logger';
import type { ServingPipeline } from '../../services/serving/serving-pipeline';
import { instancesOf, metadataTensors, readInferRequest, responseOutputs, type InferRequestBody } from './infer-request';

/** Who calls, as far as the protocol routes care: the auth layer decides; the default allows all. */
export interface InferencePrincipal {
  name: string;
  /** Whether this caller may predict with (and read the metadata of) the named deployment (PREDICTOR keys: named deployments only). */
  mayUseDeployment(deployment: string): boolean;
}

export const ALLOW_ALL: InferencePrincipal = { name: 'anonymous', mayUseDeployment: () => true };

export interface InferenceRouterOptions {
  serving: ServingPipeline;
  /** Readiness of the process (database, migrations, event bus), for `/v2/health/ready`. */
  ready: () => Promise<boolean>;
  serverVersion: string;
  logger: Logger;
  /** The caller of a request (the seam where authentication plugs in). @default everyone may use every deployment */
  principalOf?: (req: Request) => InferencePrincipal | Promise<InferencePrincipal>;
  /** Largest request body. @default 16 MiB */
  bodyLimitBytes?: number;
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

export function createInferenceRouter(options: InferenceRouterOptions): Router {
  const { serving, logger } = options;
  const principalOf = options.principalOf ?? (() => ALLOW_ALL);
  // Everything is under /v2 (parsing and error handling included), so GraphQL's routes are untouched.
  const router = Router();
  router.use(express.json({ limit: options.bodyLimitBytes ?? 16 * 1024 * 1024 }));

  const allowed = async (req: Request, deployment: string): Promise<void> => {
    const principal = await principalOf(req);
    if (!principal.mayUseDeployment(deployment)) throw new ForbiddenError(`${principal.name} may not use deployment "${deployment}"`);
  };

  router.get('/health/live', (_req, res) => {
    res.json({ live: true });
  });
  router.get('/health/ready', async (_req, res) => {
    const ready = await options.ready().catch(() => false);
    res.status(ready ? 200 : 503).json({ ready });
  });
  router.get('/', (_req, res) => {
    res.json({ name: 'mlplane', version: options.serverVersion, extensions: [] });
  });
  router.get('/models/:deployment', async (req, res) => {
    const name = String(req.params.deployment);
    await allowed(req, name);
    const { deployment, modelVersionId, spec } = await serving.describe(name, 'deployment');
    res.json({
      name: deployment.name,
      versions: [modelVersionId],
      platform: 'tensorflowjs',
      ...metadataTensors(spec),
      parameters: { task: spec.task, canary_model_version_id: deployment.canaryModelVersionId ?? '', canary_percent: deployment.canaryPercent ?? 0 },
    });
  });
  router.get('/models/:deployment/ready', async (req, res) => {
    const name = String(req.params.deployment);
    await allowed(req, name);
    await serving.describe(name, 'deployment');
    res.json({ name, ready: true });
  });
  router.post('/models/:deployment/infer', async (req, res) => {
    const name = String(req.params.deployment);
    await allowed(req, name);
    const body: unknown = req.body;
    const header = req.headers[REQUEST_KEY_HEADER];
    const givenId = (body as { id?: unknown } | null)?.id;
    const requestKey = (Array.isArray(header) ? header[0] : header) ?? (typeof givenId === 'string' ? givenId : null);
    // The body is read inside the pipeline, so a malformed one counts as the deployment's refused request.
    let request: InferRequestBody | undefined;
    const result = await serving.serve({
      deployment: name,
      requestKey,
      route: 'v2',
      instances: (spec) => instancesOf((request = readInferRequest(body)), spec),
      fields: { list: 'inputs', item: (row) => `inputs.row[${row}]` },
      deploymentField: 'deployment',
    });
    res.setHeader('x-request-key', result.requestKey);
    res.json({
      model_name: result.deploymentName,
      model_version: result.modelVersionId,
      id: request!.id ?? result.requestKey,
      parameters: { request_key: result.requestKey, canary: result.canary },
      outputs: responseOutputs(result.spec, result.predictions, request!.outputs),
    });
  });

  router.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const requestId = res.locals.requestId as string | undefined;
    if (error instanceof DomainError) {
      res.status(STATUS_BY_CODE[error.code] ?? 500).json({ error: error.message, code: error.code, ...error.location });
      return;
    }
    const status = (error as { status?: unknown }).status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      res.status(status).json({ error: (error as Error).message ?? 'bad request', code: 'BAD_REQUEST' });
      return;
    }
    logger.error({ err: error, requestId }, 'inference request failed');
    res.status(500).json({ error: `Internal server error (request id ${requestId ?? 'unknown'})`, code: 'INTERNAL_SERVER_ERROR' });
  });
  return Router().use('/v2', router);
}
