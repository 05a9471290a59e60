import { createRandomSampler } from '../../../src/domain/optimization/random-sampler';
import { validateSearchSpace } from '../../../src/domain/optimization/search-space';
import type { Params, TrialRecord } from '../../../src/domain/optimization/trial';

const space = validateSearchSpace(
  [
    { name: 'learningRate', kind: 'LOG_UNIFORM', low: 1e-4, high: 1 },
    { name: 'optimizer', kind: 'CHOICE', values: ['ADAM', 'SGD', 'RMSPROP'] },
    { name: 'units[0]', kind: 'INT_RANGE', low: 16, high: 256, step: 16 },
    { name: 'batchSize', kind: 'INT_LOG_UNIFORM', low: 1, high: 512 },
    { name: 'dropout[0]', kind: 'UNIFORM', low: 0, high: 0.5 },
  ],
  { strategy: 'RANDOM' },
);

function sequence(seed: number, length: number): Params[] {
  const sampler = createRandomSampler(space, seed);
  const history: TrialRecord[] = [];
  for (let number = 0; number < length; number++) {
    history.push({ number, state: 'COMPLETE', params: sampler.suggest(history)!, value: 0, intermediateValues: [] });
  }
  return history.map((t) => t.params);
}

describe('createRandomSampler', () => {
  it('repeats its sequence for a seed and differs for another seed', () => {
    expect(sequence(7, 20)).toEqual(sequence(7, 20));
    expect(sequence(8, 20)).not.toEqual(sequence(7, 20));
  });

  it('depends on the trial number only, so a fresh sampler (another worker) repeats a suggestion', () => {
    const seen = sequence(7, 10);
    const history = seen.map((params, number): TrialRecord => ({ number, state: 'RUNNING', params, intermediateValues: [] }));
    expect(createRandomSampler(space, 7).suggest(history.slice(0, 6))).toEqual(seen[6]);
  });

  it('draws every value inside its distribution', () => {
    for (const p of sequence(11, 300)) {
      expect(p.learningRate).toBeGreaterThanOrEqual(1e-4);
      expect(p.learningRate).toBeLessThanOrEqual(1);
      expect(['ADAM', 'SGD', 'RMSPROP']).toContain(p.optimizer);
      expect(((p['units[0]'] as number) - 16) % 16).toBe(0);
      expect(Number.isInteger(p.batchSize)).toBe(true);
      expect(p.batchSize).toBeGreaterThanOrEqual(1);
      expect(p.batchSize).toBeLessThanOrEqual(512);
      expect(p['dropout[0]']).toBeGreaterThanOrEqual(0);
      expect(p['dropout[0]']).toBeLessThan(0.5);
    }
  });

  it('spreads a log-uniform parameter evenly over decades', () => {
    // log10(learningRate) is uniform on [-4, 0]: each of the four decades expects 1000 of 4000 draws (sd about 27).
    const decades = [0, 0, 0, 0];
    for (const p of sequence(5, 4000)) decades[Math.min(3, Math.floor(Math.log10(p.learningRate as number) + 4))]++;
    for (const count of decades) expect(Math.abs(count - 1000)).toBeLessThan(150);
  });
});
