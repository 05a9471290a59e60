import { createPubSub } from '@graphql-yoga/subscription';
import { NotFoundError } from '../../../src/domain/errors';
import type { RunStatus } from '../../../src/domain/runs/run-status';
import {
  MAX_PENDING_EVENTS,
  openRunProgress,
  type RunProgressEvent,
  type RunProgressSource,
  type RunState,
  type StoredEpoch,
} from '../../../src/graphql/runs/run-progress-stream';

/** Counts live listeners, so a test can see subscriptions open and close. */
class CountingEventTarget extends EventTarget {
  listeners = 0;
  override addEventListener(...args: Parameters<EventTarget['addEventListener']>): void {
    this.listeners += 1;
    super.addEventListener(...args);
  }
  override removeEventListener(...args: Parameters<EventTarget['removeEventListener']>): void {
    this.listeners -= 1;
    super.removeEventListener(...args);
  }
}

const RUN = 'run-1';

/**
 * One run's rows and its event bus, in memory: the stream's algorithm under test reads and
 * subscribes through the same interface the resolver wires to PostgreSQL and PgPubSub.
 */
class MemoryRun implements RunProgressSource {
  readonly target = new CountingEventTarget();
  private readonly pubSub = createPubSub<Record<string, [string, unknown]>>({ eventTarget: this.target });
  state: RunState | null = { status: 'RUNNING', attempts: 1, startedAt: new Date(1_000) };
  stored = new Map<number, StoredEpoch>();
  /** Runs inside `epochs()` after the rows were read, before they are returned (events racing the read). */
  duringEpochRead: (() => void) | undefined;
  private clock = 2_000;

  /** When set, reads fail with it (the database is away). */
  failure: Error | undefined;

  subscribe(topic: 'runEpoch' | 'runUpdated', runId: string): AsyncIterable<unknown> {
    return this.pubSub.subscribe(topic, runId);
  }

  reconnected(): AsyncIterable<unknown> {
    return this.pubSub.subscribe('reconnected', RUN);
  }

  /** The live connection came back (events published meanwhile were lost). */
  reconnect(): void {
    this.pubSub.publish('reconnected', RUN, null);
  }

  async findRun(): Promise<RunState | null> {
    if (this.failure) throw this.failure;
    return this.state && { ...this.state };
  }

  /** How many times the stream read stored epochs. */
  epochReads = 0;

  async epochs(_runId: string, afterEpoch: number, limit: number): Promise<StoredEpoch[]> {
    this.epochReads += 1;
    const rows = [...this.stored.values()]
      .filter((row) => row.epoch > afterEpoch)
      .sort((a, b) => a.epoch - b.epoch)
      .slice(0, limit);
    const hook = this.duringEpochRead;
    this.duringEpochRead = undefined;
    hook?.();
    await new Promise((resolve) => setImmediate(resolve));
    return rows;
  }

  /** Stores an epoch (replacing one of the same number) and, unless `lost`, announces it. */
  record(epoch: number, loss: number, options: { lost?: boolean } = {}): void {
    const row = { epoch, metrics: { loss }, elapsedMs: 10, epochMs: 10, samplesPerSecond: 100, recordedAt: new Date((this.clock += 1_000)) };
    this.stored.set(epoch, row);
    if (!options.lost) this.pubSub.publish('runEpoch', RUN, { id: RUN, epoch, metrics: { loss }, elapsedMs: 10, epochMs: 10, samplesPerSecond: 100 });
  }

  /** Announces an epoch that is not stored (a row the database does not have). */
  announceOnly(epoch: number, loss: number): void {
    this.pubSub.publish('runEpoch', RUN, { id: RUN, epoch, metrics: { loss }, elapsedMs: 10, epochMs: 10, samplesPerSecond: 100 });
  }

  /** Moves the run to `status` and, unless `lost`, announces it. */
  setStatus(status: RunStatus, options: { lost?: boolean; newAttempt?: boolean } = {}): void {
    const state = this.state!;
    this.state = options.newAttempt ? { status, attempts: state.attempts + 1, startedAt: new Date((this.clock += 1_000)) } : { ...state, status };
    if (!options.lost) this.pubSub.publish('runUpdated', RUN, { id: RUN, status, cancelRequested: false });
  }
}

type Summary = string;
/** `E3:0.5` for an epoch event, `S:RUNNING` for a status event. */
function summarize(event: RunProgressEvent): Summary {
  return event.type === 'EPOCH' ? `E${event.epoch.epoch}:${(event.epoch.metrics as { loss: number }).loss}` : `S:${event.status}`;
}

