import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '../../generated/prisma/client';
import { logger } from '../logger';
import { CONNECTION_TIMEOUT_MS, connectionErrorSummary } from './connection-errors';

export type { PrismaClient } from '../../generated/prisma/client';

/**
 * A Prisma client over node-postgres (no native query engine). `poolSize` caps its connections.
 * A connection that cannot be had within {@link CONNECTION_TIMEOUT_MS} fails the query (the
 * database is away: fail fast, never hang); a pooled connection that dies is logged and replaced.
 */
export function createPrismaClient(databaseUrl: string, poolSize = 10): PrismaClient {
  const log = logger.child({ component: 'prisma-pool' });
  const adapter = new PrismaPg(
    { connectionString: databaseUrl, max: poolSize, connectionTimeoutMillis: CONNECTION_TIMEOUT_MS },
    {
      onPoolError: (error) => log.warn({ error: connectionErrorSummary(error) }, 'an idle database connection failed; it will be replaced'),
      onConnectionError: (error) => log.warn({ error: connectionErrorSummary(error) }, 'a database connection in a transaction failed'),
    },
  );
  return new PrismaClient({ adapter });
}
