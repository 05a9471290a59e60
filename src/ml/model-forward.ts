/**
 * How a served model computes its outputs: the compiled forward pass (one TF_SessionRun per batch,
 * `compiled/compiled-forward.ts`) when the graph addon is loaded and the model is one it builds
 * with outputs bitwise equal to `model.predict`'s, else TensorFlow.js' eager `model.predict`.
 */
import { compileForward } from './compiled/compiled-forward';
import { describeModel } from './compiled/compiled-training';
import { graphAddon } from './compiled/graph-addon';
import { outputsInChunks, predictOutputs } from './predictor';
import type { LayersModel, Matrix, Tf } from './tf-types';

export type ForwardEngine = 'compiled' | 'eager';

export interface ModelForward {
  readonly engine: ForwardEngine;
  /** Why the model runs eagerly (absent when compiled). */
  readonly reason?: string;
  /** Raw model outputs for `x`, row-major (`rows x outputs`), without dropout. */
  outputs(x: Matrix): Float32Array;
  /** Frees the compiled session, if any; the tfjs model is its owner's to dispose. */
  dispose(): void;
}

/**
 * Activations the compiled forward pass does not take: TensorFlow's graph of `gelu` differs from
 * tfjs' eager one in the last bit of some outputs, and a served answer must equal the model's own.
 */
const EAGER_ONLY_ACTIVATIONS = new Set(['gelu']);

function eagerForward(tf: Tf, model: LayersModel, reason: string): ModelForward {
  return { engine: 'eager', reason, outputs: (x) => predictOutputs(tf, model, x), dispose: () => undefined };
}

/** The compiled forward pass of `model` when it can be built, else the eager one (with the reason). */
export function prepareModelForward(tf: Tf, model: LayersModel): ModelForward {
  const addon = graphAddon();
  if (!addon.available) return eagerForward(tf, model, addon.reason);
  if (process.env.TF_ENABLE_ONEDNN_OPTS === '1')
    return eagerForward(tf, model, "TF_ENABLE_ONEDNN_OPTS=1: oneDNN's graph kernels differ from its eager ones in the last bit");
  const description = describeModel(model);
  if ('reason' in description) return eagerForward(tf, model, description.reason);
  const eagerOnly = description.layers.find((layer) => layer.kind === 'dense' && EAGER_ONLY_ACTIVATIONS.has(layer.activation));
  if (eagerOnly?.kind === 'dense') return eagerForward(tf, model, `activation ${eagerOnly.activation} is served eagerly (its graph differs in the last bit)`);
  let compiled: ReturnType<typeof compileForward>;
  try {
    compiled = compileForward(
      addon.addon,
      description.layers,
      model.getWeights().map((weight) => weight.dataSync() as Float32Array),
    );
  } catch (error) {
    return eagerForward(tf, model, `libtensorflow refused the forward graph: ${error instanceof Error ? error.message : String(error)}`);
  }
  return {
    engine: 'compiled',
    outputs: (x) => outputsInChunks(x, compiled.outputWidth, (values, rows) => compiled.run(values, rows)),
    dispose: () => compiled.dispose(),
  };
}
