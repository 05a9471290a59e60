import { createRandom } from '../../../src/domain/random';
import { buildParzenEstimator, defaultWeights } from '../../../src/domain/optimization/parzen-estimator';
import type { SearchParameter } from '../../../src/domain/optimization/search-space';

/*
 * Expected log densities come from Optuna 5.0.0's own estimator, run once:
 *   from optuna.samplers._tpe.parzen_estimator import _ParzenEstimator, _ParzenEstimatorParameters
 *   from optuna.samplers._tpe.sampler import default_weights
 *   P = _ParzenEstimatorParameters(prior_weight=1.0, consider_magic_clip=True,
 *                                  consider_endpoints=False, weights=default_weights, multivariate=False)
 *   _ParzenEstimator({'x': np.array(obs, dtype=float)}, {'x': dist}, P).log_pdf({'x': np.array(xs, dtype=float)})
 * with dist FloatDistribution(-5, 5), FloatDistribution(1e-4, 1e-1, log=True),
 * IntDistribution(16, 128, step=16), IntDistribution(1, 1024, log=True),
 * CategoricalDistribution(['SGD', 'ADAM', 'RMSPROP']) (observations as indices), ...
 */
const CASES: Array<{ title: string; parameter: SearchParameter; observations: Array<number | string>; at: Array<number | string>; expected: number[] }> = [
  {
    title: 'UNIFORM',
    parameter: { name: 'dropout[0]', kind: 'UNIFORM', low: -5, high: 5 },
    observations: [0.3, -2.1, 4.9, 1.0],
    at: [-5, -1, 0, 0.3, 2.5, 5],
    expected: [-3.0138473313365717, -2.1189062339116984, -2.084387141162262, -2.087113135010882, -2.2383424448397093, -2.5274600454444527],
  },
  {
    title: 'LOG_UNIFORM (density of log x)',
    parameter: { name: 'learningRate', kind: 'LOG_UNIFORM', low: 1e-4, high: 1e-1 },
    observations: [1e-3, 3e-2, 2e-4],
    at: [1e-4, 5e-4, 1e-2, 0.1],
    expected: [-1.7998194843536524, -1.6994518522932576, -2.0854062377844182, -2.3271240505100437],
  },
  {
    title: 'INT_RANGE with step (mass per cell)',
    parameter: { name: 'units[0]', kind: 'INT_RANGE', low: 16, high: 128, step: 16 },
    observations: [32, 32, 128],
    at: [16, 32, 64, 128],
    expected: [-1.9214471709841798, -1.8018614002620397, -2.020069684761136, -2.4031541461578763],
  },
  {
    title: 'INT_LOG_UNIFORM',
    parameter: { name: 'batchSize', kind: 'INT_LOG_UNIFORM', low: 1, high: 1024, step: 1 },
    observations: [8, 512],
    at: [1, 8, 100, 1024],
    expected: [-2.161667469827111, -4.091051735898608, -6.541213674899607, -8.995928387018512],
  },
  {
    title: 'CHOICE (prior-smoothed counts)',
    parameter: { name: 'optimizer', kind: 'CHOICE', values: ['SGD', 'ADAM', 'RMSPROP'] },
    observations: ['ADAM', 'ADAM', 'SGD'],
    at: ['SGD', 'ADAM', 'RMSPROP'],
    expected: [-1.0986122886681098, -0.7419373447293773, -1.6582280766035324],
  },
  {
    title: 'UNIFORM with 30 observations (ramped weights)',
    parameter: { name: 'dropout[0]', kind: 'UNIFORM', low: 0, high: 10 },
    observations: Array.from({ length: 30 }, (_, i) => ((i * 37) % 100) / 10),
    at: [0, 0.05, 3.3, 7.7, 10],
    expected: [-3.020135764474393, -2.9196878671291704, -2.233450862970715, -2.228049875661421, -2.288083608508928],
  },
  {
    title: 'no observations (prior only)',
    parameter: { name: 'dropout[0]', kind: 'UNIFORM', low: 0, high: 1 },
    observations: [],
    at: [0, 0.5, 1],
    expected: [-0.08402219950905043, 0.04097780049094957, -0.08402219950905043],
  },
  {
    title: 'INT_RANGE cells far in the kernel tails',
    parameter: { name: 'epochs', kind: 'INT_RANGE', low: 1, high: 10000, step: 1 },
    observations: [5000, 5001],
    at: [1, 4999, 5000, 10000],
    expected: [-9.992586711217308, -8.830647946568043, -8.830647822201973, -9.992586711217308],
  },
];

describe('buildParzenEstimator', () => {
  it.each(CASES)('$title: log densities match Optuna 5', ({ parameter, observations, at, expected }) => {
    const estimator = buildParzenEstimator(parameter, observations, 1);
    at.forEach((x, i) => expect(estimator.logPdf(x)).toBeCloseTo(expected[i], 10));
  });

  it('draws int values on the step grid within the bounds', () => {
    const parameter: SearchParameter = { name: 'units[0]', kind: 'INT_RANGE', low: 16, high: 128, step: 16 };
    const estimator = buildParzenEstimator(parameter, [32, 32, 128], 1);
    const random = createRandom(3);
    for (let i = 0; i < 500; i++) {
      const value = estimator.sample(random) as number;
      expect((value - 16) % 16).toBe(0);
      expect(value).toBeGreaterThanOrEqual(16);
      expect(value).toBeLessThanOrEqual(128);
    }
  });

  it('draws log-uniform values within the bounds, concentrated near the observations', () => {
    const parameter: SearchParameter = { name: 'learningRate', kind: 'LOG_UNIFORM', low: 1e-5, high: 1 };
    const estimator = buildParzenEstimator(parameter, [1e-3, 1.2e-3, 0.9e-3, 1.1e-3], 1);
    const random = createRandom(5);
    const draws = Array.from({ length: 1000 }, () => estimator.sample(random) as number);
    expect(Math.min(...draws)).toBeGreaterThanOrEqual(1e-5);
    expect(Math.max(...draws)).toBeLessThanOrEqual(1);
    // Four of five kernels (weight 4/5) sit near log10 x = -3 with sigma clipped up to 5/6 of a decade
    // (range / min(100, n + 2)): about 0.8 * 0.77 + 0.2 * 0.4 = 0.69 of the draws fall within 1e-4..1e-2.
    const near = draws.filter((x) => x > 1e-4 && x < 1e-2).length;
    expect(near).toBeGreaterThan(600);
  });

  it('ignores observations the parameter cannot take', () => {
    const parameter: SearchParameter = { name: 'optimizer', kind: 'CHOICE', values: ['SGD', 'ADAM', 'RMSPROP'] };
    const clean = buildParzenEstimator(parameter, ['ADAM'], 1);
    const noisy = buildParzenEstimator(parameter, ['ADAM', 'NADAM', undefined], 1);
    expect(noisy.logPdf('ADAM')).toBeCloseTo(clean.logPdf('ADAM'), 12);
  });
});

describe('defaultWeights', () => {
  it('is flat below 25 observations and ramps the oldest beyond', () => {
    expect(defaultWeights(3)).toEqual([1, 1, 1]);
    // numpy.linspace(1/30, 1, 5) = 1/30 + k * (1 - 1/30) / 4 for k = 0..4, then 25 ones.
    const weights = defaultWeights(30);
    expect(weights).toHaveLength(30);
    [1 / 30, 0.275, 0.5166666666666667, 0.7583333333333333, 1].forEach((w, k) => expect(weights[k]).toBeCloseTo(w, 12));
    expect(weights.slice(5)).toEqual(new Array(25).fill(1));
  });
});
