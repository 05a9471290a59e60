import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { migrate, readMigrationFiles } from '../../../src/infra/db/migrator';
import { createTestDatabase, type TestDatabase } from '../../support/test-database';

const LIFECYCLE_MIGRATION = '20261207030000_add_lifecycle_archive_and_alias_follow';

/** The migrations before `name`, in a folder of their own. */
async function migrationsBefore(name: string): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mlplane-migrations-'));
  for (const file of (await readMigrationFiles()).filter((f) => f.name < name)) {
    await fs.mkdir(path.join(dir, file.name));
    await fs.writeFile(path.join(dir, file.name, 'migration.sql'), file.sql);
  }
  return dir;
}

/**
 * The lifecycle migration on a database that already holds a study: the versions its trials
 * registered become TRIAL versions, except the study's best and any version an alias or a
 * deployment uses, which stay STANDARD with their numbers.
 */
describe('the lifecycle migration on existing data', () => {
  let db: TestDatabase;
  let client: Client;

  beforeAll(async () => {
    db = await createTestDatabase({ migrated: false });
    const before = await migrationsBefore(LIFECYCLE_MIGRATION);
    await migrate(db.url, before);
    await fs.rm(before, { recursive: true });
    client = new Client({ connectionString: db.url });
    await client.connect();
  });

  afterAll(async () => {
    await client.end();
    await db.drop();
  });

  it('keeps trial versions apart but the best, the aliased and the deployed ones', async () => {
    const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
    const hash = 'a'.repeat(64);
    await client.query(`INSERT INTO datasets (id, name, label_column, task) VALUES ($1, 'd', 'y', 'REGRESSION')`, [id(1)]);
    await client.query(
      `INSERT INTO dataset_versions (id, dataset_id, version, content_hash, row_count, column_count, size_bytes, columns) VALUES ($1, $2, 1, $3, 1, 1, 1, '[]')`,
      [id(2), id(1), hash],
    );
    await client.query(`INSERT INTO models (id, name, task, dataset_id, architecture) VALUES ($1, 'm', 'REGRESSION', $2, '{}')`, [id(3), id(1)]);
    const run = (runId: string, kind: string, parent: string | null, summary: object | null) =>
      client.query(
        `INSERT INTO runs (id, kind, status, model_id, dataset_version_id, parent_run_id, hyperparameters, summary) VALUES ($1, $2, 'SUCCEEDED', $3, $4, $5, '{}', $6)`,
        [runId, kind, id(3), id(2), parent, summary === null ? null : JSON.stringify(summary)],
      );
    const version = (versionId: string, number: number, runId: string) =>
      client.query(
        `INSERT INTO model_versions (id, model_id, version, run_id, dataset_version_id, dataset_content_hash, artifact_sha256, artifact_bytes, preprocessing, hyperparameters, environment)
         VALUES ($1, $2, $3, $4, $5, $6, $6, 0, '{}', '{}', '{}')`,
        [versionId, id(3), number, runId, id(2), hash],
      );
    // A training run's version (1), and a study with five trials that registered versions 2..6.
    await run(id(10), 'TRAINING', null, null);
    await version(id(20), 1, id(10));
    await run(id(11), 'OPTIMIZATION', null, { bestModelVersionId: id(23) });
    for (let t = 0; t < 5; t++) {
      await run(id(12 + t), 'TRIAL', id(11), { trialNumber: t, params: {} });
      await version(id(21 + t), 2 + t, id(12 + t));
    }
    await client.query(`INSERT INTO model_aliases (model_id, alias, model_version_id) VALUES ($1, 'production', $2)`, [id(3), id(21)]);
    await client.query(`INSERT INTO deployments (id, name, model_id, model_version_id, previous_model_version_id) VALUES ($1, 'web', $2, $3, $4)`, [
      id(30),
      id(3),
      id(22),
      id(24),
    ]);

    await migrate(db.url);

    const rows = await client.query<{ id: string; kind: string; version: number; archived_at: Date | null }>(
      'SELECT id, kind, version, archived_at FROM model_versions ORDER BY version',
    );
    expect(rows.rows.map((r) => [r.id, r.kind, r.version, r.archived_at])).toEqual([
      [id(20), 'STANDARD', 1, null], // a training run's
      [id(21), 'STANDARD', 2, null], // aliased
      [id(22), 'STANDARD', 3, null], // served
      [id(23), 'STANDARD', 4, null], // the study's best
      [id(24), 'STANDARD', 5, null], // a rollback target
      [id(25), 'TRIAL', 6, null], // a trial's, used by nothing
    ]);
    const deployment = await client.query('SELECT follow_alias, alias_update, archived_at FROM deployments');
    expect(deployment.rows).toEqual([{ follow_alias: null, alias_update: null, archived_at: null }]);
  });
});
