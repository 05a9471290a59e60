import type { Config } from '../config/config';
import { createPgPool } from '../infra/db/pg-pool';
import { createPrismaClient } from '../infra/db/prisma-client';
import { NotifyEventPublisher } from '../infra/events/notify-event-publisher';
import { createPgPubSub } from '../infra/events/pg-pubsub';
import { JobQueue, RUN_QUEUES } from '../infra/queue/job-queue';
import { logger } from '../infra/logger';
import { backendInfo } from '../ml/tf-backend';
import { RunExecutor } from '../services/runs/run-executor';
import { RunReaper } from '../services/runs/run-reaper';
import { createStudyJob } from '../services/optimization/study-job';
import { createTrialJob } from '../services/optimization/trial-job';
import { createDomainServices } from '../services/services';
import { createTrainingJob } from '../services/training/training-job';

/**
 * Composition root of a worker process: takes run jobs from the queue and executes them, and sweeps
 * for runs whose worker died. Any number of workers may run on any number of hosts.
 */
export async function runWorkerProcess(config: Config, onShutdownSignal: (stop: () => Promise<void>) => void): Promise<void> {
  if (!config.databaseUrl) throw new Error('mlplane worker needs DATABASE_URL (npm start passes it to the worker it supervises)');
  const databaseUrl = config.databaseUrl;
  const prisma = createPrismaClient(databaseUrl, 4);
  const publishPool = createPgPool(databaseUrl, 2, logger.child({ component: 'publish-pool' }), 'mlplane-publish');
  const pubSub = await createPgPubSub({ connectionString: databaseUrl, logger });
  const events = new NotifyEventPublisher(publishPool);
  const queue = new JobQueue({ connectionString: databaseUrl, events: pubSub, logger, poolSize: 2 });
  await queue.start();
  const services = createDomainServices({ prisma, events, queue, config });
  const executor = new RunExecutor({ store: services.runStore, events: pubSub, logger });
  const reaper = new RunReaper({ store: services.runStore, queue, logger, ...config.reaper });

  const backend = backendInfo();
  if (!backend.nativeAvailable) logger.warn({ reason: backend.reason }, 'native TensorFlow backend unavailable: training on the pure-JS cpu backend');
  onShutdownSignal(async () => {
    await reaper.stop();
    // Runs still going when the grace ends are left to the reaper of another worker (see README: crash policy).
    await queue.stop({ graceful: true, timeoutMs: config.shutdownGraceSeconds * 1000 });
    await pubSub.close();
    await publishPool.end();
    await prisma.$disconnect();
  });
  await queue.work(
    RUN_QUEUES.TRAINING,
    executor.jobHandler(
      createTrainingJob({
        datasets: services.datasets,
        models: services.models,
        events,
        tensorboardDir: config.tensorboardDir,
        memoryLimitBytes: config.workerMemoryLimitMb * 1024 * 1024,
      }),
    ),
    { concurrency: 1 },
  );
  // A study's coordinator mostly waits on its trials, so several fit beside the trials' training.
  await queue.work(RUN_QUEUES.OPTIMIZATION, executor.jobHandler(createStudyJob({ prisma, optimization: services.optimization, events: pubSub })), {
    concurrency: 8,
  });
  await queue.work(
    RUN_QUEUES.TRIAL,
    executor.jobHandler(
      createTrialJob({
        prisma,
        datasets: services.datasets,
        models: services.models,
        events,
        tensorboardDir: config.tensorboardDir,
        memoryLimitBytes: config.workerMemoryLimitMb * 1024 * 1024,
      }),
    ),
    { concurrency: 1 },
  );
  reaper.start();
  logger.info({ workerId: executor.workerId, backend: backend.active, libtensorflow: backend.libtensorflowVersion }, 'worker ready');
}
