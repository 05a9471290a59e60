import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { expressMiddleware } from '@as-integrations/express5';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { GraphQLSchema } from 'graphql';
import { logger as rootLogger, type Logger } from '../infra/logger';
import { resolveCredentials, unauthenticatedHttpError, type Authenticator } from './auth/authenticate';
import { requestIdFrom, type ContextFactory, type GraphQLContext } from './context';
import { graphiqlPage } from './graphiql-page';
import { crossSiteCheck, type ErrorShape } from './http/cross-site.middleware';
import { createGraphQLPostHandler, isGraphQLJsonPost, type HttpRequestFacts } from './http/graphql-post';
import { createRequestGuard } from './http/request-guard';
import { cachedCheck } from './http/readiness-cache';
import { expressMessageClasses } from './http/express-messages';
import { graphqlErrorBody } from './http/json-response';
import { graphiqlContentSecurityPolicy, securityHeaderWriter } from './http/security-headers';
import { introspectionRules } from './introspection-policy';
import type { AdmitOperation } from './limits/operation-admission';
import { SocketCaps, type SocketCapSettings } from './limits/socket-caps';
import { rateLimitPlugin } from './plugins/rate-limit.plugin';
import { createErrorFormatting } from './plugins/error-scope.plugin';
import { requestLoggingPlugin } from './plugins/request-logging.plugin';
import { subscriptionsOverWebSocketOnly } from './http-subscription-rule';
import { armorProtection, DEFAULT_QUERY_LIMITS, type QueryLimits } from './query-limits';
import { attachGraphQLWs } from './ws-server';
import { dashboardRouter } from './dashboard';

/** Where GraphQL lives, for HTTP, graphql-ws and the GraphiQL page alike. */
export const GRAPHQL_PATH = '/graphql';

/** What `/readyz` reports; `ready: false` answers 503. */
export interface ReadinessReport {
  ready: boolean;
  /** Why not ready, e.g. `database unreachable` or `2 migrations pending`. */
  reason?: string;
  /** Individual checks, echoed in the JSON body. */
  checks?: Record<string, string | number | boolean>;
}

export interface ApiServerOptions {
  /** Interface to bind. @default '127.0.0.1' */
  host?: string;
  /** Port to bind; 0 picks a free one (tests). */
  port: number;
  schema: GraphQLSchema;
  /** Builds the context of each HTTP request and graphql-ws operation. */
  contextFactory: ContextFactory;
  /** Turns `Authorization: Bearer <key>` (HTTP) and `connectionParams.authorization` (graphql-ws) into a principal. */
  auth: Authenticator;
  /** Whether this process can serve: database reachable, migrations applied. Called by `/readyz`. */
  readiness: () => Promise<ReadinessReport>;
  logger?: Logger;
  /** How long `close()` lets in-flight requests and sockets finish before cutting them. @default 8000 */
  shutdownGraceMs?: number;
  /** Overrides of {@link DEFAULT_QUERY_LIMITS}. */
  limits?: Partial<QueryLimits>;
  /**
   * Largest JSON body accepted (`MLPLANE_MAX_JSON_BODY_BYTES`): refused from its Content-Length
   * before reading, or once a chunked body passes it, so an oversize request costs at most this
   * much memory. Larger CSVs go to the streaming upload endpoint.
   * @default 8 MiB
   */
  bodyLimitBytes?: number;
  /** HTTP routes served beside GraphQL (the Open Inference Protocol, `/metrics`, the dataset upload endpoint), mounted after it. */
  routers?: express.Router[];
  /** How long `/readyz` waits for `readiness()` before answering 503. @default 3000 */
  readinessTimeoutMs?: number;
  /** A graphql-ws client whose oldest unread message is older than this has its socket closed. @default 10000 */
  slowSubscriberMs?: number;
  /** Allowed origins and hosts, introspection (README, Security). @default loopback hosts, own origin, introspection on */
  security?: Partial<ApiSecurityOptions>;
  /** Rate limits and the list-item budget of operations (HTTP and graphql-ws). @default none */
  admission?: AdmitOperation;
  /** Caps on graphql-ws sockets and subscriptions. @default none */
  socketCaps?: SocketCapSettings;
  /** Clock of the `/readyz` cache. @default Date.now */
  clock?: () => number;
  /** The built web dashboard served at `/`; omitted: no dashboard. */
  dashboardDir?: string;
  /** Error bodies of paths that do not answer in GraphQL's shape (the Open Inference Protocol's `{ error }` under `/v2`), for refusals made before their routers run. */
  errorShapes?: readonly ErrorShape[];
}

/** How long `/readyz` reuses a readiness result: a burst of probes costs one check. */
export const READINESS_CACHE_MS = 1_000;

