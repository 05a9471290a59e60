/**
 * TPE against RANDOM search at equal budgets on the synthetic objective of
 * test/support/synthetic-objective.ts (known optimum 0, so the best value is the regret).
 * Prints each strategy's mean best objective over the seeds and TPE's ratio to RANDOM
 * (below 1: TPE finds better hyperparameters with the same number of trials).
 * Usage: node dist/bench/tpe-vs-random.bench.js [trials=40] [seeds=20]
 */
import { createSampler } from '../src/domain/optimization/sampler';
import { validateSearchSpace, type SearchStrategy } from '../src/domain/optimization/search-space';
import { bestOfSyntheticStudy, SYNTHETIC_SPACE } from '../test/support/synthetic-objective';

function meanBest(strategy: SearchStrategy, trials: number, seeds: number): { mean: number; ms: number } {
  const space = validateSearchSpace(SYNTHETIC_SPACE, { strategy });
  const started = process.hrtime.bigint();
  let total = 0;
  for (let seed = 1; seed <= seeds; seed++) {
    total += bestOfSyntheticStudy(createSampler(space, { strategy, direction: 'MINIMIZE', seed }), trials);
  }
  return { mean: total / seeds, ms: Number(process.hrtime.bigint() - started) / 1e6 };
}

function main(): void {
  const trials = Number(process.argv[2] ?? 40);
  const seeds = Number(process.argv[3] ?? 20);
  const random = meanBest('RANDOM', trials, seeds);
  const tpe = meanBest('TPE', trials, seeds);
  const lines = [
    `synthetic objective (optimum 0), ${trials} trials per study, ${seeds} seeds`,
    `RANDOM mean best objective: ${random.mean.toFixed(4)}  (${random.ms.toFixed(0)} ms)`,
    `TPE    mean best objective: ${tpe.mean.toFixed(4)}  (${tpe.ms.toFixed(0)} ms)`,
    `TPE / RANDOM: ${(tpe.mean / random.mean).toFixed(3)}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

main();
