/**
 * TPE search: the Tree-structured Parzen Estimator of Bergstra et al. (2011), "Algorithms for
 * Hyper-Parameter Optimization", univariate, with Optuna's defaults (TPESampler, Optuna 5).
 *
 * After `nStartupTrials` finished trials drawn from the prior, the finished trials are split
 * into the best gamma(n) ("good") and the rest ("bad"); per parameter a Parzen estimator l(x)
 * is fitted to the good values and g(x) to the bad ones, `nEICandidates` values are drawn from
 * l and the one maximising log l(x) - log g(x) (equivalently expected improvement) is chosen.
 */
import { buildParzenEstimator } from './parzen-estimator';
import { sampleSpaceFromPrior, trialRandom } from './random-sampler';
import type { SearchSpace } from './search-space';
import type { Direction, Params, Sampler, TrialRecord } from './trial';

export interface TpeOptions {
  direction: Direction;
  seed: number;
  /** Finished trials drawn from the prior before TPE takes over. @default 10 */
  nStartupTrials?: number;
  /** Candidates drawn from l(x) per parameter. @default 24 */
  nEICandidates?: number;
  /** Weight of each estimator's prior kernel. @default 1 */
  priorWeight?: number;
}

/** Optuna's default gamma: the number of "good" trials among n finished ones, min(ceil(0.1 n), 25). */
export function defaultGamma(n: number): number {
  return Math.min(Math.ceil(0.1 * n), 25);
}

/** A trial that counts for TPE: COMPLETE with a finite value, or PRUNED. */
function isFinished(trial: TrialRecord): boolean {
  return (trial.state === 'COMPLETE' && Number.isFinite(trial.value)) || trial.state === 'PRUNED';
}

/**
 * Rank key of a pruned trial, as Optuna: trials that got further rank first, then by their last
 * intermediate value (NaN last); trials with no intermediate value rank after all others.
 */
function prunedKey(trial: TrialRecord, sign: number): [number, number] {
  if (trial.intermediateValues.length === 0) return [1, 0];
  const last = trial.intermediateValues.reduce((a, b) => (b.step > a.step ? b : a));
  return [-last.step, Number.isNaN(last.value) ? Infinity : sign * last.value];
}

/**
 * Splits finished trials into the `nBelow` best ("good") and the rest, both in trial-number
 * order. COMPLETE trials rank by value; PRUNED ones fill the good set only if fewer than
 * `nBelow` trials completed.
 */
export function splitTrials(finished: readonly TrialRecord[], nBelow: number, direction: Direction): { below: TrialRecord[]; above: TrialRecord[] } {
  const sign = direction === 'MINIMIZE' ? 1 : -1;
  const byNumber = (a: TrialRecord, b: TrialRecord) => a.number - b.number;
  const complete = finished
    .filter((t): t is TrialRecord & { value: number } => t.state === 'COMPLETE' && typeof t.value === 'number')
    .sort((a, b) => sign * (a.value - b.value) || a.number - b.number);
  const pruned = finished
    .filter((t) => t.state === 'PRUNED')
    .map((t) => ({ t, key: prunedKey(t, sign) }))
    .sort((a, b) => a.key[0] - b.key[0] || a.key[1] - b.key[1] || a.t.number - b.t.number)
    .map(({ t }) => t);
  const nComplete = Math.min(nBelow, complete.length);
  const nPruned = Math.min(nBelow - nComplete, pruned.length);
  const below = [...complete.slice(0, nComplete), ...pruned.slice(0, nPruned)].sort(byNumber);
  const above = [...complete.slice(nComplete), ...pruned.slice(nPruned)].sort(byNumber);
  return { below, above };
}

/** Creates a TPE sampler; it never runs out. */
export function createTpeSampler(space: SearchSpace, options: TpeOptions): Sampler {
  const { direction, seed, nStartupTrials = 10, nEICandidates = 24, priorWeight = 1 } = options;
  return {
    suggest(history: readonly TrialRecord[]): Params {
      const random = trialRandom(seed, history.length);
      const finished = history.filter(isFinished);
      if (finished.length < nStartupTrials) return sampleSpaceFromPrior(space, random);

      const { below, above } = splitTrials(finished, defaultGamma(finished.length), direction);
      const params: Params = {};
      for (const parameter of space.parameters) {
        const good = buildParzenEstimator(
          parameter,
          below.map((t) => t.params[parameter.name]),
          priorWeight,
        );
        const bad = buildParzenEstimator(
          parameter,
          above.map((t) => t.params[parameter.name]),
          priorWeight,
        );
        let best = good.sample(random);
        let bestScore = good.logPdf(best) - bad.logPdf(best);
        for (let i = 1; i < nEICandidates; i++) {
          const candidate = good.sample(random);
          const score = good.logPdf(candidate) - bad.logPdf(candidate);
          if (score > bestScore) {
            best = candidate;
            bestScore = score;
          }
        }
        params[parameter.name] = best;
      }
      return params;
    },
  };
}
