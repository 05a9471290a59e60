import { required } from '../../domain/common/required';
import { InvalidStateError, NotFoundError, Violations } from '../../domain/errors';
import { rankTrials, type LeaderboardEntry } from '../../domain/optimization/leaderboard';
import { validateSearchSpace, type SearchParameterInput, type SearchStrategy } from '../../domain/optimization/search-space';
import {
  checkStudyEffort,
  largestTrialEpochs,
  SEARCH_STRATEGIES,
  trialConfiguration,
  validateBudget,
  validateObjective,
  validatePruning,
  type StudyDefinition,
} from '../../domain/optimization/study-definition';
import type { Params } from '../../domain/optimization/trial';
import type { Run } from '../../domain/runs/run';
import { parseTrainingHyperparameters } from '../../domain/runs/training-hyperparameters';
import type { PrismaClient } from '../../infra/db/prisma-client';
import { RUN_QUEUES } from '../../infra/queue/job-queue';
import { logger } from '../../infra/logger';
import type { EventPublisher } from '../events/event-publisher';
import type { ModelService } from '../models/model.service';
import { ActiveRunQuota } from '../runs/active-run-quota';
import { insertRun, RunRepository } from '../runs/run-repository';
import type { RunStore } from '../runs/run-store';
import { runUpdatedPayload } from '../runs/run-state-event';
import { trainingWarnings } from '../../domain/runs/training-warnings';
import type { RunEnqueuer } from '../training/training.service';
import { loadStudyTrials, studyDefinitionOf, studyOf, trialRecordOf, type Study, type StudyTrial, type TrialSummary } from './study-trials';
import type { Page, PageRequest } from '../../domain/common/pagination';

/** A trial as a row of its study's `trials` list: keyed by id and ordered by trial number. */
export interface StudyTrialRow extends StudyTrial {
  id: string;
  trialNumber: number;
}
import { SYSTEM_ACTOR } from '../../domain/auth/principal';
import { toJsonColumn } from '../../infra/db/json-columns';

export interface StartOptimizationInput {
  modelId: string;
  datasetVersionId: string;
  objective: { metric: string; direction: string };
  /** See `src/domain/optimization/search-space.ts` for the parameter shape. */
  searchSpace: readonly SearchParameterInput[];
  strategy: string;
  maxTrials: number;
  parallelism?: number | null;
  pruning?: { kind?: string | null; warmupEpochs?: number | null; startupTrials?: number | null } | null;
  /** Seeds the sampler, and the trials' training unless baseHyperparameters has its own seed. */
  seed?: number | null;
  /** Training hyperparameters of every trial before the sampled ones are applied (as startTrainingRun takes them). */
  baseHyperparameters?: unknown;
}

/** Bounds of a study's work besides {@link STUDY_LIMITS}. */
export interface StudyQuota {
  /** maxTrials x the most epochs of a trial; 0 turns it off. */
  maxTrialEpochs: number;
  runs: ActiveRunQuota;
}

/** A study's leaderboard entry with the trial's run id. */
export interface StudyLeaderboardEntry extends LeaderboardEntry {
  trialRunId: string;
}

/** What a finished study stores in its summary. */
export interface StudySummary {
  trialCount: number;
  completed: number;
  pruned: number;
  failed: number;
  /** True when a GRID study ran out of points before maxTrials. */
  exhausted: boolean;
  bestTrialId: string | null;
  bestTrialNumber: number | null;
  bestValue: number | null;
  /** The model version the best trial registered. */
  bestModelVersionId: string | null;
}

const SEED_BOUND = 2 ** 31;

/**
 * Hyperparameter optimization studies from the API's side: validate and queue a study (an
 * OPTIMIZATION run), create its trials (TRIAL runs, used by the study's coordinator job), cancel
 * it with its trials, and read trials and leaderboard.
 */
export class OptimizationService {
  private readonly runs: RunRepository;

  constructor(
    private readonly prisma: PrismaClient,
    private readonly events: EventPublisher,
    private readonly queue: RunEnqueuer,
    private readonly store: RunStore,
    private readonly models: ModelService,
    private readonly quota: StudyQuota = { maxTrialEpochs: 0, runs: new ActiveRunQuota(0) },
  ) {
    this.runs = new RunRepository(prisma);
  }

