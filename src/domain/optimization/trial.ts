/**
 * What the search algorithms know about a study's trials: the plain records the service
 * loads from storage and hands to samplers, pruners and the leaderboard.
 */
import type { ParamValue } from './search-space';

/** Whether the objective is to be made small (a loss) or large (an accuracy). */
export type Direction = 'MINIMIZE' | 'MAXIMIZE';

/** Hyperparameter values of one trial, keyed by parameter name (`learningRate`, `units[0]`). */
export type Params = Record<string, ParamValue>;

/**
 * A trial's lifecycle as search sees it: RUNNING (queued or training), COMPLETE (has a final
 * objective), PRUNED (stopped early by the pruner) or FAILED (ignored by search).
 */
export type TrialState = 'RUNNING' | 'COMPLETE' | 'PRUNED' | 'FAILED';

/** The objective measured after one epoch (`step` is the 1-based epoch number). */
export interface IntermediateValue {
  step: number;
  value: number;
}

/** One trial of a study. */
export interface TrialRecord {
  /** 0-based creation order within the study; unique. */
  number: number;
  state: TrialState;
  params: Params;
  /** Final objective; set when the trial is COMPLETE. */
  value?: number | null;
  /** Objective after each epoch so far, in any order. */
  intermediateValues: readonly IntermediateValue[];
}

/**
 * Suggests the hyperparameters of the next trial of a study.
 *
 * `history` holds every trial created so far (any state), numbered 0..n-1; the suggestion is
 * for trial number `history.length`. A suggestion depends only on the seed, that trial number
 * and the history, so any worker process can make it and repeating it gives the same answer.
 */
export interface Sampler {
  /** The next trial's parameters, or null when the sampler has nothing left to try. */
  suggest(history: readonly TrialRecord[]): Params | null;
}

/** Orders two objective values: negative when `a` is better than `b` in `direction`. */
export function compareObjective(a: number, b: number, direction: Direction): number {
  return direction === 'MINIMIZE' ? a - b : b - a;
}
