/**
 * Runs and their epochs as the services and resolvers see them: plain types, with no database type
 * in them. `src/services/runs/run-repository.ts` reads and writes them (the only code that touches
 * the `runs` and `run_epochs` tables) and maps rows to these, decoding each JSON column once.
 */
import type { RunStatus } from './run-status';
import type { RunWarning } from './training-warnings';

export type { RunStatus } from './run-status';

/** TRAINING trains a model; OPTIMIZATION is a study coordinating its TRIAL runs; EVALUATION scores a version. */
export const RUN_KINDS = ['TRAINING', 'OPTIMIZATION', 'TRIAL', 'EVALUATION'] as const;
export type RunKind = (typeof RUN_KINDS)[number];

/** A unit of work on the job queue (see `run-status.ts` for its life cycle). */
export interface Run {
  id: string;
  kind: RunKind;
  status: RunStatus;
  modelId: string;
  datasetVersionId: string;
  /** The study (OPTIMIZATION run) a TRIAL belongs to; null for other kinds. */
  parentRunId: string | null;
  /**
   * What the run was started with, a JSON object read by kind: a TRAINING run's through
   * `trainingHyperparametersOf`, a TRIAL's through `trialHyperparametersOf`, a study's through
   * `studyDefinitionOf` (`src/infra/db/json-columns.ts`).
   */
  hyperparameters: Record<string, unknown>;
  /** The TensorFlow.js backend it trained on (`cpu`, `tensorflow`); null until it succeeded. */
  backend: string | null;
  /** Why that backend was chosen. */
  backendReason: string | null;
  /** Where it trained (the pipeline's `TrainingEnvironment` as JSON); null until it succeeded. */
  environment: Record<string, unknown> | null;
  /** Outcome details (a JSON object: a training summary, a trial's `{ trialNumber, params, ... }`, a study's counts); null before any. */
  summary: Record<string, unknown> | null;
  /** What its settings warned about when it was queued. */
  warnings: RunWarning[];
  /** Why it failed (FAILED only). */
  error: string | null;
  cancelRequested: boolean;
  /** Times a worker claimed it. */
  attempts: number;
  /** The worker holding it while RUNNING. */
  workerId: string | null;
  heartbeatAt: Date | null;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  /** The API key's name that started it, `mlplane` for a study's trials; null for runs from before keys. */
  startedBy: string | null;
  /** Set while archived (a study and its trials together). */
  archivedAt: Date | null;
}

/** One finished epoch of a run, as stored (at most one per run and epoch). */
export interface RunEpoch {
  runId: string;
  /** 1-based. */
  epoch: number;
  /** Flat metrics, `loss`, `accuracy` or `mae`/`rmse`, and their `val_` forms (a value may be null: JSON has no NaN). */
  metrics: Record<string, unknown>;
  /** Since training started, up to the end of this epoch. */
  elapsedMs: number;
  /** This epoch alone. */
  epochMs: number;
  samplesPerSecond: number;
  recordedAt: Date;
}
