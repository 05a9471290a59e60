/**
 * The run life cycle. Every status change is one conditional UPDATE of the run repository
 * (`... WHERE id = $1 AND status = <from> [AND worker_id = $w]`) whose returned rows say whether it
 * applied, so two workers, a retried job or a reaper racing a live worker can never move a run
 * twice or out of a terminal status (see `src/domain/runs/run-status.ts`). Times come from the
 * database clock (`now()`), so heartbeats written on one host compare correctly on another.
 *
 * Each applied change is announced with a `runUpdated` event after it commits, carrying the state the
 * change left (`run-state-event.ts`: read from the UPDATE's own RETURNING, not re-read later), and
 * each recorded epoch with a `runEpoch` event.
 */
import { required } from '../../domain/common/required';
import { isUuid } from '../../domain/common/uuid';
import { InvalidStateError, NotFoundError } from '../../domain/errors';
import type { Run, RunKind } from '../../domain/runs/run';
import type { TerminalRunStatus } from '../../domain/runs/run-status';
import type { PrismaClient } from '../../infra/db/prisma-client';
import { logger as rootLogger, type Logger } from '../../infra/logger';
import type { EventPayloads, EventPublisher } from '../events/event-publisher';
import { runUpdatedPayload, type RunState } from './run-state-event';
import { RunRepository, type Db, type StaleRun } from './run-repository';
import type { RunFailedRaise, RunFailureAlerts } from '../alerts/alert.service';

export type { Run } from '../../domain/runs/run';
export type { StaleRun } from './run-repository';
export type TransactionClient = Db;

/** Metrics of one epoch: `loss`, `accuracy` or `mae`/`rmse`, and their `val_` forms. */
export type EpochMetrics = Record<string, number>;

/** How long an epoch took. */
export interface EpochTiming {
  /** Since training started (backend selection excluded), up to the end of this epoch. */
  elapsedMs: number;
  /** Wall time of this epoch alone: its batches, its validation pass. */
  epochMs: number;
  /** Training rows per second in this epoch. */
  samplesPerSecond: number;
}

/** The JSON payload of a `runEpoch` event: the epoch as stored (`id` is the run's). */
export interface RunEpochPayload extends EpochTiming {
  id: string;
  epoch: number;
  metrics: EpochMetrics;
  /** When the row was written (ISO). */
  recordedAt: string;
}

export interface EpochRecord extends EpochTiming {
  runId: string;
  /** The worker that holds the run; the epoch is refused if another worker holds it now. */
  workerId: string;
  /** 1-based. */
  epoch: number;
  metrics: EpochMetrics;
}

export interface FinishOptions {
  /** Apply only while this worker holds the run. */
  workerId?: string | null;
  /** Apply only if the last heartbeat is older than this (what the reaper passes). */
  staleForMs?: number;
  /** Outcome details (JSON). */
  summary?: Record<string, unknown> | null;
  /** Why the run failed (FAILED only). */
  error?: string | null;
  /**
   * Runs in the same transaction as the status change, only if the change applies (e.g. registering
   * the model version of a successful run, so a version exists exactly when its run SUCCEEDED).
   */
  finalize?: (tx: TransactionClient, run: Run) => Promise<void>;
}

/** What `requestCancel` did. */
export interface CancelResult {
  run: Run;
  /** `cancelled`: a queued run ended at once; `requested`: the running worker was asked to stop. */
  outcome: 'cancelled' | 'requested' | 'already-cancelled';
}

const FINISH_TRANSACTION_TIMEOUT_MS = 60_000;

export class RunStore {
  private readonly log: Logger;
  /** Where runs and epochs are stored. */
  private readonly runs: RunRepository;

  constructor(
    prisma: PrismaClient,
    private readonly events: EventPublisher,
    /** Opens a failed run's RUN_FAILED alert in the failure's transaction and announces it (the alert service). */
    private readonly alerts: RunFailureAlerts,
    logger: Logger = rootLogger,
  ) {
    this.runs = new RunRepository(prisma);
    this.log = logger.child({ component: 'run-store' });
  }

  /** The run, or null. */
  async findRun(runId: string): Promise<Run | null> {
    return this.runs.findRun(runId);
  }

  /**
   * QUEUED -> RUNNING for `workerId`: counts the attempt and starts the heartbeat clock.
   * @returns the claimed run, or null when the run is not QUEUED (claimed elsewhere, cancelled, finished) or missing.
   */
  async claimRun(runId: string, workerId: string): Promise<Run | null> {
    const state = await this.runs.claim(runId, workerId);
    return state && this.announceAndLoad(state);
  }

  /**
   * Records that `workerId` is alive and still holds the run.
   * @returns whether a cancel was requested, or null when the worker no longer holds the run
   *   (it finished, or the reaper gave it away): the worker must stop without finishing it.
   */
  async heartbeat(runId: string, workerId: string): Promise<{ cancelRequested: boolean } | null> {
    return this.runs.heartbeat(runId, workerId);
  }

  /** The cancel flag of a run, or null when `workerId` no longer holds it (one indexed read). */
  async cancelState(runId: string, workerId: string): Promise<{ cancelRequested: boolean } | null> {
    return this.runs.cancelState(runId, workerId);
  }

