import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config/config';
import { createPrismaClient, type PrismaClient } from '../../src/infra/db/prisma-client';
import type { JobQueue } from '../../src/infra/queue/job-queue';
import { createDomainServices } from '../../src/services/services';
import { postGraphQL, useApiKey } from '../support/graphql-client';
import { fixtureCsv } from '../support/fixtures';
import { RecordingPublisher } from '../support/run-fixtures';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { trainVersions } from '../support/trained-version';
import { waitFor } from '../support/wait-for';

const ROOT = path.resolve(__dirname, '..', '..');
const PREDICT = 'mutation($input: PredictInput!) { predict(input: $input) { modelVersionId predictions { id } } }';

/** A started `mlplane serve`: the primary, its URL once every process listens, and the pids of the API processes that logged listening so far. */
interface StartedServe {
  primary: ChildProcess;
  url: string;
  listening: Set<number>;
}

/** Starts `mlplane serve --processes <processes>` from the sources, with `env` over this process's environment. */
async function startServe(processes: number, env: NodeJS.ProcessEnv): Promise<StartedServe> {
  const primary = spawn(
    process.execPath,
    ['-r', path.join(ROOT, 'test/support/ts-register.js'), path.join(ROOT, 'src/main.ts'), 'serve', '--processes', String(processes)],
    {
      cwd: ROOT,
      env: { ...process.env, PORT: '0', LOG_LEVEL: 'info', ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const listening = new Set<number>();
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    primary.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const lines = output.split('\n');
      output = lines.pop()!;
      for (const line of lines) {
        if (line.includes('"msg":"API server listening"')) listening.add(JSON.parse(line).pid as number);
        const match = /mlplane listening on (\S+) /.exec(line);
        if (match) resolve(match[1]);
      }
    });
    primary.on('exit', (code) => reject(new Error(`serve exited with ${code} before it listened`)));
  });
  return { primary, url, listening };
}

/** `mlplane serve --processes 2`: two API processes behind one port, one deployment cache each, metrics of both. */
describe('serve --processes 2', () => {
  let db: TestDatabase;
  let prisma: PrismaClient;
  let primary: ChildProcess | undefined;
  let versionIds: string[];
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'mlplane-cluster-'));

  beforeAll(async () => {
    db = await createTestDatabase();
    prisma = createPrismaClient(db.url, 2);
    const services = createDomainServices({ prisma, events: new RecordingPublisher(), queue: {} as JobQueue, config: loadConfig({}) });
    ({ versionIds } = await trainVersions(prisma, services, { name: 'bc', csv: fixtureCsv('breast_cancer'), labelColumn: 'benign', seeds: [1, 2], epochs: 2 }));
    await services.deployments.deployModel({ name: 'clustered', modelVersionId: versionIds[0] }, 'test');
  }, 120_000);

  afterAll(async () => {
    if (primary && primary.exitCode === null) primary.kill('SIGKILL');
    await prisma.$disconnect();
    await db.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves from both processes on one port, applies a rollback in both, and reports the metrics of both', async () => {
    // No key exists yet: the primary creates the first ADMIN key once every process listens, as `serve` does.
    const started = await startServe(2, { DATABASE_URL: db.url, MLPLANE_DATA_DIR: dataDir, MLPLANE_API_SEMI_SPACE_MB: '24' });
    primary = started.primary;
    const { url, listening } = started;
    // Each process logs its own line; the primary's may reach the pipe first.
    await waitFor(() => listening.size === 2, 10_000);
    // Both are forked processes, with the configured young generation.
    for (const pid of listening) {
      expect(pid).not.toBe(primary.pid);
      expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')).toContain('--max-semi-space-size=24');
    }
    const key = readFileSync(path.join(dataDir, 'admin-key'), 'utf8').trim();
    useApiKey(url, key);

    const predict = async () => {
      const { body } = await postGraphQL(url, PREDICT, {
        input: {
          deployment: 'clustered',
          instances: [
            Object.fromEntries(
              fixtureCsv('breast_cancer')
                .split(/\r?\n/)[0]
                .split(',')
                .filter((n) => n !== 'benign')
                .map((n) => [n, 1]),
            ),
          ],
        },
      });
      if (!body.data) throw new Error(JSON.stringify(body.errors));
      return body.data.predict.modelVersionId as string;
    };
    // Concurrent requests spread over both processes (the primary hands connections round-robin).
    const answered = (await Promise.all(Array.from({ length: 40 }, predict))).length;
    const switched = await postGraphQL(
      url,
      `mutation { updateDeployment(input: { deployment: "clustered", modelVersionId: "${versionIds[1]}" }) { event { kind } } }`,
    );
    expect(switched.body.errors).toBeUndefined();
    // Every later request, whichever process takes it, serves the new version within 1 s.
    await waitFor(async () => (await Promise.all(Array.from({ length: 8 }, predict))).every((id) => id === versionIds[1]), 1_000, 5);

    expect((await fetch(new URL('/metrics', url))).status).toBe(401);
    const metrics = await (await fetch(new URL('/metrics', url), { headers: { authorization: `Bearer ${key}` } })).text();
    const total = Number(/mlplane_predict_requests_total\{deployment="clustered",route="graphql",outcome="ok"\} (\d+)/.exec(metrics)![1]);
    expect(total).toBeGreaterThanOrEqual(answered + 8);
    expect(total).toBe(
      await prisma.prediction.count({ where: { deploymentId: (await prisma.deployment.findUniqueOrThrow({ where: { name: 'clustered' } })).id } }),
    );

    primary.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => primary!.once('exit', resolve));
    expect(code).toBe(0);
  }, 180_000);
});

/** `mlplane serve --processes 1`: the API still runs in a forked, supervised process, with the API's young generation. */
describe('serve --processes 1', () => {
  let db: TestDatabase;
  let primary: ChildProcess | undefined;
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'mlplane-serve-one-'));

  beforeAll(async () => {
    db = await createTestDatabase();
  });

  afterAll(async () => {
    if (primary && primary.exitCode === null) primary.kill('SIGKILL');
    await db.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('forks one API process with the default semi-space, which serves and stops on SIGTERM', async () => {
    const started = await startServe(1, { DATABASE_URL: db.url, MLPLANE_DATA_DIR: dataDir, MLPLANE_API_SEMI_SPACE_MB: '' });
    primary = started.primary;
    const { url, listening } = started;
    await waitFor(() => listening.size === 1, 10_000);
    const [apiPid] = listening;
    expect(apiPid).not.toBe(primary.pid);
    expect(readFileSync(`/proc/${apiPid}/cmdline`, 'utf8').split('\0')).toContain('--max-semi-space-size=32');
    expect((await fetch(new URL('/healthz', url))).status).toBe(200);

    primary.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => primary!.once('exit', resolve));
    expect(code).toBe(0);
  }, 120_000);
});
