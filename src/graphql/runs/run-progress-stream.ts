/**
 * The event stream behind `runProgress`: the stored epochs of a run after a cursor, then its live
 * epochs and status changes, ending after the final status.
 *
 * Gap- and duplicate-free by construction:
 * - the live subscriptions are opened before anything is read, so an epoch committed after the
 *   read is also an event (epochs are committed before they are announced);
 * - epochs are emitted in strictly increasing order (a watermark), so an epoch both read and
 *   announced, or announced twice, goes out once;
 * - an announced epoch that is not the next one (a notification was lost, e.g. while the LISTEN
 *   connection reconnected) makes the stream read the missing ones back from the database, and a
 *   periodic refresh catches up in case a notification was lost and no other event follows.
 * Status events only wake the stream: it re-reads the run, so events that arrive late or out of
 * order never move the reported status backwards.
 *
 * When the live event connection is re-established, the stream re-reads the run at once (events
 * published meanwhile are lost); database errors the caller marks transient leave the stream open.
 *
 * A run re-queued after its worker died trains again from epoch 1, replacing its stored epochs as
 * it goes: when a new attempt starts, the stream follows it from epoch 1 and ignores rows older
 * than the attempt's start.
 */
import { NotFoundError } from '../../domain/errors';
import type { RunEpoch } from '../../domain/runs/run';
import { isTerminal, type RunStatus } from '../../domain/runs/run-status';
import type { UncheckedPayload } from '../../services/events/event-publisher';

/** A stored epoch, as read from the database (or as its live event describes it). */
export type StoredEpoch = Pick<RunEpoch, 'epoch' | 'metrics' | 'elapsedMs' | 'epochMs' | 'samplesPerSecond' | 'recordedAt'>;

/** What the stream needs to know of a run. */
export interface RunState {
  status: RunStatus;
  attempts: number;
  /** When the current attempt started (null before the first). */
  startedAt: Date | null;
}

/** Each event carries `run`, the run as the stream last read it (for a STATUS event: the read that found the status). */
export type RunProgressEvent<R extends RunState = RunState> =
  { type: 'EPOCH'; runId: string; status: RunStatus; epoch: StoredEpoch; run: R } | { type: 'STATUS'; runId: string; status: RunStatus; run: R };

/** Where the stream reads from: live events and the database. */
export interface RunProgressSource<R extends RunState = RunState> {
  /** Events of `topic` for one run (payloads as `EventPayloads` declares them, from another process: checked on arrival). */
  subscribe(topic: 'runEpoch' | 'runUpdated', runId: string): AsyncIterable<unknown>;
  findRun(runId: string): Promise<R | null>;
  /** Stored epochs after `afterEpoch`, in order, at most `limit` of them. */
  epochs(runId: string, afterEpoch: number, limit: number): Promise<StoredEpoch[]>;
  /** One event each time the live event connection was re-established (events may have been lost). */
  reconnected?(): AsyncIterable<unknown>;
}

export interface RunProgressOptions {
  /** Epochs at or below this are not sent. @default 0 (all) */
  afterEpoch?: number | null;
  /** How often the stream re-reads the run in case a notification was lost. @default 10000 */
  refreshIntervalMs?: number;
  /** Stamps live epochs, whose events carry no recording time. @default () => new Date() */
  now?: () => Date;
  /**
   * Errors after which the stream stays open and catches up at the next refresh or reconnect
   * (the database is away for a while), instead of ending with the error. @default none
   */
  isTransient?: (error: unknown) => boolean;
}

export const DEFAULT_REFRESH_INTERVAL_MS = 10_000;

/**
 * Events a stream holds for a consumer that has not taken them (a client that reads slowly). Past
 * this the stream stops taking live events: they wait in the event bus (1,024 per subscription,
 * older ones dropped), and the stream reads what it missed back from the database (watermark).
 */
export const MAX_PENDING_EVENTS = 64;

/** A queue of results read by one consumer; what it holds is delivered before it ends or fails. */
class ResultQueue<T> {
  private readonly items: T[] = [];
  private readonly waiting: Array<{ resolve: (result: IteratorResult<T>) => void; reject: (error: unknown) => void }> = [];
  /** Producers waiting for the queue to go below {@link MAX_PENDING_EVENTS}. */
  private readonly waitingForRoom: Array<() => void> = [];
  private ended = false;
  private failure: { error: unknown } | undefined;

