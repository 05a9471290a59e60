/**
 * The worker side of a run: what a job handler does with the run id it receives.
 *
 * 1. Claim the run (QUEUED -> RUNNING). If the guarded update does not apply (another worker has
 *    it, it was cancelled or already finished), skip: a retried or duplicate job never runs a run twice.
 * 2. Heartbeat every `heartbeatIntervalMs` while the run executes; each heartbeat also reads the
 *    cancel flag. A heartbeat that no longer applies means the reaper gave the run away: this
 *    worker stops and leaves the run alone.
 * 3. Call the injected `execute(run, context)`. It checks `context.shouldStop()` between batches;
 *    that call is synchronous and cheap: it reads a local flag, set by a `runUpdated` event for the
 *    run, by a heartbeat, or by a read of the flag issued at most every `cancelPollIntervalMs`.
 * 4. End the run exactly once: CANCELLED when a cancel was requested (whatever `execute` did),
 *    FAILED with the error when `execute` threw (the store has the alert service open the
 *    RUN_FAILED alert), else SUCCEEDED with the outcome's summary, running the outcome's
 *    `finalize` in the same transaction. Every end goes through a guarded update held by this worker's id.
 *
 * 5. While the database is away, recording an epoch and ending the run wait for it (retrying with
 *    backoff, up to `databaseWaitMs`) instead of failing the run; heartbeats that fail meanwhile are
 *    logged. An outage longer than the reaper's staleness window lets the reaper re-queue the run.
 *
 * Heartbeats, events and flag reads need the event loop to turn: `execute` must yield to it
 * (e.g. `await new Promise(setImmediate)` between batches) at least every few seconds.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { TerminalRunStatus } from '../../domain/runs/run-status';
import { retryWhileUnavailable } from '../../infra/db/connection-errors';
import { followEvents, type EventSubscriber, type JobHandler, type RunJobData } from '../../infra/queue/job-queue';
import { logger as rootLogger, type Logger } from '../../infra/logger';
import type { UncheckedPayload } from '../events/event-publisher';
import type { EpochMetrics, EpochTiming, Run, RunStore, TransactionClient } from './run-store';

/** What `execute` may use while it runs. */
export interface RunExecutionContext {
  readonly workerId: string;
  /** 1 for the first attempt, 2 after a crash re-queue, ... */
  readonly attempt: number;
  /** True once the run must stop (cancel requested, or the run was taken from this worker). Cheap: call it between batches. */
  shouldStop(): boolean;
  /** Aborted when `shouldStop()` turns true. */
  readonly signal: AbortSignal;
  /** Stores (or replaces) the metrics of a 1-based epoch and announces it; false when this worker no longer holds the run. */
  recordEpoch(epoch: number, metrics: EpochMetrics, timing: EpochTiming): Promise<boolean>;
  readonly logger: Logger;
}

/** What a successful `execute` returns. */
export interface RunOutcome {
  summary?: Record<string, unknown>;
  /** Runs in the transaction that marks the run SUCCEEDED (not when it ends otherwise). */
  finalize?: (tx: TransactionClient, run: Run) => Promise<void>;
  /** Runs after that transaction committed (e.g. to announce what `finalize` registered). */
  afterCommit?: () => Promise<void>;
}

/** The work of one run kind, plugged in by the process that wires the worker. */
// eslint-disable-next-line @typescript-eslint/no-invalid-void-type -- a run kind's work may return nothing (an async function without a value): its run then just succeeds
export type ExecuteRun = (run: Run, context: RunExecutionContext) => Promise<RunOutcome | void>;

/** How an execution ended for this worker: the run's final status, SKIPPED (not claimed) or LOST (taken away). */
export type ExecutionResult = TerminalRunStatus | 'SKIPPED' | 'LOST';

export interface RunExecutorOptions {
  store: RunStore;
  /** Identifies this worker in the run row and in logs. @default {@link defaultWorkerId} */
  workerId?: string;
  /** Where `runUpdated` events arrive, so a cancel is seen without waiting for a poll. */
  events?: EventSubscriber;
  /** @default 5000 */
  heartbeatIntervalMs?: number;
  /** Least time between two reads of the cancel flag triggered by `shouldStop()`. @default 250 */
  cancelPollIntervalMs?: number;
  /**
   * How long recording an epoch or ending the run waits for a database that is away before it
   * fails (training pauses meanwhile). @default 60000
   */
  databaseWaitMs?: number;
  logger?: Logger;
}

