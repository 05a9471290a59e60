/**
 * The persistence of runs: the only code that reads or writes the `runs` and `run_epochs` tables
 * (the run store's guarded status changes and epochs, the training and optimization services'
 * inserts and reads, the active-run quota's count, the archive and deletion services' statements
 * through the functions that take their transaction, the metrics gauge's counts). It returns the
 * domain types of `src/domain/runs/run.ts`, mapping rows in one place ({@link toRun},
 * {@link toRunEpoch}, {@link toRunState}); no Prisma row leaves it. The rules (which change
 * applies when, events, alerts, retries) are the services': a function here is one read or one
 * write.
 *
 * Every status change is one conditional UPDATE (`... WHERE id = $1 AND status = <from> [AND
 * worker_id = $w]`) whose returned rows say whether it applied; times come from the database
 * clock (`now()`), so heartbeats written on one host compare correctly on another.
 *
 * Functions that take `db` run in the caller's transaction (`tx`) when one is given.
 */
import { Prisma, type Run as RunRow, type RunEpoch as RunEpochRow } from '../../generated/prisma/client';
import type { Page, PageRequest } from '../../domain/common/pagination';
import { isUuid } from '../../domain/common/uuid';
import type { RunStatus, TerminalRunStatus } from '../../domain/runs/run-status';
import type { Run, RunEpoch, RunKind } from '../../domain/runs/run';
import { storedWarnings, type RunWarning } from '../../domain/runs/training-warnings';
import { epochMetricsOf, runEnvironmentOf, runHyperparametersObjectOf, runSummaryOf, toJsonColumn } from '../../infra/db/json-columns';
import type { PrismaClient } from '../../infra/db/prisma-client';
import { keysetPage, keysetPagesByParent, newestFirst } from '../keyset-pagination';
import type { RunState } from './run-state-event';

/** A transaction, or the client itself for a single statement. */
export type Db = Prisma.TransactionClient;

const ACTIVE_STATUSES: RunStatus[] = ['QUEUED', 'RUNNING'];

/** A new run, QUEUED. */
export interface NewRun {
  kind: RunKind;
  modelId: string;
  datasetVersionId: string;
  parentRunId?: string | null;
  /** Written through `toJsonColumn`: the value must survive a JSON round trip. */
  hyperparameters: Prisma.InputJsonValue;
  summary?: Prisma.InputJsonValue;
  warnings?: RunWarning[];
  startedBy: string | null;
}

export interface RunListFilter {
  modelId?: string | null;
  status?: RunStatus | null;
  kind?: RunKind | null;
  parentRunId?: string | null;
  /** Archived runs are left out unless true. */
  includeArchived?: boolean | null;
}

/** The guards of a run's end: it applies only while they hold. */
export interface FinishGuards {
  /** Apply only while this worker holds the run. */
  workerId?: string | null;
  /** Apply only if the last heartbeat is older than this. */
  staleForMs?: number;
}

/** A RUNNING run whose worker has stopped heartbeating. */
export interface StaleRun {
  id: string;
  kind: RunKind;
  attempts: number;
  workerId: string | null;
  heartbeatAt: Date | null;
  cancelRequested: boolean;
  /** The highest epoch recorded, or null before the first. */
  lastEpoch: number | null;
}

/** One epoch as a worker writes it. */
export interface NewEpoch {
  runId: string;
  /** The worker that must hold the RUNNING run for the row to be written. */
  workerId: string;
  epoch: number;
  metrics: Record<string, number>;
  elapsedMs: number;
  epochMs: number;
  samplesPerSecond: number;
}

/** An epoch's objective-relevant part: what a study's search reads of it. */
export type EpochValues = Pick<RunEpoch, 'epoch' | 'metrics'>;

/** A TRIAL run with the epochs asked for. */
export interface TrialRun {
  run: Run;
  epochs: EpochValues[];
}

