import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Kind, OperationTypeNode, parse, print, type OperationDefinitionNode } from 'graphql';
import { projectRoot } from '../../src/config/paths';
import { connectWsClient, postGraphQL, type WsTestClient } from '../support/graphql-client';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { startTestServer, type TestServer } from '../support/test-server';
import { waitFor } from '../support/wait-for';
import { systemResolver, type HostResolver } from '../../src/services/alerts/webhook-target';
import { startWorkerProcess, type WorkerProcess } from '../support/worker-process';

/*
 * The README's GraphQL examples are one story on examples/data/breast_cancer.csv. This runs every
 * operation of every ```graphql block, in the README's order, against a real API server and a real
 * `mlplane worker` process: a stale example (an unknown field, a wrong name, a step that no longer
 * chains) fails here. Variables are the ids the earlier steps returned.
 *
 * Subscriptions: runProgress and studyProgress are read until they complete (the run or study has
 * ended before the next step); every other subscription stays open while the story goes on and must
 * have received at least one event by its end. datasetIngestProgress follows an upload that the test
 * makes as the README's curl example does (POST /datasets/{name}/versions), once it is subscribed.
 *
 * Authentication is on: every request sends the server's ADMIN key, as the README tells a reader to
 * (the Authentication section's examples need ADMIN), over HTTP and in graphql-ws connectionParams.
 */

const README = readFileSync(path.join(projectRoot, 'README.md'), 'utf8');
const CSV = readFileSync(path.join(projectRoot, 'examples', 'data', 'breast_cancer.csv'), 'utf8');
const COMPLETING = new Set(['runProgress', 'studyProgress']);
/** The README's webhook receiver, hooks.example (a reserved name), stands for the reader's own: a public address here. */
const resolveHooks: HostResolver = async (hostname) => (hostname === 'hooks.example' ? [{ address: '93.184.216.34', family: 4 }] : systemResolver(hostname));

function operations(): OperationDefinitionNode[] {
  const blocks = [...README.matchAll(/```graphql\n([\s\S]*?)```/g)].map((match) => match[1]);
  return blocks.flatMap((block) => parse(block).definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION));
}

function label(operation: OperationDefinitionNode): string {
  const field = operation.selectionSet.selections[0];
  return `${operation.operation} ${operation.name?.value ?? (field.kind === Kind.FIELD ? field.name.value : '?')}`;
}

