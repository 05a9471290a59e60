import { PrismaPg } from '@prisma/adapter-pg';
import { Pool } from 'pg';
import { PrismaClient } from '../../generated/prisma/client';
import { logger } from '../logger';
import { CONNECTION_TIMEOUT_MS, connectionErrorSummary } from './connection-errors';

export type { PrismaClient } from '../../generated/prisma/client';

/** The node-postgres pool under each client made here. */
const pools = new WeakMap<PrismaClient, Pool>();

/**
 * A Prisma client over node-postgres (no native query engine). `poolSize` caps its connections.
 * A connection that cannot be had within {@link CONNECTION_TIMEOUT_MS} fails the query (the
 * database is away: fail fast, never hang); a pooled connection that dies is logged and replaced.
 * The pool is shared with the writes that go around Prisma ({@link pgPoolOf}) and ends with the client.
 */
export function createPrismaClient(databaseUrl: string, poolSize = 10): PrismaClient {
  const log = logger.child({ component: 'prisma-pool' });
  const pool = new Pool({ connectionString: databaseUrl, max: poolSize, connectionTimeoutMillis: CONNECTION_TIMEOUT_MS });
  pool.on('error', (error) => log.warn({ error: connectionErrorSummary(error) }, 'an idle database connection failed; it will be replaced'));
  const adapter = new PrismaPg(pool, {
    onConnectionError: (error) => log.warn({ error: connectionErrorSummary(error) }, 'a database connection in a transaction failed'),
  });
  const client = new PrismaClient({ adapter });
  const disconnect = client.$disconnect.bind(client);
  client.$disconnect = async () => {
    await disconnect();
    if (!pool.ending) await pool.end();
  };
  pools.set(client, pool);
  return client;
}

/**
 * The node-postgres pool of a client made by {@link createPrismaClient}, for writes that go around
 * Prisma (see `pg-transaction.ts`).
 * @throws Error for any other client (a proxy of one included: pass the client itself).
 */
export function pgPoolOf(client: PrismaClient): Pool {
  const pool = pools.get(client);
  if (!pool) throw new Error('pgPoolOf needs a client made by createPrismaClient');
  return pool;
}
