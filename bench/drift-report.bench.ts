/**
 * Issue 4 target: a drift report over a 100,000-prediction window with 30 features in under 1 s,
 * timed end to end through `DriftMonitor.check` (find the due window, read the 100,000 logged
 * predictions' drift vectors from PostgreSQL, split them into columns, test 30 features and the
 * output, store the report), with the reference already cached (the first, cold report is printed
 * too: it also loads the reference and runs the model on it). Baselines in the same run: the pure
 * statistics alone (`computeDriftReport` on columns already in memory); for comparison, reading
 * the window's whole JSON rows (what the monitor avoids by reading the binary vectors logged with them).
 * Model: a 24-numeric + 6-categorical binary MLP trained on 5,000 synthetic rows; the window's
 * predictions are written through the prediction log with their vectors, as `predict` logs them,
 * every other feature shifted. The model is trained by a `mlplane worker` process, as a client's.
 * The four timings are measured in turn, in the same rounds (bench/support/harness.ts).
 * Environment: DATABASE_URL (else an embedded PostgreSQL), BENCH_REPETITIONS (default 10), BENCH_WARMUP.
 * Run: npm run bench:drift-report
 */
import { performance } from 'node:perf_hooks';
import { DEFAULT_DRIFT_MONITORING } from '../src/domain/deployments/drift-monitoring';
import { createRandom, type Random } from '../src/domain/random';
import { logger } from '../src/infra/logger';
import { encodePredictionVector } from '../src/ml/serving/prediction-vector';
import { computeDriftReport, windowSamples } from '../src/services/monitoring/drift-report';
import type { PredictionRecord } from '../src/services/predictions/prediction-log';
import { openBenchDatabase } from './support/bench-database';
import { openBenchServices } from './support/bench-services';
import { BenchReport, formatMeasured, formatRatio, measureRoundRobin, runBenchmark, runOptions, timeMs } from './support/harness';
import { trainModelVersion } from './support/trained-version';

const WINDOW = 100_000;
const NUMERIC = 24;
const CATEGORICAL = 6;
const CATEGORIES = ['a', 'b', 'c', 'd', 'e', 'f'];

function normal(random: Random): number {
  return Math.sqrt(-2 * Math.log(1 - random.next())) * Math.cos(2 * Math.PI * random.next());
}

/** One row of features; `shifted` moves every other numeric feature by 0.5 std and skews every other categorical one. */
function row(random: Random, shifted: boolean): Record<string, number | string> {
  const result: Record<string, number | string> = {};
  for (let f = 0; f < NUMERIC; f++) result[`x${f}`] = 10 + 3 * (normal(random) + (shifted && f % 2 === 0 ? 0.5 : 0));
  for (let f = 0; f < CATEGORICAL; f++) {
    const u = random.next();
    result[`c${f}`] = CATEGORIES[Math.floor((shifted && f % 2 === 0 ? u * u : u) * CATEGORIES.length)];
  }
  return result;
}

function trainingCsv(rows: number): string {
  const random = createRandom(1);
  const names = [...Array.from({ length: NUMERIC }, (_, f) => `x${f}`), ...Array.from({ length: CATEGORICAL }, (_, f) => `c${f}`)];
  const lines = [[...names, 'label'].join(',')];
  for (let r = 0; r < rows; r++) {
    const values = row(random, false);
    const label = (values.x0 as number) + (values.x1 as number) > 20 ? 1 : 0;
    lines.push([...names.map((name) => values[name]), label].join(','));
  }
  return `${lines.join('\n')}\n`;
}

