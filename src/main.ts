import 'reflect-metadata';
import { promises as fs } from 'node:fs';
import { startApiProcess, type RunningApi } from './app/api-process';
import { installProcessGuards } from './app/process-guards';
import { runApiKeyCommand } from './app/apikey-command';
import { ensureFirstAdminKey } from './app/first-admin-key';
import { runWorkerProcess } from './app/worker-process';
import { resolveDatabase, type ResolvedDatabase } from './app/database';
import { startWorkerSupervisor, type WorkerSupervisor } from './app/worker-supervisor';
import { loadConfig, type Config } from './config/config';
import { schemaFile } from './config/paths';
import { printMlplaneSchema } from './graphql/schema';
import { DataDirInUseError } from './infra/db/data-dir-lock';
import { migrate } from './infra/db/migrator';
import { logger } from './infra/logger';

const USAGE = `usage: mlplane <command>

  start         API server plus one supervised worker; embedded PostgreSQL when DATABASE_URL is unset
  serve         API server only (production replicas)
  worker        training worker only (production replicas; needs DATABASE_URL)
  migrate       apply pending migrations and exit
  apikey        create, list or revoke API keys (works with the server stopped; see mlplane apikey help)
  emit-schema   write schema.graphql from the code
`;

/** A worker whose supervisor died exits within this, even with runs going (the reaper recovers them). */
const ORPHANED_WORKER_EXIT_MS = 4_000;

/**
 * Runs `stop` on the first SIGTERM or SIGINT, then exits 0 (or 1 if stopping failed). A process
 * started with an IPC channel (the worker `start` supervises) also stops when that channel
 * disconnects (its supervisor died), and exits within {@link ORPHANED_WORKER_EXIT_MS} at most.
 */
function onShutdownSignal(stop: () => Promise<void>): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals | 'disconnect') => {
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
  if (process.send) {
    process.once('disconnect', () => {
      logger.warn('supervising process is gone; exiting');
      setTimeout(() => process.exit(1), ORPHANED_WORKER_EXIT_MS).unref();
      handler('disconnect');
    });
  }
}

async function runServer(config: Config, withWorker: boolean): Promise<void> {
  const database: ResolvedDatabase = await resolveDatabase(config, withWorker ? 'start' : 'serve');
  let api: RunningApi | undefined;
  let worker: WorkerSupervisor | undefined;
  onShutdownSignal(async () => {
    await worker?.stop();
    await api?.close();
    await database.stop();
  });
  const applied = await migrate(database.url);
  logger.info({ applied: applied.applied.length, alreadyApplied: applied.alreadyApplied.length }, 'database migrated');
  api = await startApiProcess(config, database.url, logger);
  if (config.auth === 'keys') await ensureFirstAdminKey(api.services.apiKeys, config.dataDir, api.url);
  if (withWorker) worker = startWorkerSupervisor(database.url);
  logger.info({ url: api.url, database: database.description }, `mlplane listening on ${api.url} (database: ${database.description})`);
}

async function main(argv: string[]): Promise<void> {
  const command = argv[0];
  const config = loadConfig();
  switch (command) {
    case 'start':
      return runServer(config, true);
    case 'serve':
      return runServer(config, false);
    case 'worker':
      return runWorkerProcess(config, onShutdownSignal);
    case 'migrate': {
      const database = await resolveDatabase(config, 'migrate');
      try {
        const result = await migrate(database.url);
        logger.info({ ...result, database: database.description }, 'migrations applied');
      } finally {
        await database.stop();
      }
      return;
    }
    case 'apikey':
      return runApiKeyCommand(config, argv.slice(1));
    case 'emit-schema':
      await fs.writeFile(schemaFile, await printMlplaneSchema());
      logger.info({ file: schemaFile }, 'schema written');
      return;
    default:
      process.stderr.write(USAGE);
      process.exitCode = command === undefined || command === 'help' || command === '--help' ? 0 : 2;
  }
}

installProcessGuards(logger);
main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof DataDirInUseError) {
    logger.error({ dataDir: error.dataDir, owner: error.owner }, error.message);
    process.stderr.write(`mlplane: ${error.message}\n`);
    process.exit(1);
  }
  logger.fatal({ err: error }, error instanceof Error ? error.message : 'mlplane failed');
  process.exit(1);
});
