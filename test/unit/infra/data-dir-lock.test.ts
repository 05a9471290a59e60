import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DataDirInUseError, LOCK_FILE, lockDataDir } from '../../../src/infra/db/data-dir-lock';

describe('lockDataDir', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'mlplane-lock-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses while its owner lives, naming it, and is free again once released', async () => {
    const lock = await lockDataDir(dir, 'start');
    const refusal = await lockDataDir(dir, 'migrate').catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(DataDirInUseError);
    expect((refusal as Error).message).toMatch(new RegExp(`^data directory ${dir} is in use by a running mlplane start \\(pid ${process.pid}, since `));
    await lock.release();
    expect(existsSync(path.join(dir, LOCK_FILE))).toBe(false);
    await (await lockDataDir(dir, 'migrate')).release();
  });

  it('takes over a lock whose owner died', async () => {
    const child = spawn(process.execPath, ['-e', '']);
    const deadPid = await new Promise<number>((resolve) => child.once('exit', () => resolve(child.pid!)));
    writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify({ pid: deadPid, startTime: '1', command: 'start', since: 'yesterday' }));
    const lock = await lockDataDir(dir, 'start');
    expect(JSON.parse(readFileSync(path.join(dir, LOCK_FILE), 'utf8')).pid).toBe(process.pid);
    await lock.release();
  });

  it('does not mistake a reused pid for the owner (its start time differs)', async () => {
    writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify({ pid: process.pid, startTime: 'not-this-process', command: 'start', since: 'yesterday' }));
    const lock = await lockDataDir(dir, 'start');
    await lock.release();
  });
});
