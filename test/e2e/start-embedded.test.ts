import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { projectRoot } from '../../src/config/paths';
import { postGraphQL } from '../support/graphql-client';
import { waitFor } from '../support/wait-for';

/** Runs the compiled CLI to completion. */
function runCli(env: NodeJS.ProcessEnv, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const cli = spawn(process.execPath, [path.join(projectRoot, 'dist/src/main.js'), ...args], {
      env: { ...env, LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    cli.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    cli.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    cli.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

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

  it('starts on an embedded PostgreSQL with a first ADMIN key, answers health with it, exits 0 within 10 s of SIGTERM; the CLI then manages keys', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: '0', MLPLANE_DATA_DIR: path.join(dataDir, '.mlplane'), LOG_LEVEL: 'info' };
    delete env.DATABASE_URL;
    child = spawn(process.execPath, [path.join(projectRoot, 'dist/src/main.js'), 'start'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await waitFor(() => /mlplane listening on (\S+) \(database: embedded PostgreSQL/.test(output) || child.exitCode !== null, 90_000, 100);
    const url = /mlplane listening on (\S+) \(database: embedded PostgreSQL/.exec(output)?.[1];
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/graphql$/);
    // First start: one ADMIN key, printed framed once and written to <data dir>/admin-key (0600).
    const keyFile = path.join(dataDir, '.mlplane', 'admin-key');
    await waitFor(() => existsSync(keyFile), 10_000, 50);
    const key = readFileSync(keyFile, 'utf8').trim();
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    await waitFor(() => output.includes(key), 5_000, 50);
    expect(output).toMatch(/\+-+\+\n\| mlplane created its first API key \(role ADMIN\)/);
    expect((await postGraphQL(url!, '{ health { status } }', undefined, { authorization: '' })).status).toBe(401);
    const health = await postGraphQL(url!, '{ health { status database } }', undefined, { authorization: `Bearer ${key}` });
    expect(health.body.data).toEqual({ health: { status: 'OK', database: 'UP' } });

    // The CLI refuses to start a second PostgreSQL on the data dir the server is using.
    const refused = await runCli(env, ['apikey', 'list']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/mlplane is running on the embedded PostgreSQL in .*: stop it first/);
    expect(existsSync(path.join(dataDir, '.mlplane', 'postgres', 'PG_VERSION'))).toBe(true);
    await waitFor(() => output.includes('worker ready'), 60_000, 100);

    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const stoppingAt = Date.now();
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(Date.now() - stoppingAt).toBeLessThan(10_000);
    // The embedded server stopped with it: no postmaster is left holding the data directory.
    expect(existsSync(path.join(dataDir, '.mlplane', 'postgres', 'postmaster.pid'))).toBe(false);

    // With the server stopped, the CLI manages keys on the same embedded database.
    const created = await runCli(env, ['apikey', 'create', '--name', 'ci', '--role', 'EDITOR']);
    expect(created.code).toBe(0);
    expect(created.stdout.trim()).toMatch(/^mlp_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    const listed = await runCli(env, ['apikey', 'list']);
    expect(listed.stdout).toMatch(/\nadmin\s+ADMIN\s/);
    expect(listed.stdout).toMatch(/\nci\s+EDITOR\s/);
  }, 240_000);
});
