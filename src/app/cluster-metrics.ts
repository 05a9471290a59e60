/**
 * Metrics of every API process of a `serve --processes N` cluster, whichever process a scrape
 * reaches: the process asks the primary over IPC, the primary gathers every process's registry
 * (prom-client's AggregatorRegistry: counters and histograms summed; gauges read from the
 * database are declared `aggregator: 'first'`, so they are not multiplied).
 */
import cluster from 'node:cluster';
import { randomUUID } from 'node:crypto';
import { AggregatorRegistry, type Registry } from 'prom-client';

const REQUEST = 'mlplane:cluster-metrics-request';
const RESPONSE = 'mlplane:cluster-metrics-response';
const TIMEOUT_MS = 5_000;

interface MetricsRequest {
  type: typeof REQUEST;
  id: string;
}

interface MetricsResponse {
  type: typeof RESPONSE;
  id: string;
  contentType?: string;
  body?: string;
  error?: string;
}

/** Whether an IPC message (whatever another part of the process sent: prom-client's own, say) is of `type`. */
function isMessage<M extends { type: string }>(message: unknown, type: M['type']): message is M {
  return typeof message === 'object' && message !== null && 'type' in message && message.type === type;
}

/** In the primary: answers the workers' requests for the cluster's metrics. */
export function serveClusterMetrics(): void {
  const aggregator = new AggregatorRegistry();
  cluster.on('message', (worker, message: unknown) => {
    if (!isMessage<MetricsRequest>(message, REQUEST)) return;
    aggregator.clusterMetrics().then(
      (body) => worker.send({ type: RESPONSE, id: message.id, contentType: aggregator.contentType, body } satisfies MetricsResponse),
      (error: unknown) =>
        worker.send({ type: RESPONSE, id: message.id, error: error instanceof Error ? error.message : String(error) } satisfies MetricsResponse),
    );
  });
}

/** In a cluster worker: reports `local` to the primary's aggregation, and returns the `/metrics` source asking for the whole cluster. */
export function clusterMetricsSource(local: Registry): () => Promise<{ contentType: string; body: string }> {
  // Constructing one installs prom-client's worker-side listener that answers the primary's collection.
  new AggregatorRegistry();
  AggregatorRegistry.setRegistries([local]);
  const pending = new Map<string, (response: MetricsResponse) => void>();
  process.on('message', (message: unknown) => {
    if (!isMessage<MetricsResponse>(message, RESPONSE)) return;
    pending.get(message.id)?.(message);
  });
  return () =>
    new Promise((resolve, reject) => {
      if (!process.send) {
        reject(new Error('no IPC channel to the cluster primary: cluster metrics are read in a `serve --processes` worker'));
        return;
      }
      const id = randomUUID();
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new Error(`the cluster primary did not answer for metrics within ${TIMEOUT_MS} ms`));
      }, TIMEOUT_MS);
      pending.set(id, (response) => {
        clearTimeout(timer);
        pending.delete(id);
        if (response.error !== undefined || response.body === undefined) reject(new Error(response.error ?? 'no metrics'));
        else resolve({ contentType: response.contentType ?? 'text/plain', body: response.body });
      });
      process.send({ type: REQUEST, id } satisfies MetricsRequest);
    });
}
