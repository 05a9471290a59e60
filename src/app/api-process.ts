import 'reflect-metadata';
import type { ClassType, NonEmptyArray } from 'type-graphql';
import type { Config } from '../config/config';
import type { Clock } from '../domain/limits/token-bucket';
import { dashboardDir as builtDashboardDir, packageVersion } from '../config/paths';
import { ANONYMOUS_ACTOR } from '../domain/auth/principal';
import { refusedMutationFields } from '../graphql/auth/audit-mutations';
import type { Authenticator } from '../graphql/auth/authenticate';
import { DEFAULT_QUERY_LIMITS } from '../graphql/query-limits';
import { createContextFactory, type Services } from '../graphql/context';
import { resolvers as mlplaneResolvers } from '../graphql/resolvers';
import { buildMlplaneSchema } from '../graphql/schema';
import { createOperationAdmission, createRateBuckets } from '../graphql/limits/operation-admission';
import { startApiServer, type ApiServer, type ReadinessReport } from '../graphql/server';
import { migrationStatus } from '../infra/db/migrator';
import { createPgPool } from '../infra/db/pg-pool';
import { createPrismaClient } from '../infra/db/prisma-client';
import { NotifyEventPublisher } from '../infra/events/notify-event-publisher';
import { createPgPubSub, type PgPubSub } from '../infra/events/pg-pubsub';
import { JobQueue } from '../infra/queue/job-queue';
import type { Logger } from '../infra/logger';
import express from 'express';
import { datasetUploadRouter } from '../http/dataset-upload.router';
import { metricsRouter, type MetricsExposition } from '../http/metrics.router';
import { guardRoute } from '../http/route-guard';
import { backendInfo } from '../ml/tf-backend';
import { WebhookDispatcher } from '../services/alerts/webhook-dispatcher';
import type { ApiKeyService } from '../services/auth/api-key.service';
import type { UncheckedPayload } from '../services/events/event-publisher';
import type { HostResolver } from '../services/alerts/webhook-target';
import type { Registry } from 'prom-client';
import { createInferenceRouter, INFERENCE_PROTOCOL_PREFIX, protocolErrorBody } from '../rest/inference-protocol/inference-router';
import { poolLogWriter } from '../services/predictions/prediction-log';
import { PredictionRetention } from '../services/predictions/prediction-retention';
import { forwardDeploymentChanges } from '../services/serving/deployment-invalidation';
import { createDomainServices } from '../services/services';
import { createMetricsRegistry } from './metrics';

export interface RunningApi {
  /** `http://host:port/graphql`; the graphql-ws URL is the same with `ws://`. */
  url: string;
  server: ApiServer;
  pubSub: PgPubSub;
  services: Services;
  /** Drains HTTP and graphql-ws, stops the monitors, then closes pub/sub and database pools. */
  close(): Promise<void>;
}

/** What a caller other than `serve` may change; `serve` passes none of it. */
export interface ApiProcessOptions {
  /** Resolver classes served next to mlplane's own (tests add probes). */
  extraResolvers?: ClassType[];
  /** Replaces the readiness check (database reachable, migrations applied, LISTEN up). */
  readiness?: () => Promise<ReadinessReport>;
  /** Overrides `config.shutdownGraceSeconds`, in milliseconds. */
  shutdownGraceMs?: number;
  /** Size of the Prisma pool. @default 10 */
  prismaPoolSize?: number;
  /** Resolves webhook host names. @default the system resolver (tests pass a table) */
  hostResolver?: HostResolver;
  /** The rate limiters' clock. @default Date.now */
  clock?: Clock;
  /** The built dashboard served at `/`; null: none. @default web/dist */
  dashboardDir?: string | null;
  /** The Prometheus exposition served at `/metrics`; default: this process's registry (`serve --processes` passes the cluster's). */
  metrics?: (local: Registry) => MetricsExposition;
}