/** What `MLPLANE_ALLOWED_ORIGINS`, `MLPLANE_ALLOWED_HOSTS` and `MLPLANE_INTROSPECTION` set. */
export interface ApiSecurityOptions {
  allowedOrigins: string[];
  /** null: the loopback names when bound to loopback, else any host (with a warning at start). */
  allowedHosts: string[] | null;
  introspection: boolean;
}

export interface ApiServer {
  /** `http://host:port/graphql`; the graphql-ws URL is the same with `ws://`. */
  readonly url: string;
  readonly httpServer: http.Server;
  /**
   * Drains and stops: `/readyz` turns 503, no new connections are accepted, in-flight HTTP requests
   * finish, graphql-ws sockets are closed with code 1001; whatever remains after the grace period is
   * cut. Idempotent. Does not close what the caller owns (pub/sub, database).
   */
  close(): Promise<void>;
}

const MiB = 1024 * 1024;

function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

async function checkReadiness(readiness: () => Promise<ReadinessReport>, timeoutMs: number): Promise<ReadinessReport> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<ReadinessReport>((resolve) => {
    timer = setTimeout(() => resolve({ ready: false, reason: `readiness check timed out after ${timeoutMs} ms` }), timeoutMs);
  });
  try {
    return await Promise.race([
      readiness().catch((error: unknown) => ({
        ready: false,
        reason: `readiness check failed: ${error instanceof Error ? error.message : String(error)}`,
      })),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function wantsHtml(req: Request): boolean {
  return req.method === 'GET' && (req.headers.accept ?? '').includes('text/html');
}

/**
 * Starts the API: Apollo Server (HTTP POST/GET) and graphql-ws on one port and path
 * ({@link GRAPHQL_PATH}), the GraphiQL page for browsers, `/healthz` and `/readyz`.
 * @throws when the port cannot be bound.
 */
export async function startApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const logger = (options.logger ?? rootLogger).child({ component: 'api' });
  const host = options.host ?? '127.0.0.1';
  const graceMs = options.shutdownGraceMs ?? 8_000;
  const limits: QueryLimits = { ...DEFAULT_QUERY_LIMITS, ...options.limits };
  const armor = armorProtection(limits);
  const security: ApiSecurityOptions = { allowedOrigins: [], allowedHosts: null, introspection: true, ...options.security };
  const guard = createRequestGuard({ bindHost: host, ...security });
  if (guard.openToAnyHost) {
    logger.warn(
      { host },
      'MLPLANE_ALLOWED_HOSTS is not set and the server is not bound to loopback: any Host header is accepted (no DNS-rebinding protection)',
    );
  }
  const validationRules = [...armor.validationRules, ...introspectionRules(security.introspection)];
  const errorFormatting = createErrorFormatting(logger, GRAPHQL_PATH);
  let draining = false;

  const app = express();
  app.disable('x-powered-by');
  // No ETags on what res.send writes (GraphQL answers, JSON routes): express hashed every body for a
  // validator no API client sends back. Static files (the dashboard) keep serve-static's own.
  app.set('etag', false);
  const httpServer = http.createServer(expressMessageClasses(app));
  const bodyLimitBytes = options.bodyLimitBytes ?? 8 * MiB;

  const apollo = new ApolloServer<GraphQLContext>({
    schema: options.schema,
    plugins: [
      ...armor.plugins,
      ...(options.admission ? [rateLimitPlugin(options.admission)] : []),
      errorFormatting.plugin,
      requestLoggingPlugin(),
      ApolloServerPluginDrainHttpServer({ httpServer, stopGracePeriodMillis: graceMs }),
      ApolloServerPluginLandingPageDisabled(),
      // No cache hints are set or read; Apollo's default cache-control plugin hooked every field's resolution.
      ApolloServerPluginCacheControlDisabled(),
    ],
    validationRules: [...validationRules, subscriptionsOverWebSocketOnly],
    // The validation rules decide (introspectionRules), the same ones graphql-ws uses; Apollo's own switch would add a second error.
    introspection: true,
    parseOptions: { maxLexicalTokens: limits.maxTokens },
    allowBatchedHttpRequests: armor.allowBatchedHttpRequests,
    formatError: errorFormatting.formatError,
    includeStacktraceInErrorResponses: false,
    stopOnTerminationSignals: false,
    logger: logger.child({ component: 'apollo' }),
  });
  await apollo.start();

  const ws = attachGraphQLWs({
    httpServer,
    path: GRAPHQL_PATH,
    schema: options.schema,
    contextFactory: options.contextFactory,
    logger,
    limits,
    validationRules,
    slowSubscriberMs: options.slowSubscriberMs,
    auth: options.auth,
    refusal: (request) => guard.refusal(request),
    admit: options.admission,
    caps: options.socketCaps ? new SocketCaps(options.socketCaps) : undefined,
  });

  const writeSecurityHeaders = securityHeaderWriter();
  const crossSite = crossSiteCheck(guard, options.errorShapes);
  /** What every request gets first: its id (echoed), the security headers and the cross-site check (null: the check answered). */
  const preamble = (req: http.IncomingMessage, res: http.ServerResponse, path: string): string | null => {
    const requestId = requestIdFrom(req.headers);
    res.setHeader('x-request-id', requestId);
    writeSecurityHeaders(res);
    return crossSite(req, res, path, requestId) ? null : requestId;
  };
  /** Before any GraphQL runs: a missing or bad key answers 401 UNAUTHENTICATED. */
  const httpContext = async ({ requestId, clientAddress, headers, body }: HttpRequestFacts): Promise<GraphQLContext> => {
    const credentials = await resolveCredentials(options.auth, headers.authorization);
    if (!credentials.ok) {
      await options.auth.refused({ body, requestId, clientAddress, reason: credentials.reason });
      throw unauthenticatedHttpError(credentials.message);
    }
    return options.contextFactory({ requestId, transport: 'http', headers, principal: credentials.principal, clientAddress });
  };
  const graphqlPost = createGraphQLPostHandler({ apollo, bodyLimitBytes, preamble, context: httpContext, logger });
  httpServer.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    if (isGraphQLJsonPost(req, GRAPHQL_PATH)) graphqlPost(req, res);
    else app(req, res);
  });

  app.use((req, res, next) => {
    const requestId = preamble(req, res, req.path);
    if (requestId === null) return;
    res.locals.requestId = requestId;
    next();
  });

  // Probes need no key. The Open Inference Protocol's health routes are the same probes in its shape.
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'alive' });
  });
  app.get('/v2/health/live', (_req, res) => {
    res.json({ live: true });
  });

  const readiness = cachedCheck(() => checkReadiness(options.readiness, options.readinessTimeoutMs ?? 3_000), READINESS_CACHE_MS, options.clock);
  const readinessNow = async (): Promise<ReadinessReport> => (draining ? { ready: false, reason: 'shutting down' } : await readiness());
  app.get('/readyz', async (_req, res) => {
    const report = await readinessNow();
    res.status(report.ready ? 200 : 503).json(report);
  });
  app.get('/v2/health/ready', async (_req, res) => {
    const report = await readinessNow();
    res.status(report.ready ? 200 : 503).json({ ready: report.ready, ...(report.reason ? { reason: report.reason } : {}) });
  });

  app.get(GRAPHQL_PATH, (req, res, next) => {
    if (!wantsHtml(req)) {
      next();
      return;
    }
    const page = graphiqlPage(GRAPHQL_PATH);
    res.setHeader('content-security-policy', graphiqlContentSecurityPolicy(page));
    res.type('html').send(page);
  });

  // JSON POSTs are answered before Express (graphql-post.ts); Express serves the path's other requests.
  app.use(
    GRAPHQL_PATH,
    express.json({ limit: bodyLimitBytes }),
    expressMiddleware(apollo, {
      context: ({ req, res }) =>
        httpContext({
          requestId: res.locals.requestId as string,
          clientAddress: req.socket.remoteAddress ?? null,
          headers: req.headers,
          body: req.body,
        }),
    }),
  );

  // After GraphQL, which serves most requests: express walks its layers in order for every request.
  if (options.dashboardDir) app.use(dashboardRouter(options.dashboardDir));
  for (const router of options.routers ?? []) app.use(router);

  // Body-parser failures (malformed JSON, too large) answer in GraphQL's error shape, not as an HTML page.
  app.use((error: { status?: number; message?: string }, _req: Request, res: Response, _next: NextFunction) => {
    const status = typeof error.status === 'number' && error.status >= 400 && error.status < 600 ? error.status : 500;
    const requestId = res.locals.requestId as string;
    if (status >= 500) logger.error({ err: error, requestId }, 'HTTP request failed');
    res
      .status(status)
      .json(
        status < 500
          ? graphqlErrorBody(error.message ?? 'Bad request', 'BAD_REQUEST', requestId)
          : graphqlErrorBody(`Internal server error (request id ${requestId})`, 'INTERNAL_SERVER_ERROR', requestId),
      );
  });

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(options.port, host, () => {
      httpServer.off('error', reject);
      resolve();
    });
  });
  const { port } = httpServer.address() as AddressInfo;
  const url = `http://${urlHost(host)}:${port}${GRAPHQL_PATH}`;
  logger.info({ url }, 'API server listening');

  let closing: Promise<void> | undefined;
  return {
    url,
    httpServer,
    close: () =>
      (closing ??= (async () => {
        draining = true;
        const started = Date.now();
        // Close frames go out first; Apollo's drain then ends idle connections and waits for busy ones.
        await Promise.all([ws.close(graceMs), apollo.stop()]);
        logger.info({ durationMs: Date.now() - started }, 'API server stopped');
      })()),
  };
}
