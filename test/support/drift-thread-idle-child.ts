/**
 * A process that has a drift thread answer one request and then does nothing more, without closing
 * the thread: it must exit by itself (an idle drift thread does not keep its process alive).
 * Run with `node -r test/support/ts-register.js test/support/drift-thread-idle-child.ts`.
 * Prints `answered <drifted features>` once the thread answered.
 */
import { DEFAULT_DRIFT_MONITORING } from '../../src/domain/deployments/drift-monitoring';
import { windowSamples } from '../../src/services/monitoring/drift-report';
import { DriftThread } from '../../src/services/monitoring/drift-threads';

const schema = {
  features: [{ name: 'x', type: 'NUMERIC' as const }],
  label: { kind: 'CLASSES' as const, column: 'y', numeric: false, classes: ['no', 'yes'] },
};
const rows = (offset: number) =>
  Array.from({ length: 200 }, (_, i) => ({ inputs: { x: (i % 20) + offset }, output: { label: i % 2 ? 'yes' : 'no', probabilities: { no: 0.5, yes: 0.5 } } }));

async function main(): Promise<void> {
  const reference = windowSamples(schema, rows(0));
  const thread = new DriftThread();
  const result = await thread.test('v1:200', reference, windowSamples(schema, rows(5)), DEFAULT_DRIFT_MONITORING);
  process.stdout.write(`answered ${result.features.filter((feature) => feature.drifted).length}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`drift thread child failed: ${String(error)}\n`);
  process.exit(1);
});
