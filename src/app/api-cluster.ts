/**
 * `serve --processes N`: N API processes on one port (node:cluster; the primary holds the
 * listening socket and hands connections to the workers). The primary resolves the database,
 * migrates and supervises: a worker that exits unexpectedly is restarted with backoff. Each
 * worker is a full API process (`startApiProcess`): its own pools, LISTEN connection and caches;
 * events and cache invalidations already travel through PostgreSQL, so subscriptions and
 * deployment caches stay correct across them.
 */
import cluster, { type Worker } from 'node:cluster';
import type { Config } from '../config/config';
import { apiProcessExecArgv, confineSemiSpaceToMainThread, semiSpaceFlag } from './api-heap-flags';
import type { Logger } from '../infra/logger';
import { startApiProcess, type RunningApi } from './api-process';
import { clusterMetricsSource, serveClusterMetrics } from './cluster-metrics';

/** Environment a cluster worker reads its database from (the primary may have started an embedded one). */
export const CLUSTER_DATABASE_ENV = 'MLPLANE_CLUSTER_DATABASE_URL';
const LISTENING = 'mlplane:api-listening';
const MAX_RESTART_DELAY_MS = 30_000;

export interface ApiCluster {
  /** The URL every worker serves, once all listen. */
  ready: Promise<string>;
  /** SIGTERM to every worker (each drains), SIGKILL after `graceMs`. */
  stop(graceMs: number): Promise<void>;
}

/**
 * In the primary: forks `processes` API workers with this process's node flags and the configured
 * semi-space (`api-heap-flags.ts`); `ready` resolves once all listen; `stop` works at any time.
 */
export function startApiCluster(databaseUrl: string, processes: number, semiSpaceMb: number, logger: Logger): ApiCluster {
  const log = logger.child({ component: 'api-cluster' });
  const execArgv = apiProcessExecArgv(process.execArgv, process.env.NODE_OPTIONS, semiSpaceMb);
  cluster.setupPrimary({ execArgv });
  serveClusterMetrics();
  let stopping = false;
  let restartDelay = 1_000;
  const fork = (): Promise<string> => {
    const startedAt = Date.now();
    const worker = cluster.fork({ [CLUSTER_DATABASE_ENV]: databaseUrl });
    worker.on('exit', (code, signal) => {
      if (stopping) return;
      if (Date.now() - startedAt > 60_000) restartDelay = 1_000;
      log.warn({ pid: worker.process.pid, code, signal, restartInMs: restartDelay }, 'API process exited; restarting');
      setTimeout(() => void fork().catch((error: unknown) => log.error({ err: error }, 'API process restart failed')), restartDelay).unref();
      restartDelay = Math.min(restartDelay * 2, MAX_RESTART_DELAY_MS);
    });
    return new Promise<string>((resolve, reject) => {
      // Any IPC message arrives here (prom-client's cluster metrics too), not only the worker's own.
      const onMessage = (message: { type?: unknown; url?: unknown } | null | undefined) => {
        if (message?.type !== LISTENING || typeof message.url !== 'string' || !message.url) return;
        worker.off('message', onMessage);
        resolve(message.url);
      };
      worker.on('message', onMessage);
      worker.once('exit', (code) => reject(new Error(`API process exited with ${code} before it listened`)));
    });
  };
  const ready = Promise.all(Array.from({ length: processes }, fork)).then(([url]) => {
    log.info({ processes, url, execArgv }, 'API processes listening');
    return url;
  });
  return {
    ready,
    stop: async (graceMs) => {
      stopping = true;
      const workers = Object.values(cluster.workers ?? {}).filter((worker): worker is Worker => worker !== undefined);
      await Promise.all(
        workers.map(
          (worker) =>
            new Promise<void>((resolve) => {
              if (worker.isDead()) return resolve();
              const killer = setTimeout(() => worker.process.kill('SIGKILL'), graceMs);
              worker.once('exit', () => {
                clearTimeout(killer);
                resolve();
              });
              worker.process.kill('SIGTERM');
            }),
        ),
      );
    },
  };
}

/** In a cluster worker: the API process, reporting its URL to the primary. */
export async function runApiClusterWorker(config: Config, logger: Logger): Promise<RunningApi> {
  const databaseUrl = process.env[CLUSTER_DATABASE_ENV];
  if (!databaseUrl) throw new Error(`${CLUSTER_DATABASE_ENV} is not set: cluster workers are started by \`serve --processes\``);
  if (!process.send) throw new Error('no IPC channel to the cluster primary: cluster workers are started by `serve --processes`');
  // The young generation the primary forked this process with is the API thread's; its worker threads keep V8's
  // default. A size of the user's (NODE_OPTIONS, node's own flags) is left to every thread.
  if (config.apiSemiSpaceMb > 0 && process.execArgv.includes(semiSpaceFlag(config.apiSemiSpaceMb))) confineSemiSpaceToMainThread();
  // The primary is gone (killed): drain and exit as on SIGTERM rather than serve unsupervised.
  process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'));
  cluster.worker?.on('error', (error: unknown) => logger.warn({ err: error }, 'IPC with the cluster primary failed'));
  const api = await startApiProcess(config, databaseUrl, logger, { metrics: clusterMetricsSource });
  process.send({ type: LISTENING, url: api.url });
  return api;
}
