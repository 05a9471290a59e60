/**
 * Issue 4 target: a drift report over a 100,000-prediction window with 30 features takes well
 * under 1 s. Times the whole report (30 x testFeatureDrift + datasetDrift) against a 5,000-row
 * reference (normed Wasserstein / Jensen-Shannon, plus PSI) and against a 1,000-row reference
 * (KS / chi-squared, plus PSI), and compares each with two baselines run in the same process:
 * copying and sorting the same 30 window columns once with the built-in typed-array sort (what a
 * straightforward exact implementation pays at least; mlplane sorts with a radix sort instead),
 * and one pass summing every window value (the memory floor).
 * All four are measured in turn, in the same rounds (bench/support/harness.ts).
 * Environment: BENCH_REPETITIONS (default 15), BENCH_WARMUP.
 * Run: npm run bench:drift
 */
import type { DataColumn } from '../src/domain/datasets/data-table';
import { createRandom, type Random } from '../src/domain/random';
import { datasetDrift, testFeatureDrift, type FeatureDriftResult } from '../src/ml/drift/feature-drift';
import { BenchReport, formatMeasured, formatRatio, measureRoundRobin, runBenchmark, runOptions, timeMs, type Side } from './support/harness';

const WINDOW_ROWS = 100_000;
const NUMERIC_FEATURES = 24;
const CATEGORICAL_FEATURES = 6;
const CATEGORIES = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];

function normal(random: Random): number {
  // Box-Muller; 1 - u keeps the logarithm finite.
  return Math.sqrt(-2 * Math.log(1 - random.next())) * Math.cos(2 * Math.PI * random.next());
}

/** 30 columns; in the window every other feature is shifted (numeric by 0.5 std, categorical skewed). */
function columns(rows: number, shifted: boolean, seed: number): DataColumn[] {
  const random = createRandom(seed);
  const result: DataColumn[] = [];
  for (let f = 0; f < NUMERIC_FEATURES; f++) {
    const shift = shifted && f % 2 === 0 ? 0.5 : 0;
    const values = Float64Array.from({ length: rows }, () => (random.next() < 0.01 ? NaN : 10 + 3 * (normal(random) + shift)));
    result.push({ name: `x${f}`, type: 'NUMERIC', values });
  }
  for (let f = 0; f < CATEGORICAL_FEATURES; f++) {
    const skew = shifted && f % 2 === 0;
    const codes = Int32Array.from({ length: rows }, () => {
      const u = random.next();
      return skew ? Math.floor(u * u * CATEGORIES.length) : Math.floor(u * CATEGORIES.length);
    });
    result.push({ name: `c${f}`, type: 'CATEGORICAL', categories: CATEGORIES, codes });
  }
  return result;
}

function report(reference: DataColumn[], window: DataColumn[]): { features: FeatureDriftResult[]; drifted: boolean } {
  const features = reference.map((column, k) => testFeatureDrift(column, window[k]));
  return { features, drifted: datasetDrift(features).drifted };
}

async function main(): Promise<void> {
  const options = runOptions({ repetitions: 15, warmup: 2 });
  const window = columns(WINDOW_ROWS, true, 2);
  const references = [5000, 1000].map((rows) => ({ rows, columns: columns(rows, false, 1) }));
  const sides: Side[] = [
    ...references.map((reference) => {
      const result = report(reference.columns, window);
      const methods = [...new Set(result.features.map((feature) => feature.method))].join(' + ');
      const drifted = result.features.filter((feature) => feature.drifted).length;
      return {
        name: `reference ${reference.rows} rows (${methods} + PSI; ${drifted}/${result.features.length} features drifted, window drifted: ${String(result.drifted)})`,
        unit: 'ms',
        observe: timeMs(() => report(reference.columns, window)),
      };
    }),
    {
      name: 'baseline, copy + built-in sort of the 30 window columns',
      unit: 'ms',
      observe: timeMs(() =>
        window.map((column) => (column.type === 'NUMERIC' ? Float64Array.from(column.values).sort() : Int32Array.from(column.codes).sort())),
      ),
    },
    {
      name: 'floor, one summing pass over the 30 window columns',
      unit: 'ms',
      observe: timeMs(() =>
        window.map((column) => {
          const values = column.type === 'NUMERIC' ? column.values : column.codes;
          let sum = 0;
          for (let i = 0; i < values.length; i++) sum += values[i];
          return sum;
        }),
      ),
    },
  ];
  const out = new BenchReport(
    `drift report: ${WINDOW_ROWS} window rows x ${NUMERIC_FEATURES + CATEGORICAL_FEATURES} features ` +
      `(${NUMERIC_FEATURES} numeric, ${CATEGORICAL_FEATURES} categorical); ${options.repetitions} rounds after ${options.warmup} warm-up calls per side`,
  );
  const [ref5000, ref1000, sort, floor] = await measureRoundRobin(sides, options);
  for (const measured of [ref5000, ref1000, sort, floor]) out.print(`  ${formatMeasured(measured)}`);
  for (const measured of [ref5000, ref1000]) {
    out.print(
      `  ${formatRatio(measured, sort, `ratio reference ${measured === ref5000 ? 5000 : 1000} rows / sort baseline`)}; target < 1000 ms ${measured.summary.median < 1000 ? 'met' : 'NOT met'}`,
    );
    out.print(`  ${formatRatio(measured, floor, `ratio reference ${measured === ref5000 ? 5000 : 1000} rows / floor`)}`);
  }
}

runBenchmark(main);
