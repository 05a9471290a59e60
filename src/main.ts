import './config/node-env';
import 'reflect-metadata';
import cluster from 'node:cluster';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import { runApiClusterWorker, startApiCluster, type ApiCluster } from './app/api-cluster';
import { startApiProcess, type RunningApi } from './app/api-process';
import { installProcessGuards } from './app/process-guards';
import { runApiKeyCommand } from './app/apikey-command';
import { ensureFirstAdminKeyIn } from './app/first-admin-key';
import { runWorkerProcess } from './app/worker-process';
import { resolveDatabase, type ResolvedDatabase } from './app/database';
import { startWorkerSupervisor, type WorkerSupervisor } from './app/worker-supervisor';
import { loadConfig, type Config } from './config/config';
import { packageVersion, schemaFile } from './config/paths';
import { errorLine, parseCommand, usage } from './cli/commands';
import { printMlplaneSchema } from './graphql/schema';
import { migrate } from './infra/db/migrator';
import { logger } from './infra/logger';

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

async function runServer(config: Config, withWorker: boolean, processes: number): Promise<void> {
  const database: ResolvedDatabase = await resolveDatabase(config, withWorker ? 'start' : 'serve');
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
  // `serve` always forks its API processes (supervised, with the API's heap flags); `start` runs one in-process.
  if (processes > 1 || !withWorker) {
    apiCluster = startApiCluster(database.url, processes, config.apiSemiSpaceMb, logger);
    url = await apiCluster.ready;
  } else {
    api = await startApiProcess(config, database.url, logger);
    url = api.url;
  }
  if (config.auth === 'keys') await ensureFirstAdminKeyIn(database.url, config.dataDir, url);
  if (withWorker) worker = startWorkerSupervisor(database.url);
  logger.info({ url, processes, database: database.description }, `mlplane listening on ${url} (database: ${database.description})`);
}

/** `--processes N`, else MLPLANE_API_PROCESSES, else the command's default. */
function apiProcesses(argv: readonly string[], config: Config, fallback: number): number {
  const at = argv.indexOf('--processes');
  if (at < 0) return config.apiProcesses ?? fallback;
  const value = Number(argv[at + 1]);
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`--processes takes a positive integer, got "${argv[at + 1] ?? ''}"`);
  return value;
}

async function run(command: string, args: readonly string[]): Promise<void> {
  const config = loadConfig();
  if (cluster.isWorker) {
    let api: RunningApi | undefined;
    onShutdownSignal(async () => api?.close());
    api = await runApiClusterWorker(config, logger);
    return;
  }
  switch (command) {
    case 'start':
      return runServer(config, true, apiProcesses(args, config, 1));
    case 'serve':
      return runServer(config, false, apiProcesses(args, config, os.availableParallelism()));
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
      return runApiKeyCommand(config, [...args]);
    case 'emit-schema':
      await fs.writeFile(schemaFile, await printMlplaneSchema());
      logger.info({ file: schemaFile }, 'schema written');
      return;
  }
}

/** Help and version go to stdout and exit 0; any error is one line on stderr and exit 1 (2 for a usage error). */
async function main(argv: string[]): Promise<void> {
  const parsed = parseCommand(argv);
  switch (parsed.kind) {
    case 'help':
      process.stdout.write(usage(packageVersion));
      return;
    case 'version':
      process.stdout.write(`${packageVersion}\n`);
      return;
    case 'error':
      process.stderr.write(`mlplane: ${parsed.message}\n`);
      process.exitCode = 2;
      return;
    case 'command':
      try {
        await run(parsed.name, parsed.args);
      } catch (error) {
        // The one line says what failed; the stack is logged only at LOG_LEVEL=debug.
        logger.debug({ err: error }, 'command failed');
        process.stderr.write(`mlplane ${parsed.name}: ${errorLine(error)}\n`);
        process.exit(1);
      }
  }
}

installProcessGuards(logger);
void main(process.argv.slice(2));