  /** Resolves once the queue holds fewer than {@link MAX_PENDING_EVENTS} items (at once if it does), or has ended. */
  room(): Promise<void> {
    if (this.ended || this.items.length < MAX_PENDING_EVENTS) return Promise.resolve();
    return new Promise((resolve) => this.waitingForRoom.push(resolve));
  }

  private wakeProducers(): void {
    for (const resolve of this.waitingForRoom.splice(0)) resolve();
  }

  push(item: T): void {
    if (this.ended) return;
    const waiter = this.waiting.shift();
    if (waiter) waiter.resolve({ done: false, value: item });
    else this.items.push(item);
  }

  /** No more items; those queued are still delivered. */
  end(): void {
    this.ended = true;
    this.wakeProducers();
    if (this.items.length === 0) this.settleWaiting();
  }

  fail(error: unknown): void {
    if (this.ended) return;
    this.failure = { error };
    this.end();
  }

  /** Ends at once, dropping what is queued. */
  discard(): void {
    this.items.length = 0;
    this.failure = undefined;
    this.end();
  }

  next(): Promise<IteratorResult<T>> {
    if (this.items.length > 0) {
      const value = this.items[0];
      this.items.shift();
      if (this.items.length < MAX_PENDING_EVENTS) this.wakeProducers();
      return Promise.resolve({ done: false, value });
    }
    if (this.failure) {
      const { error } = this.failure;
      this.failure = undefined;
      return Promise.reject(error);
    }
    if (this.ended) return Promise.resolve({ done: true, value: undefined });
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  private settleWaiting(): void {
    for (const waiter of this.waiting.splice(0)) {
      if (this.failure) {
        waiter.reject(this.failure.error);
        this.failure = undefined;
      } else {
        waiter.resolve({ done: true, value: undefined });
      }
    }
  }
}

function liveEpoch(payload: unknown, now: Date): StoredEpoch | null {
  if (typeof payload !== 'object' || payload === null) return null;
  const { epoch, metrics, elapsedMs, epochMs, samplesPerSecond, recordedAt } = payload as UncheckedPayload<'runEpoch'>;
  if (typeof epoch !== 'number' || typeof elapsedMs !== 'number' || typeof epochMs !== 'number' || typeof samplesPerSecond !== 'number') return null;
  // The row's own time, written by the worker; an event without it is dated on arrival.
  const recorded = typeof recordedAt === 'string' ? new Date(recordedAt) : now;
  return { epoch, metrics: metricsOf(metrics), elapsedMs, epochMs, samplesPerSecond, recordedAt: Number.isNaN(recorded.getTime()) ? now : recorded };
}

/** An event's metrics: an object of values by name; anything else reports none. */
function metricsOf(metrics: unknown): Record<string, unknown> {
  return isJsonObject(metrics) ? metrics : {};
}

function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Opens the progress stream of a run. Returning the iterator (a client unsubscribing) closes the
 * live subscriptions at once, even while it waits for an event.
 * @throws NotFoundError (field `runId`) when the run does not exist.
 */
export async function openRunProgress<R extends RunState>(
  source: RunProgressSource<R>,
  runId: string,
  options: RunProgressOptions = {},
): Promise<AsyncIterableIterator<RunProgressEvent<R>>> {
  const now = options.now ?? (() => new Date());
  const output = new ResultQueue<RunProgressEvent<R>>();
  const live = {
    epoch: source.subscribe('runEpoch', runId)[Symbol.asyncIterator](),
    status: source.subscribe('runUpdated', runId)[Symbol.asyncIterator](),
    reconnected: source.reconnected?.()[Symbol.asyncIterator](),
  };
  let closed = false;
  let refreshTimer: NodeJS.Timeout | undefined;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    clearInterval(refreshTimer);
    await Promise.allSettled([live.epoch.return?.(), live.status.return?.(), live.reconnected?.return?.()]);
  };

  let watermark = options.afterEpoch ?? 0;
  let lastStatus: RunStatus;
  let current!: R;
  let attempts = 0;
  let attemptStartedAt: Date | null = null;

