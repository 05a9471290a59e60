import { NotFoundError } from '../../../src/domain/errors';
import { DEFAULT_PRUNING, type StudyDefinition } from '../../../src/domain/optimization/study-definition';
import type { Run } from '../../../src/domain/runs/run';
import { openStudyProgress, type StudyProgressEvent } from '../../../src/graphql/optimization/study-progress-stream';

/** An in-memory topic: every subscriber gets what is published after it subscribed. */
class Topic {
  private readonly subscribers: Array<(payload: unknown) => void> = [];

  publish(payload: unknown): void {
    for (const deliver of this.subscribers) deliver(payload);
  }

  subscribe(): AsyncIterable<unknown> {
    const queued: unknown[] = [];
    let waiting: ((result: IteratorResult<unknown>) => void) | undefined;
    const deliver = (payload: unknown) => {
      if (waiting) {
        const resolve = waiting;
        waiting = undefined;
        resolve({ done: false, value: payload });
      } else queued.push(payload);
    };
    this.subscribers.push(deliver);
    const iterator: AsyncIterator<unknown> = {
      next: () => (queued.length > 0 ? Promise.resolve({ done: false, value: queued.shift() }) : new Promise((resolve) => (waiting = resolve))),
      return: async () => {
        this.subscribers.splice(this.subscribers.indexOf(deliver), 1);
        waiting?.({ done: true, value: undefined });
        return { done: true, value: undefined };
      },
    };
    return { [Symbol.asyncIterator]: () => iterator };
  }
}

const STUDY = '00000000-0000-4000-8000-000000000001';
const TRIAL = '00000000-0000-4000-8000-000000000002';
const OTHER = '00000000-0000-4000-8000-000000000003';

function run(id: string, fields: Partial<Run>): Run {
  return { id, kind: 'TRIAL', status: 'QUEUED', parentRunId: null, summary: null, hyperparameters: {}, ...fields } as Run;
}

