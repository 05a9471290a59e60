/**
 * Transactions on a node-postgres connection, for writes that go around Prisma (large binary
 * values, which Prisma serializes to base64 and JSON at about nine times their size).
 */
import type { Pool, PoolClient } from 'pg';
import { logger } from '../logger';
import { connectionErrorSummary } from './connection-errors';

/** Runs `body` in a transaction and resolves with what it returned, once committed. */
export type PgTransactionRunner = <T>(body: (client: PoolClient) => Promise<T>) => Promise<T>;

/** Longest one statement of such a transaction may run. */
export const PG_STATEMENT_TIMEOUT_MS = 120_000;

/**
 * Runs `body` between BEGIN and COMMIT on a connection of `pool` (rolled back when it throws), then
 * `beforeCommit` in the same transaction. Each statement may run {@link PG_STATEMENT_TIMEOUT_MS};
 * a connection that fails meanwhile is logged (not a crash) and not given back to the pool.
 */
export async function runPgTransaction<T>(
  pool: Pool,
  body: (client: PoolClient) => Promise<T>,
  beforeCommit?: (client: PoolClient) => Promise<void>,
): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  const onError = (error: Error) => {
    broken = error;
    logger.warn({ error: connectionErrorSummary(error) }, 'a database connection in a transaction failed');
  };
  client.on('error', onError);
  try {
    await client.query('BEGIN');
    await client.query(`SET LOCAL statement_timeout = ${PG_STATEMENT_TIMEOUT_MS}`);
    const result = await body(client);
    await beforeCommit?.(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch((rollbackError: unknown) => {
      broken ??= rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
    });
    throw error;
  } finally {
    client.off('error', onError);
    client.release(broken);
  }
}

/** A {@link PgTransactionRunner} on `pool`. */
export function pgTransactions(pool: Pool): PgTransactionRunner {
  return (body) => runPgTransaction(pool, body);
}
