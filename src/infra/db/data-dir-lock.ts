/**
 * Ownership of an mlplane data directory (the embedded PostgreSQL's home): one live mlplane
 * process at a time. The lock is a file, `<dataDir>/mlplane.lock`, naming the owner's pid and, on
 * Linux, the process start time (so a reused pid is not mistaken for the owner). A lock whose owner
 * is gone is stale and is taken over.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';

export const LOCK_FILE = 'mlplane.lock';

interface LockOwner {
  pid: number;
  /** Start time of the process in clock ticks since boot (Linux), or null. */
  startTime: string | null;
  command: string;
  since: string;
}

/** A live mlplane process owns the data directory. */
export class DataDirInUseError extends Error {
  constructor(
    readonly dataDir: string,
    readonly owner: LockOwner,
  ) {
    super(
      `data directory ${dataDir} is in use by a running mlplane ${owner.command} (pid ${owner.pid}, since ${owner.since}); stop it first (nothing was changed)`,
    );
    this.name = 'DataDirInUseError';
  }
}

/** The start time of `pid` from /proc (field 22 of stat), or null where /proc is unavailable or the process is gone. */
async function processStartTime(pid: number): Promise<string | null> {
  try {
    const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count fields after the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

async function isAlive(owner: LockOwner): Promise<boolean> {
  try {
    process.kill(owner.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  if (owner.startTime === null) return true;
  return (await processStartTime(owner.pid)) === owner.startTime;
}

async function readOwner(file: string): Promise<LockOwner | null> {
  try {
    const owner = JSON.parse(await fs.readFile(file, 'utf8')) as LockOwner;
    return Number.isInteger(owner.pid) ? owner : null;
  } catch {
    return null;
  }
}

export interface DataDirLock {
  /** Removes the lock file (if it is still this process's). */
  release(): Promise<void>;
}

/**
 * Takes the data directory for this process (`command` names it in the refusal others get).
 * @throws DataDirInUseError when a live process owns it.
 */
export async function lockDataDir(dataDir: string, command: string): Promise<DataDirLock> {
  await fs.mkdir(dataDir, { recursive: true });
  const file = path.join(dataDir, LOCK_FILE);
  const me: LockOwner = { pid: process.pid, startTime: await processStartTime(process.pid), command, since: new Date().toISOString() };
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      await fs.writeFile(file, JSON.stringify(me), { flag: 'wx', mode: 0o644 });
      return {
        release: async () => {
          const owner = await readOwner(file);
          if (owner?.pid === me.pid && owner.startTime === me.startTime) await fs.rm(file, { force: true });
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const owner = await readOwner(file);
    if (owner && (await isAlive(owner))) throw new DataDirInUseError(dataDir, owner);
    // Stale (its owner died without releasing it), or half-written by a process that is starting:
    // remove it and race for it again; only one `wx` create wins.
    if (!owner) await new Promise((resolve) => setTimeout(resolve, 50));
    if (!owner && (await readOwner(file))) continue;
    await fs.rm(file, { force: true });
  }
  throw new Error(`could not take the lock ${file}`);
}
