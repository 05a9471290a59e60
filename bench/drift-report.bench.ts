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
 * every other feature shifted.
 * Run: npm run bench:drift-report
 */
import { performance } from 'node:perf_hooks';
import { loadConfig } from '../src/config/config';
import { DEFAULT_DRIFT_MONITORING } from '../src/domain/deployments/drift-monitoring';
import { createRandom, type Random } from '../src/domain/random';
import { createPrismaClient } from '../src/infra/db/prisma-client';
import { logger } from '../src/infra/logger';
import type { JobQueue } from '../src/infra/queue/job-queue';
import type { PreprocessingSpec } from '../src/ml/preprocessing';
import { encodePredictionVector } from '../src/ml/serving/prediction-vector';
import { computeDriftReport, windowSamples } from '../src/services/monitoring/drift-report';
import type { PredictionRecord } from '../src/services/predictions/prediction-log';
import { createDomainServices } from '../src/services/services';
import { RecordingPublisher } from '../test/support/run-fixtures';
import { trainVersions } from '../test/support/trained-version';
import { openBenchDatabase } from './support/bench-database';

const WINDOW = 100_000;
const NUMERIC = 24;
const CATEGORICAL = 6;
const CATEGORIES = ['a', 'b', 'c', 'd', 'e', 'f'];
const REPEATS = 5;

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

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function main(): Promise<void> {
  const db = await openBenchDatabase();
  const prisma = createPrismaClient(db.url, 8);
  logger.level = 'warn';
  try {
    const services = createDomainServices({ prisma, events: new RecordingPublisher(), queue: {} as JobQueue, config: loadConfig({}) });
    const trained = await trainVersions(prisma, services, { name: 'drift-bench', csv: trainingCsv(5000), labelColumn: 'label', seeds: [1], epochs: 2 });
    const versionId = trained.versionIds[0];
    const { deployment } = await services.deployments.deployModel({ name: 'drift-bench', modelVersionId: versionId }, 'bench');
    await services.driftMonitor.setSettings('drift-bench', { windowSize: WINDOW, periodSeconds: 86_400 });

    const spec = (await services.modelVersions.requireVersion(versionId)).preprocessing as unknown as PreprocessingSpec;
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
    if (!cold || cold.windowSize !== WINDOW) throw new Error(`expected a report of ${WINDOW} predictions, got ${cold?.windowSize}`);

    const fullMs: number[] = [];
    for (let i = 0; i < REPEATS; i++) {
      // The same window is due again once its report is gone.
      await prisma.driftReport.deleteMany({ where: { deploymentId: deployment.id } });
      const start = performance.now();
      const report = await services.driftMonitor.check(deployment.id);
      fullMs.push(performance.now() - start);
      if (report?.windowSize !== WINDOW) throw new Error('the window was not reported');
    }

    const readMs: number[] = [];
    let rows: { inputs: unknown; output: unknown }[] = [];
    for (let i = 0; i < REPEATS; i++) {
      const start = performance.now();
      rows = await prisma.$queryRaw<{ inputs: unknown; output: unknown }[]>`
        SELECT inputs, output FROM predictions WHERE deployment_id = ${deployment.id}::uuid ORDER BY created_at DESC LIMIT ${WINDOW}`;
      readMs.push(performance.now() - start);
    }
    const columnsMs: number[] = [];
    let window = windowSamples(spec, rows);
    for (let i = 0; i < REPEATS; i++) {
      const start = performance.now();
      window = windowSamples(spec, rows);
      columnsMs.push(performance.now() - start);
    }
    const reference = await services.driftMonitor.reference(versionId, DEFAULT_DRIFT_MONITORING.referenceSize);
    const statsMs: number[] = [];
    let result = computeDriftReport(reference, window, DEFAULT_DRIFT_MONITORING);
    for (let i = 0; i < REPEATS; i++) {
      const start = performance.now();
      result = computeDriftReport(reference, window, DEFAULT_DRIFT_MONITORING);
      statsMs.push(performance.now() - start);
    }

    const full = median(fullMs);
    const stats = median(statsMs);
    const read = median(readMs);
    const columns = median(columnsMs);
    const ms = (value: number) => `${value.toFixed(0)} ms`;
    process.stdout.write(
      [
        `drift report benchmark (${db.where}): ${WINDOW} logged predictions x ${NUMERIC + CATEGORICAL} features (${NUMERIC} numeric, ${CATEGORICAL} categorical), reference ${reference.size} rows, median of ${REPEATS}`,
        `  full report (DriftMonitor.check, reference cached): ${ms(full)}  target < 1000 ms ${full < 1000 ? 'met' : 'NOT met'}`,
        `  cold first report (also loads the reference and runs the model on it): ${ms(coldMs)}`,
        `  baseline, pure statistics (computeDriftReport on in-memory columns): ${ms(stats)}  ratio full/statistics ${(full / stats).toFixed(2)}`,
        `  for comparison, reading the window's whole JSON rows instead (the monitor reads the binary vectors): ${ms(read)}, ratio to full ${(read / full).toFixed(2)}`,
        `  for comparison, building the columns from those rows: ${ms(columns)}`,
        `  methods ${[...new Set(result.features.map((f) => f.method))].join(' + ')}; drifted ${result.features.filter((f) => f.drifted).length}/${result.features.length} features (15 shifted), window drifted: ${result.drifted}`,
        '',
      ].join('\n'),
    );
  } finally {
    await prisma.$disconnect();
    await db.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
