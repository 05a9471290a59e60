import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { PASSWORD_FILE } from '../../src/infra/db/embedded-postgres';
import { startTestChild, type TestChild } from '../support/child-process';

/** Connects as postgres with `password`; resolves with the SQLSTATE of a refusal, or 'ok'. */
async function tryPassword(port: number, password: string): Promise<string> {
  const client = new Client({ host: '127.0.0.1', port, user: 'postgres', password, database: 'postgres' });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.end();
    return 'ok';
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  }
}

/**
 * The embedded PostgreSQL's password: generated for a new cluster, and for a cluster made before
 * passwords were generated (fixed password `mlplane`, no password file) at its next start.
 */
describe('embedded PostgreSQL password', () => {
  let dir: string;
  let pg: TestChild | undefined;

  const start = async (): Promise<number> => {
    pg = startTestChild('embedded-postgres-child.ts', { PG_DATA_DIR: dir, PG_DATABASE: 'postgres' });
    return Number(new URL((await pg.waitForOutput(/url (\S+)\n/, 120_000))[1]).port);
  };
  const stop = async (): Promise<void> => {
    const exited = new Promise((resolve) => pg!.process.once('exit', resolve));
    pg!.process.kill('SIGTERM');
    await exited;
  };

  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'mlplane-pgpass-'));
    chmodSync(dir, 0o755);
  });
  afterAll(async () => {
    if (pg?.alive()) await stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('replaces the old fixed password of an existing cluster with a generated one, kept 0600', async () => {
    // A cluster as an earlier version left it: password `mlplane`, no password file.
    let port = await start();
    const generated = readFileSync(path.join(dir, PASSWORD_FILE), 'utf8').trim();
    const admin = new Client({ host: '127.0.0.1', port, user: 'postgres', password: generated, database: 'postgres' });
    await admin.connect();
    await admin.query("ALTER ROLE postgres PASSWORD 'mlplane'");
    await admin.end();
    await stop();
    rmSync(path.join(dir, PASSWORD_FILE));

    port = await start();
    const file = path.join(dir, PASSWORD_FILE);
    expect(existsSync(file)).toBe(true);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const replaced = readFileSync(file, 'utf8').trim();
    expect(replaced).not.toBe('mlplane');
    expect(replaced).not.toBe(generated);
    expect(await tryPassword(port, 'mlplane')).toBe('28P01');
    expect(await tryPassword(port, replaced)).toBe('ok');
    await stop();
  }, 240_000);
});