/** The transports' authenticator: API keys, or the open principal when MLPLANE_AUTH=disabled (loopback only). */
function authenticatorFor(config: Config, services: Services): Authenticator {
  return {
    disabled: config.auth === 'disabled',
    authenticate: (token) => services.apiKeys.authenticate(token),
    onRevoked: (listener) => services.apiKeys.onRevoked(listener),
    // A mutation refused for its credentials is audited as DENIED, by `anonymous`.
    refused: async ({ body, requestId, clientAddress }) => {
      for (const operation of refusedMutationFields(body, DEFAULT_QUERY_LIMITS.maxTokens)) {
        await services.audit.record({
          principal: ANONYMOUS_ACTOR,
          role: null,
          operation,
          targetIds: [],
          outcome: 'DENIED',
          errorCode: 'UNAUTHENTICATED',
          requestId,
          clientAddress,
        });
      }
    },
  };
}

/** Passes revocations from every process (NOTIFY) to this process's key cache and open sockets; ends with the pub/sub. */
async function followRevocations(pubSub: PgPubSub, apiKeys: ApiKeyService, logger: Logger): Promise<void> {
  try {
    for await (const event of pubSub.subscribe('apiKeyRevoked')) {
      const id = (event as UncheckedPayload<'apiKeyRevoked'> | null)?.id;
      if (typeof id === 'string') apiKeys.invalidate(id);
    }
  } catch (error) {
    logger.error({ err: error }, 'following API key revocations failed');
  }
}

export { packageVersion };

/**
 * The one composition root of an API process: database, event bus, services, monitors, schema and
 * the HTTP/graphql-ws server. `serve`, `start` and the test server all start the API through it.
 */