  /**
   * Validates the study, stores it as a QUEUED OPTIMIZATION run and enqueues its coordinator job.
   * @throws ValidationError listing the problem of each part of the input (strategy, seed, base
   *   hyperparameters, each of theirs, search space, objective, budget, pruning; the effort cap once they are valid).
   */
  async startOptimization(input: StartOptimizationInput, actor: string): Promise<Study> {
    const { model, version } = await this.models.requireTrainingTarget(input.modelId, input.datasetVersionId);
    const architecture = model.architecture;
    const problems = new Violations();
    const strategy = input.strategy as SearchStrategy;
    const knownStrategy = SEARCH_STRATEGIES.includes(strategy);
    if (!knownStrategy) {
      problems.add(`strategy must be one of ${SEARCH_STRATEGIES.join(', ')}, got ${JSON.stringify(input.strategy)}`, { field: 'input.strategy' });
    }
    const seed = input.seed ?? undefined;
    if (seed !== undefined && !(Number.isSafeInteger(seed) && seed >= 0)) {
      problems.add(`seed must be a non-negative integer, got ${String(seed)}`, { field: 'input.seed' });
    }
    const studySeed = seed ?? Math.floor(Math.random() * SEED_BOUND);
    const baseHyperparameters = problems.check(() =>
      parseTrainingHyperparameters(input.baseHyperparameters ?? {}, {
        task: model.task,
        labelClasses: version.labelClasses ?? undefined,
        randomSeed: () => studySeed,
        fieldPrefix: 'input.baseHyperparameters',
      }),
    );
    // The search space is read by its strategy: with none known, it cannot be judged.
    const searchSpace = knownStrategy
      ? problems.check(() => validateSearchSpace(input.searchSpace, { strategy, layerCount: architecture.layers.length }))
      : undefined;
    // Base hyperparameters refused for another reason still say whether they have a validation split.
    const givenValidation = (input.baseHyperparameters as { split?: { validation?: unknown } | null } | null | undefined)?.split?.validation;
    const hasValidation = baseHyperparameters ? baseHyperparameters.split.validation > 0 : givenValidation !== 0;
    const objective = problems.check(() => validateObjective(input.objective, { task: model.task, hasValidation }));
    const budget = problems.check(() => validateBudget(input.maxTrials, input.parallelism ?? 1));
    const pruning = problems.check(() => validatePruning(input.pruning));
    problems.throwIfAny();
    // With no violation found, every check above returned its value.
    const checked = {
      objective: required(objective, 'checked objective'),
      searchSpace: required(searchSpace, 'checked search space'),
      budget: required(budget, 'checked budget'),
      pruning: required(pruning, 'checked pruning'),
      baseHyperparameters: required(baseHyperparameters, 'checked base hyperparameters'),
    };
    checkStudyEffort(
      checked.budget.maxTrials,
      largestTrialEpochs(checked.baseHyperparameters.epochs, checked.searchSpace.parameters),
      this.quota.maxTrialEpochs,
    );
    const definition: StudyDefinition = {
      objective: checked.objective,
      searchSpace: checked.searchSpace,
      strategy,
      ...checked.budget,
      pruning: checked.pruning,
      seed: studySeed,
      baseHyperparameters: checked.baseHyperparameters,
    };

    const study = await this.quota.runs.createRun(this.prisma, {
      kind: 'OPTIMIZATION',
      modelId: model.id,
      datasetVersionId: version.id,
      hyperparameters: toJsonColumn(definition),
      startedBy: actor,
    });
    // Announced before the job exists, so that QUEUED reaches subscribers before the worker's RUNNING.
    await this.events.publish('runUpdated', runUpdatedPayload(study), study.id);
    await this.queue.enqueueRun(RUN_QUEUES.OPTIMIZATION, study.id);
    logger.info({ studyId: study.id, strategy, maxTrials: definition.maxTrials, parallelism: definition.parallelism }, 'optimization study queued');
    return { ...study, definition };
  }

