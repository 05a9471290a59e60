import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Client, Pool } from 'pg';
import type { NonEmptyArray } from 'type-graphql';
import { loadConfig } from '../../src/config/config';
import { projectRoot } from '../../src/config/paths';
import { migrationStatus } from '../../src/infra/db/migrator';
import { createPrismaClient } from '../../src/infra/db/prisma-client';
import { NotifyEventPublisher } from '../../src/infra/events/notify-event-publisher';
import { JobQueue } from '../../src/infra/queue/job-queue';
import { createPgPubSub, type PgPubSub } from '../../src/infra/events/pg-pubsub';
import { logger as rootLogger, type Logger } from '../../src/infra/logger';
import { createContextFactory, type Services } from '../../src/graphql/context';
import { resolvers } from '../../src/graphql/resolvers';
import { buildMlplaneSchema } from '../../src/graphql/schema';
import { startApiServer, type ApiServer, type ReadinessReport } from '../../src/graphql/server';
import { createDomainServices } from '../../src/services/services';

export interface TestServerOptions {
  databaseUrl: string;
  /** Test-only resolver classes served next to mlplane's own. */
  extraResolvers?: Function[];
  logger?: Logger;
  shutdownGraceMs?: number;
  /** Replaces the real readiness check (database reachable, migrations applied). */
  readiness?: () => Promise<ReadinessReport>;
  /** Serves the built web dashboard (web/dist) at `/`. */
  dashboardDir?: string;
}

export interface TestServer {
  /** `http://127.0.0.1:<port>/graphql` */
  url: string;
  /** The same endpoint for graphql-ws. */
  wsUrl: string;
  /** Base URL for `/healthz` and `/readyz`. */
  origin: string;
  server: ApiServer;
  pubSub: PgPubSub;
  services: Services;
  /** Stops the server, then closes the pub/sub and the database pools. */
  close(): Promise<void>;
}

const version = (JSON.parse(readFileSync(path.join(projectRoot, 'package.json'), 'utf8')) as { version: string }).version;

async function databaseReachable(databaseUrl: string): Promise<boolean> {
  const client = new Client({ connectionString: databaseUrl, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The readiness `serve` reports: database reachable and every migration applied. */
async function readinessOf(databaseUrl: string): Promise<ReadinessReport> {
  if (!(await databaseReachable(databaseUrl))) return { ready: false, reason: 'database unreachable' };
  const status = await migrationStatus(databaseUrl);
  return status.upToDate
    ? { ready: true, checks: { database: 'up', pendingMigrations: 0 } }
    : { ready: false, reason: `${status.pending.length} migrations pending`, checks: { database: 'up', pendingMigrations: status.pending.length } };
}

/**
 * An API server on a free port, with mlplane's schema and services over `databaseUrl`, and its own
 * PgPubSub: two of these on one database behave like two `serve` replicas. Wired like
 * `src/app/api-process.ts`, plus test-only resolvers and access to the pub/sub.
 */
export async function startTestServer(options: TestServerOptions): Promise<TestServer> {
  const logger = options.logger ?? rootLogger;
  const prisma = createPrismaClient(options.databaseUrl, 4);
  const publishPool = new Pool({ connectionString: options.databaseUrl, max: 2 });
  const pubSub = await createPgPubSub({ connectionString: options.databaseUrl, logger });
  const queue = new JobQueue({ connectionString: options.databaseUrl, logger, poolSize: 2 });
  await queue.start();
  const services: Services = {
    ...createDomainServices({ prisma, events: new NotifyEventPublisher(publishPool), queue, config: loadConfig() }),
    health: {
      databaseReachable: () => databaseReachable(options.databaseUrl),
      version,
      // The API process does not load TensorFlow.js for `health`; tests never train here.
      backend: () => 'cpu',
    },
  };
  const schema = await buildMlplaneSchema({
    pubSub,
    resolvers: [...resolvers, ...(options.extraResolvers ?? [])] as NonEmptyArray<Function>,
  });
  const server = await startApiServer({
    port: 0,
    schema,
    contextFactory: createContextFactory(services, logger),
    readiness: options.readiness ?? (() => readinessOf(options.databaseUrl)),
    logger,
    shutdownGraceMs: options.shutdownGraceMs ?? 2_000,
    dashboardDir: options.dashboardDir,
  });
  return {
    url: server.url,
    wsUrl: server.url.replace(/^http/, 'ws'),
    origin: new URL(server.url).origin,
    server,
    pubSub,
    services,
    close: async () => {
      await server.close();
      await services.driftMonitor.stop();
      await queue.stop({ graceful: false });
      await pubSub.close();
      await publishPool.end();
      await prisma.$disconnect();
    },
  };
}
