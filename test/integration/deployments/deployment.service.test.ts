import { loadConfig } from '../../../src/config/config';
import { ConflictError, InvalidStateError, NotFoundError, ValidationError } from '../../../src/domain/errors';
import { createPrismaClient, type PrismaClient } from '../../../src/infra/db/prisma-client';
import type { JobQueue } from '../../../src/infra/queue/job-queue';
import { createDomainServices, type DomainServices } from '../../../src/services/services';
import { fixtureCsv } from '../../support/fixtures';
import { RecordingPublisher } from '../../support/run-fixtures';
import { createTestDatabase, type TestDatabase } from '../../support/test-database';
import { trainVersions, type TrainedVersions } from '../../support/trained-version';

describe('deployments', () => {
  let db: TestDatabase;
  let prisma: PrismaClient;
  let services: DomainServices;
  let events: RecordingPublisher;
  let trained: TrainedVersions;

  beforeAll(async () => {
    db = await createTestDatabase();
    prisma = createPrismaClient(db.url, 4);
    events = new RecordingPublisher();
    services = createDomainServices({ prisma, events, queue: {} as JobQueue, config: loadConfig({}) });
    trained = await trainVersions(prisma, services, { name: 'bc', csv: fixtureCsv('breast_cancer'), labelColumn: 'benign', seeds: [1, 2, 3], epochs: 2 });
  }, 120_000);

  afterAll(async () => {
    // The drift monitor runs checks in the background (and a thread for their statistics): stop it before the database goes.
    await services.driftMonitor.stop();
    await prisma.$disconnect();
    await db.drop();
  });

  it('deploys by version id or by model and alias, and refuses a taken name or a bad input', async () => {
    const [v1, v2] = trained.versionIds;
    const { deployment, event } = await services.deployments.deployModel({ name: 'by-id', modelVersionId: v1 }, 'alice');
    expect(deployment).toMatchObject({ name: 'by-id', modelId: trained.modelId, modelVersionId: v1, canaryModelVersionId: null, previousModelVersionId: null });
    expect(event).toMatchObject({ kind: 'DEPLOYED', fromModelVersionId: null, toModelVersionId: v1, actor: 'alice', reason: null });
    expect(events.of('deploymentChanged', event.id)).toEqual([{ id: event.id, deploymentId: deployment.id, name: 'by-id' }]);

    await services.modelVersions.setAlias({ modelVersionId: v2, alias: 'production' }, 'alice');
    const byAlias = await services.deployments.deployModel({ name: 'by-alias', model: trained.modelName, alias: 'production' }, 'bob');
    expect(byAlias.deployment.modelVersionId).toBe(v2);
    const byModelId = await services.deployments.deployModel({ name: 'by-model-id', model: trained.modelId, alias: 'production' }, 'bob');
    expect(byModelId.deployment.modelVersionId).toBe(v2);

    await expect(services.deployments.deployModel({ name: 'by-id', modelVersionId: v2 }, 'bob')).rejects.toBeInstanceOf(ConflictError);
    await expect(services.deployments.deployModel({ name: 'x', model: trained.modelName, alias: 'staging' }, 'bob')).rejects.toMatchObject({
      constructor: NotFoundError,
      location: { field: 'input.alias' },
    });
    await expect(
      services.deployments.deployModel({ name: 'x', modelVersionId: v1, model: trained.modelName, alias: 'production' }, 'bob'),
    ).rejects.toBeInstanceOf(ValidationError);
    await expect(services.deployments.deployModel({ name: 'x' }, 'bob')).rejects.toBeInstanceOf(ValidationError);
    await expect(services.deployments.deployModel({ name: 'no spaces', modelVersionId: v1 }, 'bob')).rejects.toMatchObject({
      location: { field: 'input.name' },
    });
    await expect(services.deployments.deployModel({ name: 'x', modelVersionId: '00000000-0000-4000-8000-000000000000' }, 'bob')).rejects.toBeInstanceOf(
      NotFoundError,
    );
    // Every problem of the input is reported, each with its field, before anything is looked up; nothing is written.
    const deployments = await prisma.deployment.count();
    const several = await services.deployments
      .deployModel({ name: 'no spaces', model: 'no-such-model', alias: 'Bad Alias', aliasUpdate: 'CANARY', aliasCanaryPercent: 100 }, 'bob')
      .catch((error: unknown) => error);
    expect(several).toBeInstanceOf(ValidationError);
    expect((several as ValidationError).violations.map((violation) => violation.field)).toEqual(['input.name', 'input.alias', 'input.aliasCanaryPercent']);
    const update = await services.deployments
      .updateDeployment({ deployment: 'no-such-deployment', alias: 'production', aliasCanaryPercent: 10, reason: 'r'.repeat(2_001) }, 'bob')
      .catch((error: unknown) => error);
    expect(update).toBeInstanceOf(ValidationError);
    expect((update as ValidationError).violations.map((violation) => violation.field)).toEqual(['input.aliasCanaryPercent', 'input.reason']);
    const batching = await services.deployments.setBatching('by-id', { maxBatchSize: 0, maxDelayMs: 1_000 }).catch((error: unknown) => error);
    expect((batching as ValidationError).violations.map((violation) => violation.field)).toEqual(['input.maxBatchSize', 'input.maxDelayMs']);
    expect(await prisma.deployment.count()).toBe(deployments);
    expect((await prisma.deployment.findUniqueOrThrow({ where: { name: 'by-id' } })).serving).toEqual({});
  });

  it('switches, canaries, promotes and rolls back, each change an event with actor, from, to and reason', async () => {
    const [v1, v2, v3] = trained.versionIds;
    const name = 'lifecycle';
    await services.deployments.deployModel({ name, modelVersionId: v1 }, 'alice');

    const updated = await services.deployments.updateDeployment({ deployment: name, modelVersionId: v2, reason: 'retrained' }, 'bob');
    expect(updated.deployment).toMatchObject({ modelVersionId: v2, previousModelVersionId: v1 });
    expect(updated.event).toMatchObject({ kind: 'UPDATED', fromModelVersionId: v1, toModelVersionId: v2, actor: 'bob', reason: 'retrained' });
    await expect(services.deployments.updateDeployment({ deployment: name, modelVersionId: v2 }, 'bob')).rejects.toBeInstanceOf(InvalidStateError);

    const canary = await services.deployments.startCanary({ deployment: name, modelVersionId: v3, percent: 10 }, 'carol');
    expect(canary.deployment).toMatchObject({ modelVersionId: v2, canaryModelVersionId: v3, canaryPercent: 10 });
    expect(canary.event).toMatchObject({ kind: 'CANARY_STARTED', fromModelVersionId: v2, toModelVersionId: v3, canaryPercent: 10 });
    await expect(services.deployments.updateDeployment({ deployment: name, modelVersionId: v1 }, 'bob')).rejects.toBeInstanceOf(InvalidStateError);
    await expect(services.deployments.startCanary({ deployment: name, modelVersionId: v3, percent: 100 }, 'carol')).rejects.toMatchObject({
      location: { field: 'input.percent' },
    });

    const rolledBackCanary = await services.deployments.rollbackDeployment({ deployment: name, reason: 'canary error rate' }, 'dave');
    expect(rolledBackCanary.deployment).toMatchObject({ modelVersionId: v2, canaryModelVersionId: null, canaryPercent: null, previousModelVersionId: v1 });
    expect(rolledBackCanary.event).toMatchObject({
      kind: 'ROLLED_BACK',
      fromModelVersionId: v3,
      toModelVersionId: v2,
      actor: 'dave',
      reason: 'canary error rate',
    });

    await services.deployments.startCanary({ deployment: name, modelVersionId: v3, percent: 25 }, 'carol');
    const promoted = await services.deployments.promoteCanary(name, 'erin');
    expect(promoted.deployment).toMatchObject({ modelVersionId: v3, previousModelVersionId: v2, canaryModelVersionId: null });
    expect(promoted.event).toMatchObject({ kind: 'CANARY_PROMOTED', fromModelVersionId: v2, toModelVersionId: v3, canaryPercent: 25 });
    await expect(services.deployments.promoteCanary(name, 'erin')).rejects.toBeInstanceOf(InvalidStateError);

    const rolledBack = await services.deployments.rollbackDeployment({ deployment: name, reason: 'accuracy dropped' }, 'frank');
    expect(rolledBack.deployment).toMatchObject({ modelVersionId: v2, previousModelVersionId: null });
    expect(rolledBack.event).toMatchObject({ kind: 'ROLLED_BACK', fromModelVersionId: v3, toModelVersionId: v2 });
    await expect(services.deployments.rollbackDeployment({ deployment: name, reason: 'again' }, 'frank')).rejects.toBeInstanceOf(InvalidStateError);
    await expect(services.deployments.rollbackDeployment({ deployment: name, reason: '  ' }, 'frank')).rejects.toMatchObject({
      location: { field: 'input.reason' },
    });

    const deployment = await services.deployments.requireDeployment(name);
    const history = await services.deployments.listEvents(deployment.id, { first: 100 });
    expect(history.totalCount).toBe(7);
    expect(history.items.map((e) => e.kind)).toEqual([
      'ROLLED_BACK',
      'CANARY_PROMOTED',
      'CANARY_STARTED',
      'ROLLED_BACK',
      'CANARY_STARTED',
      'UPDATED',
      'DEPLOYED',
    ]);
    expect(history.items.map((e) => e.actor)).toEqual(['frank', 'erin', 'carol', 'dave', 'carol', 'bob', 'alice']);
    expect(history.items.map((e) => e.sequence)).toEqual([7, 6, 5, 4, 3, 2, 1]);
    const page = await services.deployments.listEvents(deployment.id, { first: 3 });
    const next = await services.deployments.listEvents(deployment.id, { first: 100, after: page.cursorOf(page.items[2]) });
    expect([...page.items, ...next.items].map((e) => e.id)).toEqual(history.items.map((e) => e.id));
    const published = events.of('deploymentChanged').filter((payload) => payload.deploymentId === deployment.id);
    expect(published.map((payload) => payload.id).reverse()).toEqual(history.items.map((e) => e.id));
  });

  it('keeps a deployment on one model', async () => {
    const other = await trainVersions(prisma, services, { name: 'iris', csv: fixtureCsv('iris'), labelColumn: 'species', seeds: [1], epochs: 1 });
    await services.deployments.deployModel({ name: 'one-model', modelVersionId: trained.versionIds[0] }, 'alice');
    await expect(services.deployments.updateDeployment({ deployment: 'one-model', modelVersionId: other.versionIds[0] }, 'bob')).rejects.toMatchObject({
      constructor: ValidationError,
      location: { field: 'input.modelVersionId' },
    });
    await expect(services.deployments.startCanary({ deployment: 'nope', modelVersionId: other.versionIds[0], percent: 5 }, 'bob')).rejects.toBeInstanceOf(
      NotFoundError,
    );
  }, 60_000);

  it('answers NOT_FOUND for a name no deployment can have, as for any unknown name, in every change; the input is checked first', async () => {
    const [v1, v2] = trained.versionIds;
    const name = 'no such deployment';
    const changes: Array<[string, () => Promise<unknown>, string]> = [
      ['startCanary', () => services.deployments.startCanary({ deployment: name, modelVersionId: v2, percent: 5 }, 'bob'), 'input.deployment'],
      ['rollbackDeployment', () => services.deployments.rollbackDeployment({ deployment: name, reason: 'bad' }, 'bob'), 'input.deployment'],
      ['updateDeployment', () => services.deployments.updateDeployment({ deployment: name, modelVersionId: v1 }, 'bob'), 'input.deployment'],
      ['promoteCanary', () => services.deployments.promoteCanary(name, 'bob'), 'deployment'],
      ['setBatching', () => services.deployments.setBatching(name, { maxBatchSize: 8 }), 'input.deployment'],
    ];
    for (const [mutation, change, field] of changes) {
      await expect(change().catch((error: unknown) => [mutation, error])).resolves.toEqual([
        mutation,
        expect.objectContaining({ code: 'NOT_FOUND', location: { field } }),
      ]);
    }
    // Problems of the rest of the input are reported first, and alone: the name is not one of them.
    await expect(services.deployments.startCanary({ deployment: name, modelVersionId: v2, percent: 0 }, 'bob')).rejects.toMatchObject({
      constructor: ValidationError,
      violations: [{ field: 'input.percent', message: expect.stringMatching(/^input\.percent must be greater than 0/) }],
    });
    await expect(services.deployments.rollbackDeployment({ deployment: name, reason: ' ' }, 'bob')).rejects.toMatchObject({
      constructor: ValidationError,
      violations: [{ field: 'input.reason' }],
    });
  });

  it('serializes concurrent changes of one deployment', async () => {
    const [v1, v2, v3] = trained.versionIds;
    await services.deployments.deployModel({ name: 'race', modelVersionId: v1 }, 'alice');
    const results = await Promise.allSettled([
      services.deployments.updateDeployment({ deployment: 'race', modelVersionId: v2 }, 'a'),
      services.deployments.startCanary({ deployment: 'race', modelVersionId: v3, percent: 50 }, 'b'),
      services.deployments.updateDeployment({ deployment: 'race', modelVersionId: v3 }, 'c'),
    ]);
    const deployment = await services.deployments.requireDeployment('race');
    const history = await services.deployments.listEvents(deployment.id, { first: 100 });
    expect(history.totalCount).toBe(1 + results.filter((r) => r.status === 'fulfilled').length);
    // Replaying the events from the first one reproduces the row.
    let stable: string | null = null;
    let canary: string | null = null;
    for (const event of [...history.items].reverse()) {
      if (event.kind === 'CANARY_STARTED') canary = event.toModelVersionId;
      else stable = event.toModelVersionId;
    }
    expect({ stable, canary }).toEqual({ stable: deployment.modelVersionId, canary: deployment.canaryModelVersionId });
  });
});