/** What a locked study row says (archive and deletion decide on it). */
export interface LockedRun {
  kind: RunKind;
  status: RunStatus;
  archivedAt: Date | null;
}

export class RunRepository {
  constructor(private readonly prisma: PrismaClient) {}

  /** Runs `work` in one transaction. */
  transaction<T>(work: (tx: Db) => Promise<T>, options?: { timeout?: number }): Promise<T> {
    return this.prisma.$transaction(work, options);
  }

  // Reads.

  /** The run, or null (also for an id that is not a UUID). */
  async findRun(id: string): Promise<Run | null> {
    if (!isUuid(id)) return null;
    const row = await this.prisma.run.findUnique({ where: { id } });
    return row && toRun(row);
  }

  async findRuns(ids: readonly string[]): Promise<Run[]> {
    return (await this.prisma.run.findMany({ where: { id: { in: ids.filter(isUuid) } } })).map(toRun);
  }

  /** Runs, newest first, narrowed by `filter`. */
  async pageRuns(filter: RunListFilter, request: PageRequest): Promise<Page<Run>> {
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
        rows: async (seek, orderBy, take) =>
          impossible ? [] : (await this.prisma.run.findMany({ where: { AND: [where, ...(seek ? [seek] : [])] }, orderBy, take })).map(toRun),
        count: async () => (impossible ? 0 : this.prisma.run.count({ where })),
      },
      request,
    );
  }

  /** The cancel flag of a run; null for an unknown run. */
  async cancelRequested(id: string): Promise<boolean | null> {
    const row = await this.prisma.run.findUnique({ where: { id }, select: { cancelRequested: true } });
    return row?.cancelRequested ?? null;
  }

  // Epochs.

  /** Stored epochs of a run after `afterEpoch` (all when null), in order, at most `limit`. */
  async findEpochs(runId: string, afterEpoch: number | null, limit: number): Promise<RunEpoch[]> {
    const rows = await this.prisma.runEpoch.findMany({
      where: { runId, ...(afterEpoch != null ? { epoch: { gt: afterEpoch } } : {}) },
      orderBy: { epoch: 'asc' },
      take: limit,
    });
    return rows.map(toRunEpoch);
  }

  /**
   * The same page of each run's epochs, oldest first, by run id: only those after `afterEpoch`
   * when given, only those that recorded `metric` when given.
   */
  async pageEpochs(
    runIds: readonly string[],
    request: PageRequest,
    options: { afterEpoch?: number | null; metric?: string | null },
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
        rowsByIds: async (keys) =>
          (
            await this.prisma.runEpoch.findMany({
              where: {
                OR: keys.map((key) => {
                  const [runId, epoch] = key.split('/');
                  return { runId, epoch: Number(epoch) };
                }),
              },
            })
          ).map(toRunEpoch),
      },
      runIds,
      request,
    );
  }

  /**
   * Stores one epoch, at most one row per (run, epoch): a repeat replaces the row. Written only
   * while `workerId` holds the RUNNING run. @returns when the row was written, or null when refused.
   */
  async upsertEpoch(epoch: NewEpoch): Promise<Date | null> {
    const { runId, workerId, metrics, elapsedMs, epochMs, samplesPerSecond } = epoch;
    const rows = await this.prisma.$queryRaw<{ recorded_at: Date }[]>`
      INSERT INTO run_epochs (run_id, epoch, metrics, elapsed_ms, epoch_ms, samples_per_second)
      SELECT id, ${epoch.epoch}, ${JSON.stringify(metrics)}::jsonb, ${elapsedMs}, ${epochMs}, ${samplesPerSecond}
      FROM runs WHERE id = ${runId}::uuid AND status = 'RUNNING' AND worker_id = ${workerId}
      ON CONFLICT (run_id, epoch) DO UPDATE
      SET metrics = EXCLUDED.metrics, elapsed_ms = EXCLUDED.elapsed_ms, epoch_ms = EXCLUDED.epoch_ms,
          samples_per_second = EXCLUDED.samples_per_second, recorded_at = now()
      RETURNING recorded_at`;
    return rows.at(0)?.recorded_at ?? null;
  }

  // Studies and trials.

  /**
   * A study's TRIAL runs with their epochs: all of them (`ALL`), only the given 1-based epoch, or
   * none (`NONE`, cheapest).
   */
  async findTrials(studyId: string, epochs: 'ALL' | 'NONE' | number): Promise<TrialRun[]> {
    const select = { epoch: true, metrics: true } as const;
    if (epochs === 'NONE') {
      return (await this.prisma.run.findMany({ where: { parentRunId: studyId, kind: 'TRIAL' } })).map((row) => ({ run: toRun(row), epochs: [] }));
    }
    const rows = await this.prisma.run.findMany({
      where: { parentRunId: studyId, kind: 'TRIAL' },
      include: { epochs: typeof epochs === 'number' ? { where: { epoch: epochs }, select } : { select } },
    });
    return rows.map(({ epochs: stored, ...row }) => ({ run: toRun(row), epochs: stored.map(toEpochValues) }));
  }

  /** The ids of a study's QUEUED and RUNNING trials. */
  async activeTrialIds(studyId: string): Promise<string[]> {
    const rows = await this.prisma.run.findMany({ where: { parentRunId: studyId, status: { in: ACTIVE_STATUSES } }, select: { id: true } });
    return rows.map((row) => row.id);
  }

  /**
   * The same page of each study's trials, in trial-number order, by study id: one statement for
   * every study's page, then the page's runs with their epochs, which `rowsOf` turns into the
   * list's rows (a row per trial it keeps).
   */
  async pageTrials<Row extends { id: string; trialNumber: number }>(
    studyIds: readonly string[],
    request: PageRequest,
    rowsOf: (trials: TrialRun[]) => Promise<Row[]>,
  ): Promise<Map<string, Page<Row>>> {
    return keysetPagesByParent<Row, 'trialNumber'>(
      this.prisma,
      {
        order: { keys: [{ column: 'trialNumber', kind: 'int' }], direction: 'asc' },
        table: 'runs',
        parentColumn: 'parent_run_id',
        // A TRIAL run's summary holds its number from creation on.
        columns: { trialNumber: "(summary->>'trialNumber')::int" },
        filter: Prisma.sql`kind = 'TRIAL' AND summary ? 'trialNumber'`,
        rowsByIds: async (ids) => {
          const rows = await this.prisma.run.findMany({ where: { id: { in: ids } }, include: { epochs: { select: { epoch: true, metrics: true } } } });
          return rowsOf(rows.map(({ epochs, ...row }) => ({ run: toRun(row), epochs: epochs.map(toEpochValues) })));
        },
      },
      studyIds,
      request,
    );
  }

  // The worker's life cycle.

  /** QUEUED -> RUNNING for `workerId`: counts the attempt, starts the heartbeat clock. @returns the state it left, or null when not QUEUED. */
  async claim(runId: string, workerId: string): Promise<RunState | null> {
    const rows = await this.prisma.$queryRaw<RunStateRow[]>`
      UPDATE runs
      SET status = 'RUNNING', attempts = attempts + 1, worker_id = ${workerId},
          started_at = now(), heartbeat_at = now()
      WHERE id = ${runId}::uuid AND status = 'QUEUED'
      RETURNING ${RUN_STATE_COLUMNS}`;
    return stateOf(rows);
  }

  /** Records that `workerId` is alive and holds the RUNNING run. @returns its cancel flag, or null when the worker no longer holds it. */
  async heartbeat(runId: string, workerId: string): Promise<{ cancelRequested: boolean } | null> {
    const rows = await this.prisma.$queryRaw<{ cancel_requested: boolean }[]>`
      UPDATE runs SET heartbeat_at = now()
      WHERE id = ${runId}::uuid AND status = 'RUNNING' AND worker_id = ${workerId}
      RETURNING cancel_requested`;
    return rows.length === 0 ? null : { cancelRequested: rows[0].cancel_requested };
  }

  /** The cancel flag of a run, or null when `workerId` no longer holds it (one indexed read). */
  async cancelState(runId: string, workerId: string): Promise<{ cancelRequested: boolean } | null> {
    const rows = await this.prisma.$queryRaw<{ cancel_requested: boolean }[]>`
      SELECT cancel_requested FROM runs WHERE id = ${runId}::uuid AND status = 'RUNNING' AND worker_id = ${workerId}`;
    return rows.length === 0 ? null : { cancelRequested: rows[0].cancel_requested };
  }

  /**
   * RUNNING -> `status` in `tx`, only while `guards` hold, keeping the stored summary when
   * `summary` is null. @returns the ended run, or null when the change did not apply.
   */
  async finish(tx: Db, runId: string, status: TerminalRunStatus, change: { summary: string | null; error: string | null } & FinishGuards): Promise<Run | null> {
    const workerGuard = change.workerId === undefined ? Prisma.empty : Prisma.sql`AND worker_id IS NOT DISTINCT FROM ${change.workerId}`;
    const staleGuard =
      change.staleForMs === undefined ? Prisma.empty : Prisma.sql`AND heartbeat_at < now() - make_interval(secs => ${change.staleForMs / 1000})`;
    const rows = await tx.$queryRaw<{ id: string }[]>`
      UPDATE runs
      SET status = ${status}::"RunStatus", finished_at = now(), error = ${change.error},
          summary = COALESCE(${change.summary}::jsonb, summary)
      WHERE id = ${runId}::uuid AND status = 'RUNNING' ${workerGuard} ${staleGuard}
      RETURNING id`;
    if (rows.length === 0) return null;
    return toRun(await tx.run.findUniqueOrThrow({ where: { id: runId } }));
  }

  /** QUEUED -> CANCELLED. @returns the state it left, or null when the run is not QUEUED. */
  async cancelQueued(runId: string): Promise<RunState | null> {
    const rows = await this.prisma.$queryRaw<RunStateRow[]>`
      UPDATE runs SET status = 'CANCELLED', finished_at = now()
      WHERE id = ${runId}::uuid AND status = 'QUEUED' RETURNING ${RUN_STATE_COLUMNS}`;
    return stateOf(rows);
  }

  /** Sets the cancel flag of a RUNNING run. @returns the state it left, or null when the run is not RUNNING. */
  async flagCancel(runId: string): Promise<RunState | null> {
    const rows = await this.prisma.$queryRaw<RunStateRow[]>`
      UPDATE runs SET cancel_requested = true
      WHERE id = ${runId}::uuid AND status = 'RUNNING' RETURNING ${RUN_STATE_COLUMNS}`;
    return stateOf(rows);
  }

  /** RUNNING runs whose last heartbeat is older than `staleForMs` by the database clock, stalest first (100 at most). */
  async findStaleRuns(staleForMs: number): Promise<StaleRun[]> {
    const rows = await this.prisma.$queryRaw<
      {
        id: string;
        kind: RunKind;
        attempts: number;
        worker_id: string | null;
        heartbeat_at: Date | null;
        cancel_requested: boolean;
        last_epoch: number | null;
      }[]
    >`
      SELECT r.id, r.kind, r.attempts, r.worker_id, r.heartbeat_at, r.cancel_requested,
             (SELECT max(e.epoch) FROM run_epochs e WHERE e.run_id = r.id) AS last_epoch
      FROM runs r
      WHERE r.status = 'RUNNING' AND r.heartbeat_at < now() - make_interval(secs => ${staleForMs / 1000})
      ORDER BY r.heartbeat_at
      LIMIT 100`;
    return rows.map((row) => ({
      id: row.id,
      kind: row.kind,
      attempts: row.attempts,
      workerId: row.worker_id,
      heartbeatAt: row.heartbeat_at,
      cancelRequested: row.cancel_requested,
      lastEpoch: row.last_epoch,
    }));
  }

  /**
   * RUNNING -> QUEUED for a run `workerId` held, has not heartbeaten for `staleForMs` and nobody
   * asked to cancel. @returns the state it left, or null when it no longer qualifies.
   */
  async requeueStale(runId: string, workerId: string | null, staleForMs: number): Promise<RunState | null> {
    const rows = await this.prisma.$queryRaw<RunStateRow[]>`
      UPDATE runs SET status = 'QUEUED', worker_id = NULL, heartbeat_at = NULL
      WHERE id = ${runId}::uuid AND status = 'RUNNING' AND worker_id IS NOT DISTINCT FROM ${workerId}
        AND NOT cancel_requested
        AND heartbeat_at < now() - make_interval(secs => ${staleForMs / 1000})
      RETURNING ${RUN_STATE_COLUMNS}`;
    return stateOf(rows);
  }

  /** QUEUED runs created more than `olderThanMs` ago, oldest first. */
  async findQueuedRuns(olderThanMs: number, limit: number): Promise<{ id: string; kind: RunKind }[]> {
    return this.prisma.$queryRaw<{ id: string; kind: RunKind }[]>`
      SELECT id, kind FROM runs
      WHERE status = 'QUEUED' AND created_at < now() - make_interval(secs => ${olderThanMs / 1000})
      ORDER BY created_at LIMIT ${limit}`;
  }
}