/** Longest error text kept on a run. */
const MAX_ERROR_LENGTH = 4000;

/** `host:pid:random`: unique per process, readable in logs and in the run row. */
export function defaultWorkerId(): string {
  return `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
}

export class RunExecutor {
  readonly workerId: string;
  private readonly log: Logger;
  private readonly active = new Map<string, RunHandle>();
  private stopEvents: (() => Promise<void>) | undefined;

  constructor(private readonly options: RunExecutorOptions) {
    this.workerId = options.workerId ?? defaultWorkerId();
    this.log = (options.logger ?? rootLogger).child({ component: 'run-executor', workerId: this.workerId });
  }

  /** A job handler for a run queue that executes each run with `execute`. */
  jobHandler(execute: ExecuteRun): JobHandler<RunJobData> {
    return async (data) => {
      await this.executeRun(data.runId, execute);
    };
  }

  /** Runs currently executing in this process. */
  activeRunIds(): string[] {
    return [...this.active.keys()];
  }

  /**
   * Claims, executes and ends one run (see the module comment). Rejects only when the database
   * fails before the run was claimed; the run's own failures end it FAILED.
   */
  async executeRun(runId: string, execute: ExecuteRun): Promise<ExecutionResult> {
    const run = await this.options.store.claimRun(runId, this.workerId);
    if (!run) {
      this.log.info({ runId }, 'run not claimed: it is no longer queued (taken by another worker, cancelled or finished)');
      return 'SKIPPED';
    }
    const log = this.log.child({ runId, attempt: run.attempts });
    log.info({ kind: run.kind }, 'run started');
    const handle = new RunHandle(run, this.workerId, this.options, log);
    this.active.set(runId, handle);
    this.subscribeToRunEvents();
    handle.startHeartbeat();

    // eslint-disable-next-line @typescript-eslint/no-invalid-void-type -- what an ExecuteRun returned
    let outcome: RunOutcome | void = undefined;
    let failure: unknown;
    let failed = false;
    try {
      outcome = await execute(run, handle.context);
    } catch (error) {
      failed = true;
      failure = error;
    } finally {
      handle.stopHeartbeat();
      this.active.delete(runId);
      this.unsubscribeWhenIdle();
    }
    return this.finish(handle, log, failed ? { failure } : { outcome: outcome ?? {} });
  }

  private async finish(handle: RunHandle, log: Logger, result: { outcome: RunOutcome } | { failure: unknown }): Promise<ExecutionResult> {
    const store = waitingStore(this.options.store, this.options.databaseWaitMs, log);
    const runId = handle.run.id;
    const state = handle.lost ? null : await store.cancelState(runId, this.workerId);
    if (!state) {
      log.warn('run was taken from this worker (its heartbeat went stale and the reaper acted); leaving it as it is');
      return 'LOST';
    }
    const guard = { workerId: this.workerId };
    let status: TerminalRunStatus;
    let finished: Run | null;
    if (state.cancelRequested || handle.cancelRequested) {
      if ('failure' in result) log.info({ err: result.failure }, 'execution ended with an error after the cancel request');
      status = 'CANCELLED';
      finished = await store.finishRun(runId, status, { ...guard, summary: 'outcome' in result ? result.outcome.summary : undefined });
    } else if ('failure' in result) {
      log.warn({ err: result.failure }, 'run failed');
      status = 'FAILED';
      finished = await store.finishRun(runId, status, { ...guard, error: errorText(result.failure) });
    } else {
      status = 'SUCCEEDED';
      try {
        finished = await store.finishRun(runId, status, { ...guard, summary: result.outcome.summary, finalize: result.outcome.finalize });
        if (finished) await result.outcome.afterCommit?.().catch((error: unknown) => log.warn({ err: error }, 'after-commit step of the run failed'));
      } catch (error) {
        log.warn({ err: error }, 'completing the run failed; marking it failed');
        status = 'FAILED';
        finished = await store.finishRun(runId, status, { ...guard, error: `completing the run failed: ${errorText(error)}` });
      }
    }
    if (!finished) {
      log.warn({ status }, 'run was taken from this worker before it could end it');
      return 'LOST';
    }
    return status;
  }

  private subscribeToRunEvents(): void {
    if (!this.options.events || this.stopEvents) return;
    this.stopEvents = followEvents(
      this.options.events,
      'runUpdated',
      (payload) => {
        const id = (payload as UncheckedPayload<'runUpdated'> | null)?.id;
        if (typeof id === 'string') this.active.get(id)?.checkNow();
      },
      (error) => this.log.warn({ err: error }, 'run event subscription ended; cancels are seen by polling'),
    );
  }

  private unsubscribeWhenIdle(): void {
    if (this.active.size > 0 || !this.stopEvents) return;
    const stop = this.stopEvents;
    this.stopEvents = undefined;
    stop().catch(() => undefined);
  }
}

/** The per-run state of an execution: heartbeat, cancel flag, context. */
class RunHandle {
  readonly context: RunExecutionContext;
  cancelRequested = false;
  lost = false;
  private readonly controller = new AbortController();
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private heartbeatInFlight = false;
  private lastPoll = 0;
  private pollInFlight = false;
  private readonly cancelPollIntervalMs: number;

  constructor(
    readonly run: Run,
    private readonly workerId: string,
    private readonly options: RunExecutorOptions,
    private readonly log: Logger,
  ) {
    this.cancelPollIntervalMs = options.cancelPollIntervalMs ?? 250;
    this.lastPoll = Date.now();
    this.context = {
      workerId,
      attempt: run.attempts,
      signal: this.controller.signal,
      logger: log,
      shouldStop: () => this.shouldStop(),
      recordEpoch: (epoch, metrics, timing) =>
        waitingStore(options.store, options.databaseWaitMs, log).recordEpoch({ runId: run.id, workerId, epoch, metrics, ...timing }),
    };
  }

  startHeartbeat(): void {
    this.heartbeatTimer = setInterval(() => this.beat(), this.options.heartbeatIntervalMs ?? 5000);
  }

  stopHeartbeat(): void {
    clearInterval(this.heartbeatTimer);
  }

  /** Reads the cancel flag now (a `runUpdated` event arrived for this run). */
  checkNow(): void {
    this.poll();
  }

  private shouldStop(): boolean {
    if (this.controller.signal.aborted) return true;
    if (Date.now() - this.lastPoll >= this.cancelPollIntervalMs) this.poll();
    return false;
  }

  private poll(): void {
    if (this.pollInFlight || this.controller.signal.aborted) return;
    this.pollInFlight = true;
    this.lastPoll = Date.now();
    this.options.store
      .cancelState(this.run.id, this.workerId)
      .then((state) => this.apply(state))
      .catch((error: unknown) => this.log.warn({ err: error }, 'reading the cancel flag failed'))
      .finally(() => (this.pollInFlight = false));
  }

  private beat(): void {
    if (this.heartbeatInFlight) return;
    this.heartbeatInFlight = true;
    this.options.store
      .heartbeat(this.run.id, this.workerId)
      .then((state) => this.apply(state))
      .catch((error: unknown) => this.log.warn({ err: error }, 'heartbeat failed'))
      .finally(() => (this.heartbeatInFlight = false));
  }

  private apply(state: { cancelRequested: boolean } | null): void {
    if (this.controller.signal.aborted) return;
    if (state === null) {
      this.lost = true;
      this.log.warn('this worker no longer holds the run; stopping it');
      this.controller.abort(new Error('run taken from this worker'));
    } else if (state.cancelRequested) {
      this.cancelRequested = true;
      this.log.info('cancel requested; stopping the run');
      this.controller.abort(new Error('run cancelled'));
    }
  }
}

/** The store calls that end or record a run, each retried while the database is unavailable. */
function waitingStore(store: RunStore, maxWaitMs: number | undefined, log: Logger): Pick<RunStore, 'cancelState' | 'finishRun' | 'recordEpoch'> {
  const wait = <T>(what: string, operation: () => Promise<T>): Promise<T> =>
    retryWhileUnavailable(operation, {
      maxWaitMs: maxWaitMs ?? 60_000,
      onRetry: (error, attempt) => {
        if (attempt === 1) log.warn({ err: error, what }, 'database unavailable; waiting for it');
      },
    });
  return {
    cancelState: (...args) => wait('reading the cancel flag', () => store.cancelState(...args)),
    finishRun: (...args) => wait('ending the run', () => store.finishRun(...args)),
    recordEpoch: (...args) => wait('recording an epoch', () => store.recordEpoch(...args)),
  };
}

function errorText(error: unknown): string {
  const text = error instanceof Error ? error.message || error.name : String(error);
  return text.length > MAX_ERROR_LENGTH ? `${text.slice(0, MAX_ERROR_LENGTH - 1)}…` : text;
}
