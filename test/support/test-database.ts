import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { migrate } from '../../src/infra/db/migrator';

/** The server tests run against: `DATABASE_URL` (scripts/run-tests.js sets it to an embedded PostgreSQL when unset). */
export function testServerUrl(): string {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL is not set: run the tests with `npm test`');
  return url;
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

export interface TestDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

/** A fresh database on the test server, migrated unless `migrated: false`. Drop it in `afterAll`. */
export async function createTestDatabase(options: { migrated?: boolean } = {}): Promise<TestDatabase> {
  const name = `mlplane_test_${randomBytes(6).toString('hex')}`;
  const admin = new Client({ connectionString: testServerUrl() });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = withDatabase(testServerUrl(), name);
  if (options.migrated ?? true) await migrate(url);
  return {
    url,
    name,
    drop: async () => {
      const client = new Client({ connectionString: testServerUrl() });
      await client.connect();
      try {
        // Pools closed just before may still be hanging up: a forced drop would cut them with an
        // error their owners no longer listen for. Wait for them (briefly), then force the rest.
        for (let i = 0; i < 50; i++) {
          const open = await client.query('SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1', [name]);
          if (open.rows[0].n === 0) break;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}