  /**
   * RUNNING -> `status`, only while the guards in `options` hold. FAILED also has the alert service
   * open (or bump) the run's RUN_FAILED alert in the same transaction, and announce it after the commit.
   * @returns the finished run, or null when the change did not apply (not RUNNING, or held by another worker, or not stale).
   */
  async finishRun(runId: string, status: TerminalRunStatus, options: FinishOptions = {}): Promise<Run | null> {
    const summary = options.summary === undefined || options.summary === null ? null : JSON.stringify(options.summary);
    const error = status === 'FAILED' ? (options.error ?? 'failed') : null;
    let failureAlert: RunFailedRaise | undefined;
    const run = await this.runs.transaction(
      async (tx) => {
        const finished = await this.runs.finish(tx, runId, status, { summary, error, workerId: options.workerId, staleForMs: options.staleForMs });
        if (!finished) return null;
        if (status === 'FAILED') failureAlert = await this.alerts.openRunFailedAlert(tx, finished);
        if (options.finalize) await options.finalize(tx, finished);
        return finished;
      },
      { timeout: FINISH_TRANSACTION_TIMEOUT_MS },
    );
    if (run) {
      this.log.info({ runId, status, error: run.error ?? undefined }, 'run finished');
      await this.announce(run);
      if (failureAlert) await this.alerts.announce(failureAlert);
    }
    return run;
  }

  /**
   * Cancels a run: a QUEUED run ends CANCELLED at once; a RUNNING run gets its cancel flag, and its
   * worker (told by the `runUpdated` event, or by polling the flag) stops and ends it CANCELLED.
   * Cancelling a cancelled run again is a no-op.
   * @throws NotFoundError for an unknown run; InvalidStateError for a run that SUCCEEDED or FAILED.
   */
  async requestCancel(runId: string): Promise<CancelResult> {
    if (!isUuid(runId)) throw new NotFoundError('Run', runId);
    // A run can move between the statements below (claimed, re-queued, finished): try again then.
    for (let round = 0; round < 5; round++) {
      const cancelled = await this.runs.cancelQueued(runId);
      if (cancelled) {
        this.log.info({ runId }, 'queued run cancelled');
        return { run: await this.announceAndLoad(cancelled), outcome: 'cancelled' };
      }
      const flagged = await this.runs.flagCancel(runId);
      if (flagged) {
        this.log.info({ runId }, 'cancel requested for a running run');
        return { run: await this.announceAndLoad(flagged), outcome: 'requested' };
      }
      const run = await this.runs.findRun(runId);
      if (!run) throw new NotFoundError('Run', runId);
      if (run.status === 'CANCELLED') return { run, outcome: 'already-cancelled' };
      if (run.status === 'SUCCEEDED' || run.status === 'FAILED') {
        throw new InvalidStateError(`Run ${runId} already ended as ${run.status}; only a queued or running run can be cancelled`);
      }
    }
    throw new InvalidStateError(`Run ${runId} kept changing status while being cancelled; try again`);
  }

  /**
   * Stores one epoch's metrics, at most one row per (run, epoch): a repeat replaces the row (a
   * re-queued run trains again from the start). Refused unless `workerId` holds the RUNNING run.
   * @returns whether the epoch was stored.
   * @throws RangeError for an epoch that is not an integer >= 1.
   */
  async recordEpoch(record: EpochRecord): Promise<boolean> {
    const { runId, workerId, epoch, metrics, elapsedMs, epochMs, samplesPerSecond } = record;
    if (!Number.isInteger(epoch) || epoch < 1) throw new RangeError(`epoch must be an integer >= 1, got ${epoch}`);
    const recordedAt = await this.runs.upsertEpoch({ runId, workerId, epoch, metrics, elapsedMs, epochMs, samplesPerSecond });
    if (!recordedAt) return false;
    await this.publish('runEpoch', { id: runId, epoch, metrics, elapsedMs, epochMs, samplesPerSecond, recordedAt: recordedAt.toISOString() });
    return true;
  }

  /** RUNNING runs whose last heartbeat is older than `staleForMs` by the database clock. */
  async findStaleRuns(staleForMs: number): Promise<StaleRun[]> {
    return this.runs.findStaleRuns(staleForMs);
  }

  /**
   * RUNNING -> QUEUED for a run whose worker `workerId` has not heartbeaten for `staleForMs` and
   * that nobody asked to cancel (the crash re-queue). The attempt count is kept.
   * @returns the re-queued run, or null when it no longer qualifies.
   */
  async requeueStaleRun(runId: string, workerId: string | null, staleForMs: number): Promise<Run | null> {
    const state = await this.runs.requeueStale(runId, workerId, staleForMs);
    return state && this.announceAndLoad(state);
  }

  /** QUEUED runs created more than `olderThanMs` ago, oldest first (candidates for re-enqueueing). */
  async findQueuedRuns(olderThanMs: number, limit = 500): Promise<Array<{ id: string; kind: RunKind }>> {
    return this.runs.findQueuedRuns(olderThanMs, limit);
  }

  /** Announces the state an UPDATE returned (the event's own), then reads the whole run for the caller. */
  private async announceAndLoad(state: RunState): Promise<Run> {
    await this.announce(state);
    return required(await this.runs.findRun(state.id), `run ${state.id}`);
  }

  private async announce(state: RunState): Promise<void> {
    await this.publish('runUpdated', runUpdatedPayload(state));
  }

  /** Events are best effort: the change is committed, and subscribers that missed it replay from the database. */
  private async publish<T extends 'runUpdated' | 'runEpoch'>(topic: T, payload: EventPayloads[T]): Promise<void> {
    try {
      await this.events.publish(topic, payload, payload.id);
    } catch (error) {
      this.log.warn({ err: error, topic, runId: payload.id }, 'publishing a run event failed');
    }
  }
}
