/**
 * The load process of the ingest benchmark (`bench/ingest.bench.ts` forks it): it probes
 * `/healthz` and a 1-row `predict` on the API, each every 20 ms with one request of each kind in
 * flight, from the moment it is told `start` until it is told `stop`, and then sends back the
 * latencies it measured (ms) and how many probes failed. Running it in its own process keeps the
 * clock of the probes away from the benchmark's own work (streaming the upload, sampling memory).
 */
import { performance } from 'node:perf_hooks';

const PREDICT = 'mutation($input: PredictInput!) { predict(input: $input) { predictions { id } } }';
const PAUSE_MS = 20;
/** A probe that takes longer than this counts as failed (and the loop goes on). */
const PROBE_TIMEOUT_MS = 10_000;

export interface ProbeSettings {
  origin: string;
  key: string;
  deployment: string;
  instance: Record<string, number>;
}

export type ProbeCommand = { kind: 'start'; settings: ProbeSettings } | { kind: 'stop' };

export interface ProbeResults {
  healthz: number[];
  predict: number[];
  failures: number;
}

let running = false;
let loops: Promise<void>[] = [];
let results: ProbeResults = { healthz: [], predict: [], failures: 0 };

async function probe(into: number[], request: (signal: AbortSignal) => Promise<Response>): Promise<void> {
  while (running) {
    const started = performance.now();
    try {
      const response = await request(AbortSignal.timeout(PROBE_TIMEOUT_MS));
      await response.text();
      if (response.ok) into.push(performance.now() - started);
      else results.failures++;
    } catch {
      results.failures++;
    }
    await new Promise((resolve) => setTimeout(resolve, PAUSE_MS));
  }
}

function start({ origin, key, deployment, instance }: ProbeSettings): void {
  running = true;
  results = { healthz: [], predict: [], failures: 0 };
  const body = JSON.stringify({ query: PREDICT, variables: { input: { deployment, instances: [instance] } } });
  loops = [
    probe(results.healthz, (signal) => fetch(`${origin}/healthz`, { signal })),
    probe(results.predict, (signal) =>
      fetch(`${origin}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body, signal }),
    ),
  ];
}

process.on('message', (command: ProbeCommand) => {
  if (command.kind === 'start') return start(command.settings);
  running = false;
  void Promise.all(loops).then(() => {
    if (!process.send) throw new Error('probe-load sends its results to the benchmark that forked it: no IPC channel');
    process.send(results);
  });
});
process.on('disconnect', () => process.exit(0));