describe('openStudyProgress', () => {
  const topics = { runUpdated: new Topic(), runEpoch: new Topic() };
  const runs = new Map<string, Run>();
  const source = { subscribe: (topic: 'runUpdated' | 'runEpoch') => topics[topic].subscribe(), findRun: async (id: string) => runs.get(id) ?? null };
  /** A study as the optimization service stores it (the stream reads its objective). */
  const definition: StudyDefinition = {
    objective: { metric: 'val_loss', direction: 'MINIMIZE' },
    searchSpace: { parameters: [] },
    strategy: 'RANDOM',
    maxTrials: 2,
    parallelism: 1,
    pruning: { ...DEFAULT_PRUNING },
    seed: 1,
    baseHyperparameters: {
      epochs: 10,
      batchSize: 32,
      optimizer: 'ADAM',
      learningRate: 0.001,
      split: { train: 0.7, validation: 0.15, test: 0.15 },
      seed: 1,
      earlyStopping: null,
      classWeights: null,
      backend: 'AUTO',
    },
  };

  /** Lets the stream's event handlers run: they only await promises already resolved (no I/O), so all have run by the next macrotask. */
  const settle = () => new Promise((resolve) => setImmediate(resolve));

  /** Opens the study's stream and reads it in the background until it ends. */
  const follow = async (studyId: string) => {
    const stream = await openStudyProgress(source, studyId);
    const events: StudyProgressEvent[] = [];
    const reading = (async () => {
      for await (const event of stream) events.push(event);
    })();
    await settle();
    return { events, reading };
  };

  it('streams the study status, its trial events only, and ends after the final study status', async () => {
    runs.set(STUDY, run(STUDY, { kind: 'OPTIMIZATION', status: 'RUNNING', hyperparameters: { ...definition } }));
    const { events, reading } = await follow(STUDY);

    runs.set(TRIAL, run(TRIAL, { parentRunId: STUDY, status: 'QUEUED', summary: { trialNumber: 0, params: { learningRate: 0.1 } } }));
    runs.set(OTHER, run(OTHER, { parentRunId: null, status: 'RUNNING', kind: 'TRAINING' }));
    topics.runUpdated.publish({ id: TRIAL, status: 'QUEUED' });
    topics.runUpdated.publish({ id: OTHER, status: 'RUNNING' });
    topics.runEpoch.publish({ id: OTHER, epoch: 1, metrics: { val_loss: 9 } });
    await settle();
    runs.set(TRIAL, { ...runs.get(TRIAL)!, status: 'RUNNING' });
    topics.runUpdated.publish({ id: TRIAL, status: 'RUNNING' });
    // A cancel-flag change repeats the status: no new event.
    topics.runUpdated.publish({ id: TRIAL, status: 'RUNNING' });
    topics.runEpoch.publish({ id: TRIAL, epoch: 1, metrics: { loss: 0.7, val_loss: 0.6 } });
    await settle();
    runs.set(TRIAL, {
      ...runs.get(TRIAL)!,
      status: 'SUCCEEDED',
      summary: {
        trialNumber: 0,
        params: { learningRate: 0.1 },
        objective: null,
        pruned: true,
        pruneReason: 'val_loss 0.6 at epoch 1 is worse than the median 0.3 of 5 finished trials at epoch 1',
      },
    });
    topics.runUpdated.publish({ id: TRIAL, status: 'SUCCEEDED' });
    await settle();
    runs.set(STUDY, { ...runs.get(STUDY)!, status: 'SUCCEEDED' });
    topics.runUpdated.publish({ id: STUDY, status: 'SUCCEEDED' });
    await reading;

    expect(events.map((e) => [e.type, e.status, e.trialNumber, e.epoch, e.value])).toEqual([
      ['STUDY_STATUS', 'RUNNING', null, null, null],
      ['TRIAL_QUEUED', 'QUEUED', 0, null, null],
      ['TRIAL_STARTED', 'RUNNING', 0, null, null],
      ['TRIAL_EPOCH', 'RUNNING', 0, 1, 0.6],
      ['TRIAL_PRUNED', 'SUCCEEDED', 0, null, null],
      ['STUDY_STATUS', 'SUCCEEDED', null, null, null],
    ]);
    expect(events[4].pruneReason).toMatch(/worse than the median/);
    expect(events.every((e) => e.studyId === STUDY)).toBe(true);
  });

  it("reports a trial's events with the state each event carries, though the trial moved on before they were read", async () => {
    runs.set(STUDY, run(STUDY, { kind: 'OPTIMIZATION', status: 'RUNNING', hyperparameters: { ...definition } }));
    const { events, reading } = await follow(STUDY);
    // The trial was claimed before either event was handled: the row already says RUNNING.
    const summary = { trialNumber: 3, params: { learningRate: 0.01 } };
    runs.set(TRIAL, run(TRIAL, { parentRunId: STUDY, status: 'RUNNING', attempts: 1, summary }));
    topics.runUpdated.publish({ id: TRIAL, status: 'QUEUED', cancelRequested: false, attempts: 0, startedAt: null, finishedAt: null, summary });
    topics.runUpdated.publish({
      id: TRIAL,
      status: 'RUNNING',
      cancelRequested: false,
      attempts: 1,
      startedAt: new Date(5).toISOString(),
      finishedAt: null,
      summary,
    });
    await settle();
    runs.set(STUDY, { ...runs.get(STUDY)!, status: 'CANCELLED' });
    topics.runUpdated.publish({ id: STUDY, status: 'CANCELLED' });
    await reading;
    expect(events.map((e) => [e.type, e.status, e.trialNumber])).toEqual([
      ['STUDY_STATUS', 'RUNNING', null],
      ['TRIAL_QUEUED', 'QUEUED', 3],
      ['TRIAL_STARTED', 'RUNNING', 3],
      ['STUDY_STATUS', 'CANCELLED', null],
    ]);
  });

  it('ends at once for a study that already ended, and rejects an unknown study or a run that is not one', async () => {
    runs.set(STUDY, run(STUDY, { kind: 'OPTIMIZATION', status: 'CANCELLED', hyperparameters: { ...definition } }));
    const events: StudyProgressEvent[] = [];
    for await (const event of await openStudyProgress(source, STUDY)) events.push(event);
    expect(events.map((e) => [e.type, e.status])).toEqual([['STUDY_STATUS', 'CANCELLED']]);
    await expect(openStudyProgress(source, OTHER)).rejects.toBeInstanceOf(NotFoundError);
    await expect(openStudyProgress(source, '00000000-0000-4000-8000-00000000000f')).rejects.toMatchObject({ location: { field: 'studyId' } });
  });
});
