/**
 * Which errors mean "the database is away" (refused, reset, terminated, starting up or shutting
 * down, pool checkout timed out), as opposed to a query that is wrong. Callers turn these into
 * SERVICE_UNAVAILABLE for clients, or wait and retry in background work.
 */

/** Prisma error codes of an unreachable database, a dropped connection or a pool checkout timeout. */
const PRISMA_CODES = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024']);

/** Driver adapter error kinds (`@prisma/adapter-pg`) of a lost or unreachable database. */
const ADAPTER_KINDS = new Set(['DatabaseNotReachable', 'ConnectionClosed', 'SocketTimeout', 'TooManyConnections']);

/** Node socket error codes. */
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);

/**
 * PostgreSQL SQLSTATEs: class 08 (connection exception), admin shutdown / crash shutdown / cannot
 * connect now (57P01-57P03), too many connections (53300).
 */
function isConnectionSqlState(code: string): boolean {
  return code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03' || code === '53300';
}

/** Messages node-postgres uses for a connection that is gone or could not be had in time. */
const MESSAGE_PATTERNS = [
  /Connection terminated/i,
  /timeout exceeded when trying to connect/i,
  /Client has encountered a connection error and is not queryable/i,
  /Connection closed/i,
  /the database system is (starting up|shutting down|in recovery mode)/i,
  /terminating connection due to administrator command/i,
  /Can't reach database server/i,
  // What @prisma/adapter-pg reports (inside a P2010 "Raw query failed", code N/A) when PostgreSQL
  // closes the connection while it shuts down; seen in a fault test that stopped the server under load.
  /Server has closed the connection/i,
];

function fieldOf(value: object, name: string): unknown {
  return (value as Record<string, unknown>)[name];
}

/** True when `error`, or anything in its cause chain, says the database connection is unavailable. */
export function isDatabaseUnavailable(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 8 && typeof current === 'object' && current !== null; depth++) {
    const code = fieldOf(current, 'code');
    if (typeof code === 'string' && (PRISMA_CODES.has(code) || SOCKET_CODES.has(code) || isConnectionSqlState(code))) return true;
    const kind = fieldOf(current, 'kind');
    if (typeof kind === 'string' && ADAPTER_KINDS.has(kind)) return true;
    const originalCode = fieldOf(current, 'originalCode');
    if (typeof originalCode === 'string' && isConnectionSqlState(originalCode)) return true;
    const message = fieldOf(current, 'message');
    if (typeof message === 'string' && MESSAGE_PATTERNS.some((pattern) => pattern.test(message))) return true;
    // Prisma's adapter errors carry the driver error under `cause`.
    current = fieldOf(current, 'cause');
  }
  return false;
}

export interface RetryWhileUnavailableOptions {
  /** Gives up (rethrows the last error) after this long. @default 60000 */
  maxWaitMs?: number;
  /** First delay between attempts; doubles up to 2 s. @default 100 */
  initialDelayMs?: number;
  /** Called before each wait (to log it). */
  onRetry?: (error: unknown, attempt: number) => void;
}

/**
 * Runs `operation`, and while it fails because the database is unavailable, runs it again with
 * backoff, for up to `maxWaitMs`. Other errors are rethrown at once.
 */
export async function retryWhileUnavailable<T>(operation: () => Promise<T>, options: RetryWhileUnavailableOptions = {}): Promise<T> {
  const deadline = Date.now() + (options.maxWaitMs ?? 60_000);
  let delay = options.initialDelayMs ?? 100;
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation();
    } catch (error) {
      if (!isDatabaseUnavailable(error) || Date.now() + delay > deadline) throw error;
      options.onRetry?.(error, attempt);
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, 2_000);
    }
  }
}

/** How long a pool waits for a connection before failing (so a request fails fast while the database is away). */
export const CONNECTION_TIMEOUT_MS = 10_000;

/**
 * What to log of a connection error: node-postgres attaches the whole client to errors of idle
 * connections, which would flood the log.
 */
export function connectionErrorSummary(error: unknown): { message: string; code?: string } {
  if (typeof error !== 'object' || error === null) return { message: String(error) };
  const { message, code } = error as { message?: unknown; code?: unknown };
  // eslint-disable-next-line @typescript-eslint/no-base-to-string -- an object without a string message: whatever String() makes of it
  return { message: typeof message === 'string' ? message : String(error), ...(typeof code === 'string' ? { code } : {}) };
}
