/**
 * Issue 2 target: reading a 100,000 x 30 dataset version back into numeric arrays takes under 1 s.
 * Measures DatasetService.loadTable (PostgreSQL read through Prisma + columnar decode) in turn with
 * a bare `pg` fetch of the same bytea (the I/O floor); and creating a version from the CSV (parse,
 * type, profile, encode, store) in turn with parsing the same CSV alone (what a user without mlplane
 * would redo on every read). Each pair is measured in the same run through bench/support/harness.ts.
 * Environment: DATABASE_URL (else an embedded PostgreSQL), BENCH_REPETITIONS (default 10), BENCH_WARMUP.
 * Run: npm run bench:datasets
 */
import { Client, Pool } from 'pg';
import { parseCsv } from '../src/domain/datasets/csv-parser';
import { createPrismaClient } from '../src/infra/db/prisma-client';
import { NotifyEventPublisher } from '../src/infra/events/notify-event-publisher';
import { DatasetService } from '../src/services/datasets/dataset.service';
import { openBenchDatabase } from './support/bench-database';
import { BenchReport, formatMeasured, formatRatio, measureRoundRobin, runBenchmark, runOptions, timeMs } from './support/harness';

const ROWS = 100_000;
const FEATURES = 29;

function syntheticCsv(): string {
  const header = [...Array.from({ length: FEATURES }, (_, i) => `f${i}`), 'label'].join(',');
  const lines = [header];
  let state = 12345;
  const next = () => (state = (state * 1103515245 + 12345) % 2147483648) / 2147483648;
  for (let r = 0; r < ROWS; r++) {
    const cells: string[] = [];
    for (let c = 0; c < FEATURES; c++) cells.push((next() * 100 - 50).toFixed(4));
    cells.push(next() < 0.5 ? '0' : '1');
    lines.push(cells.join(','));
  }
  return `${lines.join('\n')}\n`;
}

async function main(): Promise<void> {
  const options = runOptions();
  const db = await openBenchDatabase();
  const prisma = createPrismaClient(db.url, 4);
  const pool = new Pool({ connectionString: db.url, max: 2 });
  const raw = new Client({ connectionString: db.url });
  try {
    await raw.connect();
    const maxBytes = 200 * 1024 * 1024;
    const service = new DatasetService(prisma, new NotifyEventPublisher(pool), { maxBytes, maxColumns: 1000 });
    const csv = syntheticCsv();
    const report = new BenchReport(
      `dataset read benchmark (${db.where}): ${ROWS} rows x ${FEATURES + 1} columns, CSV ${(Buffer.byteLength(csv) / 1e6).toFixed(1)} MB; ` +
        `${options.repetitions} rounds after ${options.warmup} warm-up calls per side`,
    );
    let datasets = 0;
    const [ingest, parse] = await measureRoundRobin(
      [
        {
          name: 'createDataset (parse, type, profile, encode, store)',
          unit: 'ms',
          observe: timeMs(() => service.createDataset({ name: `bench-${++datasets}`, csv, labelColumn: 'label' })),
        },
        { name: 'baseline: parse the CSV alone', unit: 'ms', observe: timeMs(() => parseCsv(csv, { maxBytes })) },
      ],
      options,
    );
    report.print(`  ${formatMeasured(ingest)}`);
    report.print(`  ${formatMeasured(parse)}`);
    report.print(`  ${formatRatio(ingest, parse, 'ratio createDataset / parse')}`);

    const { version } = await service.createDataset({ name: 'bench-read', csv, labelColumn: 'label' });
    const [load, fetch] = await measureRoundRobin(
      [
        { name: 'loadTable -> numeric arrays (target < 1000 ms)', unit: 'ms', observe: timeMs(() => service.loadTable(version.id)) },
        {
          name: 'baseline: bare pg fetch of the same bytes',
          unit: 'ms',
          observe: timeMs(() => raw.query('SELECT encoded FROM dataset_version_columns WHERE dataset_version_id = $1 ORDER BY position', [version.id])),
        },
      ],
      options,
    );
    report.print(`  ${formatMeasured(load)}: target ${load.summary.median < 1000 ? 'met' : 'NOT met'}`);
    report.print(`  ${formatMeasured(fetch)}`);
    report.print(`  ${formatRatio(load, fetch, 'ratio loadTable / bare fetch')}`);
  } finally {
    await raw.end();
    await prisma.$disconnect();
    await pool.end();
    await db.close();
  }
}

runBenchmark(main);
