import { StepEngineEnum } from '../common/enums';
import { StopReasonEnum, type RunSummary, type StudySummary, type TensorboardOutcome } from './run-summary.type';

type Stored = Record<string, unknown>;

const asObject = (value: unknown): Stored | null => (typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Stored) : null);
const asNumber = (value: unknown): number | null => (typeof value === 'number' && Number.isFinite(value) ? value : null);
const asString = (value: unknown): string | null => (typeof value === 'string' ? value : null);
const asBoolean = (value: unknown): boolean | null => (typeof value === 'boolean' ? value : null);
function asEnum<E extends string>(values: Record<string, E>, value: unknown): E | null {
  return Object.values(values).find((member) => member === value) ?? null;
}

function tensorboardOf(stored: unknown): TensorboardOutcome | null {
  const outcome = asObject(stored);
  if (!outcome || typeof outcome.written !== 'boolean') return null;
  return { written: outcome.written, dir: asString(outcome.dir), reason: asString(outcome.reason) };
}

/** A training or trial run's stored summary (training-job.ts writes it) as its GraphQL type; null for other kinds or before training ended. */
export function toRunSummary(stored: unknown): RunSummary | null {
  const summary = asObject(stored);
  if (!summary || !('epochsRun' in summary || 'stopReason' in summary)) return null;
  const splits = asObject(summary.splitSizes);
  const timings = asObject(summary.timingsMs);
  return {
    epochsRun: asNumber(summary.epochsRun),
    stopReason: asEnum(StopReasonEnum, summary.stopReason),
    stopDetail: asString(summary.stopDetail),
    bestEpoch: asNumber(summary.bestEpoch),
    restoredBestWeights: asBoolean(summary.restoredBestWeights),
    batchSize: asNumber(summary.batchSize),
    stepEngine: asEnum(StepEngineEnum, summary.stepEngine),
    durationMs: asNumber(summary.durationMs),
    splitSizes: splits ? { train: asNumber(splits.train) ?? 0, validation: asNumber(splits.validation) ?? 0, test: asNumber(splits.test) ?? 0 } : null,
    timings: timings
      ? {
          loadMs: asNumber(timings.load) ?? 0,
          pipelineMs: asNumber(timings.pipeline) ?? 0,
          trainingMs: asNumber(timings.training) ?? 0,
          importanceMs: asNumber(timings.importance) ?? 0,
        }
      : null,
    tensorboard: tensorboardOf(summary.tensorboard),
  };
}

/** An ended study's stored summary (study-job.ts writes it) as its GraphQL type. */
export function toStudySummary(stored: unknown): StudySummary | null {
  const summary = asObject(stored);
  if (!summary || asNumber(summary.trialCount) === null) return null;
  return {
    trialCount: asNumber(summary.trialCount) ?? 0,
    completed: asNumber(summary.completed) ?? 0,
    pruned: asNumber(summary.pruned) ?? 0,
    failed: asNumber(summary.failed) ?? 0,
    exhausted: summary.exhausted === true,
    bestTrialId: asString(summary.bestTrialId),
    bestTrialNumber: asNumber(summary.bestTrialNumber),
    bestValue: asNumber(summary.bestValue),
    bestModelVersionId: asString(summary.bestModelVersionId),
  };
}
