/**
 * Picks the TensorFlow.js backend a run trains on, and whether its steps run eagerly or compiled.
 * Small models train faster in pure JavaScript than eagerly on tfjs-node (which pays about 20 us
 * per kernel launch), larger ones 5-20x faster on the native backend; a compiled step (the whole
 * step as one libtensorflow graph call, src/ml/compiled) avoids the launches altogether. AUTO times
 * a few real training steps of the run's own model on each available engine and keeps the fastest.
 */
import { InvalidStateError } from '../domain/errors';
import { prepareCompiledTraining } from './compiled/compiled-step';
import { createOptimizer, defaultLoss, type LossName, type OptimizerName } from './hyperparameters';
import { availableBackends, type BackendName, useBackend } from './tf-backend';
import type { LayersModel, Matrix, ModelTask, Tf } from './tf-types';
import { createTrainStep, type StepEngine } from './trainer';

export type BackendRequest = 'AUTO' | 'TENSORFLOW' | 'TENSORFLOW_COMPILED' | 'CPU';

export interface BackendTiming {
  backend: BackendName;
  stepEngine: StepEngine;
  /** Median wall time of one training step after warm-up. */
  msPerStep: number;
  steps: number;
}

export interface BackendSelection {
  backend: BackendName;
  /** COMPILED only on the native backend, when the graph addon builds the run's model. */
  stepEngine: StepEngine;
  /** Why this backend and engine, in words, e.g. for the run's environment record. */
  reason: string;
  /** Empty unless AUTO timed more than one engine. */
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
  /** @default the task's */
  loss?: LossName;
  /** @default 'ADAM' */
  optimizer?: OptimizerName;
  learningRate?: number;
  /** Timing stops on a backend after this long (at least `minSteps` are always run). @default 300 */
  budgetMs?: number;
  /** @default 3 */
  minSteps?: number;
  /** @default 30 */
  maxSteps?: number;
  /** Whether the run weights its loss per row (class weights): the compiled step is built for it. @default false */
  rowWeights?: boolean;
}

const WARMUP_STEPS = 2;
const REQUEST_TO_BACKEND: Record<Exclude<BackendRequest, 'AUTO'>, BackendName> = {
  TENSORFLOW: 'tensorflow',
  TENSORFLOW_COMPILED: 'tensorflow',
  CPU: 'cpu',
};

/**
 * Activates and returns the backend and step engine for a run. TENSORFLOW (eager) and CPU are
 * honoured as asked; TENSORFLOW_COMPILED compiles the step when the graph addon builds the model,
 * and trains eagerly on the native backend otherwise, with the reason; AUTO keeps the engine with
 * the fastest median step time (compiled only when it can be built, else its reason is given).
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
    if (requested !== 'TENSORFLOW_COMPILED') return { backend, stepEngine: 'EAGER', reason: `${requested} was requested`, timings: [] };
    const unavailable = compiledUnavailable(options);
    return unavailable
      ? { backend, stepEngine: 'EAGER', reason: `${requested} was requested; trained eagerly on tensorflow because ${unavailable}`, timings: [] }
      : { backend, stepEngine: 'COMPILED', reason: `${requested} was requested`, timings: [] };
  }
  const timings: BackendTiming[] = [];
  for (const backend of available) {
    await useBackend(backend);
    timings.push(timeSteps(options, backend, 'EAGER'));
  }
  let compiledNote = '';
  if (available.includes('tensorflow')) {
    await useBackend('tensorflow');
    const compiled = timeCompiledSteps(options);
    if ('reason' in compiled) compiledNote = `; compiled not timed: ${compiled.reason}`;
    else timings.push(compiled);
  }
  if (timings.length === 1) {
    await useBackend(timings[0].backend);
    return {
      backend: timings[0].backend,
      stepEngine: 'EAGER',
      reason: `AUTO: ${timings[0].backend} is the only available backend${compiledNote}`,
      timings: [],
    };
  }
  const fastest = timings.reduce((best, timing) => (timing.msPerStep < best.msPerStep ? timing : best));
  await useBackend(fastest.backend);
  const summary = timings.map((t) => `${engineLabel(t)} ${t.msPerStep.toFixed(3)} ms/step`).join(', ');
  return {
    backend: fastest.backend,
    stepEngine: fastest.stepEngine,
    reason: `AUTO: ${engineLabel(fastest)} was fastest over a few training steps (${summary})${compiledNote}`,
    timings,
  };
}

function engineLabel(timing: Pick<BackendTiming, 'backend' | 'stepEngine'>): string {
  return timing.stepEngine === 'COMPILED' ? `${timing.backend} compiled` : `${timing.backend} eager`;
}

/** Why the run's model cannot train compiled here, or undefined when it can. */
function compiledUnavailable(options: ChooseBackendOptions): string | undefined {
  const model = options.buildModel();
  try {
    const plan = prepareCompiledTraining({ ...planOptions(options), model });
    if ('reason' in plan) return plan.reason;
    plan.training.dispose();
    return undefined;
  } finally {
    model.dispose();
  }
}

