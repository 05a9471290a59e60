import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { readdirSync } from 'node:fs';
import os from 'node:os';
import { createPrismaClient, type PrismaClient } from '../../src/infra/db/prisma-client';
import { connectWsClient, postGraphQL, type WsTestClient } from '../support/graphql-client';
import { fixtureCsv } from '../support/fixtures';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { startTestServer, type TestServer } from '../support/test-server';
import { waitFor } from '../support/wait-for';

const MAX_BYTES = 200_000;

interface UploadAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Record<string, any>;
}

/** POSTs `chunks` to the upload endpoint: with a Content-Length when `declare`, else chunked. */
function upload(
  server: TestServer,
  pathAndQuery: string,
  chunks: (string | Buffer)[],
  options: { declare?: boolean; contentType?: string } = {},
): Promise<UploadAnswer> {
  const bytes = chunks.reduce((sum, chunk) => sum + Buffer.byteLength(chunk), 0);
  return new Promise((resolve, reject) => {
    // A connection per upload: a refused upload's connection is closed by the server.
    const req = http.request(`${server.origin}${pathAndQuery}`, {
      agent: false,
      method: 'POST',
      headers: {
        authorization: `Bearer ${server.adminKey}`,
        'content-type': options.contentType ?? 'text/csv',
        ...(options.declare === false ? {} : { 'content-length': String(bytes) }),
      },
    });
    let answered = false;
    req.on('response', (res) => {
      answered = true;
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (part: string) => (text += part));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: JSON.parse(text) }));
    });
    // The server may answer and close before the whole body is sent.
    req.on('error', (error: NodeJS.ErrnoException) => (error.code === 'EPIPE' || error.code === 'ECONNRESET' ? undefined : reject(error)));
    req.on('close', () => answered || reject(new Error('the connection closed before an answer arrived')));
    const write = (i: number): void => {
      if (i === chunks.length) return void req.end();
      if (req.destroyed) return;
      req.write(chunks[i], () => setImmediate(() => write(i + 1)));
    };
    write(0);
  });
}

const spoolFiles = () => readdirSync(os.tmpdir()).filter((name) => name.startsWith('mlplane-upload-'));

/**
 * Issue 9 point 3: datasets uploaded as a streamed CSV body go through the same use case as
 * createDataset (same checks, same errors), with the byte limit enforced while streaming and the
 * progress pushed on datasetIngestProgress.
 */
