/**
 * Issue 4 target: a drift report over a 100,000-prediction window with 30 features takes well
 * under 1 s. Times the whole report (30 x testFeatureDrift + datasetDrift) against a 5,000-row
 * reference (normed Wasserstein / Jensen-Shannon, plus PSI) and against a 1,000-row reference
 * (KS / chi-squared, plus PSI), and compares each with two baselines run in the same process:
 * copying and sorting the same 30 window columns once with the built-in typed-array sort (what a
 * straightforward exact implementation pays at least; mlplane sorts with a radix sort instead),
 * and one pass summing every window value (the memory floor).
 * Run: npm run build && node dist/bench/drift.bench.js
 */
import type { DataColumn } from '../src/domain/datasets/data-table';
import { createRandom, type Random } from '../src/domain/random';
import { datasetDrift, testFeatureDrift, type FeatureDriftResult } from '../src/ml/drift/feature-drift';

const WINDOW_ROWS = 100_000;
const NUMERIC_FEATURES = 24;
const CATEGORICAL_FEATURES = 6;
const CATEGORIES = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
const REPEATS = 15;

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

/** Median wall time in milliseconds of `REPEATS` runs of `work`, after two warm-up runs. */
function timed(work: () => unknown): number {
  work();
  work();
  const times: number[] = [];
  for (let i = 0; i < REPEATS; i++) {
    const start = process.hrtime.bigint();
    work();
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return times.sort((a, b) => a - b)[Math.floor(REPEATS / 2)];
}

function report(reference: DataColumn[], window: DataColumn[]): { features: FeatureDriftResult[]; drifted: boolean } {
  const features = reference.map((column, k) => testFeatureDrift(column, window[k]));
  return { features, drifted: datasetDrift(features).drifted };
}

function main(): void {
  const window = columns(WINDOW_ROWS, true, 2);
  const baselineMs = timed(() =>
    window.map((column) =>
      column.type === 'NUMERIC' ? Float64Array.from(column.values).sort() : Int32Array.from(column.codes).sort(),
    ),
  );

  const floorMs = timed(() =>
    window.map((column) => {
      const values = column.type === 'NUMERIC' ? column.values : column.codes;
      let sum = 0;
      for (let i = 0; i < values.length; i++) sum += values[i];
      return sum;
    }),
  );

  const lines = [
    `drift report: ${WINDOW_ROWS} window rows x ${NUMERIC_FEATURES + CATEGORICAL_FEATURES} features ` +
      `(${NUMERIC_FEATURES} numeric, ${CATEGORICAL_FEATURES} categorical), median of ${REPEATS}`,
    `  baseline, copy + built-in sort of the 30 window columns: ${baselineMs.toFixed(1)} ms`,
    `  floor, one summing pass over the 30 window columns: ${floorMs.toFixed(1)} ms`,
  ];
  for (const referenceRows of [5000, 1000]) {
    const reference = columns(referenceRows, false, 1);
    const result = report(reference, window);
    const methods = [...new Set(result.features.map((feature) => feature.method))].join(' + ');
    const drifted = result.features.filter((feature) => feature.drifted).length;
    const ms = timed(() => report(reference, window));
    lines.push(
      `  reference ${referenceRows} rows (${methods} + PSI): ${ms.toFixed(1)} ms, ` +
        `ratio to sort baseline ${(ms / baselineMs).toFixed(2)}, to floor ${(ms / floorMs).toFixed(0)}, ` +
        `target < 1000 ms ${ms < 1000 ? 'met' : 'NOT met'}; ${drifted}/${result.features.length} features drifted, ` +
        `window drifted: ${result.drifted}`,
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

main();
