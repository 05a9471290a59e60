import type { Page, PageRequest } from '../../domain/common/pagination';
import type { Run, RunEpoch } from '../../domain/runs/run';
import { parseTrainingHyperparameters } from '../../domain/runs/training-hyperparameters';
import { plannedGradientSteps, trainingWarnings } from '../../domain/runs/training-warnings';
import type { PrismaClient } from '../../infra/db/prisma-client';
import { HYPERPARAMETER_LIMITS } from '../../ml/hyperparameters';
import { RUN_QUEUES } from '../../infra/queue/job-queue';
import { logger } from '../../infra/logger';
import type { EventPublisher } from '../events/event-publisher';
import type { ModelService } from '../models/model.service';
import { ActiveRunQuota } from '../runs/active-run-quota';
import { runUpdatedPayload } from '../runs/run-state-event';
import { RunRepository, type RunListFilter } from '../runs/run-repository';
import type { RunStore } from '../runs/run-store';
import { toJsonColumn } from '../../infra/db/json-columns';

export type { Run, RunEpoch } from '../../domain/runs/run';

export interface StartTrainingRunInput {
  modelId: string;
  datasetVersionId: string;
  /** As the user sent them; validated and completed with defaults. */
  hyperparameters: unknown;
}

/** Which runs a list holds; archived runs (archived studies and their trials) are left out unless `includeArchived`. */
export type RunFilter = RunListFilter;

/** What the API needs of the job queue: putting a run's job on it. */
export interface RunEnqueuer {
  enqueueRun(name: string, runId: string): Promise<string | null>;
}

/** Training runs from the API's side: validate and queue, cancel, and read their history. */
export class TrainingService {
  private readonly runs: RunRepository;

  constructor(
    private readonly prisma: PrismaClient,
    private readonly events: EventPublisher,
    private readonly queue: RunEnqueuer,
    private readonly store: RunStore,
    private readonly models: ModelService,
    private readonly quota: ActiveRunQuota = new ActiveRunQuota(0),
  ) {
    this.runs = new RunRepository(prisma);
  }

  /**
   * Validates, inserts the run as QUEUED and commits, then enqueues its job. If the process dies in
   * between, the reaper re-enqueues queued runs that have no job.
   */
  async startTrainingRun(input: StartTrainingRunInput, actor: string): Promise<Run> {
    const { model, version } = await this.models.requireTrainingTarget(input.modelId, input.datasetVersionId);
    const hyperparameters = parseTrainingHyperparameters(input.hyperparameters ?? {}, {
      task: model.task,
      labelClasses: version.labelClasses ?? undefined,
      fieldPrefix: 'input.hyperparameters',
    });
    // A batch as large as the training rows or larger is one full batch.
    const { batchRows } = plannedGradientSteps(hyperparameters, version.rowCount);
    this.models.checkFits(model.architecture, model.task, version, batchRows, 'input.modelId', 'input.hyperparameters.batchSize');
    const warnings = trainingWarnings(hyperparameters, version.rowCount);
    const run = await this.quota.createRun(this.prisma, {
      kind: 'TRAINING',
      modelId: model.id,
      datasetVersionId: version.id,
      hyperparameters: toJsonColumn(hyperparameters),
      warnings,
      startedBy: actor,
    });
    // Announced before the job exists, so that QUEUED reaches subscribers before the worker's RUNNING.
    await this.events.publish('runUpdated', runUpdatedPayload(run), run.id);
    await this.queue.enqueueRun(RUN_QUEUES.TRAINING, run.id);
    logger.info(
      { runId: run.id, modelId: model.id, datasetVersionId: version.id, actor, warnings: warnings.map((warning) => warning.code) },
      'training run queued',
    );
    return run;
  }

  /** Cancels a queued run at once, or asks the worker of a running one to stop (within 2 s). */
  async cancelRun(runId: string): Promise<Run> {
    return (await this.store.requestCancel(runId)).run;
  }

  /** The run, or null (also for an id that is not a UUID). */
  async findRun(id: string): Promise<Run | null> {
    return this.runs.findRun(id);
  }

  async findRunsByIds(ids: readonly string[]): Promise<Run[]> {
    return this.runs.findRuns(ids);
  }

  async listRuns(filter: RunFilter, request: PageRequest): Promise<Page<Run>> {
    return this.runs.pageRuns(filter, request);
  }

  /** Stored epochs of a run after `afterEpoch` (all when null), in order, at most `limit` of them (default: as many as a run can have). */
  async epochs(runId: string, afterEpoch: number | null = null, limit: number = HYPERPARAMETER_LIMITS.maxEpochs): Promise<RunEpoch[]> {
    return this.runs.findEpochs(runId, afterEpoch, limit);
  }

  /**
   * The same page of each run's epochs, oldest first, by run id: only those after `afterEpoch`
   * when given, only those that recorded `metric` when given (a metric's history).
   */
  async pageEpochs(
    runIds: readonly string[],
    request: PageRequest,
    options: { afterEpoch?: number | null; metric?: string | null } = {},
  ): Promise<Map<string, Page<RunEpoch>>> {
    return this.runs.pageEpochs(runIds, request, options);
  }
}
