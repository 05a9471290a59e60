import type { ForwardEngine } from '../../ml/model-forward';
import type { ServedModel } from '../serving/served-model';

/** How long an evicted model stays usable by batches that already hold it. */
export const DISPOSE_DELAY_MS = 1_000;

/** Loads a version's model (sha256-checked) from storage and prepares its forward pass. */
export type LoadModelVersion = (versionId: string) => Promise<ServedModel>;

/**
 * The models this process serves, loaded once per version (versions are immutable) and kept for
 * reuse; concurrent first requests share one load. A failed load is not kept, so the next request
 * retries it. Beyond `capacity` versions, the least recently used is disposed {@link DISPOSE_DELAY_MS}
 * after its eviction: a batch waits at most `MAX_DELAY_MS_LIMIT` (100 ms) before its synchronous
 * model call, so no request can still be using it by then.
 */
export class ModelCache {
  private readonly entries = new Map<string, Promise<ServedModel>>();
  /** The loaded entries' forward engines, for `/metrics`. */
  private readonly engines = new Map<string, ForwardEngine>();
  private loadCount = 0;

  constructor(
    private readonly load: LoadModelVersion,
    private readonly capacity = 32,
  ) {}

  /** The loaded version, from memory when this process loaded it before. */
  get(versionId: string): Promise<ServedModel> {
    const cached = this.entries.get(versionId);
    if (cached) {
      this.entries.delete(versionId);
      this.entries.set(versionId, cached);
      return cached;
    }
    this.loadCount++;
    const loading = this.load(versionId);
    this.entries.set(versionId, loading);
    loading.then(
      (loaded) => {
        if (this.entries.get(versionId) === loading) this.engines.set(versionId, loaded.forward.engine);
      },
      () => {
        if (this.entries.get(versionId) === loading) this.entries.delete(versionId);
      },
    );
    this.evict();
    return loading;
  }

  /** Loaded versions by the forward pass serving them (compiled or eager). */
  engineCounts(): Record<ForwardEngine, number> {
    const counts: Record<ForwardEngine, number> = { compiled: 0, eager: 0 };
    for (const engine of this.engines.values()) counts[engine]++;
    return counts;
  }

  /** Loads from storage so far (a hit costs none). */
  get loads(): number {
    return this.loadCount;
  }

  private evict(): void {
    while (this.entries.size > this.capacity) {
      const [oldestId, oldest] = this.entries.entries().next().value as [string, Promise<ServedModel>];
      this.entries.delete(oldestId);
      this.engines.delete(oldestId);
      oldest.then(
        (loaded) =>
          setTimeout(() => {
            loaded.forward.dispose();
            loaded.model.dispose();
          }, DISPOSE_DELAY_MS).unref(),
        () => undefined,
      );
    }
  }
}
