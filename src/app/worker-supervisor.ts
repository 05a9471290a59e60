import { spawn, type ChildProcess } from 'node:child_process';
import { logger as rootLogger } from '../infra/logger';

export interface WorkerSupervisor {
  /** SIGTERM to the worker, SIGKILL if it has not exited within `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

const MAX_RESTART_DELAY_MS = 30_000;

/**
 * Runs `mlplane worker` as a child process of `start`, restarting it with exponential backoff
 * when it exits unexpectedly (a crash, or SIGKILL from outside).
 */
export function startWorkerSupervisor(databaseUrl: string, mainScript = process.argv[1]): WorkerSupervisor {
  const log = rootLogger.child({ component: 'worker-supervisor' });
  let child: ChildProcess | undefined;
  let stopping = false;
  let restartDelay = 1_000;
  let restartTimer: NodeJS.Timeout | undefined;

  const launch = () => {
    const startedAt = Date.now();
    const worker = spawn(process.execPath, [mainScript, 'worker'], {
      env: { ...process.env, DATABASE_URL: databaseUrl },
      // The IPC channel is the worker's lifeline: when this process dies it disconnects and the worker exits.
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    child = worker;
    log.info({ pid: worker.pid }, 'worker started');
    worker.on('exit', (code, signal) => {
      child = undefined;
      if (stopping) return;
      // A worker that ran for a while gets a fresh backoff.
      if (Date.now() - startedAt > 60_000) restartDelay = 1_000;
      log.warn({ code, signal, restartInMs: restartDelay }, 'worker exited; restarting');
      restartTimer = setTimeout(launch, restartDelay);
      restartDelay = Math.min(restartDelay * 2, MAX_RESTART_DELAY_MS);
    });
  };
  launch();

  return {
    stop: async (graceMs = 8_000) => {
      stopping = true;
      clearTimeout(restartTimer);
      const worker = child;
      if (!worker) return;
      await new Promise<void>((resolve) => {
        const killer = setTimeout(() => worker.kill('SIGKILL'), graceMs);
        worker.once('exit', () => {
          clearTimeout(killer);
          resolve();
        });
        worker.kill('SIGTERM');
      });
    },
  };
}
