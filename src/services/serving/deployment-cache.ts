import type { Deployment } from '../../domain/deployments/deployment';
import type { ServingEvents } from './serving-events';

export interface DeploymentCacheOptions {
  /**
   * Which connection invalidations currently arrive on (`PgPubSub.listenEpoch`), null while none
   * does. While null every lookup reads the database; when it changes everything is dropped, so a
   * change made while this process was deaf is never served stale. @default always 1
   */
  invalidationEpoch?: () => number | null;
  /** Most deployments kept. @default 1000 */
  capacity?: number;
}

/**
 * Deployments by name, kept in memory between requests and dropped on `deploymentInvalidated`
 * (a change in this process, or a `deploymentChanged` NOTIFY from another), so a rollback or a
 * promotion reaches every API process within the NOTIFY delay (milliseconds). An unknown name is
 * remembered too (creating it invalidates). A lookup that started before an invalidation is not
 * stored, so a stale row read during a change never outlives it.
 */
export class DeploymentCache {
  private readonly entries = new Map<string, Promise<Deployment | null>>();
  private generation = 0;
  private readonly invalidationEpoch: () => number | null;
  private epoch: number | null = null;
  private readonly capacity: number;
  private loadCount = 0;

  constructor(
    private readonly load: (name: string) => Promise<Deployment | null>,
    events: ServingEvents,
    options: DeploymentCacheOptions = {},
  ) {
    this.invalidationEpoch = options.invalidationEpoch ?? (() => 1);
    this.capacity = options.capacity ?? 1000;
    events.on('deploymentInvalidated', ({ name }) => this.invalidate(name));
  }

  get(name: string): Promise<Deployment | null> {
    const epoch = this.invalidationEpoch();
    if (epoch !== this.epoch) {
      this.invalidate(null);
      this.epoch = epoch;
    }
    if (epoch === null) {
      this.loadCount++;
      return this.load(name);
    }
    const cached = this.entries.get(name);
    if (cached) return cached;
    const generation = this.generation;
    this.loadCount++;
    const loading = this.load(name);
    this.entries.set(name, loading);
    const forget = () => {
      if (this.entries.get(name) === loading) this.entries.delete(name);
    };
    loading.then(() => {
      if (generation !== this.generation) forget();
    }, forget);
    while (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value as string);
    return loading;
  }

  /** Database reads so far (a hit costs none). */
  get loads(): number {
    return this.loadCount;
  }

  /** Drops one deployment, or every one (`null`). */
  invalidate(name: string | null): void {
    this.generation++;
    if (name === null) this.entries.clear();
    else this.entries.delete(name);
  }
}