export async function startApiProcess(config: Config, databaseUrl: string, logger: Logger, options: ApiProcessOptions = {}): Promise<RunningApi> {
  const prisma = createPrismaClient(databaseUrl, options.prismaPoolSize);
  // Open the pool before listening, so the first requests (and health checks) do not pay for it.
  await prisma.$queryRaw`SELECT 1`;
  const publishPool = createPgPool(databaseUrl, 2, logger.child({ component: 'publish-pool' }), 'mlplane-publish');
  const pubSub = await createPgPubSub({ connectionString: databaseUrl, logger });
  // The API only enqueues: workers (mlplane worker) take the jobs.
  const queue = new JobQueue({ connectionString: databaseUrl, logger, poolSize: 2 });
  await queue.start();
  const backend = backendInfo();
  if (backend.nativeAvailable) {
    logger.info({ backend: backend.active, libtensorflow: backend.libtensorflowVersion, installRoute: backend.installRoute }, 'TensorFlow.js backend');
  } else {
    logger.warn({ backend: backend.active, reason: backend.reason }, 'native TensorFlow backend unavailable: running on the pure-JS cpu backend');
  }

  const events = new NotifyEventPublisher(publishPool);
  // The prediction log writes through its own small pool, with its INSERT prepared once per connection.
  const logPool = createPgPool(databaseUrl, 2, logger.child({ component: 'prediction-log-pool' }), 'mlplane-prediction-log');
  const logWriter = poolLogWriter(logPool);
  const services: Services = {
    ...createDomainServices({ prisma, events, queue, config, hostResolver: options.hostResolver, logWriter, invalidationEpoch: () => pubSub.listenEpoch }),
    health: {
      version: packageVersion,
      databaseReachable: () =>
        prisma.$queryRaw`SELECT 1`.then(
          () => true,
          () => false,
        ),
      backend: () => backendInfo().active,
    },
  };
  const readiness = async (): Promise<ReadinessReport> => {
    if (!(await services.health.databaseReachable())) return { ready: false, reason: 'database unreachable' };
    const status = await migrationStatus(publishPool);
    if (!status.upToDate)
      return { ready: false, reason: `${status.pending.length} migrations pending`, checks: { database: 'up', pendingMigrations: status.pending.length } };
    if (!pubSub.listening) return { ready: false, reason: 'event bus LISTEN connection is down' };
    return { ready: true };
  };
  const auth = authenticatorFor(config, services);
  // One pair of token buckets per process, spent by GraphQL operations and the upload route alike.
  const rateSettings = {
    requests: { capacity: config.limits.requestBurst, refillPerMinute: config.limits.requestsPerMinute },
    expensive: { capacity: config.limits.expensiveBurst, refillPerMinute: config.limits.expensivePerMinute },
    predictions: { capacity: config.limits.predictionBurst, refillPerMinute: config.limits.predictionsPerMinute },
    maxListItems: config.limits.maxQueryItems,
  };
  const buckets = createRateBuckets(rateSettings, options.clock);
  const revocations = followRevocations(pubSub, services.apiKeys, logger);
  // Deployment changes of every process drop this process's cached deployments (rollbacks take effect at once).
  const forwarding = forwardDeploymentChanges(pubSub, services.servingEvents);
  const registry = createMetricsRegistry({
    events: services.servingEvents,
    prisma,
    batchQueueRows: () => services.batcher.queuedRows(),
    logQueueRows: () => services.predictionLog.pendingRows(),
    servedEngines: () => services.modelCache.engineCounts(),
  });
  const guard = { auth, audit: services.audit, logger, buckets };
  const inference = createInferenceRouter({ serving: services.serving, serverVersion: packageVersion, logger, guard, bodyLimitBytes: config.maxJsonBodyBytes });
  const metrics: MetricsExposition = options.metrics
    ? options.metrics(registry)
    : async () => ({ contentType: registry.contentType, body: await registry.metrics() });
  const schemaResolvers: NonEmptyArray<ClassType> = [...mlplaneResolvers, ...(options.extraResolvers ?? [])];
  const server = await startApiServer({
    host: config.host,
    port: config.port,
    schema: await buildMlplaneSchema({ pubSub, resolvers: schemaResolvers }),
    contextFactory: createContextFactory(services, logger),
    auth,
    readiness: options.readiness ?? readiness,
    logger,
    shutdownGraceMs: options.shutdownGraceMs ?? config.shutdownGraceSeconds * 1000,
    slowSubscriberMs: config.wsSlowSubscriberSeconds * 1000,
    bodyLimitBytes: config.maxJsonBodyBytes,
    routers: [
      inference,
      metricsRouter(guard, metrics),
      express
        .Router()
        .use('/datasets/:name/versions', guardRoute(guard, { allow: ['EDITOR'], operation: 'uploadDataset', expensive: true }))
        .use(datasetUploadRouter({ datasets: services.datasets, events, maxBytes: config.maxDatasetBytes, logger })),
    ],
    security: config.http,
    admission: createOperationAdmission(rateSettings, options.clock, buckets),
    socketCaps: config.limits,
    clock: options.clock,
    dashboardDir: options.dashboardDir === undefined ? builtDashboardDir : (options.dashboardDir ?? undefined),
    errorShapes: [{ prefix: INFERENCE_PROTOCOL_PREFIX, body: (message, code, requestId) => protocolErrorBody(message, code, requestId) }],
  });
  const retention = new PredictionRetention(prisma, { retentionDays: config.predictionRetentionDays });
  retention.start();
  services.driftMonitor.start();
  // Alert webhooks are sent from API processes; deliveries are claimed row by row, so several can run.
  const webhooks = new WebhookDispatcher(prisma, { guard: services.webhookGuard });
  webhooks.start();
  let closing: Promise<void> | undefined;
  return {
    url: server.url,
    server,
    pubSub,
    services,
    close: () =>
      (closing ??= (async () => {
        await server.close();
        await services.audit.flush();
        await services.driftMonitor.stop();
        await retention.stop();
        await webhooks.stop();
        await queue.stop({ graceful: false });
        await pubSub.close();
        await revocations;
        await forwarding;
        await publishPool.end();
        await logPool.end();
        await prisma.$disconnect();
      })()),
  };
}
