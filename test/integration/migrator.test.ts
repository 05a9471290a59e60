import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { migrate, MigrationError, migrationStatus, readMigrationFiles } from '../../src/infra/db/migrator';
import { createTestDatabase, TestDatabase } from '../support/test-database';

async function query<T>(url: string, sql: string): Promise<T[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows as T[];
  } finally {
    await client.end();
  }
}

/** A copy of the real migrations folder that a test may alter. */
async function copyMigrations(): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mlplane-migrations-'));
  for (const file of await readMigrationFiles()) {
    await fs.mkdir(path.join(dir, file.name));
    await fs.writeFile(path.join(dir, file.name, 'migration.sql'), file.sql);
  }
  return dir;
}

describe('migrator', () => {
  let db: TestDatabase;
  beforeEach(async () => {
    db = await createTestDatabase({ migrated: false });
  });
  afterEach(async () => {
    await db.drop();
  });

  it('applies every migration to a fresh database and records them as prisma does', async () => {
    const files = await readMigrationFiles();
    const result = await migrate(db.url);
    expect(result.applied).toEqual(files.map((f) => f.name));
    const rows = await query<{ migration_name: string; checksum: string; finished_at: Date | null; applied_steps_count: number }>(
      db.url,
      'SELECT migration_name, checksum, finished_at, applied_steps_count FROM _prisma_migrations ORDER BY migration_name',
    );
    expect(rows.map((r) => [r.migration_name, r.checksum, r.applied_steps_count])).toEqual(files.map((f) => [f.name, f.checksum, 1]));
    expect(rows.every((r) => r.finished_at instanceof Date)).toBe(true);
    const tables = await query<{ table_name: string }>(db.url, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'");
    expect(tables.map((t) => t.table_name)).toEqual(expect.arrayContaining(['datasets', 'dataset_versions', 'models']));
    expect(await migrationStatus(db.url)).toEqual({ upToDate: true, pending: [] });
  });

  it('does nothing on an already migrated database', async () => {
    await migrate(db.url);
    const again = await migrate(db.url);
    expect(again.applied).toEqual([]);
    expect(again.alreadyApplied.length).toBeGreaterThan(0);
    const rows = await query<{ n: string }>(db.url, 'SELECT count(*) AS n FROM _prisma_migrations');
    expect(Number(rows[0].n)).toBe(again.alreadyApplied.length);
  });

  it('lets two migrators race and applies each migration once', async () => {
    const [a, b] = await Promise.all([migrate(db.url), migrate(db.url)]);
    const files = await readMigrationFiles();
    expect([...a.applied, ...b.applied].sort()).toEqual(files.map((f) => f.name));
    const rows = await query<{ migration_name: string }>(db.url, 'SELECT migration_name FROM _prisma_migrations');
    expect(rows).toHaveLength(files.length);
  });

  it('fills epoch_ms of epochs stored before the column existed from the gaps between their elapsed times', async () => {
    const dir = await copyMigrations();
    for (const file of await readMigrationFiles(dir)) {
      if (file.name >= '20261207020000') await fs.rm(path.join(dir, file.name), { recursive: true });
    }
    await migrate(db.url, dir);
    const ids = {
      dataset: '00000000-0000-4000-8000-000000000001',
      version: '00000000-0000-4000-8000-000000000002',
      model: '00000000-0000-4000-8000-000000000003',
      run: '00000000-0000-4000-8000-000000000004',
    };
    await query(
      db.url,
      `
      INSERT INTO datasets (id, name, label_column, task) VALUES ('${ids.dataset}', 'd', 'y', 'REGRESSION');
      INSERT INTO dataset_versions (id, dataset_id, version, content_hash, row_count, column_count, size_bytes, columns)
        VALUES ('${ids.version}', '${ids.dataset}', 1, '${'0'.repeat(64)}', 10, 2, 10, '[]');
      INSERT INTO models (id, name, task, dataset_id, architecture) VALUES ('${ids.model}', 'm', 'REGRESSION', '${ids.dataset}', '{}');
      INSERT INTO runs (id, kind, model_id, dataset_version_id, hyperparameters) VALUES ('${ids.run}', 'TRAINING', '${ids.model}', '${ids.version}', '{}');
      INSERT INTO run_epochs (run_id, epoch, metrics, elapsed_ms, samples_per_second)
        VALUES ('${ids.run}', 1, '{}', 30, 1), ('${ids.run}', 2, '{}', 70, 1), ('${ids.run}', 3, '{}', 120.5, 1), ('${ids.run}', 5, '{}', 200, 1);`,
    );
    await migrate(db.url);
    const rows = await query<{ epoch: number; elapsed_ms: number; epoch_ms: number }>(
      db.url,
      'SELECT epoch, elapsed_ms, epoch_ms FROM run_epochs ORDER BY epoch',
    );
    // Epoch 5 has no stored epoch 4 before it: its own elapsed time is all that is known.
    expect(rows).toEqual([
      { epoch: 1, elapsed_ms: 30, epoch_ms: 30 },
      { epoch: 2, elapsed_ms: 70, epoch_ms: 70 - 30 },
      { epoch: 3, elapsed_ms: 120.5, epoch_ms: 120.5 - 70 },
      { epoch: 5, elapsed_ms: 200, epoch_ms: 200 },
    ]);
  });

  it('refuses to run when an applied migration was edited', async () => {
    const dir = await copyMigrations();
    await migrate(db.url, dir);
    const [first] = await readMigrationFiles(dir);
    await fs.appendFile(path.join(dir, first.name, 'migration.sql'), '\n-- edited later\n');
    await expect(migrate(db.url, dir)).rejects.toThrow(MigrationError);
    await expect(migrate(db.url, dir)).rejects.toThrow(/was modified after it was applied/);
    await expect(migrationStatus(db.url, dir)).rejects.toThrow(/was modified/);
  });

  it('records a failed migration, rolls it back and blocks later runs', async () => {
    const dir = await copyMigrations();
    await fs.mkdir(path.join(dir, '99990101000000_broken'));
    await fs.writeFile(path.join(dir, '99990101000000_broken', 'migration.sql'), 'CREATE TABLE half_done (id int);\nSELECT no_such_function();\n');
    await expect(migrate(db.url, dir)).rejects.toThrow(/99990101000000_broken failed/);
    const tables = await query<{ t: string | null }>(db.url, `SELECT to_regclass('half_done')::text AS t`);
    expect(tables[0].t).toBeNull();
    const failed = await query<{ finished_at: Date | null; logs: string }>(
      db.url,
      `SELECT finished_at, logs FROM _prisma_migrations WHERE migration_name = '99990101000000_broken'`,
    );
    expect(failed).toHaveLength(1);
    expect(failed[0].finished_at).toBeNull();
    expect(failed[0].logs).toMatch(/no_such_function/);
    await expect(migrate(db.url, dir)).rejects.toThrow(/failed earlier and blocks further migrations/);
  });
});