function planOptions(options: ChooseBackendOptions) {
  return {
    tf: options.tf,
    task: options.task,
    loss: options.loss ?? defaultLoss(options.task),
    optimizer: options.optimizer ?? 'ADAM',
    learningRate: options.learningRate,
    rowWeights: options.rowWeights ?? false,
  };
}

/** Median of `runStep` after warm-up, within the time budget. */
function medianStep(options: ChooseBackendOptions, runStep: () => void): { msPerStep: number; steps: number } {
  const budgetMs = options.budgetMs ?? 300;
  const minSteps = options.minSteps ?? 3;
  const maxSteps = options.maxSteps ?? 30;
  for (let i = 0; i < WARMUP_STEPS; i++) runStep();
  const durations: number[] = [];
  const started = performance.now();
  while (durations.length < maxSteps && (durations.length < minSteps || performance.now() - started < budgetMs)) {
    const stepStarted = performance.now();
    runStep();
    durations.push(performance.now() - stepStarted);
  }
  durations.sort((a, b) => a - b);
  return { msPerStep: durations[Math.floor(durations.length / 2)], steps: durations.length };
}

function timeSteps(options: ChooseBackendOptions, backend: BackendName, stepEngine: 'EAGER'): BackendTiming {
  const { tf, task, sampleBatch } = options;
  const model = options.buildModel();
  const optimizer = createOptimizer(tf, options.optimizer ?? 'ADAM', options.learningRate);
  const step = createTrainStep(tf, model, task, optimizer, options.loss ?? defaultLoss(task));
  const { x, y } = sampleBatch;
  const weights = options.rowWeights ? new Float32Array(x.rows).fill(1) : undefined;
  const runStep = () => {
    const result = tf.tidy(() =>
      step(tf.tensor2d(x.data, [x.rows, x.cols]), tf.tensor2d(y.data, [y.rows, y.cols]), weights ? tf.tensor1d(weights) : undefined),
    );
    // Reading the loss makes sure the step has finished on any backend before the clock stops.
    result.loss.dataSync();
    tf.dispose([result.loss, result.sums]);
  };
  try {
    return { backend, stepEngine, ...medianStep(options, runStep) };
  } finally {
    optimizer.dispose();
    model.dispose();
  }
}

/** The compiled step's median time (its result is read back by every call), or why it cannot be built. */
function timeCompiledSteps(options: ChooseBackendOptions): BackendTiming | { reason: string } {
  const model = options.buildModel();
  try {
    const plan = prepareCompiledTraining({ ...planOptions(options), model });
    if ('reason' in plan) return plan;
    const { x, y } = options.sampleBatch;
    const weights = options.rowWeights ? new Float32Array(x.rows).fill(1) : undefined;
    const seeds = new Int32Array(plan.training.dropoutLayers * 2);
    try {
      return { backend: 'tensorflow', stepEngine: 'COMPILED', ...medianStep(options, () => plan.training.step(x.data, y.data, x.rows, weights, seeds)) };
    } finally {
      plan.training.dispose();
    }
  } finally {
    model.dispose();
  }
}
