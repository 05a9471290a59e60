/**
 * Picks the TensorFlow.js backend a run trains on. Small models train faster in pure JavaScript
 * (tfjs-node pays about 20 us per kernel), larger ones 5-20x faster on the native backend, so
 * AUTO times a few real training steps of the run's own model on each available backend.
 */
import { InvalidStateError } from '../domain/errors';
import { createOptimizer, type OptimizerName } from './hyperparameters';
import { availableBackends, type BackendName, useBackend } from './tf-backend';
import type { LayersModel, Matrix, ModelTask, Tf } from './tf-types';
import { createTrainStep } from './trainer';

export type BackendRequest = 'AUTO' | 'TENSORFLOW' | 'CPU';

export interface BackendTiming {
  backend: BackendName;
  /** Median wall time of one training step after warm-up. */
  msPerStep: number;
  steps: number;
}

export interface BackendSelection {
  backend: BackendName;
  /** Why this backend, in words, e.g. for the run's environment record. */
  reason: string;
  /** Empty unless AUTO timed more than one backend. */
  timings: BackendTiming[];
}

export interface ChooseBackendOptions {
  /** The handle from `tf-backend.ts`, whose backends are switched. */
  tf: Tf;
  requested: BackendRequest;
  task: ModelTask;
  /** Builds a fresh model on the active backend (called once per timed backend, then disposed). */
  buildModel: () => LayersModel;
  /** One batch of the run's size: preprocessed inputs and targets. */
  sampleBatch: { x: Matrix; y: Matrix };
  /** @default 'ADAM' */
  optimizer?: OptimizerName;
  learningRate?: number;
  /** Timing stops on a backend after this long (at least `minSteps` are always run). @default 300 */
  budgetMs?: number;
  /** @default 3 */
  minSteps?: number;
  /** @default 30 */
  maxSteps?: number;
}

const WARMUP_STEPS = 2;
const REQUEST_TO_BACKEND: Record<Exclude<BackendRequest, 'AUTO'>, BackendName> = { TENSORFLOW: 'tensorflow', CPU: 'cpu' };

/**
 * Activates and returns the backend for a run. TENSORFLOW and CPU are honoured as asked;
 * AUTO keeps the backend with the fastest median step time.
 * @throws InvalidStateError when the requested backend is not available in this process.
 */
export async function chooseBackend(options: ChooseBackendOptions): Promise<BackendSelection> {
  const { requested } = options;
  const available = availableBackends();
  if (requested !== 'AUTO') {
    const backend = REQUEST_TO_BACKEND[requested];
    if (!available.includes(backend)) {
      throw new InvalidStateError(`backend ${requested} was requested but this worker has only ${available.join(', ')}`);
    }
    await useBackend(backend);
    return { backend, reason: `${requested} was requested`, timings: [] };
  }
  if (available.length === 1) {
    await useBackend(available[0]);
    return { backend: available[0], reason: `AUTO: ${available[0]} is the only available backend`, timings: [] };
  }
  const timings: BackendTiming[] = [];
  for (const backend of available) {
    await useBackend(backend);
    timings.push(timeSteps(options, backend));
  }
  const fastest = timings.reduce((best, timing) => (timing.msPerStep < best.msPerStep ? timing : best));
  await useBackend(fastest.backend);
  const summary = timings.map((t) => `${t.backend} ${t.msPerStep.toFixed(2)} ms/step`).join(', ');
  return { backend: fastest.backend, reason: `AUTO: ${fastest.backend} was fastest over a few training steps (${summary})`, timings };
}

function timeSteps(options: ChooseBackendOptions, backend: BackendName): BackendTiming {
  const { tf, task, sampleBatch } = options;
  const budgetMs = options.budgetMs ?? 300;
  const minSteps = options.minSteps ?? 3;
  const maxSteps = options.maxSteps ?? 30;
  const model = options.buildModel();
  const optimizer = createOptimizer(tf, options.optimizer ?? 'ADAM', options.learningRate);
  const step = createTrainStep(tf, model, task, optimizer);
  const { x, y } = sampleBatch;
  const runStep = () => {
    const result = tf.tidy(() => step(tf.tensor2d(x.data, [x.rows, x.cols]), tf.tensor2d(y.data, [y.rows, y.cols])));
    // Reading the loss makes sure the step has finished on any backend before the clock stops.
    result.loss.dataSync();
    tf.dispose([result.loss, result.sums]);
  };
  try {
    for (let i = 0; i < WARMUP_STEPS; i++) runStep();
    const durations: number[] = [];
    const started = performance.now();
    while (durations.length < maxSteps && (durations.length < minSteps || performance.now() - started < budgetMs)) {
      const stepStarted = performance.now();
      runStep();
      durations.push(performance.now() - stepStarted);
    }
    durations.sort((a, b) => a - b);
    return { backend, msPerStep: durations[Math.floor(durations.length / 2)], steps: durations.length };
  } finally {
    optimizer.dispose();
    model.dispose();
  }
}
