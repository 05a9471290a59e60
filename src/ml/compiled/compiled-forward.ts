/**
 * The compiled forward pass for serving: a Dense/Dropout model's inference (dropout is the
 * identity) built once as a TensorFlow graph with the trained weights as constants, and run with
 * one TF_SessionRun per batch of rows. The eager path (`model.predict`) launches every MatMul,
 * BiasAdd and activation from JavaScript, with tfjs' tidy, tensor tracking and batching around
 * them; on small models that bookkeeping costs more than the arithmetic.
 */
import { activate, type DenseLayerSpec, type LayerSpec } from './compiled-training';
import { DT_FLOAT, GraphBuilder } from './graph-builder';
import type { GraphAddon } from './graph-addon';

export interface CompiledForward {
  /** Values per row of the result. */
  readonly outputWidth: number;
  /** The model's outputs for `rows` rows of `x` (row-major), row-major. */
  run(x: Float32Array, rows: number): Float32Array;
  dispose(): void;
}

/**
 * Builds the graph and its session. `weights` are the model's, in `model.getWeights()` order
 * (kernel, bias per Dense layer). Serving calls it from the event loop, so its session runs on one
 * intra-op and one inter-op thread: a batch of a few rows gains nothing from a thread pool.
 * @throws when the weights do not fit the layers, or libtensorflow refuses the graph.
 */
export function compileForward(addon: GraphAddon, layers: readonly LayerSpec[], weights: readonly Float32Array[]): CompiledForward {
  const dense = layers.filter((layer): layer is DenseLayerSpec => layer.kind === 'dense');
  if (weights.length !== dense.length * 2)
    throw new Error(`expected ${dense.length * 2} weight arrays (kernel and bias per Dense layer), got ${weights.length}`);
  const g = new GraphBuilder(addon);
  const inputWidth = dense[0].inputs;
  const outputWidth = dense[dense.length - 1].units;
  const x = g.placeholder(DT_FLOAT, [-1, inputWidth]);
  let h = x;
  dense.forEach((layer, i) => {
    const kernel = weights[i * 2];
    const bias = weights[i * 2 + 1];
    if (kernel.length !== layer.inputs * layer.units || bias.length !== layer.units) {
      throw new Error(`weights of Dense layer ${i} do not have the shapes [${layer.inputs}, ${layer.units}] and [${layer.units}]`);
    }
    // The ops tfjs-node runs for a Dense layer (BatchMatMulV2, then AddV2 for the bias), so that
    // libtensorflow takes the same kernels and the outputs match bit for bit.
    const product = g.op(
      'BatchMatMulV2',
      [h, g.float(kernel, [layer.inputs, layer.units])],
      [
        ['adj_x', 'bool', false],
        ['adj_y', 'bool', false],
      ],
    );
    const z = g.binary('AddV2', product, g.float(bias, [layer.units]));
    h = activate(g, z, layer.activation);
  });
  const session = addon.newSession(g.graph, 1, -1);
  try {
    const runner = addon.prepare(session, [x], [h], []);
    let closed = false;
    return {
      outputWidth,
      run(values, rows) {
        if (closed) throw new Error('the compiled forward pass was disposed');
        if (values.length !== rows * inputWidth) throw new Error(`expected ${rows} x ${inputWidth} values, got ${values.length}`);
        return addon.run(runner, [values], [[rows, inputWidth]])[0] as Float32Array;
      },
      dispose() {
        if (closed) return;
        closed = true;
        addon.closeSession(session);
      },
    };
  } catch (error) {
    addon.closeSession(session);
    throw error;
  }
}
