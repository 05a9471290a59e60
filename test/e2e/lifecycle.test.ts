import { createPrismaClient, type PrismaClient } from '../../src/infra/db/prisma-client';
import { connectWsClient, postGraphQL, type GraphQLResponseBody, type WsTestClient } from '../support/graphql-client';
import { fixtureCsv } from '../support/fixtures';
import { waitForSubscribers } from '../support/subscribers';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { startTestServer, type TestServer } from '../support/test-server';
import { trainVersions, type TrainedVersions } from '../support/trained-version';

/**
 * Alias following and the lifecycle of things through a real API server over HTTP and graphql-ws,
 * with API keys: who may do what, what the client sees (codes, `usedBy`), what is pushed and audited.
 */
describe('alias following and lifecycle over GraphQL', () => {
  let db: TestDatabase;
  let prisma: PrismaClient;
  let server: TestServer;
  let ws: WsTestClient;
  let trained: TrainedVersions;
  let instance: Record<string, number>;

  beforeAll(async () => {
    db = await createTestDatabase();
    prisma = createPrismaClient(db.url, 2);
    server = await startTestServer({ databaseUrl: db.url });
    ws = await connectWsClient(server.url);
    trained = await trainVersions(prisma, server.services, {
      name: 'bc',
      csv: fixtureCsv('breast_cancer'),
      labelColumn: 'benign',
      seeds: [1, 2, 3, 4],
      epochs: 1,
      kinds: ['STANDARD', 'STANDARD', 'STANDARD', 'TRIAL'],
    });
    const [header, first] = fixtureCsv('breast_cancer').trim().split(/\r?\n/);
    const names = header.split(',');
    instance = Object.fromEntries(
      first
        .split(',')
        .map((cell, i) => [names[i], Number(cell)])
        .filter(([name]) => name !== 'benign'),
    );
  }, 120_000);

  afterAll(async () => {
    await ws.close();
    await server.close();
    await prisma.$disconnect();
    await db.drop();
  });

  /** As the key named `user` (EDITOR unless `role`), or the server's ADMIN key. */
  const gql = async (query: string, variables?: Record<string, unknown>, user?: string, role?: 'ADMIN'): Promise<GraphQLResponseBody> =>
    (await postGraphQL(server.url, query, variables, user ? await server.headersFor(user, role) : {})).body;
  const predict = () =>
    gql('mutation($input: PredictInput!) { predict(input: $input) { modelVersionId } }', { input: { deployment: 'web', instances: [instance] } });
  const auditOf = (operation: string) => prisma.auditEvent.findMany({ where: { operation }, orderBy: { createdAt: 'asc' } });

  it('switches a deployment made by alias when the alias moves, pushing the change with the move as its reason', async () => {
    const [v1, v2] = trained.versionIds;
    const setAlias = (id: string, user: string) =>
      gql(
        'mutation($id: ID!) { setModelVersionAlias(input: { modelVersionId: $id, alias: "production" }) { alias deployments { totalCount edges { node { name } } } } }',
        { id },
        user,
      );
    expect((await setAlias(v1, 'alice')).errors).toBeUndefined();
    const deployed = await gql(
      `mutation { deployModel(input: { name: "web", model: "${trained.modelName}", alias: "production" }) {
        deployment { modelVersion { id } followsAlias { alias update canaryPercent modelVersion { id } } } event { kind reason } } }`,
      undefined,
      'alice',
    );
    expect(deployed).toEqual({
      data: {
        deployModel: {
          deployment: { modelVersion: { id: v1 }, followsAlias: { alias: 'production', update: 'SWITCH', canaryPercent: null, modelVersion: { id: v1 } } },
          event: { kind: 'DEPLOYED', reason: 'follows alias "production" (SWITCH), at version 1' },
        },
      },
    });

    const pushed = ws.subscribe(
      'subscription { deploymentChanged(deployment: "web") { kind actor reason fromModelVersionId toModelVersionId aliasMove { alias movedBy from { id } to { id } } } }',
    );
    await waitForSubscribers(server.pubSub, 'deploymentChanged', 1, 'web');
    expect(await setAlias(v2, 'carol')).toEqual({
      data: { setModelVersionAlias: { alias: 'production', deployments: { totalCount: 1, edges: [{ node: { name: 'web' } }] } } },
    });
    expect((await pushed.next(5_000))!.data!.deploymentChanged).toEqual({
      kind: 'UPDATED',
      actor: 'carol',
      reason: 'alias "production" moved from v1 to v2 by carol',
      fromModelVersionId: v1,
      toModelVersionId: v2,
      aliasMove: { alias: 'production', movedBy: 'carol', from: { id: v1 }, to: { id: v2 } },
    });
    await pushed.stop();

    // Serving follows at once: the next prediction is made by v2.
    const served = await predict();
    expect(served.data).toEqual({ predict: { modelVersionId: v2 } });

    // The alias cannot be deleted while "web" follows it: the client is told who uses it.
    const refused = await gql(`mutation { deleteModelVersionAlias(input: { model: "${trained.modelName}", alias: "production" }) { id } }`, undefined, 'alice');
    const web = await server.services.deployments.requireDeployment('web');
    expect(refused.errors).toEqual([
      expect.objectContaining({
        message: 'cannot delete alias "production": pin the deployments to a version first (updateDeployment with modelVersionId): deployment "web" follows it',
        extensions: { code: 'IN_USE', field: 'input.alias', usedBy: [{ kind: 'DEPLOYMENT', id: web.id, name: 'web', how: 'follows it' }], usedByCount: 1 },
      }),
    ]);
    expect((await auditOf('deleteModelVersionAlias')).map((row) => [row.principal, row.outcome, row.errorCode])).toEqual([['alice', 'FAILED', 'IN_USE']]);
  }, 60_000);

  it('keeps trial versions out of Model.versions unless asked, and promotes one on request', async () => {
    const trialId = trained.versionIds[3];
    const versions = async (args: string): Promise<{ id: string; kind: string; version: number }[]> =>
      (await gql(`{ model(id: "${trained.modelId}") { versions${args} { edges { node { id kind version } } } } }`)).data!.model.versions.edges.map(
        (edge: { node: { id: string; kind: string; version: number } }) => edge.node,
      );
    expect((await versions('')).map((v) => v.kind)).toEqual(['STANDARD', 'STANDARD', 'STANDARD']);
    expect(await versions('(kinds: [TRIAL])')).toEqual([{ id: trialId, kind: 'TRIAL', version: 1 }]);
    // Several kinds (numbered apart) are listed newest first.
    expect((await versions('(kinds: [STANDARD, TRIAL])')).map((v) => v.id)).toEqual([trialId, ...trained.versionIds.slice(0, 3).reverse()]);
    const alias = await gql(`mutation { setModelVersionAlias(input: { modelVersionId: "${trialId}", alias: "trial" }) { alias } }`);
    expect(alias.errors![0]).toMatchObject({
      message: expect.stringContaining("is a study trial's version: promote it first"),
      extensions: { code: 'INVALID_STATE' },
    });
    const promoted = await gql(`mutation { promoteModelVersion(id: "${trialId}") { id kind version } }`, undefined, 'alice');
    expect(promoted).toEqual({ data: { promoteModelVersion: { id: trialId, kind: 'STANDARD', version: 4 } } });
    expect((await versions('')).map((v) => v.version)).toEqual([4, 3, 2, 1]);
  });

  it('archives a version out of the list and refuses deletion to EDITOR keys; ADMIN deletes it, audited, with the counts', async () => {
    const v3 = trained.versionIds[2];
    const archived = await gql(`mutation { archiveModelVersion(id: "${v3}") { id archivedAt } }`, undefined, 'alice');
    expect(archived.data!.archiveModelVersion.archivedAt).toEqual(expect.any(String));
    const listed = await gql(
      `{ model(id: "${trained.modelId}") { all: versions(includeArchived: true) { edges { node { id } } } shown: versions { edges { node { id } } } } }`,
    );
    const ids = (list: { edges: { node: { id: string } }[] }) => list.edges.map((edge) => edge.node.id);
    expect(ids(listed.data!.model.all)).toContain(v3);
    expect(ids(listed.data!.model.shown)).not.toContain(v3);

    const denied = await gql(`mutation { deleteModelVersion(id: "${v3}") { id } }`, undefined, 'alice');
    expect(denied.errors![0]).toMatchObject({
      message: 'deleteModelVersion requires the ADMIN role; key "alice" has EDITOR',
      extensions: { code: 'FORBIDDEN' },
    });
    expect(await prisma.modelVersion.count({ where: { id: v3 } })).toBe(1);
    const deleted = await gql(`mutation { deleteModelVersion(id: "${v3}") { id deleted { kind count } } }`, undefined, 'root', 'ADMIN');
    expect(deleted).toEqual({
      data: {
        deleteModelVersion: {
          id: v3,
          deleted: [
            { kind: 'MODEL_VERSION', count: 1 },
            { kind: 'EVALUATION', count: 0 },
          ],
        },
      },
    });
    expect((await auditOf('deleteModelVersion')).map((row) => [row.principal, row.role, row.outcome, row.errorCode, row.targetIds.includes(v3)])).toEqual([
      ['alice', 'EDITOR', 'DENIED', 'FORBIDDEN', true],
      ['root', 'ADMIN', 'SUCCEEDED', null, true],
    ]);
    expect((await auditOf('archiveModelVersion')).map((row) => [row.principal, row.outcome])).toEqual([['alice', 'SUCCEEDED']]);
  });

  it('archives a deployment: it leaves the list, stops serving until restored, and can then be deleted by ADMIN', async () => {
    const changes = ws.subscribe('subscription { deploymentChanged(deployment: "web") { kind actor } }');
    await waitForSubscribers(server.pubSub, 'deploymentChanged', 1, 'web');
    const archive = await gql('mutation { archiveDeployment(deployment: "web") { deployment { archivedAt } event { kind } } }', undefined, 'alice');
    expect(archive.data!.archiveDeployment).toEqual({ deployment: { archivedAt: expect.any(String) }, event: { kind: 'ARCHIVED' } });
    expect((await changes.next(5_000))!.data!.deploymentChanged).toEqual({ kind: 'ARCHIVED', actor: 'alice' });
    await changes.stop();

    const lists = await gql('{ shown: deployments { totalCount } all: deployments(includeArchived: true) { totalCount edges { node { name archivedAt } } } }');
    expect(lists.data!.shown.totalCount).toBe(0);
    expect(lists.data!.all).toEqual({ totalCount: 1, edges: [{ node: { name: 'web', archivedAt: archive.data!.archiveDeployment.deployment.archivedAt } }] });
    const refused = await predict();
    expect(refused.errors![0]).toMatchObject({ extensions: { code: 'INVALID_STATE', field: 'input.deployment' } });
    expect(refused.errors![0].message).toMatch(/archived: it serves no predictions until it is restored/);

    await gql('mutation { restoreDeployment(deployment: "web") { event { kind } } }', undefined, 'alice');
    const predictions = await prisma.prediction.count();
    // Answered predictions are committed before the answer.
    expect((await predict()).errors).toBeUndefined();
    expect(await prisma.prediction.count()).toBe(predictions + 1);

    const live = await gql('mutation { deleteDeployment(deployment: "web") { id } }', undefined, 'root', 'ADMIN');
    expect(live.errors![0]).toMatchObject({ extensions: { code: 'INVALID_STATE', field: 'deployment' } });
    await gql('mutation { archiveDeployment(deployment: "web") { event { kind } } }', undefined, 'alice');
    const deleted = await gql('mutation { deleteDeployment(deployment: "web") { deleted { kind count } } }', undefined, 'root', 'ADMIN');
    expect(Object.fromEntries(deleted.data!.deleteDeployment.deleted.map((d: { kind: string; count: number }) => [d.kind, d.count]))).toEqual({
      DEPLOYMENT: 1,
      DEPLOYMENT_EVENT: 5,
      PREDICTION: predictions + 1,
      DRIFT_REPORT: await prisma.driftReport.count(),
      ALERT_RULE: 0,
      ALERT: await prisma.alert.count(),
      API_KEY_GRANT: 0,
    });
    expect((await gql('{ deployment(name: "web") { id } }')).data).toEqual({ deployment: null });
  }, 60_000);

  it('refuses to delete a dataset models are defined on, naming them in extensions.usedBy', async () => {
    const refused = await gql(`mutation { deleteDataset(id: "${trained.datasetId}") { id } }`, undefined, 'root', 'ADMIN');
    expect(refused.errors).toEqual([
      expect.objectContaining({
        message: 'cannot delete dataset "bc" (delete what uses it first): model "bc-model" is defined on it',
        extensions: {
          code: 'IN_USE',
          field: 'id',
          usedBy: [{ kind: 'MODEL', id: trained.modelId, name: 'bc-model', how: 'is defined on it' }],
          usedByCount: 1,
        },
      }),
    ]);
    const unknown = await gql('mutation { deleteDataset(id: "00000000-0000-4000-8000-000000000000") { id } }', undefined, 'root', 'ADMIN');
    expect(unknown.errors![0]).toMatchObject({ extensions: { code: 'NOT_FOUND', field: 'id' } });
  });
});
