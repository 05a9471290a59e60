/**
 * `/metrics` in Prometheus text format (prom-client). Per API process: request counts and latency
 * histograms per deployment and route, batch sizes, log commit latency, queue depths, drift
 * reports; read from the database at scrape time: open alerts and runs by status. Under
 * `serve --processes N` a scrape answered by any process covers all of them (counters and
 * histograms summed, database gauges taken once): see `cluster-metrics.ts`.
 */
import { Counter, Gauge, Histogram, collectDefaultMetrics, Registry } from 'prom-client';
import type { PrismaClient } from '../infra/db/prisma-client';
import type { ForwardEngine } from '../ml/model-forward';
import type { ServingEvents } from '../services/serving/serving-events';
import { unresolvedAlertCounts } from '../services/alerts/alert-repository';
import { runCountsByStatus } from '../services/runs/run-repository';

export interface MetricsSources {
  events: ServingEvents;
  prisma: PrismaClient;
  /** Rows waiting for a model call. */
  batchQueueRows: () => number;
  /** Rows waiting for the log's commit. */
  logQueueRows: () => number;
  /** Model versions loaded for serving, by forward engine. */
  servedEngines: () => Record<ForwardEngine, number>;
}

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
const ROW_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096, 16384];

/** A registry with mlplane's metrics, fed by the serving events and the database. */
export function createMetricsRegistry(sources: MetricsSources): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'mlplane_' });
  const requests = new Counter({
    name: 'mlplane_predict_requests_total',
    help: 'Prediction requests by deployment, route (graphql, v2) and outcome (ok, client_error, server_error).',
    labelNames: ['deployment', 'route', 'outcome'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'mlplane_predict_request_duration_seconds',
    help: 'Prediction requests from arrival at the pipeline to the committed log, by deployment and route.',
    labelNames: ['deployment', 'route'],
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const predictions = new Counter({
    name: 'mlplane_predictions_total',
    help: 'Predictions served (instances), by deployment, route and whether the canary served them.',
    labelNames: ['deployment', 'route', 'canary'],
    registers: [registry],
  });
  const batchRows = new Histogram({
    name: 'mlplane_inference_batch_rows',
    help: 'Rows per model call (dynamic batching).',
    buckets: ROW_BUCKETS,
    registers: [registry],
  });
  const batchRequests = new Histogram({
    name: 'mlplane_inference_batch_requests',
    help: 'Requests per model call (dynamic batching).',
    buckets: ROW_BUCKETS,
    registers: [registry],
  });
  const inferSeconds = new Histogram({
    name: 'mlplane_inference_seconds',
    help: 'Duration of one model call.',
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const commitSeconds = new Histogram({
    name: 'mlplane_prediction_log_commit_seconds',
    help: 'Duration of one group commit of the prediction log, by result.',
    labelNames: ['result'],
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const commitRows = new Histogram({ name: 'mlplane_prediction_log_commit_rows', help: 'Rows per group commit.', buckets: ROW_BUCKETS, registers: [registry] });
  new Gauge({
    name: 'mlplane_serving_queue_rows',
    help: 'Rows waiting in this process: for a model call (batch) or for the log commit (log).',
    labelNames: ['queue'],
    registers: [registry],
    collect() {
      this.set({ queue: 'batch' }, sources.batchQueueRows());
      this.set({ queue: 'log' }, sources.logQueueRows());
    },
  });
  new Gauge({
    name: 'mlplane_served_model_versions',
    help: 'Model versions loaded for serving in this process, by forward engine (compiled: one TensorFlow graph call per batch; eager: model.predict).',
    labelNames: ['engine'],
    registers: [registry],
    collect() {
      for (const [engine, count] of Object.entries(sources.servedEngines())) this.set({ engine }, count);
    },
  });
  const driftReports = new Counter({
    name: 'mlplane_drift_reports_total',
    help: 'Drift reports stored by this process, by deployment and verdict.',
    labelNames: ['deployment', 'drifted'],
    registers: [registry],
  });
  new Gauge({
    name: 'mlplane_open_alerts',
    help: 'Alerts not resolved (OPEN or ACKNOWLEDGED), by kind and severity (read from the database).',
    labelNames: ['kind', 'severity', 'status'],
    registers: [registry],
    aggregator: 'first',
    async collect() {
      const rows = await unresolvedAlertCounts(sources.prisma);
      this.reset();
      for (const row of rows) this.set({ kind: row.kind, severity: row.severity, status: row.status }, row.count);
    },
  });
  new Gauge({
    name: 'mlplane_runs',
    help: 'Runs by status (read from the database).',
    labelNames: ['status'],
    registers: [registry],
    aggregator: 'first',
    async collect() {
      const rows = await runCountsByStatus(sources.prisma);
      this.reset();
      for (const row of rows) this.set({ status: row.status }, row.count);
    },
  });

  const { events } = sources;
  events.on('predictionsServed', (served) => {
    requests.inc({ deployment: served.deploymentName, route: served.route, outcome: 'ok' });
    duration.observe({ deployment: served.deploymentName, route: served.route }, served.totalMs / 1000);
    predictions.inc({ deployment: served.deploymentName, route: served.route, canary: String(served.canary) }, served.count);
  });
  events.on('predictionFailed', (failed) => {
    // An unknown deployment's name is the caller's text: it is not a label (unbounded cardinality).
    const deployment = failed.deploymentId === null ? '' : failed.deploymentName;
    requests.inc({ deployment, route: failed.route, outcome: failed.serverFault ? 'server_error' : 'client_error' });
  });
  events.on('batchInferred', (batch) => {
    batchRows.observe(batch.rows);
    batchRequests.observe(batch.requests);
    inferSeconds.observe(batch.inferMs / 1000);
  });
  events.on('logCommitted', (commit) => {
    commitSeconds.observe({ result: commit.ok ? 'ok' : 'failed' }, commit.commitMs / 1000);
    if (commit.ok) commitRows.observe(commit.rows);
  });
  events.on('driftReported', (report) => driftReports.inc({ deployment: report.deploymentName, drifted: String(report.drifted) }));
  return registry;
}
