import 'reflect-metadata';
import cluster from 'node:cluster';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import { runApiClusterWorker, startApiCluster, type ApiCluster } from './app/api-cluster';
import { startApiProcess, type RunningApi } from './app/api-process';
import { runWorkerProcess } from './app/worker-process';
import { resolveDatabase, type ResolvedDatabase } from './app/database';
import { startWorkerSupervisor, type WorkerSupervisor } from './app/worker-supervisor';
import { loadConfig, type Config } from './config/config';
import { schemaFile } from './config/paths';
import { printMlplaneSchema } from './graphql/schema';
import { migrate } from './infra/db/migrator';
import { logger } from './infra/logger';

const USAGE = `usage: mlplane <command>

  start         API server plus one supervised worker; embedded PostgreSQL when DATABASE_URL is unset
  serve         API server only (production replicas)
  worker        training worker only (production replicas; needs DATABASE_URL)

  start and serve take --processes N: N API processes on one port (default: the number of
  cores for serve, 1 for start; MLPLANE_API_PROCESSES sets it too)
  migrate       apply pending migrations and exit
  emit-schema   write schema.graphql from the code
`;

/** Runs `stop` on the first SIGTERM or SIGINT, then exits 0 (or 1 if stopping failed). */
function onShutdownSignal(stop: () => Promise<void>): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    stop().then(
      () => {
        logger.info('stopped');
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
}

async function runServer(config: Config, withWorker: boolean, processes: number): Promise<void> {
  const database: ResolvedDatabase = await resolveDatabase(config);
  let api: RunningApi | undefined;
  let apiCluster: ApiCluster | undefined;
  let worker: WorkerSupervisor | undefined;
  onShutdownSignal(async () => {
    await worker?.stop();
    await api?.close();
    await apiCluster?.stop(config.shutdownGraceSeconds * 1000 + 2_000);
    await database.stop();
  });
  const applied = await migrate(database.url);
  logger.info({ applied: applied.applied.length, alreadyApplied: applied.alreadyApplied.length }, 'database migrated');
  let url: string;
  if (processes > 1) {
    apiCluster = startApiCluster(database.url, processes, logger);
    url = await apiCluster.ready;
  } else {
    api = await startApiProcess(config, database.url, logger);
    url = api.url;
  }
  if (withWorker) worker = startWorkerSupervisor(database.url);
  logger.info({ url, processes, database: database.description }, `mlplane listening on ${url} (database: ${database.description})`);
}

/** `--processes N`, else MLPLANE_API_PROCESSES, else the command's default. */
function apiProcesses(argv: string[], config: Config, fallback: number): number {
  const at = argv.indexOf('--processes');
  if (at < 0) return config.apiProcesses ?? fallback;
  const value = Number(argv[at + 1]);
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`--processes takes a positive integer, got "${argv[at + 1] ?? ''}"`);
  return value;
}

async function main(argv: string[]): Promise<void> {
  const command = argv[0];
  const config = loadConfig();
  if (cluster.isWorker) {
    let api: RunningApi | undefined;
    onShutdownSignal(async () => api?.close());
    api = await runApiClusterWorker(config, logger);
    return;
  }
  switch (command) {
    case 'start':
      return runServer(config, true, apiProcesses(argv, config, 1));
    case 'serve':
      return runServer(config, false, apiProcesses(argv, config, os.availableParallelism()));
    case 'worker':
      return runWorkerProcess(config, onShutdownSignal);
    case 'migrate': {
      const database = await resolveDatabase(config);
      try {
        const result = await migrate(database.url);
        logger.info({ ...result, database: database.description }, 'migrations applied');
      } finally {
        await database.stop();
      }
      return;
    }
    case 'emit-schema':
      await fs.writeFile(schemaFile, await printMlplaneSchema());
      logger.info({ file: schemaFile }, 'schema written');
      return;
    default:
      process.stderr.write(USAGE);
      process.exitCode = command === undefined || command === 'help' || command === '--help' ? 0 : 2;
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  logger.fatal({ err: error }, error instanceof Error ? error.message : 'mlplane failed');
  process.exit(1);
});
