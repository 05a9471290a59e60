import { Pool } from 'pg';
import { loadConfig } from '../../src/config/config';
import { createPrismaClient, type PrismaClient } from '../../src/infra/db/prisma-client';
import { NotifyEventPublisher } from '../../src/infra/events/notify-event-publisher';
import { createPgPubSub, type PgPubSub } from '../../src/infra/events/pg-pubsub';
import { JobQueue } from '../../src/infra/queue/job-queue';
import { RunExecutor } from '../../src/services/runs/run-executor';
import { createDomainServices, type DomainServices } from '../../src/services/services';
import { createTestDatabase, type TestDatabase } from './test-database';

/**
 * The pieces of `mlplane worker` in the test process, on a fresh database: services, the pg-boss
 * queue, the event bus and a run executor. Tests register the jobs they need with `queue.work`.
 */
export interface InProcessWorker {
  db: TestDatabase;
  prisma: PrismaClient;
  pubSub: PgPubSub;
  queue: JobQueue;
  events: NotifyEventPublisher;
  services: DomainServices;
  executor: RunExecutor;
  /** Stops the queue, closes the event bus and pools, and drops the database. */
  close(): Promise<void>;
}

export interface InProcessWorkerOptions {
  /** @default 6 */
  prismaPoolSize?: number;
  /** @default 2 */
  queuePoolSize?: number;
  /** @default 1000 */
  heartbeatIntervalMs?: number;
  /** Configuration variables of the services (e.g. limits under test). */
  env?: NodeJS.ProcessEnv;
}

export async function startInProcessWorker(options: InProcessWorkerOptions = {}): Promise<InProcessWorker> {
  const db = await createTestDatabase();
  const prisma = createPrismaClient(db.url, options.prismaPoolSize ?? 6);
  const pool = new Pool({ connectionString: db.url, max: 2 });
  const pubSub = await createPgPubSub({ connectionString: db.url });
  const queue = new JobQueue({ connectionString: db.url, events: pubSub, poolSize: options.queuePoolSize ?? 2 });
  await queue.start();
  const events = new NotifyEventPublisher(pool);
  const services = createDomainServices({ prisma, events, queue, config: loadConfig(options.env ?? {}) });
  const executor = new RunExecutor({ store: services.runStore, events: pubSub, heartbeatIntervalMs: options.heartbeatIntervalMs ?? 1_000 });
  return {
    db,
    prisma,
    pubSub,
    queue,
    events,
    services,
    executor,
    close: async () => {
      await queue.stop({ graceful: false });
      await pubSub.close();
      await pool.end();
      await prisma.$disconnect();
      await db.drop();
    },
  };
}