  const emitEpoch = (epoch: StoredEpoch): void => {
    watermark = epoch.epoch;
    output.push({ type: 'EPOCH', runId, status: lastStatus, epoch, run: current });
  };
  const finish = async (): Promise<void> => {
    output.end();
    await close();
  };
  /**
   * Stored epochs after the watermark (up to `upTo`) of the current attempt, read a page of
   * MAX_PENDING_EVENTS at a time: the next page is read once the consumer has taken enough of the
   * last, so a late subscriber to a long run holds a bounded backlog here too.
   */
  const catchUp = async (upTo = Infinity): Promise<void> => {
    let cursor = watermark;
    for (;;) {
      const page = await source.epochs(runId, cursor, MAX_PENDING_EVENTS);
      for (const epoch of page) {
        if (epoch.epoch > upTo) return;
        cursor = epoch.epoch;
        if (attemptStartedAt && epoch.recordedAt < attemptStartedAt) continue;
        emitEpoch(epoch);
      }
      if (page.length < MAX_PENDING_EVENTS || closed) return;
      await output.room();
    }
  };
  const emitStatus = (status: RunStatus): void => {
    lastStatus = status;
    output.push({ type: 'STATUS', runId, status, run: current });
  };
  const refresh = async (): Promise<void> => {
    const run = await source.findRun(runId);
    if (!run) return;
    current = run;
    if (isTerminal(run.status)) {
      // Every epoch is stored before the run ends: send what is missing, then the end.
      await catchUp();
      if (run.status !== lastStatus) emitStatus(run.status);
      await finish();
      return;
    }
    const newAttempt = run.attempts > attempts;
    if (newAttempt) {
      // A new attempt trains from epoch 1 again; its epochs replace the stored ones as they come.
      attempts = run.attempts;
      attemptStartedAt = run.startedAt;
      watermark = 0;
    }
    // A new attempt is announced even when the status reads the same (re-queued and claimed again in between).
    if (run.status !== lastStatus || newAttempt) emitStatus(run.status);
    await catchUp();
  };
  const onEpoch = async (payload: unknown): Promise<void> => {
    const epoch = liveEpoch(payload, now());
    if (!epoch || epoch.epoch <= watermark) return;
    if (epoch.epoch === watermark + 1) {
      emitEpoch(epoch);
      return;
    }
    await catchUp(epoch.epoch);
    // The event's own epoch when the database did not have it: the stream moves past the gap once,
    // instead of reading the database again for every later event.
    if (epoch.epoch > watermark) emitEpoch(epoch);
  };

  // Everything is handled in order, one event at a time, after the replay.
  let started!: () => void;
  let chain = new Promise<void>((resolve) => (started = resolve));
  /** Runs `task` after those before it; resolves when it has run. */
  const enqueue = (task: () => Promise<void>): Promise<void> => {
    chain = chain
      .then(() => (closed ? undefined : task()))
      .catch(async (error: unknown) => {
        // The database is away: keep the stream; the next refresh or reconnect catches up.
        if (options.isTransient?.(error)) return;
        output.fail(error);
        await close();
      });
    return chain;
  };
  let initial!: R;
  void enqueue(async () => {
    current = initial;
    lastStatus = initial.status;
    attempts = initial.attempts;
    attemptStartedAt = initial.startedAt;
    await catchUp();
    emitStatus(initial.status);
    if (isTerminal(initial.status)) await finish();
  });

  // A pubsub subscription starts listening at its first `next()`: start both before reading.
  // Each live event is handled before the next is taken, and none is taken while the consumer has
  // MAX_PENDING_EVENTS waiting: a client that stops reading holds a bounded backlog here.
  const pump = async (iterator: AsyncIterator<unknown>, handle: (payload: unknown) => Promise<void>): Promise<void> => {
    for (;;) {
      await output.room();
      const result = await iterator.next();
      if (closed) return;
      if (result.done) {
        // The pub/sub closed (the server is shutting down): end the stream after what is queued.
        void enqueue(finish);
        return;
      }
      await enqueue(() => handle(result.value));
    }
  };
  const failWith = (error: unknown) => void enqueue(() => Promise.reject(error));
  pump(live.epoch, onEpoch).catch(failWith);
  pump(live.status, refresh).catch(failWith);
  // Events published while the live connection was down are lost: re-read the run and its epochs.
  if (live.reconnected) pump(live.reconnected, refresh).catch(failWith);

  let run: R | null;
  try {
    run = await source.findRun(runId);
  } catch (error) {
    await close();
    throw error;
  }
  if (!run) {
    await close();
    throw new NotFoundError('run', runId, { field: 'runId' });
  }
  initial = run;
  started();
  const refreshIntervalMs = options.refreshIntervalMs ?? DEFAULT_REFRESH_INTERVAL_MS;
  refreshTimer = setInterval(() => void enqueue(refresh), refreshIntervalMs);
  refreshTimer.unref();

  const iterator: AsyncIterableIterator<RunProgressEvent<R>> = {
    next: () => output.next(),
    return: async () => {
      output.discard();
      await close();
      return { done: true, value: undefined };
    },
    throw: async (error: unknown) => {
      output.discard();
      await close();
      throw error;
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}
