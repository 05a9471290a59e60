/**
 * MEDIAN pruning, as Optuna's MedianPruner (a PercentilePruner at 50): stop a trial whose best
 * intermediate objective so far is worse than the median of the completed trials' intermediate
 * objectives at the same epoch.
 *
 * Epochs are numbered from 1 here (Optuna's steps from 0), so "no pruning while
 * step < n_warmup_steps" becomes "no pruning during the first `nWarmupSteps` epochs".
 */
import type { Direction, TrialRecord } from './trial';

export interface MedianPrunerOptions {
  direction: Direction;
  /** Name of the objective metric, for the reason text (e.g. `val_loss`). */
  metric: string;
  /** Completed trials needed before anything is pruned. @default 5 */
  nStartupTrials?: number;
  /** Epochs at the start of every trial that are never pruned. @default 0 */
  nWarmupSteps?: number;
  /** Completed trials that must have reached the epoch for its median to count. @default 1 */
  nMinTrials?: number;
}

/** Whether to stop a trial now, and why in words a user reads on the trial. */
export interface PruneDecision {
  prune: boolean;
  reason: string;
}

export interface Pruner {
  /**
   * Judges `trial` after its latest epoch against the COMPLETE trials of `history` (the study's
   * trials; the judged trial itself is skipped if present).
   */
  evaluate(trial: TrialRecord, history: readonly TrialRecord[]): PruneDecision;
}

/** Rounds for display: 4 significant digits, no trailing zeros. */
function show(value: number): string {
  return String(Number(value.toPrecision(4)));
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Creates a MEDIAN pruner with Optuna's defaults for the options left out. */
export function createMedianPruner(options: MedianPrunerOptions): Pruner {
  const { direction, metric, nStartupTrials = 5, nWarmupSteps = 0, nMinTrials = 1 } = options;
  const better = (a: number, b: number) => (direction === 'MINIMIZE' ? a < b : a > b);
  const keep = (reason: string): PruneDecision => ({ prune: false, reason });

  return {
    evaluate(trial, history) {
      const completed = history.filter((t) => t.state === 'COMPLETE' && t.number !== trial.number);
      if (completed.length === 0 || completed.length < nStartupTrials) {
        return keep(`only ${completed.length} trials have finished; pruning starts after ${Math.max(nStartupTrials, 1)}`);
      }
      if (trial.intermediateValues.length === 0) return keep(`no ${metric} reported yet`);
      const step = Math.max(...trial.intermediateValues.map((v) => v.step));
      if (step <= nWarmupSteps) return keep(`epoch ${step} is within the ${nWarmupSteps} warm-up epochs`);

      const reported = trial.intermediateValues.filter((v) => !Number.isNaN(v.value));
      if (reported.length === 0) {
        return { prune: true, reason: `${metric} is NaN at every epoch up to ${step}` };
      }
      const best = reported.reduce((a, b) => (better(b.value, a.value) ? b : a));

      const atStep = completed.flatMap((t) => t.intermediateValues.filter((v) => v.step === step).map((v) => v.value));
      if (atStep.length < nMinTrials) {
        return keep(`only ${atStep.length} finished trials reached epoch ${step}; ${nMinTrials} needed`);
      }
      const finite = atStep.filter((v) => !Number.isNaN(v));
      if (finite.length === 0) return keep(`finished trials have no ${metric} at epoch ${step}`);
      const middle = median(finite);

      const subject = best.step === step ? `${metric} ${show(best.value)} at epoch ${step}` : `best ${metric} ${show(best.value)} up to epoch ${step}`;
      const comparison = `the median ${show(middle)} of ${finite.length} finished trials at epoch ${step}`;
      if (better(middle, best.value)) return { prune: true, reason: `${subject} is worse than ${comparison}` };
      return keep(`${subject} is not worse than ${comparison}`);
    },
  };
}
