import { createRandomSampler } from '../../../src/domain/optimization/random-sampler';
import { createSampler } from '../../../src/domain/optimization/sampler';
import { validateSearchSpace } from '../../../src/domain/optimization/search-space';
import { createTpeSampler, defaultGamma, splitTrials } from '../../../src/domain/optimization/tpe-sampler';
import type { Direction, Params, Sampler, TrialRecord } from '../../../src/domain/optimization/trial';
import { bestOfSyntheticStudy, SYNTHETIC_SPACE, syntheticObjective } from '../../../bench/support/synthetic-objective';

const space = validateSearchSpace(SYNTHETIC_SPACE, { strategy: 'TPE' });

/** Runs a study on the synthetic objective (negated when maximizing) and returns every trial's params. */
function study(sampler: Sampler, trials: number, direction: Direction = 'MINIMIZE'): Params[] {
  const history: TrialRecord[] = [];
  for (let number = 0; number < trials; number++) {
    const params = sampler.suggest(history)!;
    const value = direction === 'MINIMIZE' ? syntheticObjective(params) : -syntheticObjective(params);
    history.push({ number, state: 'COMPLETE', params, value, intermediateValues: [] });
  }
  return history.map((t) => t.params);
}

function record(number: number, state: TrialRecord['state'], value: number | null, steps: number[] = []): TrialRecord {
  return { number, state, value, params: {}, intermediateValues: steps.map((v, i) => ({ step: i + 1, value: v })) };
}

describe('createTpeSampler', () => {
  it('repeats its sequence for a seed and differs for another seed', () => {
    const first = study(createTpeSampler(space, { direction: 'MINIMIZE', seed: 3 }), 25);
    expect(study(createTpeSampler(space, { direction: 'MINIMIZE', seed: 3 }), 25)).toEqual(first);
    expect(study(createTpeSampler(space, { direction: 'MINIMIZE', seed: 4 }), 25)).not.toEqual(first);
  });

  it('draws its startup trials as the RANDOM sampler with the same seed does, then departs from it', () => {
    const tpe = study(createTpeSampler(space, { direction: 'MINIMIZE', seed: 9, nStartupTrials: 10 }), 12);
    const random = study(createRandomSampler(space, 9), 12);
    expect(tpe.slice(0, 10)).toEqual(random.slice(0, 10));
    expect(tpe[10]).not.toEqual(random[10]);
  });

  it('treats MAXIMIZE of -f exactly as MINIMIZE of f', () => {
    const minimizing = study(createTpeSampler(space, { direction: 'MINIMIZE', seed: 5 }), 20, 'MINIMIZE');
    const maximizing = study(createTpeSampler(space, { direction: 'MAXIMIZE', seed: 5 }), 20, 'MAXIMIZE');
    expect(maximizing).toEqual(minimizing);
  });

  it('learns only from COMPLETE and PRUNED trials', () => {
    const sampler = createTpeSampler(space, { direction: 'MINIMIZE', seed: 2, nStartupTrials: 2 });
    const params: Params = { learningRate: 3e-3, optimizer: 'ADAM', 'units[0]': 96 };
    const finished = [0, 1, 2].map((n): TrialRecord => ({ ...record(n, 'COMPLETE', n), params }));
    const noise: TrialRecord[] = [
      { ...record(3, 'FAILED', null), params: { learningRate: 1, optimizer: 'SGD', 'units[0]': 8 } },
      { ...record(4, 'RUNNING', null), params: { learningRate: 1, optimizer: 'SGD', 'units[0]': 8 } },
    ];
    // The same trial number (hence generator) with failed and running trials replaced by others' twins.
    const twins: TrialRecord[] = [
      { ...record(3, 'FAILED', null), params },
      { ...record(4, 'RUNNING', null), params },
    ];
    expect(sampler.suggest([...finished, ...noise])).toEqual(sampler.suggest([...finished, ...twins]));
  });

  it('beats RANDOM on the synthetic objective: lower mean best regret over 10 seeds at 40 trials', () => {
    let tpe = 0;
    let random = 0;
    for (let seed = 1; seed <= 10; seed++) {
      tpe += bestOfSyntheticStudy(createSampler(space, { strategy: 'TPE', direction: 'MINIMIZE', seed }), 40);
      random += bestOfSyntheticStudy(createSampler(space, { strategy: 'RANDOM', direction: 'MINIMIZE', seed }), 40);
    }
    expect(tpe / 10).toBeLessThan(random / 10);
  });
});

describe('defaultGamma', () => {
  it('is min(ceil(n / 10), 25)', () => {
    expect([1, 10, 11, 40, 250, 251, 1000].map(defaultGamma)).toEqual([1, 1, 2, 4, 25, 25, 25]);
  });
});

describe('splitTrials', () => {
  it('fills the good set with the best COMPLETE trials first, in trial-number order', () => {
    const trials = [record(0, 'COMPLETE', 0.5), record(1, 'COMPLETE', 0.1), record(2, 'PRUNED', null, [0.01]), record(3, 'COMPLETE', 0.3)];
    const { below, above } = splitTrials(trials, 2, 'MINIMIZE');
    expect(below.map((t) => t.number)).toEqual([1, 3]);
    expect(above.map((t) => t.number)).toEqual([0, 2]);
    const maximized = splitTrials(trials, 2, 'MAXIMIZE');
    expect(maximized.below.map((t) => t.number)).toEqual([0, 3]);
  });

  it('ranks PRUNED trials by how far they got, then by their last value, when completed ones run short', () => {
    const trials = [
      record(0, 'COMPLETE', 0.9),
      record(1, 'PRUNED', null, [0.2, 0.3]),
      record(2, 'PRUNED', null, [0.8, 0.7, 0.6]),
      record(3, 'PRUNED', null, [0.1]),
      record(4, 'PRUNED', null, []),
      record(5, 'PRUNED', null, [0.5, 0.25]),
    ];
    // Pruned order: #2 (3 epochs), #5 (2 epochs, 0.25), #1 (2 epochs, 0.3), #3 (1 epoch), #4 (none).
    expect(splitTrials(trials, 3, 'MINIMIZE').below.map((t) => t.number)).toEqual([0, 2, 5]);
    expect(splitTrials(trials, 4, 'MINIMIZE').below.map((t) => t.number)).toEqual([0, 1, 2, 5]);
  });
});
