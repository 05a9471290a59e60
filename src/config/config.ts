import os from 'node:os';
import path from 'node:path';
import { DEFAULT_MAX_MODEL_PARAMETERS } from '../domain/models/model-size';

/** Typed configuration, read from the environment once. Every variable is documented in the README. */
export interface Config {
  /** PostgreSQL URL; when unset, `start`/`serve` run an embedded PostgreSQL in `dataDir`. */
  databaseUrl: string | undefined;
  host: string;
  port: number;
  /** Where the embedded PostgreSQL keeps its data (default `./.mlplane`). */
  dataDir: string;
  maxDatasetBytes: number;
  maxDatasetColumns: number;
  /** Most parameters a model may have (`MLPLANE_MAX_MODEL_PARAMETERS`). */
  maxModelParameters: number;
  /** Memory a worker may use; models that would need more are refused, runs that use more fail (`MLPLANE_WORKER_MEMORY_LIMIT_MB`). */
  workerMemoryLimitMb: number;
  tensorboardDir: string | undefined;
  /** Seconds a SIGTERM waits for in-flight requests (API) or running jobs (worker). */
  shutdownGraceSeconds: number;
  /** Predictions older than this many days are deleted in batches; 0 keeps them (`MLPLANE_PREDICTION_RETENTION_DAYS`). */
  predictionRetentionDays: number;
  /** API processes of `serve` (`MLPLANE_API_PROCESSES` or `--processes`); undefined: the command's default. */
  apiProcesses: number | undefined;
  /** Crash detection of runs (see the README's crash policy). */
  reaper: { intervalMs: number; staleAfterMs: number; maxAttempts: number };
}

function intFromEnv(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new Error(`${name} must be a non-negative integer, got "${raw}"`);
  }
  return value;
}

/** Half the machine's memory (the API, PostgreSQL and the OS share the rest), at most 16 GiB. */
function defaultWorkerMemoryMb(): number {
  return Math.min(16 * 1024, Math.floor(os.totalmem() / 2 / (1024 * 1024)));
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  return {
    databaseUrl: env.DATABASE_URL || undefined,
    host: env.MLPLANE_HOST || '127.0.0.1',
    port: intFromEnv(env, 'PORT', 4000),
    dataDir: path.resolve(env.MLPLANE_DATA_DIR || '.mlplane'),
    maxDatasetBytes: intFromEnv(env, 'MLPLANE_MAX_DATASET_BYTES', 100 * 1024 * 1024),
    maxDatasetColumns: intFromEnv(env, 'MLPLANE_MAX_DATASET_COLUMNS', 1000),
    maxModelParameters: intFromEnv(env, 'MLPLANE_MAX_MODEL_PARAMETERS', DEFAULT_MAX_MODEL_PARAMETERS),
    workerMemoryLimitMb: intFromEnv(env, 'MLPLANE_WORKER_MEMORY_LIMIT_MB', defaultWorkerMemoryMb()),
    tensorboardDir: env.MLPLANE_TENSORBOARD_DIR || undefined,
    shutdownGraceSeconds: intFromEnv(env, 'MLPLANE_SHUTDOWN_GRACE_SECONDS', 8),
    predictionRetentionDays: intFromEnv(env, 'MLPLANE_PREDICTION_RETENTION_DAYS', 30),
    apiProcesses: env.MLPLANE_API_PROCESSES ? Math.max(1, intFromEnv(env, 'MLPLANE_API_PROCESSES', 1)) : undefined,
    reaper: {
      intervalMs: intFromEnv(env, 'MLPLANE_REAPER_INTERVAL_MS', 10_000),
      staleAfterMs: intFromEnv(env, 'MLPLANE_RUN_STALE_AFTER_MS', 20_000),
      maxAttempts: intFromEnv(env, 'MLPLANE_RUN_MAX_ATTEMPTS', 2),
    },
  };
}
