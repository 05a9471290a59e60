import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { projectRoot } from '../../src/config/paths';
import { postGraphQL } from '../support/graphql-client';
import { waitFor } from '../support/wait-for';

/** `npm start`'s process (the compiled `mlplane start`) with no DATABASE_URL: embedded PostgreSQL. */
describe('mlplane start without DATABASE_URL', () => {
  let dataDir: string;
  let child: ChildProcess;
  let output = '';

  beforeAll(() => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'mlplane-start-'));
    chmodSync(dataDir, 0o755);
  });
  afterAll(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('starts on an embedded PostgreSQL, answers health, and exits 0 within 10 s of SIGTERM', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: '0', MLPLANE_DATA_DIR: path.join(dataDir, '.mlplane'), LOG_LEVEL: 'info' };
    delete env.DATABASE_URL;
    child = spawn(process.execPath, [path.join(projectRoot, 'dist/src/main.js'), 'start'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await waitFor(() => /mlplane listening on (\S+) \(database: embedded PostgreSQL/.test(output) || child.exitCode !== null, 90_000, 100);
    const url = /mlplane listening on (\S+) \(database: embedded PostgreSQL/.exec(output)?.[1];
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/graphql$/);
    const health = await postGraphQL(url!, '{ health { status database } }');
    expect(health.body.data).toEqual({ health: { status: 'OK', database: 'UP' } });
    expect(existsSync(path.join(dataDir, '.mlplane', 'postgres', 'PG_VERSION'))).toBe(true);
    await waitFor(() => output.includes('worker ready'), 60_000, 100);

    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const stoppingAt = Date.now();
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(Date.now() - stoppingAt).toBeLessThan(10_000);
    // The embedded server stopped with it: no postmaster is left holding the data directory.
    expect(existsSync(path.join(dataDir, '.mlplane', 'postgres', 'postmaster.pid'))).toBe(false);
  }, 150_000);
});
