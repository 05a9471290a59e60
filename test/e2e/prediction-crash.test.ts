import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { loadConfig } from '../../src/config/config';
import { createPrismaClient, type PrismaClient } from '../../src/infra/db/prisma-client';
import type { JobQueue } from '../../src/infra/queue/job-queue';
import { createDomainServices } from '../../src/services/services';
import { fixtureCsv } from '../support/fixtures';
import { RecordingPublisher } from '../support/run-fixtures';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { trainVersions } from '../support/trained-version';

const ROOT = path.resolve(__dirname, '..', '..');
const PREDICT = 'mutation($input: PredictInput!) { predict(input: $input) { predictions { id } } }';

/**
 * An API server process killed with SIGKILL while predict requests are in flight: every prediction
 * it answered must be in the database (they are committed before the answer is written), and a
 * server restarted on the same database serves.
 */
describe('an API process killed with SIGKILL under predict load', () => {
  let db: TestDatabase;
  let prisma: PrismaClient;
  let child: ChildProcess | undefined;
  let predictorKey: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    prisma = createPrismaClient(db.url, 2);
    const services = createDomainServices({ prisma, events: new RecordingPublisher(), queue: {} as JobQueue, config: loadConfig({}) });
    const trained = await trainVersions(prisma, services, { name: 'bc', csv: fixtureCsv('breast_cancer'), labelColumn: 'benign', seeds: [1], epochs: 2 });
    await services.deployments.deployModel({ name: 'crash', modelVersionId: trained.versionIds[0] }, 'test');
    predictorKey = (await services.apiKeys.createKey({ name: 'crash-client', role: 'PREDICTOR', deployments: ['crash'] })).token;
  }, 120_000);

  afterAll(async () => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await prisma.$disconnect();
    await db.drop();
  });

  async function startServer(): Promise<string> {
    child = spawn(process.execPath, ['-r', path.join(ROOT, 'test/support/ts-register.js'), path.join(ROOT, 'test/support/api-server-child.ts')], {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: db.url, LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    return new Promise<string>((resolve, reject) => {
      let output = '';
      child!.stdout!.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        const match = /listening (\S+)\n/.exec(output);
        if (match) resolve(match[1]);
      });
      child!.on('exit', (code) => reject(new Error(`API process exited with ${code} before it listened`)));
    });
  }

  it('loses no answered prediction', async () => {
    const url = await startServer();
    const [header, ...lines] = fixtureCsv('breast_cancer').trim().split(/\r?\n/);
    const names = header.split(',');
    const instances = lines.slice(0, 3).map((line) =>
      Object.fromEntries(
        line
          .split(',')
          .map((cell, i) => [names[i], Number(cell)])
          .filter(([name]) => name !== 'benign'),
      ),
    );
    const answered: string[] = [];
    let inFlight = 0;
    let failed = 0;
    let stop = false;
    const client = async (worker: number) => {
      for (let i = 0; !stop; i++) {
        inFlight++;
        try {
          const response = await fetch(url, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${predictorKey}` },
            body: JSON.stringify({ query: PREDICT, variables: { input: { deployment: 'crash', instances, requestKey: `w${worker}-${i}` } } }),
          });
          const body = (await response.json()) as { data?: { predict: { predictions: { id: string }[] } } };
          if (body.data) answered.push(...body.data.predict.predictions.map((p) => p.id));
          else failed++;
        } catch {
          failed++;
        } finally {
          inFlight--;
        }
      }
    };
    const clients = Array.from({ length: 32 }, (_, worker) => client(worker));
    await new Promise<void>((resolve) => {
      const check = setInterval(() => {
        if (answered.length >= 3 * 300) {
          clearInterval(check);
          resolve();
        }
      }, 5);
    });
    const inFlightAtKill = inFlight;
    const exited = new Promise((resolve) => child!.once('exit', resolve));
    child!.kill('SIGKILL');
    await exited;
    stop = true;
    await Promise.all(clients);
    const answeredAtEnd = [...answered];

    expect(inFlightAtKill).toBeGreaterThan(0);
    expect(failed).toBeGreaterThan(0);
    const stored = new Set<string>();
    for (let start = 0; start < answeredAtEnd.length; start += 5_000) {
      const rows = await prisma.prediction.findMany({ where: { id: { in: answeredAtEnd.slice(start, start + 5_000) } }, select: { id: true } });
      for (const row of rows) stored.add(row.id);
    }
    const lost = answeredAtEnd.filter((id) => !stored.has(id));
    expect(lost).toEqual([]);
    const total = await prisma.prediction.count();
    process.stdout.write(
      `answered ${answeredAtEnd.length} predictions, ${inFlightAtKill} requests in flight at SIGKILL, ${failed} failed, ${total} rows stored\n`,
    );
    expect(total).toBeGreaterThanOrEqual(answeredAtEnd.length);

    // A server restarted on the same database serves at once, and logs what it answers.
    const restarted = await startServer();
    const response = await fetch(restarted, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${predictorKey}` },
      body: JSON.stringify({ query: PREDICT, variables: { input: { deployment: 'crash', instances, requestKey: 'after-restart' } } }),
    });
    const body = (await response.json()) as { data?: { predict: { predictions: { id: string }[] } }; errors?: unknown };
    expect(body.errors).toBeUndefined();
    const ids = body.data!.predict.predictions.map((p) => p.id);
    expect(await prisma.prediction.count({ where: { id: { in: ids } } })).toBe(ids.length);
  }, 180_000);
});
