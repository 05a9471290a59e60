import { Pool } from 'pg';
import type { Config } from '../config/config';
import { dashboardDir, packageVersion } from '../config/paths';
import { createContextFactory, type Services } from '../graphql/context';
import { buildMlplaneSchema } from '../graphql/schema';
import { startApiServer, type ReadinessReport } from '../graphql/server';
import { migrationStatus } from '../infra/db/migrator';
import { createPrismaClient } from '../infra/db/prisma-client';
import { NotifyEventPublisher } from '../infra/events/notify-event-publisher';
import { createPgPubSub } from '../infra/events/pg-pubsub';
import { JobQueue } from '../infra/queue/job-queue';
import type { Logger } from '../infra/logger';
import { backendInfo } from '../ml/tf-backend';
import { WebhookDispatcher } from '../services/alerts/webhook-dispatcher';
import { createDomainServices } from '../services/services';

export interface RunningApi {
  url: string;
  /** Drains HTTP and graphql-ws, then closes pub/sub and database pools. */
  close(): Promise<void>;
}

export { packageVersion };

/** Composition root of an API process: database, event bus, services, schema and the HTTP/graphql-ws server. */
export async function startApiProcess(config: Config, databaseUrl: string, logger: Logger): Promise<RunningApi> {
  const prisma = createPrismaClient(databaseUrl);
  // Open the pool before listening, so the first requests (and health checks) do not pay for it.
  await prisma.$queryRaw`SELECT 1`;
  const publishPool = new Pool({ connectionString: databaseUrl, max: 2 });
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

  const services: Services = {
    ...createDomainServices({ prisma, events: new NotifyEventPublisher(publishPool), queue, config }),
    health: {
      version: packageVersion,
      databaseReachable: () => prisma.$queryRaw`SELECT 1`.then(() => true, () => false),
      backend: () => backendInfo().active,
    },
  };
  const readiness = async (): Promise<ReadinessReport> => {
    const status = await migrationStatus(databaseUrl);
    if (!status.upToDate) return { ready: false, reason: `pending migrations: ${status.pending.join(', ')}` };
    if (!pubSub.listening) return { ready: false, reason: 'event bus LISTEN connection is down' };
    return { ready: true };
  };
  const server = await startApiServer({
    host: config.host,
    port: config.port,
    schema: await buildMlplaneSchema({ pubSub }),
    contextFactory: createContextFactory(services, logger),
    readiness,
    logger,
    shutdownGraceMs: config.shutdownGraceSeconds * 1000,
    dashboardDir,
  });
  services.driftMonitor.start();
  // Alert webhooks are sent from API processes; deliveries are claimed row by row, so several can run.
  const webhooks = new WebhookDispatcher(prisma);
  webhooks.start();
  return {
    url: server.url,
    close: async () => {
      await server.close();
      await services.driftMonitor.stop();
      await webhooks.stop();
      await queue.stop({ graceful: false });
      await pubSub.close();
      await publishPool.end();
      await prisma.$disconnect();
    },
  };
}
