/**
 * Crash recovery for runs. Every worker process runs a reaper; they need no coordination because
 * each action is a guarded update that applies at most once.
 *
 * **Crash policy.** A worker heartbeats each RUNNING run it holds every 5 s. A run whose heartbeat
 * is older than the staleness limit (default 20 s, by the database clock) is considered orphaned
 * (its worker was killed, lost its host, or hung for 20 s), and the next sweep (every 10 s by
 * default) of any worker's reaper applies one of:
 * - cancel requested: the run ends CANCELLED;
 * - fewer than `maxAttempts` attempts (default 2, so a crashed run is re-queued once): the run goes
 *   back to QUEUED and its job is enqueued again; the next attempt starts training from the
 *   beginning (same seed, same split), replacing the epochs stored by the crashed attempt;
 * - otherwise: the run ends FAILED with the reason "worker <id> stopped heartbeating during epoch
 *   <k>; gave up after <n> attempts" and opens a RUN_FAILED alert.
 * So within staleness + sweep interval (30 s by default) of a SIGKILL, no run is left RUNNING on a
 * dead worker. A live worker whose run was taken away (heartbeat refused) stops it without ending it.
 *
 * Each sweep also re-enqueues QUEUED runs older than `orphanAfterMs` that have no job waiting or
 * running (a process died between committing a run and enqueueing its job).
 */
import type { RunKind } from '../../domain/runs/run';
import { RUN_QUEUES } from '../../infra/queue/job-queue';
import { logger as rootLogger, type Logger } from '../../infra/logger';
import type { RunStore, StaleRun } from './run-store';

/** The part of the job queue the reaper uses. */
export interface RunRequeuer {
  enqueueRun(name: string, runId: string): Promise<string | null>;
  keysWithoutPendingJob(name: string, keys: readonly string[]): Promise<string[]>;
}

export interface RunReaperOptions {
  store: RunStore;
  queue: RunRequeuer;
  /** Time between sweeps. @default 10000 */
  intervalMs?: number;
  /** A RUNNING run whose heartbeat is older than this is orphaned. @default 20000 */
  staleAfterMs?: number;
  /** Attempts (claims) after which an orphaned run fails instead of being re-queued. @default 2 */
  maxAttempts?: number;
  /** A QUEUED run older than this with no pending job gets its job enqueued again. @default 30000 */
  orphanAfterMs?: number;
  logger?: Logger;
}

/** What one sweep did, by run id. */
export interface SweepReport {
  requeued: string[];
  failed: string[];
  cancelled: string[];
  reenqueued: string[];
}

export const DEFAULT_REAPER_SETTINGS = { intervalMs: 10_000, staleAfterMs: 20_000, maxAttempts: 2, orphanAfterMs: 30_000 } as const;

/** The reason stored on a run the reaper gives up on. */
export function abandonedRunReason(run: Pick<StaleRun, 'workerId' | 'lastEpoch' | 'attempts'>): string {
  return `worker ${run.workerId ?? 'unknown'} stopped heartbeating during epoch ${(run.lastEpoch ?? 0) + 1}; gave up after ${run.attempts} attempt${run.attempts === 1 ? '' : 's'}`;
}

export class RunReaper {
  private readonly settings: Required<Omit<RunReaperOptions, 'store' | 'queue' | 'logger'>>;
  private readonly log: Logger;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private stopped = true;

  constructor(private readonly options: RunReaperOptions) {
    this.settings = {
      intervalMs: options.intervalMs ?? DEFAULT_REAPER_SETTINGS.intervalMs,
      staleAfterMs: options.staleAfterMs ?? DEFAULT_REAPER_SETTINGS.staleAfterMs,
      maxAttempts: options.maxAttempts ?? DEFAULT_REAPER_SETTINGS.maxAttempts,
      orphanAfterMs: options.orphanAfterMs ?? DEFAULT_REAPER_SETTINGS.orphanAfterMs,
    };
    this.log = (options.logger ?? rootLogger).child({ component: 'run-reaper' });
  }

  /** Sweeps now and then every `intervalMs` until {@link stop}. */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(0);
  }

  /** Stops sweeping and waits for a sweep in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /** One pass: orphaned RUNNING runs first, then QUEUED runs without a job. */
  async sweep(): Promise<SweepReport> {
    const report: SweepReport = { requeued: [], failed: [], cancelled: [], reenqueued: [] };
    const { store } = this.options;
    const { staleAfterMs, maxAttempts } = this.settings;
    for (const run of await store.findStaleRuns(staleAfterMs)) {
      const guard = { workerId: run.workerId, staleForMs: staleAfterMs };
      const log = this.log.child({ runId: run.id, deadWorker: run.workerId, attempts: run.attempts, lastEpoch: run.lastEpoch });
      if (run.cancelRequested) {
        if (await store.finishRun(run.id, 'CANCELLED', guard)) {
          log.warn('worker stopped heartbeating after a cancel request; run cancelled');
          report.cancelled.push(run.id);
        }
      } else if (run.attempts < maxAttempts) {
        if (await store.requeueStaleRun(run.id, run.workerId, staleAfterMs)) {
          const jobId = await this.options.queue.enqueueRun(queueOf(run.kind), run.id);
          log.warn({ jobId }, `worker stopped heartbeating; run re-queued for attempt ${run.attempts + 1} of ${maxAttempts}`);
          report.requeued.push(run.id);
        }
      } else if (await store.finishRun(run.id, 'FAILED', { ...guard, error: abandonedRunReason(run) })) {
        log.error(`worker stopped heartbeating; run failed after ${run.attempts} attempts`);
        report.failed.push(run.id);
      }
    }
    report.reenqueued = await this.reenqueueOrphans();
    return report;
  }

  private async reenqueueOrphans(): Promise<string[]> {
    const queued = await this.options.store.findQueuedRuns(this.settings.orphanAfterMs);
    const reenqueued: string[] = [];
    for (const kind of new Set(queued.map((run) => run.kind))) {
      const queue = queueOf(kind);
      const ids = queued.filter((run) => run.kind === kind).map((run) => run.id);
      for (const id of await this.options.queue.keysWithoutPendingJob(queue, ids)) {
        if ((await this.options.queue.enqueueRun(queue, id)) !== null) {
          this.log.warn({ runId: id, queue }, 'queued run had no job; enqueued it again');
          reenqueued.push(id);
        }
      }
    }
    return reenqueued;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.sweep()
        .then((report) => {
          const acted = report.requeued.length + report.failed.length + report.cancelled.length + report.reenqueued.length;
          if (acted > 0) this.log.info(report, 'reaper sweep');
        })
        .catch((error: unknown) => this.log.warn({ err: error }, 'reaper sweep failed'))
        .finally(() => this.schedule(this.settings.intervalMs));
    }, delayMs);
    this.timer.unref();
  }
}

function queueOf(kind: RunKind): string {
  return RUN_QUEUES[kind];
}
