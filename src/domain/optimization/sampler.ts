/** Picks the sampler of a study's search strategy. */
import { createGridSampler } from './grid-sampler';
import { createRandomSampler } from './random-sampler';
import type { SearchSpace, SearchStrategy } from './search-space';
import { createTpeSampler, type TpeOptions } from './tpe-sampler';
import type { Direction, Sampler } from './trial';

export interface SamplerOptions {
  strategy: SearchStrategy;
  direction: Direction;
  seed: number;
  /** TPE settings beyond direction and seed; Optuna's defaults when absent. */
  tpe?: Omit<TpeOptions, 'direction' | 'seed'>;
}

/** The sampler for `options.strategy` over a space validated for that strategy. */
export function createSampler(space: SearchSpace, options: SamplerOptions): Sampler {
  switch (options.strategy) {
    case 'GRID':
      return createGridSampler(space);
    case 'RANDOM':
      return createRandomSampler(space, options.seed);
    case 'TPE':
      return createTpeSampler(space, { ...options.tpe, direction: options.direction, seed: options.seed });
  }
}
