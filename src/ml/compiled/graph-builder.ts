/**
 * Builds TensorFlow graphs op by op through the graph addon, with the few ops the compiled
 * training step needs as named helpers. Every op gets a unique name; every helper returns the
 * op's first output.
 */
import type { AttrValue, FeedValues, GraphAddon, GraphHandle, GraphInput, GraphOutput } from './graph-addon';

/** TF_DataType values (tensorflow/c/tf_datatype.h). */
export const DT_FLOAT = 1;
export const DT_INT32 = 3;

export class GraphBuilder {
  readonly graph: GraphHandle;
  private counter = 0;

  constructor(readonly addon: GraphAddon) {
    this.graph = addon.newGraph();
  }

  /** Adds an op and returns its index (for targets and control inputs). */
  opIndex(type: string, inputs: readonly GraphInput[], attrs: readonly AttrValue[] = [], controlInputs: readonly number[] = []): number {
    this.counter++;
    return this.addon.addOperation(this.graph, type, `${type}_${this.counter}`, inputs, attrs, controlInputs);
  }

  /** Adds an op and returns its first output. */
  op(type: string, inputs: readonly GraphInput[], attrs: readonly AttrValue[] = []): GraphOutput {
    return [this.opIndex(type, inputs, attrs), 0];
  }

  /** Every output of a multi-output op (e.g. Unpack). */
  outputs(op: number): GraphOutput[] {
    return Array.from({ length: this.addon.numOutputs(this.graph, op) }, (_, i) => [op, i] as const);
  }

  placeholder(dtype: number, shape: readonly number[]): GraphOutput {
    return this.op(
      'Placeholder',
      [],
      [
        ['dtype', 'type', dtype],
        ['shape', 'shape', shape],
      ],
    );
  }

  /** A float32 constant (a scalar, or `values` of `shape`). */
  float(values: number | Float32Array, shape: readonly number[] = []): GraphOutput {
    const data = typeof values === 'number' ? new Float32Array([values]) : values;
    return this.op(
      'Const',
      [],
      [
        ['dtype', 'type', DT_FLOAT],
        ['value', 'tensor', [data, shape]],
      ],
    );
  }

  /** An int32 vector constant (axes, shapes). */
  ints(values: readonly number[]): GraphOutput {
    return this.op(
      'Const',
      [],
      [
        ['dtype', 'type', DT_INT32],
        ['value', 'tensor', [Int32Array.from(values), [values.length]]],
      ],
    );
  }

  /** An int32 scalar constant. */
  int(value: number): GraphOutput {
    return this.op(
      'Const',
      [],
      [
        ['dtype', 'type', DT_INT32],
        ['value', 'tensor', [Int32Array.of(value), []]],
      ],
    );
  }

  unary(type: string, x: GraphOutput): GraphOutput {
    return this.op(type, [x]);
  }

  binary(type: 'AddV2' | 'Sub' | 'Mul' | 'RealDiv' | 'Maximum' | 'Minimum' | 'SquaredDifference', a: GraphOutput, b: GraphOutput): GraphOutput {
    return this.op(type, [a, b]);
  }

  /** Sum or Mean over `axes`, dropping them. */
  reduce(type: 'Sum' | 'Mean', x: GraphOutput, axes: readonly number[]): GraphOutput {
    return this.op(type, [x, this.ints(axes)], [['keep_dims', 'bool', false]]);
  }

  cast(x: GraphOutput, dtype: number): GraphOutput {
    return this.op('Cast', [x], [['DstT', 'type', dtype]]);
  }

  reshape(x: GraphOutput, shape: readonly number[]): GraphOutput {
    return this.op('Reshape', [x, this.ints(shape)]);
  }

  concat(values: readonly GraphOutput[], axis: number): GraphOutput {
    return this.op('ConcatV2', [values, this.int(axis)]);
  }

  /** A resource variable of `shape` (float32). */
  variable(shape: readonly number[]): GraphOutput {
    this.counter++;
    const name = `variable_${this.counter}`;
    return [
      this.addon.addOperation(
        this.graph,
        'VarHandleOp',
        name,
        [],
        [
          ['dtype', 'type', DT_FLOAT],
          ['shape', 'shape', shape],
          ['shared_name', 'string', name],
        ],
        [],
      ),
      0,
    ];
  }

  read(variable: GraphOutput): GraphOutput {
    return this.op('ReadVariableOp', [variable], [['dtype', 'type', DT_FLOAT]]);
  }

  /** An op that assigns `value` to `variable`; returns the op index. */
  assign(variable: GraphOutput, value: GraphOutput): number {
    return this.opIndex('AssignVariableOp', [variable, value], [['dtype', 'type', DT_FLOAT]]);
  }
}

export type { FeedValues, GraphOutput };
