/**
 * The event stream behind `studyProgress`: the study's current status first, then each trial
 * queued, started, epoch, finished or pruned, and each status change of the study; it ends after
 * the study's final status.
 *
 * Trial events come from the `runUpdated` and `runEpoch` topics of every run: a run id seen for
 * the first time is looked up once to learn whether it is a trial of this study. A trial's event
 * reports the state its `runUpdated` event carries (so a trial claimed at once is still seen
 * QUEUED, then RUNNING), and never repeats a status. The study's own status events only wake the
 * stream, which re-reads the study; it is also re-read every `refreshIntervalMs` in case its
 * notification was lost.
 */
import { Repeater } from '@graphql-yoga/subscription';
import { NotFoundError } from '../../domain/errors';
import { isTerminal, type RunStatus } from '../../domain/runs/run-status';
import type { Run } from '../../domain/runs/run';
import { studyDefinitionOf, trialSummaryOf } from '../../services/optimization/study-trials';
import type { UncheckedPayload } from '../../services/events/event-publisher';
import { isRunUpdatedPayload, runAsOfEvent } from '../../services/runs/run-state-event';

export type StudyProgressType = 'STUDY_STATUS' | 'TRIAL_QUEUED' | 'TRIAL_STARTED' | 'TRIAL_EPOCH' | 'TRIAL_FINISHED' | 'TRIAL_PRUNED';

export interface StudyProgressEvent {
  type: StudyProgressType;
  studyId: string;
  status: RunStatus;
  trialNumber: number | null;
  trialRunId: string | null;
  epoch: number | null;
  value: number | null;
  pruneReason: string | null;
}

/** Where the stream reads from: live events of all runs, and the database. */
export interface StudyProgressSource {
  subscribe(topic: 'runUpdated' | 'runEpoch'): AsyncIterable<unknown>;
  findRun(id: string): Promise<Run | null>;
}

export interface StudyProgressOptions {
  /** @default 5000 */
  refreshIntervalMs?: number;
  /** Errors after which the stream stays open and catches up at its next refresh (the database is away). @default none */
  isTransient?: (error: unknown) => boolean;
}

function trialEventType(run: Run): StudyProgressType {
  switch (run.status) {
    case 'QUEUED':
      return 'TRIAL_QUEUED';
    case 'RUNNING':
      return 'TRIAL_STARTED';
    default:
      return trialSummaryOf(run)?.pruned ? 'TRIAL_PRUNED' : 'TRIAL_FINISHED';
  }
}

/** The run id of a `runUpdated` or `runEpoch` payload. */
function idOf(payload: unknown): string | null {
  const id = (payload as UncheckedPayload<'runUpdated' | 'runEpoch'> | null)?.id;
  return typeof id === 'string' ? id : null;
}

/**
 * Opens the progress stream of a study.
 * @throws NotFoundError (field `studyId`) when no study has that id.
 */
export async function openStudyProgress(
  source: StudyProgressSource,
  studyId: string,
  options: StudyProgressOptions = {},
): Promise<AsyncIterableIterator<StudyProgressEvent>> {
  const found = await source.findRun(studyId);
  if (!found || found.kind !== 'OPTIMIZATION') throw new NotFoundError('study', studyId, { field: 'studyId' });
  const metric = studyDefinitionOf(found).objective.metric;
  const refreshIntervalMs = options.refreshIntervalMs ?? 5_000;

  return new Repeater<StudyProgressEvent>(async (push, stop) => {
    const base = { studyId, trialNumber: null, trialRunId: null, epoch: null, value: null, pruneReason: null };
    /** Trial number of each run id seen, or null for runs of other studies. */
    const membership = new Map<string, number | null>();
    const trialStatus = new Map<string, RunStatus>();
    let studyStatus: RunStatus | null = null;
    let ended = false;

    const trialNumberOf = async (id: string): Promise<number | null> => {
      const known = membership.get(id);
      if (known !== undefined) return known;
      const run = await source.findRun(id);
      const number = run && run.parentRunId === studyId ? (trialSummaryOf(run)?.trialNumber ?? null) : null;
      membership.set(id, number);
      return number;
    };
    const refreshStudy = async (): Promise<void> => {
      const study = await source.findRun(studyId);
      if (!study || study.status === studyStatus) return;
      studyStatus = study.status;
      await push({ ...base, type: 'STUDY_STATUS', status: study.status });
      if (isTerminal(study.status)) {
        ended = true;
        stop();
      }
    };
    const onRunUpdated = async (payload: unknown): Promise<void> => {
      const id = idOf(payload);
      if (id === studyId) return refreshStudy();
      if (id === null || (await trialNumberOf(id)) === null) return;
      const row = await source.findRun(id);
      if (!row) return;
      const run = isRunUpdatedPayload(payload) ? runAsOfEvent(row, payload) : row;
      if (trialStatus.get(id) === run.status) return;
      trialStatus.set(id, run.status);
      const summary = trialSummaryOf(run);
      await push({
        ...base,
        type: trialEventType(run),
        status: run.status,
        trialNumber: summary?.trialNumber ?? null,
        trialRunId: id,
        value: isTerminal(run.status) ? (summary?.objective ?? null) : null,
        pruneReason: summary?.pruneReason ?? null,
      });
    };
    const onRunEpoch = async (payload: unknown): Promise<void> => {
      const id = idOf(payload);
      if (id === null) return;
      const trialNumber = await trialNumberOf(id);
      if (trialNumber === null) return;
      const { epoch, metrics } = payload as { epoch?: unknown; metrics?: Record<string, unknown> };
      const value = metrics?.[metric];
      await push({
        ...base,
        type: 'TRIAL_EPOCH',
        status: 'RUNNING',
        trialNumber,
        trialRunId: id,
        epoch: typeof epoch === 'number' ? epoch : null,
        value: typeof value === 'number' ? value : null,
      });
    };

    // Events are handled one at a time, in arrival order.
    let chain = Promise.resolve();
    const enqueue = (task: () => Promise<void>): void => {
      chain = chain.then(() => (ended ? undefined : task())).catch((error: unknown) => (options.isTransient?.(error) ? undefined : stop(error)));
    };
    const live = [
      { iterator: source.subscribe('runUpdated')[Symbol.asyncIterator](), handle: onRunUpdated },
      { iterator: source.subscribe('runEpoch')[Symbol.asyncIterator](), handle: onRunEpoch },
    ];
    for (const { iterator, handle } of live) {
      (async () => {
        for (;;) {
          const next = await iterator.next();
          // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- `ended` is set after `stop` settles, while this loop waits
          if (next.done || ended) return;
          enqueue(() => handle(next.value));
        }
      })().catch((error: unknown) => stop(error));
    }
    enqueue(refreshStudy);
    const timer = setInterval(() => enqueue(refreshStudy), refreshIntervalMs);
    timer.unref();

    await stop;
    ended = true;
    clearInterval(timer);
    await Promise.allSettled(live.map(({ iterator }) => iterator.return?.() ?? Promise.resolve()));
  });
}
