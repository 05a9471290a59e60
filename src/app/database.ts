import type { Config } from '../config/config';
import { startEmbeddedPostgres } from '../infra/db/embedded-postgres';
import { logger } from '../infra/logger';

export interface ResolvedDatabase {
  url: string;
  /** For the start-up line: which database this process uses. */
  description: string;
  /** Stops the embedded server (no-op for DATABASE_URL). */
  stop(): Promise<void>;
}

/** DATABASE_URL when set; otherwise an embedded PostgreSQL whose data lives in `config.dataDir`. */
export async function resolveDatabase(config: Config): Promise<ResolvedDatabase> {
  if (config.databaseUrl) {
    const url = new URL(config.databaseUrl);
    return { url: config.databaseUrl, description: `PostgreSQL at ${url.host}${url.pathname} (DATABASE_URL)`, stop: async () => undefined };
  }
  logger.info({ dataDir: config.dataDir }, 'DATABASE_URL is unset: starting an embedded PostgreSQL');
  const embedded = await startEmbeddedPostgres({ dataDir: config.dataDir });
  return {
    url: embedded.url,
    description: `embedded PostgreSQL in ${config.dataDir} (${new URL(embedded.url).host})`,
    stop: () => embedded.stop(),
  };
}
