import { spawn } from 'node:child_process';
import path from 'node:path';
import { projectRoot } from '../../src/config/paths';
import { postGraphQL } from '../support/graphql-client';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { startTestServer, type TestServer } from '../support/test-server';
import { startWorkerProcess, type WorkerProcess } from '../support/worker-process';

/* `npm run demo` (the compiled dist/src/demo/demo.js) against a real API server and worker process. */

describe('npm run demo', () => {
  let db: TestDatabase;
  let server: TestServer;
  let worker: WorkerProcess;

  beforeAll(async () => {
    db = await createTestDatabase();
    server = await startTestServer({ databaseUrl: db.url });
    server.services.driftMonitor.start();
    worker = await startWorkerProcess(db.url);
  }, 90_000);

  afterAll(async () => {
    await worker?.stop();
    await server?.close();
    await db?.drop();
  }, 30_000);

  it('trains and deploys the seed model on the shipped data, drifts it and leaves an open drift alert, printing dashboard links', async () => {
    const child = spawn(process.execPath, [path.join(projectRoot, 'dist', 'src', 'demo', 'demo.js')], {
      env: { ...process.env, MLPLANE_URL: server.origin },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const lines = stdout.trim().split('\n');
    expect(lines.filter((line) => /^ {3}epoch +\d+ /.test(line))).toHaveLength(10);
    for (const step of ['1. dataset breast_cancer: 569 rows x 30 features', '2. training run', '3. model seed v1 registered', '4. v1 is production, deployed as breast-cancer', '5. sent 200 predictions of normal traffic', '6. sent 200 predictions of drifted traffic; drift report: DRIFTED', '7. alert open']) {
      expect(lines.some((line) => line.startsWith(step))).toBe(true);
    }
    expect(stdout).toContain(`${server.origin}/#/deployments/breast-cancer`);
    const { body } = await postGraphQL(server.url, '{ alerts(first: 5, filter: { deployment: "breast-cancer", kind: DATA_DRIFT, status: OPEN }) { totalCount } }');
    expect(body.data!.alerts.totalCount).toBe(1);
  }, 180_000);
});
