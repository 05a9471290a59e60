import type { Deployment } from '../../../src/domain/deployments/deployment';
import { DeploymentCache } from '../../../src/services/serving/deployment-cache';
import { ServingEvents } from '../../../src/services/serving/serving-events';

/** A loader over a mutable table, with control over when each read answers. */
function table() {
  const rows = new Map<string, string>([['a', 'v1']]);
  const gates: (() => void)[] = [];
  let held = false;
  const load = async (name: string) => {
    const version = rows.get(name);
    if (held) await new Promise<void>((resolve) => gates.push(resolve));
    return version === undefined ? null : ({ name, modelVersionId: version } as unknown as Deployment);
  };
  return {
    rows,
    load,
    hold: () => (held = true),
    release: () => {
      held = false;
      gates.splice(0).forEach((open) => open());
    },
  };
}

describe('deployment cache', () => {
  it('reads a deployment once until it is invalidated, by name or all at once', async () => {
    const t = table();
    const events = new ServingEvents();
    const cache = new DeploymentCache(t.load, events);
    expect((await cache.get('a'))!.modelVersionId).toBe('v1');
    await cache.get('a');
    expect(cache.loads).toBe(1);
    t.rows.set('a', 'v2');
    expect((await cache.get('a'))!.modelVersionId).toBe('v1');
    events.emit('deploymentInvalidated', { name: 'a' });
    expect((await cache.get('a'))!.modelVersionId).toBe('v2');
    t.rows.set('a', 'v3');
    events.emit('deploymentInvalidated', { name: null });
    expect((await cache.get('a'))!.modelVersionId).toBe('v3');
    expect(cache.loads).toBe(3);
  });

  it('does not keep a read that started before an invalidation', async () => {
    const t = table();
    const events = new ServingEvents();
    const cache = new DeploymentCache(t.load, events);
    t.hold();
    const stale = cache.get('a');
    t.rows.set('a', 'v2');
    events.emit('deploymentInvalidated', { name: 'a' });
    t.release();
    expect((await stale)!.modelVersionId).toBe('v1');
    expect((await cache.get('a'))!.modelVersionId).toBe('v2');
  });

  it('reads the database while invalidations cannot arrive, and drops everything when they can again', async () => {
    const t = table();
    let epoch: number | null = 1;
    const cache = new DeploymentCache(t.load, new ServingEvents(), { invalidationEpoch: () => epoch });
    await cache.get('a');
    epoch = null;
    t.rows.set('a', 'v2');
    expect((await cache.get('a'))!.modelVersionId).toBe('v2');
    expect((await cache.get('a'))!.modelVersionId).toBe('v2');
    expect(cache.loads).toBe(3);
    epoch = 2;
    t.rows.set('a', 'v3');
    expect((await cache.get('a'))!.modelVersionId).toBe('v3');
    await cache.get('a');
    expect(cache.loads).toBe(4);
  });
});
