/** What `health` and `/readyz` ask of the running process; the composition root implements it. */
export interface HealthProbe {
  /** True when the database answers a trivial query. Resolves false rather than throwing. */
  databaseReachable(): Promise<boolean>;
  /** mlplane's version, as in package.json. */
  readonly version: string;
  /** The active TensorFlow.js backend: `tensorflow` (native tfjs-node) or a fallback such as `cpu`. */
  backend(): string;
}

export type HealthStatusValue = 'OK' | 'DEGRADED';
export type DatabaseStatusValue = 'UP' | 'DOWN';

export interface HealthReport {
  status: HealthStatusValue;
  database: DatabaseStatusValue;
  version: string;
  backend: string;
  uptimeSeconds: number;
}

/** How long `health` waits for the database before calling it down. */
export const DATABASE_CHECK_TIMEOUT_MS = 2_000;

async function reachableWithin(probe: HealthProbe, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  try {
    return await Promise.race([probe.databaseReachable().catch(() => false), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The process's health: DEGRADED while the database does not answer within {@link DATABASE_CHECK_TIMEOUT_MS}. */
export async function checkHealth(probe: HealthProbe, timeoutMs = DATABASE_CHECK_TIMEOUT_MS): Promise<HealthReport> {
  const databaseUp = await reachableWithin(probe, timeoutMs);
  return {
    status: databaseUp ? 'OK' : 'DEGRADED',
    database: databaseUp ? 'UP' : 'DOWN',
    version: probe.version,
    backend: probe.backend(),
    uptimeSeconds: Math.round(process.uptime() * 1000) / 1000,
  };
}
