/**
 * GRID search: the Cartesian product of every parameter's grid values, enumerated in a fixed
 * order (the first parameter varies slowest, the last fastest, as nested loops in the space's
 * order), skipping points that earlier trials already took.
 */
import { gridSize, gridValues, type ParamValue, type SearchSpace } from './search-space';
import type { Params, Sampler, TrialRecord } from './trial';

/** Creates a GRID sampler; it returns null once every grid point has a trial. */
export function createGridSampler(space: SearchSpace): Sampler {
  const axes = space.parameters.map((parameter) => {
    const values = gridValues(parameter);
    return { name: parameter.name, values, indexOf: new Map<ParamValue, number>(values.map((v, i) => [v, i])) };
  });
  const size = gridSize(space);

  const pointAt = (index: number): Params => {
    const params: Params = {};
    let rest = index;
    for (let a = axes.length - 1; a >= 0; a--) {
      const { name, values } = axes[a];
      params[name] = values[rest % values.length];
      rest = Math.floor(rest / values.length);
    }
    return params;
  };

  const indexOf = (params: Params): number | undefined => {
    let index = 0;
    for (const axis of axes) {
      const position = axis.indexOf.get(params[axis.name]);
      if (position === undefined) return undefined;
      index = index * axis.values.length + position;
    }
    return index;
  };

  return {
    suggest(history: readonly TrialRecord[]): Params | null {
      const taken = new Set<number>();
      for (const trial of history) {
        const index = indexOf(trial.params);
        if (index !== undefined) taken.add(index);
      }
      // The first free index is at most taken.size, so the scan is linear in the history.
      for (let index = 0; index < size; index++) {
        if (!taken.has(index)) return pointAt(index);
      }
      return null;
    },
  };
}
