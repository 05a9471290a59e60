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
    loading.catch(() => {
      if (this.entries.get(versionId) === loading) this.entries.delete(versionId);
    });
    this.evict();
    return loading;
  }

  /** Loads from storage so far (a hit costs none). */
  get loads(): number {
    return this.loadCount;
  }

  private evict(): void {
    while (this.entries.size > this.capacity) {
      const [oldestId, oldest] = this.entries.entries().next().value as [string, Promise<ServedModel>];
      this.entries.delete(oldestId);
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
