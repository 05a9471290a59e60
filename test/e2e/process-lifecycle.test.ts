import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { projectRoot } from '../../src/config/paths';
import { postGraphQL } from '../support/graphql-client';
import { waitFor } from '../support/wait-for';

const MAIN = path.join(projectRoot, 'dist/src/main.js');
/** What `start` is given to stop in (MLPLANE_SHUTDOWN_GRACE_SECONDS is 8 by default), plus PostgreSQL's own stop. */
const STOP_WITHIN_MS = 15_000;

interface Started {
  child: ChildProcess;
  output: () => string;
}

function launch(command: string, args: string[], dataDir: string): Started {
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: '0', MLPLANE_DATA_DIR: dataDir, LOG_LEVEL: 'info' };
  delete env.DATABASE_URL;
  delete env.NODE_ENV;
  const child = spawn(command, args, { cwd: projectRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return { child, output: () => output };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The JSON log line whose message contains `text`, once it appears. */
async function logLine(started: Started, text: string, timeoutMs = 120_000): Promise<Record<string, unknown>> {
  let found: Record<string, unknown> | undefined;
  await waitFor(
    () => {
      for (const line of started.output().split('\n')) {
        if (!line.startsWith('{') || !line.includes(text)) continue;
        try {
          found = JSON.parse(line) as Record<string, unknown>;
          return true;
        } catch {
          // a line still being written
        }
      }
      if (started.child.exitCode !== null) throw new Error(`exited with ${started.child.exitCode} before logging "${text}":\n${started.output().slice(-3000)}`);
      return false;
    },
    timeoutMs,
    50,
  );
  return found!;
}

/** The pids of a running `start`: itself, its worker, its PostgreSQL; and its URL. */
async function runningServer(started: Started, dataDir: string) {
  const listening = await logLine(started, 'mlplane listening on');
  const worker = await logLine(started, 'worker ready');
  const postmaster = Number(readFileSync(path.join(dataDir, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[0]);
  return { url: String(listening.url), startPid: Number(listening.pid), workerPid: Number(worker.pid), postgresPid: postmaster };
}

function exitOf(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/**
 * The processes `npm start` runs, as an operator meets them: signals, a second `start` or a
 * `migrate` on the same data directory, the supervisor killed outright, and the embedded
 * PostgreSQL's credentials and address. Uses the compiled CLI (`npm run build` first).
 */
describe('process lifecycle of mlplane start', () => {
  let root: string;
  const children: ChildProcess[] = [];
  const pids: number[] = [];

  beforeAll(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'mlplane-lifecycle-'));
    chmodSync(root, 0o755);
  });
  afterAll(() => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGKILL');
    rmSync(root, { recursive: true, force: true });
  });

  it('SIGTERM to npm start stops mlplane, its worker and its PostgreSQL', async () => {
    const dataDir = path.join(root, 'npm');
    const npm = launch('npm', ['start', '--silent'], dataDir);
    children.push(npm.child);
    const server = await runningServer(npm, dataDir);
    pids.push(server.startPid, server.workerPid, server.postgresPid);
    expect(server.startPid).not.toBe(npm.child.pid);

    npm.child.kill('SIGTERM');
    await exitOf(npm.child);
    await waitFor(() => ![server.startPid, server.workerPid, server.postgresPid].some(alive), STOP_WITHIN_MS, 50);
    expect(existsSync(path.join(dataDir, 'postgres', 'postmaster.pid'))).toBe(false);
    expect(existsSync(path.join(dataDir, 'mlplane.lock'))).toBe(false);
  }, 300_000);

  it('owns its data directory; its worker exits when it is killed; a stale PostgreSQL is cleaned up; the password is generated and loopback only', async () => {
    const dataDir = path.join(root, 'cli');
    const first = launch(process.execPath, [MAIN, 'start'], dataDir);
    children.push(first.child);
    const server = await runningServer(first, dataDir);
    pids.push(server.startPid, server.workerPid, server.postgresPid);
    const pidFile = readFileSync(path.join(dataDir, 'postgres', 'postmaster.pid'), 'utf8');

    // The embedded PostgreSQL: a generated password, kept 0600 in the data directory; loopback only.
    const passwordFile = path.join(dataDir, 'postgres-password');
    expect(statSync(passwordFile).mode & 0o777).toBe(0o600);
    const password = readFileSync(passwordFile, 'utf8').trim();
    expect(password).toMatch(/^[A-Za-z0-9_-]{32}$/);
    const port = postgresPort(dataDir);
    const wrong = new Client({ host: '127.0.0.1', port, user: 'postgres', password: 'mlplane', database: 'postgres' });
    wrong.on('error', () => undefined);
    await expect(wrong.connect()).rejects.toMatchObject({ code: '28P01' });
    const admin = new Client({ host: '127.0.0.1', port, user: 'postgres', password, database: 'postgres' });
    await admin.connect();
    const listen = await admin.query('SHOW listen_addresses');
    await admin.end();
    expect(listen.rows[0].listen_addresses).toBe('127.0.0.1');

    // migrate and a second start refuse, and touch nothing.
    for (const args of [['migrate'], ['start']]) {
      const other = launch(process.execPath, [MAIN, ...args], dataDir);
      children.push(other.child);
      expect(await exitOf(other.child)).toBe(1);
      expect(other.output()).toContain(`mlplane ${args[0]}: data directory ${dataDir} is in use by a running mlplane start (pid ${server.startPid}`);
    }
    expect(alive(server.postgresPid)).toBe(true);
    expect(readFileSync(path.join(dataDir, 'postgres', 'postmaster.pid'), 'utf8')).toBe(pidFile);
    const adminKey = readFileSync(path.join(dataDir, 'admin-key'), 'utf8').trim();
    const health = await postGraphQL(server.url, '{ health { status database } }', undefined, { authorization: `Bearer ${adminKey}` });
    expect(health.body.data).toEqual({ health: { status: 'OK', database: 'UP' } });

    // The supervisor is killed outright: its worker exits within 5 s; PostgreSQL is orphaned.
    first.child.kill('SIGKILL');
    await exitOf(first.child);
    await waitFor(() => !alive(server.workerPid), 5_000, 20);
    expect(alive(server.postgresPid)).toBe(true);

    // The next start finds the lock and the postmaster stale, stops the orphan and serves.
    const second = launch(process.execPath, [MAIN, 'start'], dataDir);
    children.push(second.child);
    const restarted = await runningServer(second, dataDir);
    pids.push(restarted.startPid, restarted.workerPid, restarted.postgresPid);
    expect(alive(server.postgresPid)).toBe(false);
    expect(second.output()).toContain('stopping an embedded PostgreSQL left running by an earlier process');
    const again = await postGraphQL(restarted.url, '{ health { status database } }', undefined, { authorization: `Bearer ${adminKey}` });
    expect(again.body.data).toEqual({ health: { status: 'OK', database: 'UP' } });

    // SIGTERM to the node process itself stops all three, too.
    second.child.kill('SIGTERM');
    expect(await exitOf(second.child)).toBe(0);
    await waitFor(() => ![restarted.workerPid, restarted.postgresPid].some(alive), STOP_WITHIN_MS, 50);
  }, 300_000);
});

/** The port of the data directory's running PostgreSQL (line 4 of postmaster.pid). */
function postgresPort(dataDir: string): number {
  return Number(readFileSync(path.join(dataDir, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[3]);
}
