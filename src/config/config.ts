import os from 'node:os';
import path from 'node:path';
import { DEFAULT_MAX_MODEL_PARAMETERS } from '../domain/models/model-size';
import { parseWebhookAllowList, type WebhookAllowList } from '../domain/alerts/webhook-address';

/** Largest semi-space `MLPLANE_API_SEMI_SPACE_MB` accepts (the young generation is two of them). */
const MAX_API_SEMI_SPACE_MB = 256;
/** The API main thread's semi-space when `MLPLANE_API_SEMI_SPACE_MB` is unset (see `api-heap-flags.ts`). */
export const DEFAULT_API_SEMI_SPACE_MB = 32;

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
  /** Largest JSON request body (GraphQL over HTTP); larger CSVs use the upload endpoint. */
  maxJsonBodyBytes: number;
  /** Most parameters a model may have (`MLPLANE_MAX_MODEL_PARAMETERS`). */
  maxModelParameters: number;
  /** Memory a worker may use; models that would need more are refused, runs that use more fail (`MLPLANE_WORKER_MEMORY_LIMIT_MB`). */
  workerMemoryLimitMb: number;
  tensorboardDir: string | undefined;
  /** Seconds a SIGTERM waits for in-flight requests (API) or running jobs (worker). */
  shutdownGraceSeconds: number;
  /** A graphql-ws client that has not read a message for this long has its socket closed. */
  wsSlowSubscriberSeconds: number;
  /** Predictions older than this many days are deleted in batches; 0 keeps them (`MLPLANE_PREDICTION_RETENTION_DAYS`). */
  predictionRetentionDays: number;
  /** API processes of `serve` (`MLPLANE_API_PROCESSES` or `--processes`); undefined: the command's default. */
  apiProcesses: number | undefined;
  /** V8 semi-space of the API processes `serve` forks, MB (`MLPLANE_API_SEMI_SPACE_MB`); 0: V8's default. */
  apiSemiSpaceMb: number;
  /** Crash detection of runs (see the README's crash policy). */
  reaper: { intervalMs: number; staleAfterMs: number; maxAttempts: number };
  /** `keys`: every request needs an API key; `disabled` (MLPLANE_AUTH=disabled): open, allowed on loopback only. */
  auth: 'keys' | 'disabled';
  /** Cross-site and rebinding protection of the API (README, Security). */
  http: HttpSecurityConfig;
  /** Webhook targets allowed although not public (`MLPLANE_WEBHOOK_ALLOW`). */
  webhookAllow: WebhookAllowList;
  /** Rate limits and caps (README, Limits); 0 turns one off. */
  limits: RateLimitConfig;
}

/** Whether `host` is a loopback interface (127.0.0.0/8, ::1, localhost). */
export function isLoopbackHost(host: string): boolean {
  return /^127(\.\d{1,3}){3}$/.test(host) || host === '::1' || host === '[::1]' || host.toLowerCase() === 'localhost';
}

function authFromEnv(env: NodeJS.ProcessEnv, host: string): Config['auth'] {
  const raw = env.MLPLANE_AUTH;
  if (raw === undefined || raw === '' || raw === 'enabled') return 'keys';
  if (raw !== 'disabled') throw new Error(`MLPLANE_AUTH must be "enabled" or "disabled", got "${raw}"`);
  if (!isLoopbackHost(host)) {
    throw new Error(
      `MLPLANE_AUTH=disabled is refused because MLPLANE_HOST=${host} is not a loopback address: anyone who can reach the port would own mlplane. ` +
        'Bind to 127.0.0.1 (or ::1) to run without keys, or remove MLPLANE_AUTH and use API keys.',
    );
  }
  return 'disabled';
}

export interface HttpSecurityConfig {
  /** Browser origins allowed besides the server's own (`MLPLANE_ALLOWED_ORIGINS`), e.g. `http://localhost:5173`. */
  allowedOrigins: string[];
  /** `Host` header names accepted (`MLPLANE_ALLOWED_HOSTS`); null: the default for the bind address. */
  allowedHosts: string[] | null;
  /** Introspection and field suggestions (`MLPLANE_INTROSPECTION`); default on unless NODE_ENV=production. */
  introspection: boolean;
}

