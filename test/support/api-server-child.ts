/**
 * An API process for crash tests: the real composition root (`startApiProcess`) on an ephemeral port.
 * Run with `node -r test/support/ts-register.js test/support/api-server-child.ts`.
 * Environment: DATABASE_URL. Prints `listening <url>` once it serves. Installs mlplane's process
 * guards, so an unhandled rejection is logged at fatal (tests look for it).
 */
import { startApiProcess } from '../../src/app/api-process';
import { installProcessGuards } from '../../src/app/process-guards';
import { loadConfig } from '../../src/config/config';
import { logger } from '../../src/infra/logger';

async function main(): Promise<void> {
  installProcessGuards(logger);
  const databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) throw new Error('DATABASE_URL is required');
  const api = await startApiProcess(loadConfig({ ...process.env, PORT: '0' }), databaseUrl, logger);
  process.stdout.write(`listening ${api.url}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
