import { randomBytes } from 'node:crypto';
import type { PrismaClient } from '../../src/infra/db/prisma-client';
import { AlertService } from '../../src/services/alerts/alert.service';
import type { EventPayloads, EventPublisher, EventTopic } from '../../src/services/events/event-publisher';
import { RunStore } from '../../src/services/runs/run-store';

/** A run store wired as `createDomainServices` wires it: failed runs' RUN_FAILED alerts go through an alert service. */
export function createRunStore(prisma: PrismaClient, events: EventPublisher): RunStore {
  return new RunStore(prisma, events, new AlertService(prisma, events));
}

/** A dataset, one version and one model: the rows every run refers to. */
export interface RunParents {
  modelId: string;
  datasetVersionId: string;
}

export async function createRunParents(prisma: PrismaClient): Promise<RunParents> {
  const suffix = randomBytes(4).toString('hex');
  const dataset = await prisma.dataset.create({ data: { name: `runs-${suffix}`, labelColumn: 'y', task: 'BINARY_CLASSIFICATION' } });
  const version = await prisma.datasetVersion.create({
    data: { datasetId: dataset.id, version: 1, contentHash: '0'.repeat(64), rowCount: 10, columnCount: 2, sizeBytes: 40, columns: [] },
  });
  const model = await prisma.model.create({
    data: { name: `model-${suffix}`, task: 'BINARY_CLASSIFICATION', datasetId: dataset.id, architecture: { layers: [] } },
  });
  return { modelId: model.id, datasetVersionId: version.id };
}

/** Inserts a QUEUED training run and returns its id. */
export async function createQueuedRun(prisma: PrismaClient, parents: RunParents): Promise<string> {
  const run = await prisma.run.create({
    data: { kind: 'TRAINING', modelId: parents.modelId, datasetVersionId: parents.datasetVersionId, hyperparameters: { epochs: 1 } },
  });
  return run.id;
}

/** An EventPublisher that keeps what it was given, for assertions. */
export class RecordingPublisher implements EventPublisher {
  /** Every event, in the order published. */
  readonly events: Array<{ topic: EventTopic; payload: EventPayloads[EventTopic] }> = [];
  private readonly byTopic: { [T in EventTopic]?: Array<EventPayloads[T]> } = {};

  async publish<T extends EventTopic>(topic: T, payload: EventPayloads[T]): Promise<void> {
    this.events.push({ topic, payload });
    const published: Array<EventPayloads[T]> = (this.byTopic[topic] ??= []);
    published.push(payload);
  }

  /** The payloads of `topic` in the order published; only those whose `id` is `id` when given. */
  of<T extends EventTopic>(topic: T, id?: string): Array<EventPayloads[T]> {
    const published: Array<EventPayloads[T]> = this.byTopic[topic] ?? [];
    return published.filter((payload) => id === undefined || ('id' in payload && payload.id === id));
  }
}
