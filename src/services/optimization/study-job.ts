import { createSampler } from '../../domain/optimization/sampler';
import type { PrismaClient } from '../../infra/db/prisma-client';
import { followEvents, type EventSubscriber } from '../../infra/queue/job-queue';
import type { Run } from '../../domain/runs/run';
import type { UncheckedPayload } from '../events/event-publisher';
import { promoteTrialVersion } from '../model-versions/register-model-version';
import type { ExecuteRun, RunExecutionContext, RunOutcome } from '../runs/run-executor';
import { RunRepository } from '../runs/run-repository';
import { leaderboardOf, type OptimizationService, type StudySummary } from './optimization.service';
import { loadStudyTrials, studyDefinitionOf, type StudyTrial } from './study-trials';

export interface StudyJobDependencies {
  prisma: PrismaClient;
  optimization: OptimizationService;
  /** How often the coordinator looks at its trials when no event wakes it. @default 200 */
  pollIntervalMs?: number;
  /** Where `runUpdated` events arrive: a trial that ends wakes the coordinator at once. */
  events?: EventSubscriber;
}

const ACTIVE = new Set(['QUEUED', 'RUNNING']);

/** Waits up to `ms`, or less when `wake` is called (also just before) or `signal` aborts. */
class Alarm {
  private ring: (() => void) | undefined;
  private pending = false;

  wake(): void {
    if (this.ring) this.ring();
    else this.pending = true;
  }

  sleep(ms: number, signal: AbortSignal): Promise<void> {
    if (this.pending || signal.aborted) {
      this.pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        this.ring = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
      this.ring = done;
    });
  }
}

/**
 * The coordinator of an OPTIMIZATION run (a study), on a worker. It keeps no state of its own:
 * each round it reads the study's trials from the database, so a coordinator re-run after a crash
 * (the reaper re-queues the study) carries on where the dead one stopped.
 *
 * Each round: while fewer than `parallelism` trials are QUEUED or RUNNING and fewer than
 * `maxTrials` exist, ask the sampler for the next parameters (given every trial so far) and create
 * the trial as a TRIAL run on the trial queue, where any worker process takes it. The study ends
 * when `maxTrials` trials (or every grid point) have run and none is active; its summary names the
 * best trial and the model version that trial registered. Trials register TRIAL versions, kept
 * apart from the model's registered ones; in the transaction that marks the study SUCCEEDED, the
 * best trial's version is promoted to the model's next STANDARD version (a cancelled or failed
 * study promotes nothing).
 *
 * When the study is cancelled, the coordinator cancels its queued and running trials. When the
 * study was taken from this worker (it looked dead), it stops and leaves the trials alone.
 */
export function createStudyJob(deps: StudyJobDependencies): ExecuteRun {
  const runs = new RunRepository(deps.prisma);
  return async (study, context) => {
    const alarm = new Alarm();
    const trialIds = new Set<string>();
    const stopEvents = deps.events
      ? followEvents(
          deps.events,
          'runUpdated',
          (payload) => {
            const id = (payload as UncheckedPayload<'runUpdated'> | null)?.id;
            if (typeof id === 'string' && trialIds.has(id)) alarm.wake();
          },
          (error) => context.logger.warn({ err: error }, 'run event subscription ended; the coordinator polls'),
        )
      : undefined;
    try {
      return studyOutcome(await coordinate(deps, runs, study, context, alarm, trialIds), context);
    } finally {
      await stopEvents?.();
    }
  };
}

/** The coordinator's rounds (see {@link createStudyJob}); `trialIds` collects the trials it has seen. */
async function coordinate(
  deps: StudyJobDependencies,
  runs: RunRepository,
  study: Run,
  context: RunExecutionContext,
  alarm: Alarm,
  trialIds: Set<string>,
): Promise<StudySummary> {
  const definition = studyDefinitionOf(study);
  const { maxTrials, parallelism } = definition;
  const sampler = createSampler(definition.searchSpace, { strategy: definition.strategy, direction: definition.objective.direction, seed: definition.seed });
  let exhausted = false;
  let trials: StudyTrial[] = [];
  for (;;) {
    if (context.shouldStop()) {
      if (await runs.cancelRequested(study.id)) {
        const count = await deps.optimization.cancelActiveTrials(study.id);
        context.logger.info({ cancelledTrials: count }, 'study cancelled; its active trials were cancelled');
      }
      return summarize(trials, exhausted, null);
    }
    // Only TPE reads intermediate values (to rank pruned trials).
    trials = await loadStudyTrials(runs, study.id, definition.objective.metric, { epochs: definition.strategy === 'TPE' ? 'ALL' : 'NONE' });
    for (const trial of trials) trialIds.add(trial.run.id);
    let active = trials.filter((t) => ACTIVE.has(t.run.status)).length;
    while (!exhausted && trials.length < maxTrials && active < parallelism) {
      const params = sampler.suggest(trials.map((t) => t.record));
      if (params === null) {
        exhausted = true;
        break;
      }
      const number = trials.length;
      const run = await deps.optimization.createTrial(study, number, params);
      context.logger.info({ trial: number, trialRunId: run.id, params }, 'trial queued');
      trialIds.add(run.id);
      trials.push({ run, record: { number, state: 'RUNNING', params, intermediateValues: [] } });
      active += 1;
    }
    if (active === 0 && (exhausted || trials.length >= maxTrials)) break;
    await alarm.sleep(deps.pollIntervalMs ?? 200, context.signal);
  }
  const best = leaderboardOf(trials, definition).at(0) ?? null;
  const version = best ? await deps.prisma.modelVersion.findUnique({ where: { runId: best.trialRunId }, select: { id: true } }) : null;
  const summary = summarize(trials, exhausted, best ? { ...best, modelVersionId: version?.id ?? null } : null);
  context.logger.info({ trials: trials.length, bestTrial: summary.bestTrialNumber, bestValue: summary.bestValue }, 'study finished');
  return summary;
}

/** The study's outcome: its summary, and the promotion of the best trial's version when it succeeds. */
function studyOutcome(summary: StudySummary, context: RunExecutionContext): RunOutcome {
  const bestVersionId = summary.bestModelVersionId;
  if (!bestVersionId) return { summary: { ...summary } };
  return {
    summary: { ...summary },
    finalize: async (tx) => {
      const promotion = await promoteTrialVersion(tx, bestVersionId);
      if (!promotion)
        context.logger.warn({ modelVersionId: bestVersionId }, "the best trial's model version was deleted before the study ended: nothing promoted");
      else if (promotion.promoted)
        context.logger.info({ modelVersionId: bestVersionId, version: promotion.version.version }, "best trial's model version promoted");
    },
  };
}

function summarize(
  trials: readonly StudyTrial[],
  exhausted: boolean,
  best: { trialRunId: string; trialNumber: number; value: number; modelVersionId: string | null } | null,
): StudySummary {
  const count = (state: string) => trials.filter((t) => t.record.state === state).length;
  return {
    trialCount: trials.length,
    completed: count('COMPLETE'),
    pruned: count('PRUNED'),
    failed: count('FAILED'),
    exhausted,
    bestTrialId: best?.trialRunId ?? null,
    bestTrialNumber: best?.trialNumber ?? null,
    bestValue: best?.value ?? null,
    bestModelVersionId: best?.modelVersionId ?? null,
  };
}
