import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { projectRoot } from '../../src/config/paths';
import { postGraphQL } from '../support/graphql-client';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { startTestServer, type TestServer } from '../support/test-server';
import { startWorkerProcess, type WorkerProcess } from '../support/worker-process';

/*
 * `npm run demo` (the compiled dist/src/demo/demo.js) against a real API server (keys on) and worker
 * process. The demo's key is MLPLANE_API_KEY, else `<MLPLANE_DATA_DIR>/admin-key`.
 */

function runDemo(env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [path.join(projectRoot, 'dist', 'src', 'demo', 'demo.js')], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })));
}

describe('npm run demo', () => {
  let db: TestDatabase;
  let server: TestServer;
  let worker: WorkerProcess;
  let dataDir: string;
  let emptyDir: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'mlplane-demo-'));
    emptyDir = mkdtempSync(path.join(os.tmpdir(), 'mlplane-demo-nokey-'));
    db = await createTestDatabase();
    server = await startTestServer({ databaseUrl: db.url });
    server.services.driftMonitor.start();
    worker = await startWorkerProcess(db.url);
  }, 90_000);

  afterAll(async () => {
    await worker?.stop();
    await server?.close();
    await db?.drop();
    for (const dir of [dataDir, emptyDir]) if (dir) rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  it('without a key says there is none and where it looked, and stops at the 401 naming MLPLANE_API_KEY', async () => {
    const { code, stdout, stderr } = await runDemo({ MLPLANE_URL: server.origin, MLPLANE_API_KEY: '', MLPLANE_DATA_DIR: emptyDir });
    expect(code).toBe(1);
    expect(stdout).toBe(`API key: none (MLPLANE_API_KEY is unset and ${path.join(emptyDir, 'admin-key')} does not exist)\n`);
    expect(stderr).toMatch(/^demo failed: mlplane refused a request without an API key .* with HTTP 401: .*; set MLPLANE_API_KEY to a valid key\n$/);
  }, 30_000);

  it("prefers MLPLANE_API_KEY to the admin-key file, and passes on the server's refusal of a VIEWER key", async () => {
    writeFileSync(path.join(dataDir, 'admin-key'), `${server.adminKey}\n`, { mode: 0o600 });
    const viewer = await server.createKey('demo-viewer', 'VIEWER');
    const { code, stdout, stderr } = await runDemo({ MLPLANE_URL: server.origin, MLPLANE_API_KEY: viewer, MLPLANE_DATA_DIR: dataDir });
    expect(code).toBe(1);
    expect(stdout.split('\n')[0]).toBe('API key from MLPLANE_API_KEY');
    expect(stderr).toBe('demo failed: createDataset requires the EDITOR role; key "demo-viewer" has VIEWER\n');
  }, 30_000);

  it('with the admin-key file of MLPLANE_DATA_DIR trains and deploys the seed model on the shipped data, drifts it and leaves an open drift alert, printing dashboard links', async () => {
    const keyFile = path.join(dataDir, 'admin-key');
    writeFileSync(keyFile, `${server.adminKey}\n`, { mode: 0o600 });
    const { code, stdout, stderr } = await runDemo({ MLPLANE_URL: server.origin, MLPLANE_API_KEY: '', MLPLANE_DATA_DIR: dataDir });
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const lines = stdout.trim().split('\n');
    expect(lines[0]).toBe(`API key from ${keyFile}`);
    expect(lines.filter((line) => /^ {3}epoch +\d+ /.test(line))).toHaveLength(10);
    for (const step of [
      '1. dataset breast_cancer: 569 rows x 30 features',
      '2. training run',
      '3. model seed v1 registered',
      '4. v1 is production, deployed as breast-cancer',
      '5. sent 200 predictions of normal traffic',
      '6. sent 200 predictions of drifted traffic; drift report: DRIFTED',
      '7. alert open',
    ]) {
      expect(lines.some((line) => line.startsWith(step))).toBe(true);
    }
    expect(stdout).toContain(`${server.origin}/#/deployments/breast-cancer`);
    const { body } = await postGraphQL(
      server.url,
      '{ alerts(first: 5, filter: { deployment: "breast-cancer", kind: DATA_DRIFT, status: OPEN }) { totalCount } }',
    );
    expect(body.data!.alerts.totalCount).toBe(1);
  }, 180_000);
});
