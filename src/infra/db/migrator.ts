import { createHash, randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { Client, type Pool } from 'pg';
import { migrationsDir } from '../../config/paths';
import { logger } from '../logger';
import { CONNECTION_TIMEOUT_MS } from './connection-errors';

/**
 * Applies `prisma/migrations/<name>/migration.sql` without Prisma's native engine, recording each in
 * `_prisma_migrations` the way `prisma migrate deploy` does, so `prisma migrate status` agrees.
 */

/** The advisory lock key Prisma Migrate itself takes, so this migrator and `prisma migrate deploy` exclude each other. */
const PRISMA_MIGRATE_LOCK_KEY = 72707369;

export const DEFAULT_MIGRATIONS_DIR = migrationsDir;

const CREATE_MIGRATIONS_TABLE = `
CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
  "id"                  VARCHAR(36) PRIMARY KEY NOT NULL,
  "checksum"            VARCHAR(64) NOT NULL,
  "finished_at"         TIMESTAMPTZ,
  "migration_name"      VARCHAR(255) NOT NULL,
  "logs"                TEXT,
  "rolled_back_at"      TIMESTAMPTZ,
  "started_at"          TIMESTAMPTZ NOT NULL DEFAULT now(),
  "applied_steps_count" INTEGER NOT NULL DEFAULT 0
)`;

export interface MigrationFile {
  name: string;
  sql: string;
  checksum: string;
}

export interface MigrationResult {
  applied: string[];
  alreadyApplied: string[];
}

/** Refusal to migrate: a changed or failed migration needs a human. */
export class MigrationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MigrationError';
  }
}

interface AppliedRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
  logs: string | null;
}

export async function readMigrationFiles(migrationsDir = DEFAULT_MIGRATIONS_DIR): Promise<MigrationFile[]> {
  const entries = await fs.readdir(migrationsDir, { withFileTypes: true });
  const names = entries
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
  return Promise.all(
    names.map(async (name) => {
      const sql = await fs.readFile(path.join(migrationsDir, name, 'migration.sql'), 'utf8');
      return { name, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    }),
  );
}

/** Throws `MigrationError` when an applied migration failed or its file changed since. */
function checkAppliedHistory(files: MigrationFile[], applied: AppliedRow[]): void {
  const failed = applied.find((row) => row.finished_at === null && row.rolled_back_at === null);
  if (failed) {
    throw new MigrationError(
      `migration ${failed.migration_name} failed earlier and blocks further migrations; fix the database, then mark it ` +
        `with \`prisma migrate resolve --rolled-back ${failed.migration_name}\` (or --applied). Its log: ${failed.logs ?? '(none)'}`,
    );
  }
  const byName = new Map(files.map((file) => [file.name, file]));
  for (const row of applied) {
    if (row.rolled_back_at !== null) continue;
    const file = byName.get(row.migration_name);
    if (file && file.checksum !== row.checksum) {
      throw new MigrationError(
        `migration ${row.migration_name} was modified after it was applied (checksum ${row.checksum} in the database, ` +
          `${file.checksum} on disk); landed migrations must never be edited`,
      );
    }
  }
}

async function readApplied(client: Pick<Client | Pool, 'query'>): Promise<AppliedRow[]> {
  const result = await client.query<AppliedRow>(
    `SELECT migration_name, checksum, finished_at, rolled_back_at, logs FROM "_prisma_migrations" ORDER BY started_at, migration_name`,
  );
  return result.rows;
}

/**
 * A client that fails fast when the database is away; a connection lost between queries surfaces
 * on the next query (an `'error'` event without a listener would crash the process).
 */
function connectedClient(databaseUrl: string): Client {
  const client = new Client({ connectionString: databaseUrl, connectionTimeoutMillis: CONNECTION_TIMEOUT_MS });
  client.on('error', () => undefined);
  return client;
}

/**
 * Applies every pending migration in name order, each in its own transaction, under Prisma's advisory lock.
 * @throws MigrationError when history is inconsistent or a migration fails (the failure is recorded).
 */
export async function migrate(databaseUrl: string, migrationsDir = DEFAULT_MIGRATIONS_DIR): Promise<MigrationResult> {
  const files = await readMigrationFiles(migrationsDir);
  const client = connectedClient(databaseUrl);
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [PRISMA_MIGRATE_LOCK_KEY]);
    await client.query(CREATE_MIGRATIONS_TABLE);
    const applied = await readApplied(client);
    checkAppliedHistory(files, applied);
    const done = new Set(applied.filter((row) => row.finished_at !== null && row.rolled_back_at === null).map((row) => row.migration_name));
    const result: MigrationResult = { applied: [], alreadyApplied: files.filter((f) => done.has(f.name)).map((f) => f.name) };
    for (const file of files) {
      if (done.has(file.name)) continue;
      await applyOne(client, file);
      result.applied.push(file.name);
      logger.info({ migration: file.name }, 'migration applied');
    }
    return result;
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [PRISMA_MIGRATE_LOCK_KEY]).catch(() => undefined);
    await client.end();
  }
}

async function applyOne(client: Client, file: MigrationFile): Promise<void> {
  const id = randomUUID();
  const startedAt = new Date();
  try {
    await client.query('BEGIN');
    await client.query(file.sql);
    await client.query(
      `INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, logs, started_at, applied_steps_count)
       VALUES ($1, $2, now(), $3, NULL, $4, 1)`,
      [id, file.checksum, file.name, startedAt],
    );
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    const message = error instanceof Error ? error.message : String(error);
    await client.query(
      `INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, logs, started_at, applied_steps_count)
       VALUES ($1, $2, NULL, $3, $4, $5, 0)`,
      [id, file.checksum, file.name, message, startedAt],
    );
    throw new MigrationError(`migration ${file.name} failed and was rolled back: ${message}`);
  }
}

export interface MigrationStatus {
  upToDate: boolean;
  pending: string[];
}

/**
 * Whether every migration on disk is applied (used by /readyz), read through `database`: a URL (a
 * connection of its own) or a pool (a pooled connection). Throws like `migrate` on a broken history.
 */
export async function migrationStatus(database: string | Pool, migrationsDir = DEFAULT_MIGRATIONS_DIR): Promise<MigrationStatus> {
  const files = await readMigrationFiles(migrationsDir);
  const own = typeof database === 'string' ? connectedClient(database) : null;
  await own?.connect();
  const client = own ?? (database as Pool);
  try {
    const exists = await client.query<{ t: string | null }>(`SELECT to_regclass('"_prisma_migrations"') AS t`);
    const applied = exists.rows[0].t === null ? [] : await readApplied(client);
    checkAppliedHistory(files, applied);
    const done = new Set(applied.filter((row) => row.finished_at !== null && row.rolled_back_at === null).map((row) => row.migration_name));
    const pending = files.filter((file) => !done.has(file.name)).map((file) => file.name);
    return { upToDate: pending.length === 0, pending };
  } finally {
    await own?.end();
  }
}
