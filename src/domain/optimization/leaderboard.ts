/** A study's leaderboard: its completed trials, best objective first. */
import { compareObjective, type Direction, type Params, type TrialRecord } from './trial';

export interface LeaderboardEntry {
  /** 1-based position. */
  rank: number;
  trialNumber: number;
  value: number;
  params: Params;
}

/**
 * Ranks the COMPLETE trials with a finite objective by `direction`; equal objectives keep
 * trial-number order, so the earlier trial ranks first. Pruned, failed and running trials
 * have no final objective and are not ranked.
 */
export function rankTrials(trials: readonly TrialRecord[], direction: Direction): LeaderboardEntry[] {
  return trials
    .filter((t): t is TrialRecord & { value: number } => t.state === 'COMPLETE' && Number.isFinite(t.value))
    .sort((a, b) => compareObjective(a.value, b.value, direction) || a.number - b.number)
    .map((t, index) => ({ rank: index + 1, trialNumber: t.number, value: t.value, params: t.params }));
}

/** The leaderboard's first entry, or null while no trial has completed. */
export function bestTrial(trials: readonly TrialRecord[], direction: Direction): LeaderboardEntry | null {
  return rankTrials(trials, direction)[0] ?? null;
}
