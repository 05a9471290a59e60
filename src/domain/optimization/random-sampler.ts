/**
 * RANDOM search: every parameter drawn independently from its distribution (uniform over the
 * choices, over the range, or over the log of the range for the LOG kinds).
 */
import { createRandom, type Random } from '../random';
import type { SearchParameter, SearchSpace, ParamValue } from './search-space';
import type { Params, Sampler, TrialRecord } from './trial';

const TWO_POW_20 = 1 << 20;

/**
 * The generator of one trial of a seeded study: a function of the seed and the trial number
 * alone, so a suggestion can be repeated by any worker after a restart.
 * @param trialNumber below 2^20, which keeps the derived seed an exact safe integer.
 */
export function trialRandom(seed: number, trialNumber: number): Random {
  const stream = createRandom(seed).nextUint32();
  return createRandom(stream * TWO_POW_20 + (trialNumber % TWO_POW_20));
}

/** One value of `parameter` drawn from its prior distribution. */
export function sampleFromPrior(parameter: SearchParameter, random: Random): ParamValue {
  switch (parameter.kind) {
    case 'CHOICE':
      return parameter.values[random.int(parameter.values.length)];
    case 'UNIFORM':
      return random.uniform(parameter.low, parameter.high);
    case 'LOG_UNIFORM':
      return clamp(Math.exp(random.uniform(Math.log(parameter.low), Math.log(parameter.high))), parameter.low, parameter.high);
    case 'INT_RANGE':
      return parameter.low + parameter.step * random.int((parameter.high - parameter.low) / parameter.step + 1);
    case 'INT_LOG_UNIFORM': {
      // As Optuna: uniform in log over [low - 1/2, high + 1/2], then rounded, so each integer owns its cell.
      const value = Math.exp(random.uniform(Math.log(parameter.low - 0.5), Math.log(parameter.high + 0.5)));
      return clamp(Math.round(value), parameter.low, parameter.high);
    }
  }
}

/** Every parameter of `space` drawn from its prior, in the space's order. */
export function sampleSpaceFromPrior(space: SearchSpace, random: Random): Params {
  const params: Params = {};
  for (const parameter of space.parameters) params[parameter.name] = sampleFromPrior(parameter, random);
  return params;
}

function clamp(x: number, low: number, high: number): number {
  return Math.min(Math.max(x, low), high);
}

/** Creates a RANDOM sampler; it never runs out. */
export function createRandomSampler(space: SearchSpace, seed: number): Sampler {
  return {
    suggest(history: readonly TrialRecord[]): Params {
      return sampleSpaceFromPrior(space, trialRandom(seed, history.length));
    },
  };
}