async function take(stream: AsyncIterator<RunProgressEvent>, count: number): Promise<Summary[]> {
  const seen: Summary[] = [];
  for (let i = 0; i < count; i++) {
    const result = await stream.next();
    if (result.done) throw new Error(`stream ended after ${seen.join(' ')}`);
    seen.push(summarize(result.value));
  }
  return seen;
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('openRunProgress', () => {
  it('replays after the cursor, then streams live epochs once each, and completes after the final status', async () => {
    const run = new MemoryRun();
    run.record(1, 0.9);
    run.record(2, 0.8);
    run.record(3, 0.7);
    // While the replay reads, epoch 3 is announced late (already stored) and epoch 4 arrives.
    run.duringEpochRead = () => {
      run.record(3, 0.7);
      run.record(4, 0.6);
    };
    const stream = await openRunProgress(run, RUN, { afterEpoch: 1 });
    expect(run.target.listeners).toBe(3); // epochs, status, reconnects
    expect(await take(stream, 4)).toEqual(['E2:0.8', 'E3:0.7', 'S:RUNNING', 'E4:0.6']);
    run.record(5, 0.5);
    run.record(5, 0.5);
    run.setStatus('SUCCEEDED');
    expect(await take(stream, 2)).toEqual(['E5:0.5', 'S:SUCCEEDED']);
    expect(await stream.next()).toEqual({ done: true, value: undefined });
    expect(run.target.listeners).toBe(0);
  });

  it('replays a long run a page at a time, reading the next page only once the consumer has taken the last', async () => {
    const run = new MemoryRun();
    const epochs = 3 * MAX_PENDING_EVENTS + 8;
    for (let epoch = 1; epoch <= epochs; epoch++) run.record(epoch, epoch / 1000, { lost: true });
    run.setStatus('SUCCEEDED', { lost: true });
    const stream = await openRunProgress(run, RUN);
    // Nothing is read: the stream holds one page and waits.
    for (let i = 0; i < 20; i++) await tick();
    expect(run.epochReads).toBe(1);
    const seen = await take(stream, epochs + 1);
    expect(seen).toEqual([...Array.from({ length: epochs }, (_, i) => `E${i + 1}:${(i + 1) / 1000}`), 'S:SUCCEEDED']);
    expect(await stream.next()).toEqual({ done: true, value: undefined });
    // Three full pages, then the short one.
    expect(run.epochReads).toBe(4);
  });

  it('reads back epochs whose announcement was lost, when a later one arrives', async () => {
    const run = new MemoryRun();
    const stream = await openRunProgress(run, RUN);
    expect(await take(stream, 1)).toEqual(['S:RUNNING']);
    run.record(1, 0.9);
    run.record(2, 0.8, { lost: true });
    run.record(3, 0.7);
    expect(await take(stream, 3)).toEqual(['E1:0.9', 'E2:0.8', 'E3:0.7']);
    await stream.return!();
  });

  it('moves past a gap the database cannot fill with the announced epoch, reading it once rather than for every later event', async () => {
    const run = new MemoryRun();
    const stream = await openRunProgress(run, RUN);
    expect(await take(stream, 1)).toEqual(['S:RUNNING']);
    const readsBefore = run.epochReads;
    run.announceOnly(1, 0.9);
    run.announceOnly(3, 0.7);
    run.announceOnly(4, 0.6);
    run.announceOnly(5, 0.5);
    expect(await take(stream, 4)).toEqual(['E1:0.9', 'E3:0.7', 'E4:0.6', 'E5:0.5']);
    expect(run.epochReads - readsBefore).toBe(1);
    await stream.return!();
  });

  it('catches up on its periodic refresh when the final announcements were lost', async () => {
    const run = new MemoryRun();
    const stream = await openRunProgress(run, RUN, { refreshIntervalMs: 20 });
    expect(await take(stream, 1)).toEqual(['S:RUNNING']);
    run.record(1, 0.9, { lost: true });
    run.setStatus('FAILED', { lost: true });
    expect(await take(stream, 2)).toEqual(['E1:0.9', 'S:FAILED']);
    expect((await stream.next()).done).toBe(true);
    expect(run.target.listeners).toBe(0);
  });

  it('re-reads at once when the live connection is re-established, and stays open through transient read failures', async () => {
    const run = new MemoryRun();
    const outage = new Error('connect ECONNREFUSED');
    const stream = await openRunProgress(run, RUN, { refreshIntervalMs: 10, isTransient: (error) => error === outage });
    expect(await take(stream, 1)).toEqual(['S:RUNNING']);
    // The database goes away: periodic refreshes fail, the stream stays open.
    run.failure = outage;
    await new Promise((resolve) => setTimeout(resolve, 50));
    // It comes back; epochs were stored while the events were lost; the connection is re-established.
    run.failure = undefined;
    run.record(1, 0.9, { lost: true });
    run.record(2, 0.8, { lost: true });
    run.reconnect();
    expect(await take(stream, 2)).toEqual(['E1:0.9', 'E2:0.8']);
    run.record(3, 0.7);
    expect(await take(stream, 1)).toEqual(['E3:0.7']);
    await stream.return!();
    expect(run.target.listeners).toBe(0);
  });

  it('ends with the error when a read fails for a reason that is not transient', async () => {
    const run = new MemoryRun();
    const stream = await openRunProgress(run, RUN, { refreshIntervalMs: 10, isTransient: () => false });
    expect(await take(stream, 1)).toEqual(['S:RUNNING']);
    run.failure = new Error('bug');
    await expect(stream.next()).rejects.toThrow('bug');
  });

  it('replays a finished run and completes without waiting for events', async () => {
    const run = new MemoryRun();
    run.record(1, 0.9);
    run.record(2, 0.8);
    run.state = { status: 'CANCELLED', attempts: 1, startedAt: new Date(1_000) };
    const stream = await openRunProgress(run, RUN, { afterEpoch: 2 });
    expect(await take(stream, 1)).toEqual(['S:CANCELLED']);
    expect((await stream.next()).done).toBe(true);
    expect(run.target.listeners).toBe(0);
  });

  it('does not move the status backwards when status events arrive late', async () => {
    const run = new MemoryRun();
    run.state = { status: 'QUEUED', attempts: 0, startedAt: null };
    // Claimed while the replay reads: the QUEUED and RUNNING events both arrive after the read saw QUEUED.
    run.duringEpochRead = () => run.setStatus('RUNNING', { newAttempt: true });
    const stream = await openRunProgress(run, RUN);
    expect(await take(stream, 2)).toEqual(['S:QUEUED', 'S:RUNNING']);
    run.setStatus('RUNNING');
    run.record(1, 0.9);
    expect(await take(stream, 1)).toEqual(['E1:0.9']);
    await stream.return!();
  });

  it('follows a re-queued run from epoch 1 of its new attempt, ignoring the rows of the old one', async () => {
    const run = new MemoryRun();
    run.record(1, 0.9);
    run.record(2, 0.8);
    run.record(3, 0.7);
    const stream = await openRunProgress(run, RUN);
    expect(await take(stream, 4)).toEqual(['E1:0.9', 'E2:0.8', 'E3:0.7', 'S:RUNNING']);
    run.setStatus('QUEUED');
    expect(await take(stream, 1)).toEqual(['S:QUEUED']);
    run.setStatus('RUNNING', { newAttempt: true });
    run.record(1, 0.95);
    expect(await take(stream, 2)).toEqual(['S:RUNNING', 'E1:0.95']);
    // Epoch 2 of the new attempt is not announced: epoch 3's event makes the stream read epoch 2 back.
    run.record(2, 0.85, { lost: true });
    run.record(3, 0.75);
    expect(await take(stream, 2)).toEqual(['E2:0.85', 'E3:0.75']);
    await stream.return!();
  });

  it('announces a new attempt even when the run was re-queued and claimed again before it looked', async () => {
    const run = new MemoryRun();
    run.record(1, 0.9);
    run.record(2, 0.8);
    const stream = await openRunProgress(run, RUN);
    expect(await take(stream, 3)).toEqual(['E1:0.9', 'E2:0.8', 'S:RUNNING']);
    run.setStatus('QUEUED');
    run.setStatus('RUNNING', { newAttempt: true });
    run.record(1, 0.95);
    // The old attempt's epoch 2 is still stored; it is not the new attempt's.
    expect(await take(stream, 2)).toEqual(['S:RUNNING', 'E1:0.95']);
    run.setStatus('SUCCEEDED');
    expect(await take(stream, 1)).toEqual(['S:SUCCEEDED']);
    expect((await stream.next()).done).toBe(true);
  });

  it('closes its subscriptions at once when the client leaves while waiting', async () => {
    const run = new MemoryRun();
    const stream = await openRunProgress(run, RUN);
    expect(await take(stream, 1)).toEqual(['S:RUNNING']);
    const pending = stream.next();
    await tick();
    expect(run.target.listeners).toBe(3); // epochs, status, reconnects
    await stream.return!();
    expect(run.target.listeners).toBe(0);
    await expect(pending).resolves.toEqual({ done: true, value: undefined });
  });

  it('throws NotFoundError for an unknown run and leaves no subscription behind', async () => {
    const run = new MemoryRun();
    run.state = null;
    await expect(openRunProgress(run, RUN)).rejects.toBeInstanceOf(NotFoundError);
    expect(run.target.listeners).toBe(0);
  });
});