// Statements in a caller's transaction.

/** Inserts a QUEUED run. */
export async function insertRun(db: Db, run: NewRun): Promise<Run> {
  const { warnings, ...fields } = run;
  return toRun(await db.run.create({ data: { ...fields, ...(warnings ? { warnings: toJsonColumn(warnings) } : {}) } }));
}

/** Serializes, until `tx` ends, every start of a run by `startedBy` across processes. */
export async function lockStarter(tx: Db, startedBy: string): Promise<void> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`mlplane.runs.started-by:${startedBy}`}))`;
}

/** TRAINING and OPTIMIZATION runs `startedBy` has QUEUED or RUNNING (a study's trials count as its one run). */
export async function countActiveRunsStartedBy(db: Db, startedBy: string): Promise<number> {
  return db.run.count({ where: { startedBy, status: { in: ACTIVE_STATUSES }, kind: { in: ['TRAINING', 'OPTIMIZATION'] } } });
}

/** Where a run trained: its backend, why, and the whole environment (a JSON column, through `toJsonColumn`). */
export interface TrainingPlace {
  backend: string;
  backendReason: string;
  environment: Prisma.InputJsonValue;
}

/** Records where a run trained (in the transaction that ends it SUCCEEDED). */
export async function setTrainingPlace(tx: Db, runId: string, place: TrainingPlace): Promise<void> {
  await tx.run.update({ where: { id: runId }, data: place });
}

/** Locks a run's row (`FOR UPDATE`) until `tx` ends and reads what archive and deletion decide on; null for an unknown id. */
export async function lockRun(tx: Db, id: string): Promise<LockedRun | null> {
  if (!isUuid(id)) return null;
  const row = (
    await tx.$queryRaw<{ kind: RunKind; status: RunStatus; archived_at: Date | null }[]>`
    SELECT kind, status, archived_at FROM runs WHERE id = ${id}::uuid FOR UPDATE`
  ).at(0);
  return row ? { kind: row.kind, status: row.status, archivedAt: row.archived_at } : null;
}

/** Archives (a date) or restores (null) a study with its trials. @returns the study. */
export async function setStudyArchivedAt(tx: Db, studyId: string, archivedAt: Date | null): Promise<Run> {
  await tx.run.updateMany({ where: { parentRunId: studyId }, data: { archivedAt } });
  return toRun(await tx.run.update({ where: { id: studyId }, data: { archivedAt } }));
}

/** The ids of a model's runs (studies, trials and the rest). */
export async function runIdsOfModel(tx: Db, modelId: string): Promise<string[]> {
  return (await tx.run.findMany({ where: { modelId }, select: { id: true } })).map((run) => run.id);
}

/** The ids of a study's trials. */
export async function trialIdsOf(tx: Db, studyId: string): Promise<string[]> {
  return (await tx.run.findMany({ where: { parentRunId: studyId }, select: { id: true } })).map((run) => run.id);
}

/** A model's QUEUED and RUNNING runs that are not trials (a study counts once), oldest first. */
export async function activeRunsOfModel(tx: Db, modelId: string): Promise<Run[]> {
  const rows = await tx.run.findMany({ where: { modelId, status: { in: ACTIVE_STATUSES }, parentRunId: null }, orderBy: { createdAt: 'asc' } });
  return rows.map(toRun);
}

/** Deletes runs with their trials (epochs go with them, by cascade); returns how many runs. */
export async function deleteRuns(tx: Db, ids: readonly string[]): Promise<number> {
  if (ids.length === 0) return 0;
  const trials = await tx.run.deleteMany({ where: { parentRunId: { in: [...ids] } } });
  const runs = await tx.run.deleteMany({ where: { id: { in: [...ids] } } });
  return trials.count + runs.count;
}

/** Runs by status, for the metrics gauge. */
export async function runCountsByStatus(db: Db): Promise<{ status: RunStatus; count: number }[]> {
  const rows = await db.run.groupBy({ by: ['status'], _count: { _all: true } });
  return rows.map((row) => ({ status: row.status, count: row._count._all }));
}

// Rows to domain types.

export function toRun(row: RunRow): Run {
  return {
    id: row.id,
    kind: row.kind,
    status: row.status,
    modelId: row.modelId,
    datasetVersionId: row.datasetVersionId,
    parentRunId: row.parentRunId,
    hyperparameters: runHyperparametersObjectOf(row.hyperparameters),
    backend: row.backend,
    backendReason: row.backendReason,
    environment: runEnvironmentOf(row.environment),
    summary: runSummaryOf(row.summary),
    warnings: storedWarnings(row.warnings),
    error: row.error,
    cancelRequested: row.cancelRequested,
    attempts: row.attempts,
    workerId: row.workerId,
    heartbeatAt: row.heartbeatAt,
    createdAt: row.createdAt,
    startedAt: row.startedAt,
    finishedAt: row.finishedAt,
    startedBy: row.startedBy,
    archivedAt: row.archivedAt,
  };
}

export function toRunEpoch(row: RunEpochRow): RunEpoch {
  return {
    runId: row.runId,
    epoch: row.epoch,
    metrics: epochMetricsOf(row.metrics),
    elapsedMs: row.elapsedMs,
    epochMs: row.epochMs,
    samplesPerSecond: row.samplesPerSecond,
    recordedAt: row.recordedAt,
  };
}

function toEpochValues(row: Pick<RunEpochRow, 'epoch' | 'metrics'>): EpochValues {
  return { epoch: row.epoch, metrics: epochMetricsOf(row.metrics) };
}

/** The columns of a run's state, as an UPDATE returns them. */
const RUN_STATE_COLUMNS = Prisma.sql`id, status, cancel_requested, attempts, started_at, finished_at, summary`;
interface RunStateRow {
  id: string;
  status: RunStatus;
  cancel_requested: boolean;
  attempts: number;
  started_at: Date | null;
  finished_at: Date | null;
  summary: unknown;
}

function stateOf(rows: RunStateRow[]): RunState | null {
  const row = rows.at(0);
  return row ? toRunState(row) : null;
}

function toRunState(row: RunStateRow): RunState {
  return {
    id: row.id,
    status: row.status,
    cancelRequested: row.cancel_requested,
    attempts: row.attempts,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    summary: runSummaryOf(row.summary),
  };
}
