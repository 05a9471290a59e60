import type { Config } from '../config/config';
import { lockDataDir } from '../infra/db/data-dir-lock';
import { startEmbeddedPostgres } from '../infra/db/embedded-postgres';
import { logger } from '../infra/logger';

export interface ResolvedDatabase {
  url: string;
  /** For the start-up line: which database this process uses. */
  description: string;
  /** Stops the embedded server (no-op for DATABASE_URL). */
  stop(): Promise<void>;
}

/**
 * DATABASE_URL when set; otherwise an embedded PostgreSQL whose data lives in `config.dataDir`,
 * owned by this process (`command` names it to others) until `stop()`.
 * @throws DataDirInUseError when a live mlplane process owns the data directory (nothing is touched).
 */
export async function resolveDatabase(config: Config, command: string): Promise<ResolvedDatabase> {
  if (config.databaseUrl) {
    const url = new URL(config.databaseUrl);
    return { url: config.databaseUrl, description: `PostgreSQL at ${url.host}${url.pathname} (DATABASE_URL)`, stop: async () => undefined };
  }
  logger.info({ dataDir: config.dataDir }, 'DATABASE_URL is unset: starting an embedded PostgreSQL');
  const lock = await lockDataDir(config.dataDir, command);
  let embedded;
  try {
    embedded = await startEmbeddedPostgres({ dataDir: config.dataDir });
  } catch (error) {
    await lock.release();
    throw error;
  }
  const server = embedded;
  return {
    url: server.url,
    description: `embedded PostgreSQL in ${config.dataDir} (${new URL(server.url).host})`,
    stop: async () => {
      await server.stop();
      await lock.release();
    },
  };
}
