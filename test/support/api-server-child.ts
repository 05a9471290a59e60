/**
 * An API process for crash tests: the real composition root (`startApiProcess`) on an ephemeral port.
 * Run with `node -r test/support/ts-register.js test/support/api-server-child.ts`.
 * Environment: DATABASE_URL. Prints `listening <url>` once it serves.
 */
import { startApiProcess } from '../../src/app/api-process';
import { loadConfig } from '../../src/config/config';
import { logger } from '../../src/infra/logger';

async function main(): Promise<void> {
  const databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) throw new Error('DATABASE_URL is required');
  const api = await startApiProcess(loadConfig({ ...process.env, PORT: '0' }), databaseUrl, logger);
  process.stdout.write(`listening ${api.url}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