export interface RateLimitConfig {
  /** Token bucket of GraphQL operations per client: refill per minute, and burst size. */
  requestsPerMinute: number;
  requestBurst: number;
  /** Token bucket of expensive mutations (training runs, studies, dataset uploads) per client. */
  expensivePerMinute: number;
  expensiveBurst: number;
  /** Token bucket of prediction requests (GraphQL `predict`, `/v2/.../infer`) per client: serving-sized, apart from the request bucket. */
  predictionsPerMinute: number;
  predictionBurst: number;
  /** Runs QUEUED or RUNNING started by one client. */
  maxActiveRunsPerClient: number;
  /** A study's maxTrials x epochs. */
  maxStudyTrialEpochs: number;
  /** Subscriptions open on one graphql-ws socket. */
  maxSubscriptionsPerSocket: number;
  /** graphql-ws sockets of one client. */
  maxSocketsPerClient: number;
  /** graphql-ws sockets of this process. */
  maxSockets: number;
  /** List items one operation may return, counted before it runs. */
  maxQueryItems: number;
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

/** Like {@link intFromEnv}, at most `max`. */
function boundedIntFromEnv(env: NodeJS.ProcessEnv, name: string, fallback: number, max: number): number {
  const value = intFromEnv(env, name, fallback);
  if (value > max) throw new Error(`${name} must be at most ${max}, got "${value}"`);
  return value;
}

/** Half the machine's memory (the API, PostgreSQL and the OS share the rest), at most 16 GiB. */
function defaultWorkerMemoryMb(): number {
  return Math.min(16 * 1024, Math.floor(os.totalmem() / 2 / (1024 * 1024)));
}

/** @throws Error naming the variable for any invalid value (and for MLPLANE_AUTH=disabled off loopback). */
function listFromEnv(env: NodeJS.ProcessEnv, name: string): string[] {
  return (env[name] ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
}

function booleanFromEnv(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = (env[name] ?? '').trim().toLowerCase();
  if (raw === '') return fallback;
  if (['1', 'true', 'on', 'yes'].includes(raw)) return true;
  if (['0', 'false', 'off', 'no'].includes(raw)) return false;
  throw new Error(`${name} must be true or false, got "${env[name] ?? ''}"`);
}

/** `scheme://host[:port]` exactly as browsers send it in `Origin`. */
function originsFromEnv(env: NodeJS.ProcessEnv, name: string): string[] {
  return listFromEnv(env, name).map((entry) => {
    let url: URL;
    try {
      url = new URL(entry);
    } catch {
      throw new Error(`${name}: "${entry}" is not an origin such as http://localhost:5173`);
    }
    if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.pathname !== '/' || url.search || url.hash || url.username) {
      throw new Error(`${name}: "${entry}" is not an origin such as http://localhost:5173 (scheme, host and port only)`);
    }
    return url.origin;
  });
}

function webhookAllowFromEnv(env: NodeJS.ProcessEnv, name: string): WebhookAllowList {
  try {
    return parseWebhookAllowList(listFromEnv(env, name));
  } catch (error) {
    throw new Error(`${name}: ${(error as Error).message}`, { cause: error });
  }
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const host = env.MLPLANE_HOST || '127.0.0.1';
  return {
    databaseUrl: env.DATABASE_URL || undefined,
    host,
    port: intFromEnv(env, 'PORT', 4000),
    dataDir: path.resolve(env.MLPLANE_DATA_DIR || '.mlplane'),
    maxDatasetBytes: intFromEnv(env, 'MLPLANE_MAX_DATASET_BYTES', 100 * 1024 * 1024),
    maxDatasetColumns: intFromEnv(env, 'MLPLANE_MAX_DATASET_COLUMNS', 1000),
    maxJsonBodyBytes: intFromEnv(env, 'MLPLANE_MAX_JSON_BODY_BYTES', 8 * 1024 * 1024),
    maxModelParameters: intFromEnv(env, 'MLPLANE_MAX_MODEL_PARAMETERS', DEFAULT_MAX_MODEL_PARAMETERS),
    workerMemoryLimitMb: intFromEnv(env, 'MLPLANE_WORKER_MEMORY_LIMIT_MB', defaultWorkerMemoryMb()),
    tensorboardDir: env.MLPLANE_TENSORBOARD_DIR || undefined,
    shutdownGraceSeconds: intFromEnv(env, 'MLPLANE_SHUTDOWN_GRACE_SECONDS', 8),
    wsSlowSubscriberSeconds: Math.max(1, intFromEnv(env, 'MLPLANE_WS_SLOW_SUBSCRIBER_SECONDS', 10)),
    predictionRetentionDays: intFromEnv(env, 'MLPLANE_PREDICTION_RETENTION_DAYS', 30),
    apiProcesses: env.MLPLANE_API_PROCESSES ? Math.max(1, intFromEnv(env, 'MLPLANE_API_PROCESSES', 1)) : undefined,
    apiSemiSpaceMb: boundedIntFromEnv(env, 'MLPLANE_API_SEMI_SPACE_MB', DEFAULT_API_SEMI_SPACE_MB, MAX_API_SEMI_SPACE_MB),
    reaper: {
      intervalMs: intFromEnv(env, 'MLPLANE_REAPER_INTERVAL_MS', 10_000),
      staleAfterMs: intFromEnv(env, 'MLPLANE_RUN_STALE_AFTER_MS', 20_000),
      maxAttempts: intFromEnv(env, 'MLPLANE_RUN_MAX_ATTEMPTS', 2),
    },
    auth: authFromEnv(env, host),
    http: {
      allowedOrigins: originsFromEnv(env, 'MLPLANE_ALLOWED_ORIGINS'),
      allowedHosts: env.MLPLANE_ALLOWED_HOSTS ? listFromEnv(env, 'MLPLANE_ALLOWED_HOSTS').map((host) => host.toLowerCase()) : null,
      introspection: booleanFromEnv(env, 'MLPLANE_INTROSPECTION', env.NODE_ENV !== 'production'),
    },
    webhookAllow: webhookAllowFromEnv(env, 'MLPLANE_WEBHOOK_ALLOW'),
    limits: {
      requestsPerMinute: intFromEnv(env, 'MLPLANE_RATE_LIMIT_PER_MINUTE', 6_000),
      requestBurst: intFromEnv(env, 'MLPLANE_RATE_LIMIT_BURST', 500),
      expensivePerMinute: intFromEnv(env, 'MLPLANE_EXPENSIVE_RATE_LIMIT_PER_MINUTE', 30),
      expensiveBurst: intFromEnv(env, 'MLPLANE_EXPENSIVE_RATE_LIMIT_BURST', 10),
      predictionsPerMinute: intFromEnv(env, 'MLPLANE_PREDICT_RATE_LIMIT_PER_MINUTE', 300_000),
      predictionBurst: intFromEnv(env, 'MLPLANE_PREDICT_RATE_LIMIT_BURST', 5_000),
      maxActiveRunsPerClient: intFromEnv(env, 'MLPLANE_MAX_ACTIVE_RUNS_PER_CLIENT', 50),
      maxStudyTrialEpochs: intFromEnv(env, 'MLPLANE_MAX_STUDY_TRIAL_EPOCHS', 100_000),
      maxSubscriptionsPerSocket: intFromEnv(env, 'MLPLANE_MAX_SUBSCRIPTIONS_PER_SOCKET', 100),
      maxSocketsPerClient: intFromEnv(env, 'MLPLANE_MAX_SOCKETS_PER_CLIENT', 20),
      maxSockets: intFromEnv(env, 'MLPLANE_MAX_SOCKETS', 2_000),
      maxQueryItems: intFromEnv(env, 'MLPLANE_MAX_QUERY_ITEMS', 1_000_000),
    },
  };
}