async function main(): Promise<void> {
  logger.level = 'warn';
  const options = runOptions();
  const db = await openBenchDatabase();
  const bench = await openBenchServices(db.url, { prismaPoolSize: 8 });
  const { prisma, services } = bench;
  try {
    const trained = await trainModelVersion(bench, db.url, {
      name: 'drift-bench',
      csv: trainingCsv(5000),
      labelColumn: 'label',
      hyperparameters: { epochs: 2, batchSize: 32, seed: 1, backend: 'CPU' },
    });
    const versionId = trained.versionId;
    const { deployment } = await services.deployments.deployModel({ name: 'drift-bench', modelVersionId: versionId }, 'bench');
    await services.driftMonitor.setSettings('drift-bench', { windowSize: WINDOW, periodSeconds: 86_400 });

    const spec = (await services.modelVersions.requireVersion(versionId)).preprocessing;
    const random = createRandom(2);
    const createdAt = new Date(Date.now() - 60_000);
    for (let start = 0; start < WINDOW; start += 20_000) {
      const records: PredictionRecord[] = Array.from({ length: 20_000 }, (_, i) => {
        const inputs = row(random, true);
        const p = random.next();
        const output = { label: p < 0.5 ? '0' : '1', probabilities: { '0': 1 - p, '1': p } };
        return {
          id: crypto.randomUUID(),
          deploymentId: deployment.id,
          modelVersionId: versionId,
          requestKey: `r${start + i}`,
          instanceIndex: 0,
          inputs,
          output,
          vector: encodePredictionVector(spec, inputs, output),
          latencyMs: 1,
          createdAt,
        };
      });
      await services.predictionLog.append(records);
    }

    const t0 = performance.now();
    const cold = await services.driftMonitor.check(deployment.id);
    const coldMs = performance.now() - t0;
    if (cold?.windowSize !== WINDOW) throw new Error(`expected a report of ${WINDOW} predictions, got ${String(cold?.windowSize)}`);

    const readRows = () => prisma.$queryRaw<{ inputs: unknown; output: unknown }[]>`
        SELECT inputs, output FROM predictions WHERE deployment_id = ${deployment.id}::uuid ORDER BY created_at DESC LIMIT ${WINDOW}`;
    const rows = await readRows();
    const window = windowSamples(spec, rows);
    const reference = await services.driftMonitor.reference(versionId, DEFAULT_DRIFT_MONITORING.referenceSize);
    const result = computeDriftReport(reference, window, DEFAULT_DRIFT_MONITORING);
    const [full, stats, read, columns] = await measureRoundRobin(
      [
        {
          name: 'full report (DriftMonitor.check, reference cached; target < 1000 ms)',
          unit: 'ms',
          observe: async () => {
            // The same window is due again once its report is gone.
            await prisma.driftReport.deleteMany({ where: { deploymentId: deployment.id } });
            const start = performance.now();
            const report = await services.driftMonitor.check(deployment.id);
            const elapsed = performance.now() - start;
            if (report?.windowSize !== WINDOW) throw new Error('the window was not reported');
            return elapsed;
          },
        },
        {
          name: 'baseline, pure statistics (computeDriftReport on in-memory columns)',
          unit: 'ms',
          observe: timeMs(() => computeDriftReport(reference, window, DEFAULT_DRIFT_MONITORING)),
        },
        { name: "for comparison, reading the window's whole JSON rows (the monitor reads the binary vectors)", unit: 'ms', observe: timeMs(readRows) },
        { name: 'for comparison, building the columns from those rows', unit: 'ms', observe: timeMs(() => windowSamples(spec, rows)) },
      ],
      options,
    );
    const report = new BenchReport(
      `drift report benchmark (${db.where}): ${WINDOW} logged predictions x ${NUMERIC + CATEGORICAL} features (${NUMERIC} numeric, ${CATEGORICAL} categorical), ` +
        `reference ${reference.size} rows; ${options.repetitions} rounds after ${options.warmup} warm-up calls per side`,
    );
    for (const measured of [full, stats, read, columns]) report.print(`  ${formatMeasured(measured)}`);
    report.print(`  target < 1000 ms: ${full.summary.median < 1000 ? 'met' : 'NOT met'}`);
    report.print(`  cold first report (also loads the reference and runs the model on it), one observation: ${coldMs.toFixed(0)} ms`);
    report.print(`  ${formatRatio(full, stats, 'ratio full / statistics')}`);
    report.print(`  ${formatRatio(read, full, 'ratio JSON rows read / full report')}`);
    report.print(
      `  methods ${[...new Set(result.features.map((f) => f.method))].join(' + ')}; drifted ${result.features.filter((f) => f.drifted).length}/${result.features.length} features (15 shifted), window drifted: ${String(result.drifted)}`,
    );
  } finally {
    await bench.close();
    await db.close();
  }
}

runBenchmark(main);
