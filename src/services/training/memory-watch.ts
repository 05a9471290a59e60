/**
 * A worker's watch on its own memory while it trains: sampled before every training step, so a
 * run that grows past the limit fails with a clear error instead of the OS killing the worker.
 */
export class MemoryWatch {
  private over: { usedBytes: number } | null = null;

  constructor(
    private readonly limitBytes: number,
    /** Resident set size of this process, in bytes. */
    private readonly sample: () => number = () => process.memoryUsage.rss(),
  ) {}

  /** True (and stays true) once a sample was over the limit. */
  exceeded(): boolean {
    if (this.over) return true;
    const usedBytes = this.sample();
    if (usedBytes > this.limitBytes) this.over = { usedBytes };
    return this.over !== null;
  }

  /** The run's failure once the limit was exceeded, naming both figures and the setting. */
  failure(): Error | null {
    if (!this.over) return null;
    const mb = (bytes: number) => `${Math.round(bytes / (1024 * 1024)).toLocaleString('en-US')} MB`;
    return new Error(
      `the worker used ${mb(this.over.usedBytes)} while training, over its memory limit of ${mb(this.limitBytes)} (MLPLANE_WORKER_MEMORY_LIMIT_MB); the run was stopped: use fewer units or a smaller batchSize`,
    );
  }
}
