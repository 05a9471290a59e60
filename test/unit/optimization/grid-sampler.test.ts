import { createGridSampler } from '../../../src/domain/optimization/grid-sampler';
import { validateSearchSpace } from '../../../src/domain/optimization/search-space';
import type { Params, TrialRecord } from '../../../src/domain/optimization/trial';

const space = validateSearchSpace(
  [
    { name: 'optimizer', kind: 'CHOICE', values: ['ADAM', 'SGD'] },
    { name: 'learningRate', kind: 'LOG_UNIFORM', low: 1e-3, high: 1e-1, gridPoints: 3 },
    { name: 'units[0]', kind: 'INT_RANGE', low: 16, high: 64, step: 16 },
  ],
  { strategy: 'GRID' },
);

function trial(number: number, params: Params, state: TrialRecord['state'] = 'COMPLETE'): TrialRecord {
  return { number, state, params, value: 0, intermediateValues: [] };
}

function runAll(): Params[] {
  const sampler = createGridSampler(space);
  const history: TrialRecord[] = [];
  for (;;) {
    const params = sampler.suggest(history);
    if (params === null) return history.map((t) => t.params);
    history.push(trial(history.length, params));
  }
}

describe('createGridSampler', () => {
  it('enumerates exactly the Cartesian product, each point once, then runs out', () => {
    const points = runAll();
    expect(points).toHaveLength(2 * 3 * 4);
    const keys = new Set(points.map((p) => JSON.stringify([p.optimizer, p.learningRate, p['units[0]']])));
    expect(keys.size).toBe(24);
    for (const optimizer of ['ADAM', 'SGD']) {
      for (const units of [16, 32, 48, 64]) {
        expect(points.filter((p) => p.optimizer === optimizer && p['units[0]'] === units)).toHaveLength(3);
      }
    }
  });

  it('goes in nested-loop order, the last parameter fastest', () => {
    const points = runAll();
    expect(points.slice(0, 5).map((p) => [p.optimizer, p['units[0]']])).toEqual([
      ['ADAM', 16],
      ['ADAM', 32],
      ['ADAM', 48],
      ['ADAM', 64],
      ['ADAM', 16],
    ]);
    expect(points[4].learningRate).toBeCloseTo(1e-2, 15);
    expect(points[23]).toEqual({ optimizer: 'SGD', learningRate: 1e-1, 'units[0]': 64 });
  });

  it('skips points already taken, in any state, so a restarted study does not repeat them', () => {
    const sampler = createGridSampler(space);
    const history = [
      trial(0, { optimizer: 'ADAM', learningRate: 1e-3, 'units[0]': 16 }, 'FAILED'),
      trial(1, { optimizer: 'ADAM', learningRate: 1e-3, 'units[0]': 48 }, 'RUNNING'),
    ];
    expect(sampler.suggest(history)).toEqual({ optimizer: 'ADAM', learningRate: 1e-3, 'units[0]': 32 });
    history.push(trial(2, { optimizer: 'ADAM', learningRate: 1e-3, 'units[0]': 32 }));
    expect(sampler.suggest(history)).toEqual({ optimizer: 'ADAM', learningRate: 1e-3, 'units[0]': 64 });
  });
});
