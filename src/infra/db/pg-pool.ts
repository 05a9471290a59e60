import { Pool } from 'pg';
import type { Logger } from '../logger';
import { CONNECTION_TIMEOUT_MS, connectionErrorSummary } from './connection-errors';

/**
 * A node-postgres pool that survives the database going away: an idle connection that dies is
 * logged (a pool without an `'error'` listener would crash the process) and replaced on next use,
 * and a checkout fails after {@link CONNECTION_TIMEOUT_MS} instead of hanging.
 */
export function createPgPool(connectionString: string, max: number, log: Logger, applicationName?: string): Pool {
  const pool = new Pool({ connectionString, max, connectionTimeoutMillis: CONNECTION_TIMEOUT_MS, application_name: applicationName });
  let ended = false;
  const end = pool.end.bind(pool);
  pool.end = () => {
    ended = true;
    return end();
  };
  pool.on('error', (error) => {
    // pg's Pool.end() resolves before its sockets have closed; errors after it are expected.
    if (!ended) log.warn({ error: connectionErrorSummary(error) }, 'an idle database connection failed; it will be replaced');
  });
  return pool;
}
