/**
 * Issue 2 target: reading a 100,000 x 30 dataset version back into numeric arrays takes under 1 s.
 * Measures DatasetService.loadTable (PostgreSQL read through Prisma + columnar decode) and compares it,
 * in the same process, with two baselines: fetching the same bytea with a bare `pg` query (the I/O floor),
 * and parsing the original CSV again (what a user without mlplane would do).
 * Run: npm run bench:datasets
 */
import { Client, Pool } from 'pg';
import { parseCsv } from '../src/domain/datasets/csv-parser';
import { createPrismaClient } from '../src/infra/db/prisma-client';
import { NotifyEventPublisher } from '../src/infra/events/notify-event-publisher';
import { DatasetService } from '../src/services/datasets/dataset.service';
import { medianMs, openBenchDatabase } from './support/bench-database';

const ROWS = 100_000;
const FEATURES = 29;

function syntheticCsv(): string {
  const header = [...Array.from({ length: FEATURES }, (_, i) => `f${i}`), 'label'].join(',');
  const lines = [header];
  let state = 12345;
  const next = () => ((state = (state * 1103515245 + 12345) % 2147483648) / 2147483648);
  for (let r = 0; r < ROWS; r++) {
    const cells: string[] = [];
    for (let c = 0; c < FEATURES; c++) cells.push((next() * 100 - 50).toFixed(4));
    cells.push(next() < 0.5 ? '0' : '1');
    lines.push(cells.join(','));
  }
  return `${lines.join('\n')}\n`;
}

async function main(): Promise<void> {
  const db = await openBenchDatabase();
  const prisma = createPrismaClient(db.url, 4);
  const pool = new Pool({ connectionString: db.url, max: 2 });
  try {
    const service = new DatasetService(prisma, new NotifyEventPublisher(pool), { maxBytes: 200 * 1024 * 1024, maxColumns: 1000 });
    const csv = syntheticCsv();
    const ingestStart = Date.now();
    const { version } = await service.createDataset({ name: 'bench-100k-x-30', csv, labelColumn: 'label' });
    const ingestMs = Date.now() - ingestStart;

    const loadMs = await medianMs(5, () => service.loadTable(version.id));
    const raw = new Client({ connectionString: db.url });
    await raw.connect();
    const rawMs = await medianMs(5, () => raw.query('SELECT encoded FROM dataset_version_columns WHERE dataset_version_id = $1 ORDER BY position', [version.id]));
    await raw.end();
    const csvMs = await medianMs(3, () => parseCsv(csv, { maxBytes: 200 * 1024 * 1024 }));

    const mb = (Buffer.byteLength(csv) / 1e6).toFixed(1);
    process.stdout.write(
      [
        `dataset read benchmark (${db.where}): ${ROWS} rows x ${FEATURES + 1} columns, CSV ${mb} MB`,
        `  createDataset (parse, type, profile, store):  ${ingestMs} ms`,
        `  loadTable -> numeric arrays, median of 5:      ${loadMs.toFixed(1)} ms   (target < 1000 ms: ${loadMs < 1000 ? 'met' : 'NOT met'})`,
        `  baseline: bare pg fetch of the same bytes:    ${rawMs.toFixed(1)} ms   ratio ${(loadMs / rawMs).toFixed(2)}`,
        `  baseline: parse the CSV text again:           ${csvMs.toFixed(1)} ms   ratio ${(loadMs / csvMs).toFixed(3)}`,
        '',
      ].join('\n'),
    );
  } finally {
    await prisma.$disconnect();
    await pool.end();
    await db.close();
  }
}

main().catch((error) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
