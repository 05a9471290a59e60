import { randomBytes } from 'node:crypto';
import { mkdtempSync, chmodSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { startEmbeddedPostgres } from '../../src/infra/db/embedded-postgres';
import { migrate } from '../../src/infra/db/migrator';

export interface BenchDatabase {
  url: string;
  /** Where it runs, for the printout. */
  where: string;
  close(): Promise<void>;
}

async function admin(url: string, sql: string): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** A fresh, migrated database: on DATABASE_URL's server when set, else on an embedded PostgreSQL in a temp dir. */
export async function openBenchDatabase(): Promise<BenchDatabase> {
  const name = `mlplane_bench_${randomBytes(5).toString('hex')}`;
  if (process.env.DATABASE_URL) {
    const server = process.env.DATABASE_URL;
    await admin(server, `CREATE DATABASE ${name}`);
    const url = new URL(server);
    url.pathname = `/${name}`;
    await migrate(url.toString());
    return {
      url: url.toString(),
      where: `DATABASE_URL server ${url.host}`,
      close: () => admin(server, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
    };
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mlplane-bench-'));
  chmodSync(dir, 0o755);
  const embedded = await startEmbeddedPostgres({ dataDir: path.join(dir, 'pg'), database: name, persistent: false });
  await migrate(embedded.url);
  return {
    url: embedded.url,
    where: 'embedded PostgreSQL',
    close: async () => {
      await embedded.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
