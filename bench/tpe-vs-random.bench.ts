/**
 * TPE against RANDOM search at equal budgets on the synthetic objective of
 * bench/support/synthetic-objective.ts (known optimum 0, so the best value is the regret).
 * One observation per seed and strategy: the best objective of a study of `trials` trials; the
 * strategies run on the same seeds in turn (bench/support/harness.ts), so the ratio TPE / RANDOM
 * (below 1: TPE finds better hyperparameters with the same number of trials) is paired by seed.
 * Usage: node dist/bench/tpe-vs-random.bench.js [trials=40] [seeds=20] (BENCH_REPETITIONS also sets the seeds)
 */
import { createSampler } from '../src/domain/optimization/sampler';
import { validateSearchSpace, type SearchStrategy } from '../src/domain/optimization/search-space';
import { BenchReport, formatMeasured, formatRatio, measureRoundRobin, runBenchmark, runOptions, type Side } from './support/harness';
import { bestOfSyntheticStudy, SYNTHETIC_SPACE } from './support/synthetic-objective';

/** Each call runs the next seed's study (1, 2, ...) and returns its best objective. */
function strategySide(strategy: SearchStrategy, trials: number): Side {
  const space = validateSearchSpace(SYNTHETIC_SPACE, { strategy });
  let seed = 0;
  return {
    name: `${strategy} best objective`,
    unit: '',
    observe: () => bestOfSyntheticStudy(createSampler(space, { strategy, direction: 'MINIMIZE', seed: ++seed }), trials),
  };
}

async function main(): Promise<void> {
  const trials = Number(process.argv[2] ?? 40);
  const options = runOptions({ repetitions: Number(process.argv[3] ?? 20), warmup: 0 });
  const started = process.hrtime.bigint();
  const [random, tpe] = await measureRoundRobin([strategySide('RANDOM', trials), strategySide('TPE', trials)], options);
  const report = new BenchReport(
    `synthetic objective (optimum 0), ${trials} trials per study, seeds 1..${options.repetitions} (${(Number(process.hrtime.bigint() - started) / 1e6).toFixed(0)} ms)`,
  );
  report.print(`  ${formatMeasured(random)}`);
  report.print(`  ${formatMeasured(tpe)}`);
  report.print(`  ${formatRatio(tpe, random, 'TPE / RANDOM')}`);
}

runBenchmark(main);
