import { gunzipSync } from 'node:zlib';
import { Pool } from 'pg';
import { ConflictError, NotFoundError, ValidationError } from '../../../src/domain/errors';
import { createPrismaClient, type PrismaClient } from '../../../src/infra/db/prisma-client';
import { NotifyEventPublisher } from '../../../src/infra/events/notify-event-publisher';
import { DatasetService } from '../../../src/services/datasets/dataset.service';
import { PIECE_BYTES } from '../../../src/services/datasets/version-rows';
import { INLINE_INGEST_BYTES } from '../../../src/services/datasets/ingest-threads';
import { contentHash } from '../../../src/domain/datasets/content-hash';
import { createTestDatabase, type TestDatabase } from '../../support/test-database';
import { fixtureCsv } from '../../support/fixtures';

describe('DatasetService against PostgreSQL', () => {
  let db: TestDatabase;
  let prisma: PrismaClient;
  let pool: Pool;
  let service: DatasetService;

  beforeAll(async () => {
    db = await createTestDatabase();
    prisma = createPrismaClient(db.url, 4);
    pool = new Pool({ connectionString: db.url, max: 2 });
    service = new DatasetService(prisma, new NotifyEventPublisher(pool), { maxBytes: 100 * 1024 * 1024, maxColumns: 1000 });
  });
  afterAll(async () => {
    await prisma.$disconnect();
    await pool.end();
    await db.drop();
  });

  async function counts() {
    const [datasets, versions, data] = await Promise.all([prisma.dataset.count(), prisma.datasetVersion.count(), prisma.datasetVersionData.count()]);
    return { datasets, versions, data };
  }

  it('stores iris with a task, classes and profiles that match hand-computed values', async () => {
    const { dataset, version } = await service.createDataset({ name: 'iris', csv: fixtureCsv('iris'), labelColumn: 'species' });
    expect(dataset.task).toBe('MULTICLASS_CLASSIFICATION');
    expect(version).toMatchObject({ version: 1, rowCount: 150, columnCount: 5, labelClasses: ['setosa', 'versicolor', 'virginica'] });
    const stored = await service.requireVersion(version.id);
    const sepal = stored.columns.find((c) => c.name === 'sepal_length_cm')!;
    expect(sepal.role).toBe('FEATURE');
    expect(sepal.profile.type).toBe('NUMERIC');
    if (sepal.profile.type !== 'NUMERIC') throw new Error('unreachable');
    // Fisher's iris sepal length: sum 876.5 / 150 = 5.8433; sample std 0.8281 (published values).
    expect(sepal.profile.mean).toBeCloseTo(5.8433, 4);
    expect(sepal.profile.std).toBeCloseTo(0.8281, 4);
    expect(stored.columns.find((c) => c.name === 'species')!.role).toBe('LABEL');
  });

  it('reads a stored version back into exactly the parsed columns', async () => {
    const { version } = await service.createDataset({ name: 'diabetes', csv: fixtureCsv('diabetes'), labelColumn: 'progression' });
    expect(version.labelClasses).toBeNull();
    const table = await service.loadTable(version.id);
    expect(table.rowCount).toBe(442);
    const age = table.columns[0];
    expect(age.type === 'NUMERIC' && Array.from(age.values.slice(0, 3))).toEqual([59, 48, 72]);
    const rows = await service.previewRows(version.id, 0, 2);
    const first = { age: 59, sex: 2, bmi: 32.1, bp: 101, s1: 157, s2: 93.2, s3: 38, s4: 4, s5: 4.8598, s6: 87, progression: 151 };
    expect(rows[0]).toEqual({ index: 0, values: Object.entries(first).map(([column, number]) => ({ column, number, text: null })) });
    expect(rows.map((row) => row.index)).toEqual([0, 1]);
    // A preview's window is checked before the version is read: both bad arguments at once.
    await expect(service.previewRows(version.id, -1, 1001)).rejects.toMatchObject({
      violations: [
        { field: 'offset', message: 'offset must be an integer of at least 0, got -1' },
        { field: 'limit', message: 'limit must be an integer from 1 to 1,000, got 1001' },
      ],
    });
    expect(await service.previewRows(version.id, 441, 1000)).toHaveLength(1);
  });

  it('returns the existing version for identical content and numbers new content', async () => {
    const csv = 'x,y\n1,a\n2,b\n3,a\n';
    const { dataset, version } = await service.createDataset({ name: 'tiny', csv, labelColumn: 'y' });
    const same = await service.createDatasetVersion({ datasetId: dataset.id, csv });
    expect(same).toEqual({ version: expect.objectContaining({ id: version.id, version: 1 }), created: false });
    const next = await service.createDatasetVersion({ datasetId: dataset.id, csv: `${csv}4,b\n` });
    expect(next.created).toBe(true);
    expect(next.version.version).toBe(2);
    const racing = await Promise.all([5, 6, 7].map((n) => service.createDatasetVersion({ datasetId: dataset.id, csv: `${csv}${n},a\n` })));
    expect(racing.map((r) => r.version.version).sort()).toEqual([3, 4, 5]);
  });

  it('rejects bad input and stores nothing', async () => {
    const before = await counts();
    await expect(service.createDataset({ name: 'ragged', csv: 'a,b\n1,x\n2\n', labelColumn: 'b' })).rejects.toMatchObject({
      code: 'BAD_USER_INPUT',
      location: expect.objectContaining({ row: 2 }),
    });
    await expect(service.createDataset({ name: 'bad label', csv: 'a,b\n1,x\n2,y\n', labelColumn: 'nope' })).rejects.toBeInstanceOf(ValidationError);
    await expect(service.createDataset({ name: 'iris', csv: 'a,b\n1,x\n2,y\n', labelColumn: 'b' })).rejects.toBeInstanceOf(ConflictError);
    await expect(service.createDataset({ name: '', csv: 'a,b\n1,x\n2,y\n', labelColumn: 'b' })).rejects.toMatchObject({ location: { field: 'input.name' } });
    await expect(service.createDatasetVersion({ datasetId: '00000000-0000-0000-0000-000000000000', csv: 'a,b\n1,x\n' })).rejects.toBeInstanceOf(NotFoundError);
    const small = new DatasetService(prisma, new NotifyEventPublisher(pool), { maxBytes: 12, maxColumns: 1000 });
    await expect(small.createDataset({ name: 'too-big', csv: 'x,y\n1,a\n2,b\n3,a\n', labelColumn: 'y' })).rejects.toMatchObject({
      code: 'BAD_USER_INPUT',
      location: { field: 'input.csv' },
      message: expect.stringMatching(/12/),
    });
    expect(await counts()).toEqual(before);
  });

  it('pages through datasets newest first with opaque cursors', async () => {
    for (let i = 0; i < 5; i++) await service.createDataset({ name: `page-${i}`, csv: `v,label\n${i},a\n${i + 1},b\n`, labelColumn: 'label' });
    const all = await prisma.dataset.findMany({ orderBy: [{ createdAt: 'desc' }, { id: 'desc' }] });
    const seen: string[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await service.listDatasets({ first: 2, after });
      expect(page.totalCount).toBe(all.length);
      seen.push(...page.items.map((d) => d.id));
      if (!page.hasNextPage) break;
      after = page.cursorOf(page.items[page.items.length - 1]);
    }
    expect(seen).toEqual(all.map((d) => d.id));
    await expect(service.listDatasets({ first: 0 })).rejects.toMatchObject({ location: { field: 'first' } });
    await expect(service.listDatasets({ first: 2, after: 'garbage' })).rejects.toMatchObject({ location: { field: 'after' } });
  });

  it('splits deterministically: same seed, same rows; another seed, other rows', async () => {
    const { version } = await service.createDataset({ name: 'bc', csv: fixtureCsv('breast_cancer'), labelColumn: 'benign' });
    const fractions = { train: 0.7, validation: 0.15, test: 0.15 };
    const a = await service.split(version.id, fractions, 42);
    const b = await service.split(version.id, fractions, 42);
    const c = await service.split(version.id, fractions, 43);
    expect(Array.from(a.test)).toEqual(Array.from(b.test));
    expect(Array.from(a.test)).not.toEqual(Array.from(c.test));
    expect(a.train.length + a.validation.length + a.test.length).toBe(569);
    const union = new Set([...a.train, ...a.validation, ...a.test]);
    expect(union.size).toBe(569);
  });

  it('writes columns and a source over 1 MiB in pieces, reads them back exactly, and keeps no large object', async () => {
    // 250,000 rows of scattered digits: a 2 MB float64 column and a gzip of the source of 1.5 MB.
    const values = Array.from({ length: 250_000 }, (_, i) => Number((BigInt(i) * 2_654_435_761n) % 4_294_967_291n) / 1000);
    const csv = `x,label\n${values.map((x, i) => `${x},${i % 3}`).join('\n')}\n`;
    const { version } = await service.createDataset({ name: 'pieces', csv, labelColumn: 'label' });
    const [column] = await prisma.datasetVersionColumn.findMany({ where: { datasetVersionId: version.id, position: 0 } });
    const data = await prisma.datasetVersionData.findUniqueOrThrow({ where: { datasetVersionId: version.id } });
    expect([column.encoded.byteLength, data.sourceCsvGzip.byteLength].every((bytes) => bytes > PIECE_BYTES)).toBe(true);
    expect(gunzipSync(data.sourceCsvGzip).toString('utf8')).toBe(csv);
    const table = await service.loadTable(version.id, ['x']);
    const x = table.columns[0];
    expect(x.type === 'NUMERIC' && Buffer.from(x.values.buffer).equals(Buffer.from(Float64Array.from(values).buffer))).toBe(true);
    // A write that fails after its pieces were sent (the name is taken) leaves nothing behind either.
    await expect(service.createDataset({ name: 'pieces', csv: `${csv}1,2\n`, labelColumn: 'label' })).rejects.toBeInstanceOf(ConflictError);
    expect((await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_largeobject_metadata')).rows[0].n).toBe(0);
  }, 60_000);

  it('prepares a CSV over 1 MiB on a worker thread: the same version as inline, and the same refusals with row and column', async () => {
    const rows = Array.from({ length: 100_000 }, (_, i) => `${(i * 0.37).toFixed(2)},${['a', 'b', 'c'][i % 3]},${i % 2}`);
    const csv = `x,city,label\n${rows.join('\n')}\n`;
    expect(csv.length).toBeGreaterThan(INLINE_INGEST_BYTES);
    const phases: string[] = [];
    const { version } = await service.createDataset({ name: 'threaded', csv, labelColumn: 'label', onPhase: (phase) => phases.push(phase) });
    expect(phases).toEqual(['PARSING']);
    const small = `x,city,label\n${rows.slice(0, 100).join('\n')}\n`;
    const { version: inline } = await service.createDataset({ name: 'inline', csv: small, labelColumn: 'label' });
    expect(version.rowCount).toBe(100_000);
    expect(version.contentHash).toBe(contentHash(csv));
    expect(version.columns.map((column) => [column.name, column.type])).toEqual(inline.columns.map((column) => [column.name, column.type]));
    const table = await service.loadTable(version.id);
    expect(table.rowCount).toBe(100_000);

    const bad = `${csv}1.5,b\u0000,1\n`;
    const refused = service.createDataset({ name: 'threaded-bad', csv: bad, labelColumn: 'label' });
    await expect(refused).rejects.toBeInstanceOf(ValidationError);
    await expect(refused).rejects.toMatchObject({ location: { field: 'input.csv', row: 100_001, column: 'city' } });
    expect(await prisma.dataset.count({ where: { name: 'threaded-bad' } })).toBe(0);
  }, 60_000);
});
