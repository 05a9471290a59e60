import { Pool } from 'pg';
import { loadConfig } from '../../src/config/config';
import { createPrismaClient, type PrismaClient } from '../../src/infra/db/prisma-client';
import { NotifyEventPublisher } from '../../src/infra/events/notify-event-publisher';
import { JobQueue } from '../../src/infra/queue/job-queue';
import { createDomainServices, type DomainServices } from '../../src/services/services';
import type { RunEnqueuer } from '../../src/services/training/training.service';

/** The run queue of services that train nothing through the queue (a benchmark that trains directly). */
export const NO_RUN_QUEUE: RunEnqueuer = {
  enqueueRun: async () => {
    throw new Error('this benchmark queues no runs');
  },
};

/** The services of an API process on a benchmark's database. */
export interface BenchServices {
  prisma: PrismaClient;
  services: DomainServices;
  /** Where runs' jobs go; nothing in this process takes them (a `mlplane worker` process does, see worker-process.ts). */
  queue: JobQueue;
  close(): Promise<void>;
}

/**
 * The domain services as `mlplane serve` wires them: events published with NOTIFY, runs enqueued
 * on the pg-boss queue. `env` holds configuration variables (limits) for the services.
 */
export async function openBenchServices(databaseUrl: string, options: { prismaPoolSize?: number; env?: NodeJS.ProcessEnv } = {}): Promise<BenchServices> {
  const prisma = createPrismaClient(databaseUrl, options.prismaPoolSize ?? 4);
  const publishPool = new Pool({ connectionString: databaseUrl, max: 2 });
  const queue = new JobQueue({ connectionString: databaseUrl, poolSize: 2 });
  await queue.start();
  const services = createDomainServices({ prisma, events: new NotifyEventPublisher(publishPool), queue, config: loadConfig(options.env ?? {}) });
  return {
    prisma,
    services,
    queue,
    close: async () => {
      await queue.stop({ graceful: false });
      await publishPool.end();
      await prisma.$disconnect();
    },
  };
}