  /**
   * Creates trial `trialNumber` of `study` with `params` as a QUEUED TRIAL run and enqueues it.
   * The hyperparameters stored on the trial are the base ones with the params applied, plus the
   * trial's `architecture` (hidden layers with sampled units and dropout).
   */
  async createTrial(study: Run, trialNumber: number, params: Params): Promise<Run> {
    const definition = studyDefinitionOf(study);
    const model = await this.models.requireModel(study.modelId);
    const { hyperparameters, architecture } = trialConfiguration(definition.baseHyperparameters, model.architecture, params);
    const summary: TrialSummary = { trialNumber, params };
    const { rowCount } = await this.prisma.datasetVersion.findUniqueOrThrow({ where: { id: study.datasetVersionId }, select: { rowCount: true } });
    const trial = await insertRun(this.prisma, {
      kind: 'TRIAL',
      modelId: study.modelId,
      datasetVersionId: study.datasetVersionId,
      parentRunId: study.id,
      hyperparameters: toJsonColumn({ ...hyperparameters, architecture }),
      summary: toJsonColumn(summary),
      warnings: trainingWarnings(hyperparameters, rowCount),
      startedBy: SYSTEM_ACTOR,
    });
    await this.events.publish('runUpdated', runUpdatedPayload(trial), trial.id);
    await this.queue.enqueueRun(RUN_QUEUES.TRIAL, trial.id);
    return trial;
  }

  /**
   * Cancels a study and every trial of it still queued or running (queued ones end at once,
   * running ones stop within their cancel latency). Cancelling a cancelled study is a no-op.
   * @throws NotFoundError when `studyId` is not a study; InvalidStateError when it already
   *   SUCCEEDED or FAILED (trials a lost coordinator left running are still cancelled).
   */
  async cancelStudy(studyId: string): Promise<Study> {
    await this.requireStudy(studyId);
    try {
      return studyOf((await this.store.requestCancel(studyId)).run);
    } finally {
      await this.cancelActiveTrials(studyId);
    }
  }

  /** Cancels the study's QUEUED and RUNNING trials; returns how many it asked to stop. */
  async cancelActiveTrials(studyId: string): Promise<number> {
    const active = await this.runs.activeTrialIds(studyId);
    for (const id of active) {
      try {
        await this.store.requestCancel(id);
      } catch (error) {
        // The trial ended between the read and the cancel: nothing left to stop.
        if (!(error instanceof InvalidStateError)) throw error;
      }
    }
    return active.length;
  }

  /** The study, or null (also for a non-UUID id or a run of another kind). */
  async findStudy(id: string): Promise<Study | null> {
    const run = await this.runs.findRun(id);
    return run?.kind === 'OPTIMIZATION' ? studyOf(run) : null;
  }

  /** @throws NotFoundError */
  async requireStudy(id: string): Promise<Study> {
    const study = await this.findStudy(id);
    if (!study) throw new NotFoundError('Study', id);
    return study;
  }

  /** The study's trials in trial-number order, with their search records. */
  async trials(studyId: string): Promise<StudyTrial[]> {
    const study = await this.requireStudy(studyId);
    return loadStudyTrials(this.runs, study.id, study.definition.objective.metric);
  }

  /**
   * The same page of each study's trials, in trial-number order, by study id (one statement for
   * every study's page, then the page's runs with their epochs and their studies' objectives).
   */
  async pageTrials(studyIds: readonly string[], request: PageRequest): Promise<Map<string, Page<StudyTrialRow>>> {
    return this.runs.pageTrials<StudyTrialRow>(studyIds, request, async (trials) => {
      const parentIds = [...new Set(trials.flatMap(({ run }) => (run.parentRunId ? [run.parentRunId] : [])))];
      const studies = await this.runs.findRuns(parentIds);
      const metricOf = new Map(studies.map((study) => [study.id, studyDefinitionOf(study).objective.metric]));
      return trials.flatMap(({ run, epochs }) => {
        const record = trialRecordOf(run, epochs, metricOf.get(run.parentRunId ?? '') ?? '');
        return record ? [{ id: run.id, trialNumber: record.number, run, record }] : [];
      });
    });
  }

  /** Completed trials ranked by the objective, best first. */
  async leaderboard(studyId: string): Promise<StudyLeaderboardEntry[]> {
    const { id, definition } = await this.requireStudy(studyId);
    const trials = await loadStudyTrials(this.runs, id, definition.objective.metric, { epochs: 'NONE' });
    return leaderboardOf(trials, definition);
  }
}

/** Ranks `trials` by the study's objective. */
export function leaderboardOf(trials: readonly StudyTrial[], definition: StudyDefinition): StudyLeaderboardEntry[] {
  const runIdOf = new Map(trials.map((t) => [t.record.number, t.run.id]));
  return rankTrials(
    trials.map((t) => t.record),
    definition.objective.direction,
  ).map((entry) => ({ ...entry, trialRunId: required(runIdOf.get(entry.trialNumber), `run of trial ${entry.trialNumber}`) }));
}
