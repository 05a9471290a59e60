/**
 * A synthetic hyperparameter objective with a known optimum, for comparing search strategies
 * without training anything: a log-uniform learning rate, a categorical optimizer and an int
 * range of units, each contributing a separable penalty that is 0 at its best value.
 */
import type { SearchParameterInput } from '../../src/domain/optimization/search-space';
import type { Params, Sampler, TrialRecord } from '../../src/domain/optimization/trial';

export const SYNTHETIC_SPACE: SearchParameterInput[] = [
  { name: 'learningRate', kind: 'LOG_UNIFORM', low: 1e-5, high: 1 },
  { name: 'optimizer', kind: 'CHOICE', values: ['SGD', 'MOMENTUM', 'ADAM', 'RMSPROP', 'ADAGRAD'] },
  { name: 'units[0]', kind: 'INT_RANGE', low: 8, high: 256, step: 8 },
];

const OPTIMIZER_PENALTY: Record<string, number> = { ADAM: 0, RMSPROP: 0.3, MOMENTUM: 0.6, ADAGRAD: 0.8, SGD: 1 };

/** Minimised; its minimum 0 is at learningRate 3e-3, ADAM, units[0] 96, so the value is the regret. */
export function syntheticObjective(params: Params): number {
  const lr = Math.log10(params.learningRate as number) - Math.log10(3e-3);
  const units = ((params['units[0]'] as number) - 96) / 64;
  return lr * lr + OPTIMIZER_PENALTY[params.optimizer as string] + units * units;
}

/** Runs `trials` sequential trials of a sampler on the synthetic objective; returns the best value found. */
export function bestOfSyntheticStudy(sampler: Sampler, trials: number): number {
  const history: TrialRecord[] = [];
  let best = Infinity;
  for (let number = 0; number < trials; number++) {
    const params = sampler.suggest(history);
    if (params === null) break;
    const value = syntheticObjective(params);
    history.push({ number, state: 'COMPLETE', params, value, intermediateValues: [] });
    best = Math.min(best, value);
  }
  return best;
}
