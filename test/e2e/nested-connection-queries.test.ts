import { AsyncLocalStorage } from 'node:async_hooks';
import { createPubSub } from '@graphql-yoga/subscription';
import { execute, parse, type GraphQLSchema } from 'graphql';
import { Client, Pool } from 'pg';
import { OPEN_PRINCIPAL } from '../../src/domain/auth/principal';
import { createContextFactory } from '../../src/graphql/context';
import { buildMlplaneSchema } from '../../src/graphql/schema';
import { createPrismaClient, type PrismaClient } from '../../src/infra/db/prisma-client';
import { logger } from '../../src/infra/logger';
import { fixtureCsv } from '../support/fixtures';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { startTestServer, type TestServer } from '../support/test-server';
import { trainVersions } from '../support/trained-version';

/** SQL statements sent to PostgreSQL by the code running inside `counted.run` (one count per statement). */
const counted = new AsyncLocalStorage<{ statements: number }>();
const COUNTED = Symbol('counted by Pool.query');

/** Counts statements at node-postgres, under Prisma: `Pool.query` (one statement on a pooled connection) and `Client.query` (transactions). */
function countStatements(): () => void {
  /* eslint-disable @typescript-eslint/unbound-method -- the originals are only called with `.apply(this, args)`, on the receiver of the call, and are put back by the returned function */
  const poolQuery = Pool.prototype.query;
  const clientQuery = Client.prototype.query;
  /* eslint-enable @typescript-eslint/unbound-method */
  Pool.prototype.query = function (this: Pool, ...args: unknown[]) {
    const store = counted.getStore();
    if (store) {
      store.statements++;
      if (args[0] && typeof args[0] === 'object') (args[0] as Record<symbol, boolean>)[COUNTED] = true;
    }
    return (poolQuery as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof Pool.prototype.query;
  Client.prototype.query = function (this: Client, ...args: unknown[]) {
    const store = counted.getStore();
    const config = args[0] as Record<symbol, boolean> | string | undefined;
    if (store && !(config && typeof config === 'object' && config[COUNTED])) store.statements++;
    return (clientQuery as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof Client.prototype.query;
  return () => {
    Pool.prototype.query = poolQuery;
    Client.prototype.query = clientQuery;
  };
}

const NESTED = `{
  models(first: 100) { totalCount edges { node { name
    versions(first: 10) { totalCount edges { node { version
      evaluations { totalCount edges { node { id split } } }
      aliases { totalCount edges { node { alias } } } } } }
    aliases(first: 5) { totalCount edges { node { alias deployments { totalCount edges { node { name } } } } } }
    aliasHistory(first: 5) { totalCount edges { node { alias to { version } } } } } } }
  runs(first: 100) { edges { node { epochs(first: 2) { totalCount edges { node { epoch } } } metrics(name: "loss") { totalCount edges { node { epoch value } } } } } }
  datasets(first: 100) { edges { node { name versions { totalCount edges { node { version } } } } } }
  deployments(first: 100) { edges { node { name events(first: 5) { totalCount edges { node { kind } } } driftReports { totalCount } } } }
}`;

/**
 * A nested connection is read for all parents at once (one DataLoader per field and page
 * arguments): the statements a query costs do not grow with the number of parents.
 */
describe('nested connections cost the same SQL statements for 2 parents as for 6', () => {
  let db: TestDatabase;
  let prisma: PrismaClient;
  let server: TestServer;
  let schema: GraphQLSchema;
  let restore: () => void;

  async function addModel(index: number): Promise<void> {
    const trained = await trainVersions(prisma, server.services, {
      name: `iris${index}`,
      csv: fixtureCsv('iris'),
      labelColumn: 'species',
      seeds: [1, 2],
      epochs: 1,
    });
    await server.services.modelVersions.evaluateModelVersion({ modelVersionId: trained.versionIds[0], datasetVersionId: trained.datasetVersionId });
    await server.services.modelVersions.setAlias({ modelVersionId: trained.versionIds[0], alias: 'production' }, 'tester');
    await server.services.deployments.deployModel({ name: `web${index}`, modelVersionId: trained.versionIds[1] }, 'tester');
    await server.services.deployments.deployModel({ name: `follow${index}`, model: trained.modelId, alias: 'production' }, 'tester');
    const epochs = [1, 2, 3].map((epoch) => ({ epoch, metrics: { loss: 1 / epoch }, elapsedMs: epoch, epochMs: 1, samplesPerSecond: 1 }));
    await prisma.run.create({
      data: {
        kind: 'TRAINING',
        status: 'SUCCEEDED',
        modelId: trained.modelId,
        datasetVersionId: trained.datasetVersionId,
        hyperparameters: {},
        epochs: { create: epochs },
      },
    });
  }

  /** Runs NESTED through the schema and the services the server uses, counting its statements. */
  async function run(): Promise<{ statements: number; data: Record<string, any> }> {
    const context = createContextFactory(
      server.services,
      logger,
    )({ requestId: 'count', transport: 'http', headers: {}, principal: OPEN_PRINCIPAL, clientAddress: null });
    const store = { statements: 0 };
    const result = await counted.run(store, () => execute({ schema, document: parse(NESTED), contextValue: context }));
    expect(result.errors).toBeUndefined();
    return { statements: store.statements, data: result.data as Record<string, any> };
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    prisma = createPrismaClient(db.url, 2);
    server = await startTestServer({ databaseUrl: db.url });
    schema = await buildMlplaneSchema({ pubSub: createPubSub() });
    restore = countStatements();
  }, 60_000);
  afterAll(async () => {
    restore();
    await server.close();
    await prisma.$disconnect();
    await db.drop();
  });

  it('reads versions, evaluations, aliases and their deployments, alias history, run epochs and metrics, dataset versions, deployment events and drift reports of every parent in a constant number of statements', async () => {
    for (const index of [0, 1]) await addModel(index);
    await run(); // warm-up: first-use work (connections, statement preparation) is not what is measured
    const two = await run();
    for (const index of [2, 3, 4, 5]) await addModel(index);
    const six = await run();

    expect(six.data.models.totalCount).toBe(6);
    for (const { node } of six.data.models.edges) {
      expect(node.versions.totalCount).toBe(2);
      expect(node.versions.edges.map((edge: any) => edge.node.version)).toEqual([2, 1]);
      // Version 1 was evaluated on every row (split ALL); version 2 was not evaluated.
      expect(node.versions.edges.map((edge: any) => edge.node.evaluations.edges.map((evaluation: any) => evaluation.node.split))).toEqual([[], ['ALL']]);
      expect(node.aliasHistory.edges.map((edge: any) => [edge.node.alias, edge.node.to.version])).toEqual([['production', 1]]);
      expect(node.versions.edges.map((edge: any) => edge.node.aliases.edges.map((alias: any) => alias.node.alias))).toEqual([[], ['production']]);
      expect(node.aliases.totalCount).toBe(1);
      expect(node.aliases.edges[0].node).toEqual({
        alias: 'production',
        deployments: { totalCount: 1, edges: [{ node: { name: expect.stringMatching(/^follow\d$/) } }] },
      });
    }
    expect(six.data.datasets.edges.map((edge: any) => edge.node.versions.totalCount)).toEqual([1, 1, 1, 1, 1, 1]);
    expect(six.data.deployments.edges.map((edge: any) => [edge.node.events.totalCount, edge.node.events.edges[0].node.kind])).toEqual(
      Array(12).fill([1, 'DEPLOYED']),
    );
    expect(six.data.runs.edges).toHaveLength(6);
    for (const { node } of six.data.runs.edges) {
      expect(node.epochs).toEqual({ totalCount: 3, edges: [{ node: { epoch: 1 } }, { node: { epoch: 2 } }] });
      expect(node.metrics.totalCount).toBe(3);
      expect(node.metrics.edges.map((edge: any) => edge.node.value)).toEqual([1, 0.5, 1 / 3]);
    }
    expect(two.statements).toBeGreaterThan(0);
    expect(six.statements).toBe(two.statements);
  });
});