describe('the README story', () => {
  let db: TestDatabase;
  let server: TestServer;
  let worker: WorkerProcess;
  let ws: WsTestClient;
  const background: { label: string; events: number; errors: string[]; stop: () => void }[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    server = await startTestServer({ databaseUrl: db.url, hostResolver: resolveHooks });
    expect(server.adminKey).toMatch(/^mlp_/);
    // Without the key the story could not start.
    expect((await postGraphQL(server.url, '{ health { status } }', {}, { authorization: '' })).status).toBe(401);
    // As in an API process: the drift monitor's timer reports windows the predict path left for later.
    server.services.driftMonitor.start();
    worker = await startWorkerProcess(db.url);
    ws = await connectWsClient(server.url);
  }, 90_000);

  afterAll(async () => {
    for (const subscription of background) subscription.stop();
    await ws?.close();
    await worker?.stop();
    await server?.close();
    await db?.drop();
  }, 30_000);

  it('runs every example in order, top to bottom', async () => {
    const ids: Record<string, string> = {};
    const gql = async (query: string, variables: Record<string, unknown> = {}) => {
      const { body } = await postGraphQL(server.url, query, variables);
      if (body.errors) throw new Error(`${query.slice(0, 80)}: ${JSON.stringify(body.errors)}`);
      return body.data!;
    };
    /** The value of a README variable: the file, an id returned earlier, or one found from them. */
    const variable = async (name: string): Promise<unknown> => {
      if (name === 'csv') return CSV;
      if (ids[name]) return ids[name];
      switch (name) {
        case 'id':
          // datasetIngestProgress(uploadId: $id): the uploadId the upload will send.
          return randomUUID();
        case 'modelVersionId':
          return (await gql('query($id: ID!) { run(id: $id) { modelVersion { id } } }', { id: ids.runId })).run.modelVersion.id;
        case 'canaryVersionId':
          return (await gql('query($id: ID!) { study(id: $id) { bestModelVersion { id } } }', { id: ids.studyId })).study.bestModelVersion.id;
        case 'trialVersionId':
          return (await gql('{ model(name: "seed") { versions(kinds: [TRIAL], first: 1) { edges { node { id } } } } }')).model.versions.edges[0].node.id;
        case 'alertId': {
          let found: string | undefined;
          await waitFor(
            async () => {
              const open = await gql('{ alerts(first: 1, filter: { deployment: "breast-cancer", kind: DATA_DRIFT, status: OPEN }) { edges { node { id } } } }');
              found = open.alerts.edges[0]?.node.id;
              return found !== undefined;
            },
            60_000,
            200,
          ).catch(async (error: unknown) => {
            const seen = await gql(
              '{ alerts(first: 10) { edges { node { kind status deployment { name } } } } driftReports(deployment: "breast-cancer", first: 10) { edges { node { windowSize drifted } } } }',
            );
            throw new Error(`${error instanceof Error ? error.message : String(error)}: no open DATA_DRIFT alert; alerts and reports: ${JSON.stringify(seen)}`);
          });
          return found;
        }
        default:
          throw new Error(`the README uses $${name}, which no earlier step returns`);
      }
    };
    const remember = (data: Record<string, any>) => {
      if (data.createDataset) Object.assign(ids, { datasetId: data.createDataset.dataset.id, datasetVersionId: data.createDataset.version.id });
      if (data.createModel) ids.modelId = data.createModel.id;
      if (data.startTrainingRun) ids.runId = data.startTrainingRun.id;
      if (data.startOptimization) ids.studyId = data.startOptimization.id;
    };

    const story = operations();
    expect(story.length).toBeGreaterThan(30);
    const ran: string[] = [];
    for (const operation of story) {
      const query = print(operation);
      const variables: Record<string, unknown> = {};
      for (const definition of operation.variableDefinitions ?? []) {
        const name = definition.variable.name.value;
        variables[name] = await variable(name);
        if (name !== 'csv') ids[name] = variables[name] as string;
      }
      const field = operation.selectionSet.selections[0];
      const root = field.kind === Kind.FIELD ? field.name.value : '';
      if (operation.operation !== OperationTypeNode.SUBSCRIPTION) {
        remember(await gql(query, variables));
      } else if (COMPLETING.has(root)) {
        const subscription = ws.subscribe(query, variables);
        let last: Record<string, any> | undefined;
        for (;;) {
          const result = await subscription.next(120_000);
          if (result === undefined) break;
          expect({ step: label(operation), errors: result.errors }).toEqual({ step: label(operation), errors: undefined });
          last = result.data![root];
        }
        expect({ step: label(operation), status: last?.status }).toEqual({ step: label(operation), status: 'SUCCEEDED' });
      } else {
        const entry = { label: label(operation), events: 0, errors: [] as string[], stop: (): void => undefined };
        entry.stop = ws.client.subscribe(
          { query, variables },
          {
            next: (result) => {
              if (result.errors) entry.errors.push(JSON.stringify(result.errors));
              else entry.events++;
            },
            error: (error) => entry.errors.push(String(error)),
            complete: () => undefined,
          },
        );
        background.push(entry);
        if (root === 'datasetIngestProgress') {
          const uploadId = variables.id as string;
          await waitFor(() => server.pubSub.subscriberCount('datasetIngestProgress', uploadId) === 1);
          // The README's upload example on the story's data (the same content: no new version).
          const response = await fetch(`${server.origin}/datasets/breast_cancer/versions?uploadId=${uploadId}`, {
            method: 'POST',
            headers: { authorization: `Bearer ${server.adminKey}`, 'content-type': 'text/csv' },
            body: CSV,
          });
          expect({ status: response.status, body: await response.json() }).toMatchObject({ status: 200, body: { uploadId, created: false } });
        }
      }
      ran.push(label(operation));
    }
    expect(ran).toHaveLength(story.length);
    // Every open subscription heard what the story made happen after it subscribed.
    for (const subscription of background) {
      await waitFor(() => subscription.events > 0 || subscription.errors.length > 0, 60_000, 50).catch(() => undefined);
      expect({ subscription: subscription.label, events: subscription.events > 0, errors: subscription.errors }).toEqual({
        subscription: subscription.label,
        events: true,
        errors: [],
      });
    }
  }, 300_000);
});
