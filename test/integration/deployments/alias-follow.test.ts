import { loadConfig } from '../../../src/config/config';
import { InUseError, InvalidStateError, NotFoundError, ValidationError } from '../../../src/domain/errors';
import { createPrismaClient, type PrismaClient } from '../../../src/infra/db/prisma-client';
import type { JobQueue } from '../../../src/infra/queue/job-queue';
import { createDomainServices, type DomainServices } from '../../../src/services/services';
import { fixtureCsv } from '../../support/fixtures';
import { RecordingPublisher } from '../../support/run-fixtures';
import { createTestDatabase, type TestDatabase } from '../../support/test-database';
import { trainVersions, type TrainedVersions } from '../../support/trained-version';

/**
 * Deployments made by alias follow the alias, as MLflow's `models:/name@alias` resolves at load
 * time: every move of the alias changes them in its own transaction, with an event naming the move.
 */
describe('deployments that follow an alias', () => {
  let db: TestDatabase;
  let prisma: PrismaClient;
  let services: DomainServices;
  let events: RecordingPublisher;
  let trained: TrainedVersions;
  let v: string[];
  let trialVersionId: string;

  /** Every move of one alias of a model, newest first. */
  const aliasHistory = async (modelId: string, alias: string) =>
    (await services.modelVersions.pageAliasHistory([modelId], alias, { first: 100 })).get(modelId)!.items;

  beforeAll(async () => {
    db = await createTestDatabase();
    prisma = createPrismaClient(db.url, 6);
    events = new RecordingPublisher();
    services = createDomainServices({ prisma, events, queue: {} as JobQueue, config: loadConfig({}) });
    trained = await trainVersions(prisma, services, {
      name: 'bc',
      csv: fixtureCsv('breast_cancer'),
      labelColumn: 'benign',
      seeds: [1, 2, 3, 4, 5],
      epochs: 1,
      kinds: ['STANDARD', 'STANDARD', 'STANDARD', 'STANDARD', 'TRIAL'],
    });
    v = trained.versionIds.slice(0, 4);
    trialVersionId = trained.versionIds[4];
  }, 120_000);

  afterAll(async () => {
    // The drift monitor runs checks in the background (and a thread for their statistics): stop it before the database goes.
    await services.driftMonitor.stop();
    await prisma.$disconnect();
    await db.drop();
  });

  const setAlias = (alias: string, modelVersionId: string, actor = 'alice') => services.modelVersions.setAlias({ modelVersionId, alias }, actor);
  const deployment = (name: string) => services.deployments.requireDeployment(name);
  const eventsOf = async (name: string) => (await services.deployments.listEvents((await deployment(name)).id, { first: 100 })).items;

  it('switches a deployment made by alias when the alias moves, in the same transaction, and leaves one made by version id pinned', async () => {
    await setAlias('production', v[0]);
    const follower = await services.deployments.deployModel({ name: 'follow-switch', model: trained.modelName, alias: 'production' }, 'bob');
    expect(follower.deployment).toMatchObject({ modelVersionId: v[0], followAlias: 'production', aliasUpdate: 'SWITCH', aliasCanaryPercent: null });
    expect(follower.event).toMatchObject({ kind: 'DEPLOYED', reason: 'follows alias "production" (SWITCH), at version 1', aliasEventId: null });
    const pinned = await services.deployments.deployModel({ name: 'pinned', modelVersionId: v[0] }, 'bob');
    expect(pinned.deployment).toMatchObject({ followAlias: null, aliasUpdate: null });
    const key = `${trained.modelId}/production`;
    expect((await services.deployments.pageFollowers([key], {})).get(key)!.items.map((d) => d.name)).toEqual(['follow-switch']);

    const published = events.events.length;
    const { event: move } = await setAlias('production', v[1], 'carol');
    const after = await deployment('follow-switch');
    expect(after).toMatchObject({ modelVersionId: v[1], previousModelVersionId: v[0], followAlias: 'production' });
    const [latest] = await eventsOf('follow-switch');
    expect(latest).toMatchObject({
      kind: 'UPDATED',
      fromModelVersionId: v[0],
      toModelVersionId: v[1],
      actor: 'carol',
      reason: 'alias "production" moved from v1 to v2 by carol',
      aliasEventId: move.id,
    });
    // Pushed on deploymentChanged once, after the commit; the pinned deployment neither changed nor was announced.
    expect(events.events.slice(published)).toEqual([{ topic: 'deploymentChanged', payload: { id: latest.id, deploymentId: after.id, name: 'follow-switch' } }]);
    expect(await deployment('pinned')).toMatchObject({ modelVersionId: v[0], updatedAt: pinned.deployment.updatedAt });
    expect(await eventsOf('pinned')).toHaveLength(1);

    // Setting the alias where it already points changes no deployment.
    await setAlias('production', v[1]);
    expect(await eventsOf('follow-switch')).toHaveLength(2);
  });

  it('with aliasUpdate CANARY starts (or replaces) a canary at the set percent, and ends it when the alias returns to the stable version', async () => {
    await setAlias('candidate', v[0]);
    await services.deployments.deployModel(
      { name: 'follow-canary', model: trained.modelId, alias: 'candidate', aliasUpdate: 'CANARY', aliasCanaryPercent: 10 },
      'bob',
    );

    await setAlias('candidate', v[1]);
    expect(await deployment('follow-canary')).toMatchObject({ modelVersionId: v[0], canaryModelVersionId: v[1], canaryPercent: 10 });
    expect((await eventsOf('follow-canary'))[0]).toMatchObject({ kind: 'CANARY_STARTED', fromModelVersionId: v[0], toModelVersionId: v[1], canaryPercent: 10 });

    await setAlias('candidate', v[2]);
    expect(await deployment('follow-canary')).toMatchObject({ modelVersionId: v[0], canaryModelVersionId: v[2], canaryPercent: 10 });
    expect((await eventsOf('follow-canary'))[0]).toMatchObject({
      kind: 'CANARY_STARTED',
      toModelVersionId: v[2],
      reason: 'alias "candidate" moved from v2 to v3 by alice; it replaces the canary of v2 (10%)',
    });

    await setAlias('candidate', v[0]);
    expect(await deployment('follow-canary')).toMatchObject({ modelVersionId: v[0], canaryModelVersionId: null, canaryPercent: null });
    expect((await eventsOf('follow-canary'))[0]).toMatchObject({
      kind: 'ROLLED_BACK',
      fromModelVersionId: v[2],
      toModelVersionId: v[0],
      reason: 'alias "candidate" moved from v3 to v1 by alice, the stable version: the canary of v3 (10%) ended',
    });

    // The operator promotes the canary the alias started; the deployment keeps following.
    await setAlias('candidate', v[3]);
    const promoted = await services.deployments.promoteCanary('follow-canary', 'dave');
    expect(promoted.deployment).toMatchObject({
      modelVersionId: v[3],
      canaryModelVersionId: null,
      followAlias: 'candidate',
      aliasUpdate: 'CANARY',
      aliasCanaryPercent: 10,
    });
    expect((await eventsOf('follow-canary')).map((e) => e.kind)).toEqual([
      'CANARY_PROMOTED',
      'CANARY_STARTED',
      'ROLLED_BACK',
      'CANARY_STARTED',
      'CANARY_STARTED',
      'DEPLOYED',
    ]);
  });

  it('with SWITCH during a canary: promotes the canary the alias moved to, or switches and ends a canary of another version', async () => {
    await setAlias('champion', v[0]);
    await services.deployments.deployModel({ name: 'switch-canary', model: trained.modelName, alias: 'champion' }, 'bob');
    await services.deployments.startCanary({ deployment: 'switch-canary', modelVersionId: v[1], percent: 20 }, 'bob');
    await setAlias('champion', v[1]);
    expect(await deployment('switch-canary')).toMatchObject({ modelVersionId: v[1], previousModelVersionId: v[0], canaryModelVersionId: null });
    expect((await eventsOf('switch-canary'))[0]).toMatchObject({
      kind: 'CANARY_PROMOTED',
      canaryPercent: 20,
      reason: 'alias "champion" moved from v1 to v2 by alice; its canary became the stable version',
    });

    await services.deployments.startCanary({ deployment: 'switch-canary', modelVersionId: v[2], percent: 5 }, 'bob');
    await setAlias('champion', v[3]);
    expect(await deployment('switch-canary')).toMatchObject({
      modelVersionId: v[3],
      previousModelVersionId: v[1],
      canaryModelVersionId: null,
      canaryPercent: null,
    });
    expect((await eventsOf('switch-canary'))[0]).toMatchObject({
      kind: 'UPDATED',
      fromModelVersionId: v[1],
      toModelVersionId: v[3],
      reason: 'alias "champion" moved from v2 to v4 by alice; the canary of v3 (5%) ended',
    });
  });

  it('leaves the deployment alone when an alias of the same name moves on another model (aliases belong to one model)', async () => {
    const iris = await trainVersions(prisma, services, { name: 'iris', csv: fixtureCsv('iris'), labelColumn: 'species', seeds: [1], epochs: 1 });
    await setAlias('shared', v[0]);
    await services.deployments.deployModel({ name: 'follow-shared', model: trained.modelName, alias: 'shared' }, 'bob');
    await setAlias('shared', iris.versionIds[0]);
    expect(await deployment('follow-shared')).toMatchObject({ modelVersionId: v[0], followAlias: 'shared' });
    expect(await eventsOf('follow-shared')).toHaveLength(1);
    expect((await services.modelVersions.resolveAlias(trained.modelId, 'shared'))!.id).toBe(v[0]);
  }, 60_000);

  it('refuses to delete an alias a deployment follows, naming it; once the deployment is pinned the alias can go, its history kept', async () => {
    await setAlias('staging', v[2]);
    const { deployment: follower } = await services.deployments.deployModel({ name: 'follow-staging', model: trained.modelName, alias: 'staging' }, 'bob');
    const refusal = await services.modelVersions.deleteAlias({ modelId: trained.modelId, alias: 'staging' }, 'erin').catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(InUseError);
    expect(refusal).toMatchObject({
      message:
        'cannot delete alias "staging": pin the deployments to a version first (updateDeployment with modelVersionId): deployment "follow-staging" follows it',
      usedBy: [{ kind: 'DEPLOYMENT', id: follower.id, name: 'follow-staging', how: 'follows it' }],
      location: { field: 'input.alias' },
    });
    expect((await services.modelVersions.resolveAlias(trained.modelId, 'staging'))!.id).toBe(v[2]);

    const pin = await services.deployments.updateDeployment({ deployment: 'follow-staging', modelVersionId: v[2] }, 'erin');
    expect(pin.deployment).toMatchObject({ modelVersionId: v[2], followAlias: null, aliasUpdate: null });
    expect(pin.event).toMatchObject({
      kind: 'ALIAS_FOLLOW_CHANGED',
      fromModelVersionId: v[2],
      toModelVersionId: v[2],
      reason: 'pinned to version 3; no longer follows alias "staging"',
    });
    const deleted = await services.modelVersions.deleteAlias({ modelId: trained.modelId, alias: 'staging' }, 'erin');
    expect(deleted).toMatchObject({ alias: 'staging', fromModelVersionId: v[2], toModelVersionId: null, movedBy: 'erin' });
    expect(await services.modelVersions.resolveAlias(trained.modelId, 'staging')).toBeNull();
    expect((await aliasHistory(trained.modelId, 'staging')).map((e) => e.toModelVersionId)).toEqual([null, v[2]]);
    await expect(services.modelVersions.deleteAlias({ modelId: trained.modelId, alias: 'staging' }, 'erin')).rejects.toMatchObject({
      constructor: NotFoundError,
      location: { field: 'input.alias' },
    });
    await expect(services.modelVersions.deleteAlias({ modelId: trained.modelId, alias: 'Not Valid' }, 'erin')).rejects.toMatchObject({
      constructor: ValidationError,
      location: { field: 'input.alias' },
    });
  });

  it('updates a deployment by alias (it then follows it) or by version id (pinned), and checks the input', async () => {
    await setAlias('blue', v[1]);
    await services.deployments.deployModel({ name: 'update-by-alias', modelVersionId: v[0] }, 'bob');
    const follow = await services.deployments.updateDeployment({ deployment: 'update-by-alias', alias: 'blue', reason: 'track blue' }, 'bob');
    expect(follow.deployment).toMatchObject({ modelVersionId: v[1], previousModelVersionId: v[0], followAlias: 'blue', aliasUpdate: 'SWITCH' });
    expect(follow.event).toMatchObject({ kind: 'UPDATED', reason: 'track blue; follows alias "blue" (SWITCH)' });
    await expect(services.deployments.updateDeployment({ deployment: 'update-by-alias', alias: 'blue' }, 'bob')).rejects.toMatchObject({
      constructor: InvalidStateError,
      location: { field: 'input.alias' },
    });
    const canary = await services.deployments.updateDeployment(
      { deployment: 'update-by-alias', alias: 'blue', aliasUpdate: 'CANARY', aliasCanaryPercent: 5 },
      'bob',
    );
    expect(canary.event).toMatchObject({
      kind: 'ALIAS_FOLLOW_CHANGED',
      fromModelVersionId: v[1],
      toModelVersionId: v[1],
      reason: 'follows alias "blue" (CANARY 5%)',
    });
    await setAlias('blue', v[2]);
    expect(await deployment('update-by-alias')).toMatchObject({ modelVersionId: v[1], canaryModelVersionId: v[2], canaryPercent: 5 });

    const invalid: [Parameters<DomainServices['deployments']['updateDeployment']>[0], string][] = [
      [{ deployment: 'update-by-alias', alias: 'blue', modelVersionId: v[0] }, 'input.modelVersionId'],
      [{ deployment: 'update-by-alias' }, 'input.modelVersionId'],
      [{ deployment: 'update-by-alias', modelVersionId: v[0], aliasUpdate: 'SWITCH' }, 'input.aliasUpdate'],
      [{ deployment: 'update-by-alias', modelVersionId: v[0], aliasCanaryPercent: 5 }, 'input.aliasCanaryPercent'],
      [{ deployment: 'update-by-alias', alias: 'blue', aliasUpdate: 'CANARY' }, 'input.aliasCanaryPercent'],
      [{ deployment: 'update-by-alias', alias: 'Blue!' }, 'input.alias'],
    ];
    for (const [input, field] of invalid) {
      await expect(services.deployments.updateDeployment(input, 'bob')).rejects.toMatchObject({ constructor: ValidationError, location: { field } });
    }
    await expect(
      services.deployments.deployModel({ name: 'x', modelVersionId: v[0], aliasUpdate: 'CANARY', aliasCanaryPercent: 5 }, 'bob'),
    ).rejects.toMatchObject({
      constructor: ValidationError,
      location: { field: 'input.aliasUpdate' },
    });
    await expect(services.deployments.deployModel({ name: 'x', model: trained.modelName, alias: 'blue', aliasUpdate: 'CANARY' }, 'bob')).rejects.toMatchObject({
      constructor: ValidationError,
      location: { field: 'input.aliasCanaryPercent' },
    });
    // A canary is running (the alias started it): an update waits for it to end, as before.
    await expect(services.deployments.updateDeployment({ deployment: 'update-by-alias', modelVersionId: v[0] }, 'bob')).rejects.toBeInstanceOf(
      InvalidStateError,
    );
    await services.deployments.rollbackDeployment({ deployment: 'update-by-alias', reason: 'not yet' }, 'bob');
    await expect(services.deployments.updateDeployment({ deployment: 'update-by-alias', alias: 'green' }, 'bob')).rejects.toMatchObject({
      constructor: NotFoundError,
      location: { field: 'input.alias' },
    });
    const pinned = await services.deployments.updateDeployment({ deployment: 'update-by-alias', modelVersionId: v[3], reason: 'hotfix' }, 'bob');
    expect(pinned.event).toMatchObject({ kind: 'UPDATED', toModelVersionId: v[3], reason: 'hotfix; pinned to version 4; no longer follows alias "blue"' });
    await setAlias('blue', v[0]);
    expect(await deployment('update-by-alias')).toMatchObject({ modelVersionId: v[3], canaryModelVersionId: null, followAlias: null });
  });

  it('never aliases or deploys a trial version until it is promoted, nor an archived one until restored', async () => {
    await expect(setAlias('production', trialVersionId)).rejects.toMatchObject({ constructor: InvalidStateError, location: { field: 'input.modelVersionId' } });
    await expect(services.deployments.deployModel({ name: 'trial', modelVersionId: trialVersionId }, 'bob')).rejects.toMatchObject({
      constructor: InvalidStateError,
      location: { field: 'input.modelVersionId' },
    });
    await expect(services.deployments.startCanary({ deployment: 'pinned', modelVersionId: trialVersionId, percent: 5 }, 'bob')).rejects.toBeInstanceOf(
      InvalidStateError,
    );
    const standardBefore = await prisma.modelVersion.count({ where: { modelId: trained.modelId, kind: 'STANDARD' } });
    const promoted = await services.modelVersions.promoteVersion(trialVersionId);
    expect(promoted).toMatchObject({ id: trialVersionId, kind: 'STANDARD', version: standardBefore + 1 });
    await expect(services.modelVersions.promoteVersion(trialVersionId)).rejects.toBeInstanceOf(InvalidStateError);
    await setAlias('promoted', trialVersionId);

    const spare = await trainVersions(prisma, services, { name: 'spare', csv: fixtureCsv('breast_cancer'), labelColumn: 'benign', seeds: [9], epochs: 1 });
    await services.archive.archiveModelVersion(spare.versionIds[0]);
    await expect(services.modelVersions.setAlias({ modelVersionId: spare.versionIds[0], alias: 'production' }, 'bob')).rejects.toMatchObject({
      constructor: InvalidStateError,
      message: expect.stringContaining('is archived: restore it first'),
    });
    await expect(services.deployments.deployModel({ name: 'archived', modelVersionId: spare.versionIds[0] }, 'bob')).rejects.toBeInstanceOf(InvalidStateError);
    await services.archive.restoreModelVersion(spare.versionIds[0]);
    await services.modelVersions.setAlias({ modelVersionId: spare.versionIds[0], alias: 'production' }, 'bob');
  }, 60_000);

  it('moves nothing when a follower cannot change: the alias move and the deployments commit together', async () => {
    await setAlias('atomic', v[0]);
    await services.deployments.deployModel({ name: 'follow-atomic', model: trained.modelName, alias: 'atomic' }, 'bob');
    const historyBefore = await aliasHistory(trained.modelId, 'atomic');
    // A fault in the database itself: the follower's event cannot be written.
    await prisma.$executeRawUnsafe(`
      CREATE FUNCTION refuse_atomic_event() RETURNS trigger AS $$
      BEGIN IF NEW.reason LIKE 'alias "atomic"%' THEN RAISE EXCEPTION 'refused by the test'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql`);
    await prisma.$executeRawUnsafe('CREATE TRIGGER refuse_atomic_event BEFORE INSERT ON deployment_events FOR EACH ROW EXECUTE FUNCTION refuse_atomic_event()');
    try {
      const published = events.events.length;
      await expect(setAlias('atomic', v[1])).rejects.toThrow(/refused by the test/);
      expect((await services.modelVersions.resolveAlias(trained.modelId, 'atomic'))!.id).toBe(v[0]);
      expect(await aliasHistory(trained.modelId, 'atomic')).toEqual(historyBefore);
      expect(await deployment('follow-atomic')).toMatchObject({ modelVersionId: v[0] });
      expect(events.events.length).toBe(published);
    } finally {
      await prisma.$executeRawUnsafe('DROP TRIGGER refuse_atomic_event ON deployment_events');
      await prisma.$executeRawUnsafe('DROP FUNCTION refuse_atomic_event()');
    }
    await setAlias('atomic', v[1]);
    expect(await deployment('follow-atomic')).toMatchObject({ modelVersionId: v[1] });
  });

  it('serializes concurrent alias moves with changes of the deployments that follow it: the deployment ends where the alias ends', async () => {
    await setAlias('race', v[0]);
    await services.deployments.deployModel({ name: 'follow-race-1', model: trained.modelName, alias: 'race' }, 'bob');
    await services.deployments.deployModel({ name: 'follow-race-2', model: trained.modelName, alias: 'race' }, 'bob');
    const moves = Array.from({ length: 12 }, (_, i) => v[(i % 3) + 1]);
    const results = await Promise.allSettled([
      ...moves.map((target, i) => setAlias('race', target, `mover-${i}`)),
      services.deployments.archiveDeployment('follow-race-1', 'ops'),
      services.deployments.restoreDeployment('follow-race-1', 'ops').catch(() => undefined),
      services.deployments.archiveDeployment('follow-race-2', 'ops'),
    ]);
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    const target = (await services.modelVersions.resolveAlias(trained.modelId, 'race'))!.id;
    for (const name of ['follow-race-1', 'follow-race-2']) {
      expect((await deployment(name)).modelVersionId).toBe(target);
      // Each alias-made change links to the move that made it, and went where that move went.
      const changes = (await eventsOf(name)).filter((e) => e.aliasEventId !== null);
      expect(changes.length).toBeGreaterThan(0);
      for (const change of changes) {
        const move = await services.modelVersions.findAliasEvent(change.aliasEventId!);
        expect(change.toModelVersionId).toBe(move!.toModelVersionId);
      }
    }
  });
});