describe('POST /datasets/{name}/versions', () => {
  let db: TestDatabase;
  let prisma: PrismaClient;
  let server: TestServer;
  let ws: WsTestClient;
  const csv = fixtureCsv('breast_cancer');

  beforeAll(async () => {
    db = await createTestDatabase();
    prisma = createPrismaClient(db.url, 2);
    server = await startTestServer({
      databaseUrl: db.url,
      env: { MLPLANE_MAX_DATASET_BYTES: String(MAX_BYTES), MLPLANE_MAX_JSON_BODY_BYTES: String(4 * MAX_BYTES) },
    });
    ws = await connectWsClient(server.url);
  }, 60_000);

  afterAll(async () => {
    await ws?.close();
    await server?.close();
    await prisma?.$disconnect();
    await db?.drop();
  });

  it('creates the dataset from a streamed body, pushes its progress, and stores what createDataset stores', async () => {
    const uploadId = randomUUID();
    const progress = ws.subscribe(
      'subscription($id: ID!) { datasetIngestProgress(uploadId: $id) { uploadId phase bytesReceived totalBytes datasetId datasetVersionId } }',
      { id: uploadId },
    );
    await waitFor(() => server.pubSub.subscriberCount('datasetIngestProgress', uploadId) === 1);
    const lines = csv.split('\n');
    const chunks = Array.from(
      { length: 8 },
      (_, i) => lines.slice(Math.floor((i * lines.length) / 8), Math.floor(((i + 1) * lines.length) / 8)).join('\n') + (i < 7 ? '\n' : ''),
    );
    expect(chunks.join('')).toBe(csv);
    const answer = await upload(server, `/datasets/bc-upload/versions?labelColumn=benign&description=streamed&uploadId=${uploadId}`, chunks, {
      declare: false,
    });
    expect(answer.status).toBe(201);
    expect(answer.headers['x-upload-id']).toBe(uploadId);
    expect(answer.body).toMatchObject({
      uploadId,
      created: true,
      dataset: { name: 'bc-upload', task: 'BINARY_CLASSIFICATION' },
      version: { version: 1, rowCount: 569, sizeBytes: Buffer.byteLength(csv) },
    });

    const phases: string[] = [];
    for (;;) {
      const event = (await progress.next(5_000))!.data!.datasetIngestProgress;
      expect(event).toMatchObject({ uploadId, totalBytes: null });
      phases.push(event.phase);
      if (event.phase === 'STORED') {
        expect(event).toMatchObject({ bytesReceived: Buffer.byteLength(csv), datasetId: answer.body.dataset.id, datasetVersionId: answer.body.version.id });
        break;
      }
    }
    expect(phases[0]).toBe('RECEIVING');
    expect(phases.slice(-2)).toEqual(['PARSING', 'STORED']);
    await progress.stop();

    // The same text through createDataset: same hash, columns and profiles.
    const viaJson = await postGraphQL(
      server.url,
      'mutation($input: CreateDatasetInput!) { createDataset(input: $input) { version { contentHash rowCount columns { name type role profile { count distinct mean } } } } }',
      {
        input: { name: 'bc-json', csv, labelColumn: 'benign' },
      },
    );
    const uploaded = await postGraphQL(
      server.url,
      '{ dataset(name: "bc-upload") { description latestVersion { contentHash rowCount columns { name type role profile { count distinct mean } } } } }',
    );
    expect(uploaded.body.data!.dataset.description).toBe('streamed');
    expect(uploaded.body.data!.dataset.latestVersion).toEqual(viaJson.body.data!.createDataset.version);
    expect(answer.body.version.contentHash).toBe(viaJson.body.data!.createDataset.version.contentHash);
  }, 60_000);

  it('audits an upload and a createDataset with one SUCCEEDED row each, naming the dataset and version (written in their transaction)', async () => {
    const answer = await upload(server, '/datasets/audited/versions?labelColumn=benign', [csv]);
    const viaJson = await postGraphQL(server.url, 'mutation($input: CreateDatasetInput!) { createDataset(input: $input) { dataset { id } version { id } } }', {
      input: { name: 'audited-json', csv, labelColumn: 'benign' },
    });
    const created = viaJson.body.data!.createDataset;
    const rows = await prisma.auditEvent.findMany({
      where: { operation: { in: ['uploadDataset', 'createDataset'] }, outcome: 'SUCCEEDED' },
      orderBy: { createdAt: 'asc' },
    });
    const ofDataset = (id: string) => rows.filter((row) => row.targetIds.includes(id));
    // In the version's transaction: PostgreSQL's now() is the transaction's start, the same for both rows.
    const createdAt = async (versionId: string) => (await prisma.datasetVersion.findUniqueOrThrow({ where: { id: versionId } })).createdAt;
    expect(ofDataset(answer.body.dataset.id)).toEqual([
      expect.objectContaining({
        operation: 'uploadDataset',
        principal: 'test-admin',
        errorCode: null,
        targetIds: expect.arrayContaining([answer.body.version.id]),
        createdAt: await createdAt(answer.body.version.id),
      }),
    ]);
    expect(ofDataset(created.dataset.id)).toEqual([
      expect.objectContaining({
        operation: 'createDataset',
        principal: 'test-admin',
        errorCode: null,
        targetIds: expect.arrayContaining([created.version.id]),
        createdAt: await createdAt(created.version.id),
      }),
    ]);
  });

  it('adds versions by name: the same content returns the existing version, new content makes the next', async () => {
    const again = await upload(server, '/datasets/bc-upload/versions', [csv]);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ created: false, version: { version: 1 } });
    const changed = await upload(server, '/datasets/bc-upload/versions', [csv.split('\n').slice(0, 300).join('\n')]);
    expect(changed.status).toBe(201);
    expect(changed.body).toMatchObject({ created: true, version: { version: 2, rowCount: 299 } });
  });

  it('refuses what createDataset refuses, with the same codes and locations, and stores nothing', async () => {
    const badCell = await upload(server, '/datasets/bad-cell/versions?labelColumn=y', ['x,y\n1,a\n2,b\u0000\n']);
    expect(badCell.status).toBe(400);
    expect(badCell.body.errors[0].extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'input.csv', row: 2, column: 'y' });
    const noLabel = await upload(server, '/datasets/no-label/versions', ['x,y\n1,a\n']);
    expect(noLabel.status).toBe(400);
    expect(noLabel.body.errors[0].extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'labelColumn' });
    const badName = await upload(server, '/datasets/%20lead/versions?labelColumn=y', ['x,y\n1,a\n']);
    expect(badName.body.errors[0].extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'input.name' });
    const json = await upload(server, '/datasets/json/versions?labelColumn=y', ['{}'], { contentType: 'application/json' });
    expect([json.status, json.body.errors[0].extensions]).toEqual([400, { code: 'BAD_USER_INPUT', field: 'Content-Type' }]);
    const nul = await upload(server, '/datasets/nul/versions?labelColumn=y%00', ['x,y\n1,a\n']);
    expect(nul.body.errors[0].extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'labelColumn' });
    const badTask = await upload(server, '/datasets/bad-task/versions?labelColumn=y&task=CLUSTERING', ['x,y\n1,a\n']);
    expect([badTask.status, badTask.body.errors[0].extensions]).toEqual([400, { code: 'BAD_USER_INPUT', field: 'task' }]);
    expect(badTask.body.errors[0].message).toBe('task must be one of BINARY_CLASSIFICATION, MULTICLASS_CLASSIFICATION, REGRESSION, got CLUSTERING');
    expect(await prisma.dataset.count({ where: { name: { in: ['bad-cell', 'no-label', 'json', 'nul', 'bad-task'] } } })).toBe(0);
  });

  it('pushes a FAILED event with the start of a long error message (a NOTIFY payload stays under 8,000 bytes), the answer with all of it', async () => {
    const uploadId = randomUUID();
    const progress = ws.subscribe('subscription($id: ID!) { datasetIngestProgress(uploadId: $id) { phase message code } }', { id: uploadId });
    await waitFor(() => server.pubSub.subscriberCount('datasetIngestProgress', uploadId) === 1);
    // csv-parse's message quotes the field at fault whole.
    const answer = await upload(server, `/datasets/long-field/versions?labelColumn=y&uploadId=${uploadId}`, [`x,y\n${'a'.repeat(20_000)}"b,y\n`]);
    expect(answer.status).toBe(400);
    const refusal = answer.body.errors[0].message as string;
    expect(refusal.length).toBeGreaterThan(20_000);
    for (;;) {
      const event = (await progress.next(5_000))!.data!.datasetIngestProgress;
      if (event.phase !== 'FAILED') continue;
      expect(event.code).toBe('BAD_USER_INPUT');
      expect(event.message.length).toBeLessThanOrEqual(1_000);
      expect(refusal.startsWith(event.message.slice(0, -1))).toBe(true);
      break;
    }
    await progress.stop();
  });

  it('refuses an oversize body with 413, from its Content-Length or while it streams, and keeps no spool file', async () => {
    const before = spoolFiles();
    const row = 'x,y\n' + '1.5,a\n'.repeat(MAX_BYTES / 6);
    const declared = await upload(server, '/datasets/big/versions?labelColumn=y', [row, 'more\n']);
    expect(declared.status).toBe(413);
    expect(declared.body.errors[0]).toMatchObject({
      message: expect.stringContaining('over the limit of 200000 bytes'),
      extensions: { code: 'BAD_USER_INPUT', field: 'body' },
    });
    const streamed = await upload(
      server,
      '/datasets/big/versions?labelColumn=y',
      Array.from({ length: 40 }, () => '1.5,a\n'.repeat(2_000)),
      { declare: false },
    );
    expect(streamed.status).toBe(413);
    expect(streamed.headers.connection).toBe('close');
    expect(await prisma.dataset.count({ where: { name: 'big' } })).toBe(0);
    await waitFor(() => spoolFiles().filter((name) => !before.includes(name)).length === 0, 5_000);
    // The server goes on serving.
    expect((await fetch(`${server.origin}/healthz`)).status).toBe(200);
  }, 180_000);

  it('refuses a GraphQL JSON body over MLPLANE_MAX_JSON_BODY_BYTES with 413', async () => {
    const answer = await postGraphQL(server.url, 'mutation($input: CreateDatasetInput!) { createDataset(input: $input) { dataset { id } } }', {
      input: { name: 'too-big-json', csv: 'x,y\n' + '1,a\n'.repeat(MAX_BYTES), labelColumn: 'y' },
    });
    expect(answer.status).toBe(413);
    expect(answer.body.errors![0].extensions!.code).toBe('BAD_REQUEST');
  });
});
