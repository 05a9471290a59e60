import { Prisma, type Run, type RunEpoch, type RunKind, type RunStatus } from '../../generated/prisma/client';
import type { Page, PageRequest } from '../../domain/common/pagination';
import { keysetPage, keysetPagesByParent, newestFirst } from '../keyset-pagination';
import { isUuid } from '../../domain/common/uuid';
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
import type { RunStore } from '../runs/run-store';
import { toJsonColumn } from '../../infra/db/json-columns';

export type { Run, RunEpoch } from '../../generated/prisma/client';

export interface StartTrainingRunInput {
  modelId: string;
  datasetVersionId: string;
  /** As the user sent them; validated and completed with defaults. */
  hyperparameters: unknown;
}

export interface RunFilter {
  modelId?: string | null;
  status?: RunStatus | null;
  kind?: RunKind | null;
  parentRunId?: string | null;
  /** Archived runs (archived studies and their trials) are left out unless true. */
  includeArchived?: boolean | null;
}

/** What the API needs of the job queue: putting a run's job on it. */
export interface RunEnqueuer {
  enqueueRun(name: string, runId: string): Promise<string | null>;
}

/** Training runs from the API's side: validate and queue, cancel, and read their history. */
export class TrainingService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly events: EventPublisher,
    private readonly queue: RunEnqueuer,
    private readonly store: RunStore,
    private readonly models: ModelService,
    private readonly quota: ActiveRunQuota = new ActiveRunQuota(0),
  ) {}

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
      warnings: toJsonColumn(warnings),
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
    if (!isUuid(id)) return null;
    return this.prisma.run.findUnique({ where: { id } });
  }

  async findRunsByIds(ids: readonly string[]): Promise<Run[]> {
    return this.prisma.run.findMany({ where: { id: { in: ids.filter(isUuid) } } });
  }

  async listRuns(filter: RunFilter, request: PageRequest): Promise<Page<Run>> {
    // No run has an id that is not a UUID (and PostgreSQL would refuse to compare one).
    const impossible = [filter.modelId, filter.parentRunId].some((id) => id && !isUuid(id));
    const where: Prisma.RunWhereInput = {
      ...(filter.modelId ? { modelId: filter.modelId } : {}),
      ...(filter.status ? { status: filter.status } : {}),
      ...(filter.kind ? { kind: filter.kind } : {}),
      ...(filter.parentRunId ? { parentRunId: filter.parentRunId } : {}),
      ...(filter.includeArchived ? {} : { archivedAt: null }),
    };
    return keysetPage(
      {
        order: newestFirst<Run>(),
        rows: async (seek, orderBy, take) => (impossible ? [] : this.prisma.run.findMany({ where: { AND: [where, ...(seek ? [seek] : [])] }, orderBy, take })),
        count: async () => (impossible ? 0 : this.prisma.run.count({ where })),
      },
      request,
    );
  }

  /** Stored epochs of a run after `afterEpoch` (all when null), in order, at most `limit` of them (default: as many as a run can have). */
  async epochs(runId: string, afterEpoch: number | null = null, limit: number = HYPERPARAMETER_LIMITS.maxEpochs): Promise<RunEpoch[]> {
    return this.prisma.runEpoch.findMany({
      where: { runId, ...(afterEpoch != null ? { epoch: { gt: afterEpoch } } : {}) },
      orderBy: { epoch: 'asc' },
      take: limit,
    });
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
    const conditions: Prisma.Sql[] = [];
    if (options.afterEpoch != null) conditions.push(Prisma.sql`epoch > ${options.afterEpoch}`);
    if (options.metric != null) conditions.push(Prisma.sql`jsonb_typeof(metrics) = 'object' AND jsonb_exists(metrics, ${options.metric})`);
    return keysetPagesByParent<RunEpoch, 'epoch'>(
      this.prisma,
      {
        order: { keys: [{ column: 'epoch', kind: 'int' }], direction: 'asc' },
        table: 'run_epochs',
        parentColumn: 'run_id',
        columns: { epoch: 'epoch' },
        filter: conditions.length ? Prisma.join(conditions, ' AND ') : undefined,
        rowKey: { sql: `run_id::text || '/' || epoch::text`, of: (row) => `${row.runId}/${row.epoch}` },
        rowsByIds: (keys) =>
          this.prisma.runEpoch.findMany({
            where: {
              OR: keys.map((key) => {
                const [runId, epoch] = key.split('/');
                return { runId, epoch: Number(epoch) };
              }),
            },
          }),
      },
      runIds,
      request,
    );
  }
}
