/**
 * Open Inference Protocol (KServe V2) inference requests read into the instances of the serving
 * pipeline, and its answers written as response tensors. Two request forms:
 * - named inputs: one tensor per feature, named as the feature, shape [n] or [n, 1]; numbers for
 *   numeric features (FP64, FP32, INT*), strings for categorical ones (BYTES); `null` is a missing
 *   value (imputed as in training);
 * - one tensor of shape [n, features] (FP64, FP32 or INT*), its columns in the schema's feature
 *   order (numeric features only).
 * `data` is row-major, flat or nested. Every refusal is a ValidationError naming the field
 * (`inputs[i].data`, ...) and, for a value, the instance index and feature.
 */
import { checkJsonInput } from '../../domain/common/input-rules';
import { ValidationError } from '../../domain/errors';
import type { FeatureRecord, PreprocessingSpec } from '../../ml/preprocessing';
import { numericRowsFromTensor, type NumericRows } from '../../ml/serving/numeric-rows';
import { MAX_INSTANCES_PER_REQUEST, type PredictionOutput } from '../../ml/serving/prediction-request';

export const NUMERIC_DATATYPES: ReadonlySet<string> = new Set([
  'FP64',
  'FP32',
  'FP16',
  'INT8',
  'INT16',
  'INT32',
  'INT64',
  'UINT8',
  'UINT16',
  'UINT32',
  'UINT64',
]);

export interface InferInputTensor {
  name: string;
  shape: number[];
  datatype: string;
  data: unknown[];
}

export interface InferRequestBody {
  id?: string;
  inputs: InferInputTensor[];
  /** Output names wanted (all when absent). */
  outputs?: { name: string }[];
}

export interface ResponseTensor {
  name: string;
  shape: number[];
  datatype: string;
  data: (number | string)[];
}

/** Output tensors a deployment answers with (see {@link responseOutputs}). */
export const OUTPUT_NAMES = { classification: ['label', 'probabilities', 'prediction_id'], regression: ['value', 'prediction_id'] } as const;

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * Checks the request's envelope (not its values, which need the served version's schema), after
 * the rules every input passes (`checkJsonInput`: storable strings of at most 10,000 characters,
 * finite numbers such as a `1e999` that JSON reads as Infinity, at most 32 levels of nesting).
 */
export function readInferRequest(body: unknown): InferRequestBody {
  if (!isObject(body)) throw new ValidationError('the request body must be a JSON object with "inputs"', { field: 'body' });
  checkJsonInput(body, '');
  if (body.id !== undefined && typeof body.id !== 'string') throw new ValidationError('"id" must be a string', { field: 'id' });
  if (!Array.isArray(body.inputs) || body.inputs.length === 0) throw new ValidationError('"inputs" must be a non-empty array of tensors', { field: 'inputs' });
  const inputs = body.inputs.map((input: unknown, i: number): InferInputTensor => {
    const field = `inputs[${i}]`;
    if (!isObject(input)) throw new ValidationError(`${field} must be an object`, { field });
    if (typeof input.name !== 'string' || input.name.length === 0)
      throw new ValidationError(`${field}.name must be a non-empty string`, { field: `${field}.name` });
    if (!Array.isArray(input.shape) || input.shape.length === 0 || !input.shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)) {
      throw new ValidationError(`${field}.shape must be a list of non-negative integers`, { field: `${field}.shape` });
    }
    if (typeof input.datatype !== 'string') throw new ValidationError(`${field}.datatype must be a string`, { field: `${field}.datatype` });
    if (!Array.isArray(input.data)) throw new ValidationError(`${field}.data must be an array`, { field: `${field}.data` });
    return { name: input.name, shape: input.shape as number[], datatype: input.datatype, data: flatData(input.data as unknown[]) };
  });
  let outputs: { name: string }[] | undefined;
  if (body.outputs !== undefined) {
    if (!Array.isArray(body.outputs) || !body.outputs.every((o) => isObject(o) && typeof o.name === 'string')) {
      throw new ValidationError('"outputs" must be a list of { name }', { field: 'outputs' });
    }
    outputs = (body.outputs as { name: string }[]).map((o) => ({ name: o.name }));
  }
  return { id: body.id, inputs, outputs };
}

/**
 * `data` flat and row-major: nested lists (at most the 32 levels `checkJsonInput` lets through)
 * spread in order, a flat list as it is. A fifth of `flat(Infinity)`'s time for a [100, 30] tensor.
 */
export function flatData(data: unknown[]): unknown[] {
  if (!data.some(Array.isArray)) return data;
  const flat: unknown[] = [];
  const spread = (list: readonly unknown[]) => {
    for (const value of list) {
      if (Array.isArray(value)) spread(value);
      else flat.push(value);
    }
  };
  spread(data);
  return flat;
}

function elements(shape: readonly number[]): number {
  return shape.reduce((product, d) => product * d, 1);
}

function checkSize(tensor: InferInputTensor, i: number): void {
  if (tensor.shape[0] > MAX_INSTANCES_PER_REQUEST) {
    throw new ValidationError(`at most ${MAX_INSTANCES_PER_REQUEST} instances per request, got ${tensor.shape[0]}`, { field: `inputs[${i}].shape` });
  }
  const expected = elements(tensor.shape);
  if (tensor.data.length !== expected) {
    throw new ValidationError(`inputs[${i}] has ${tensor.data.length} values for shape [${tensor.shape.join(', ')}] (${expected} expected)`, {
      field: `inputs[${i}].data`,
    });
  }
}

/**
 * The request's instances in the version's schema (what the serving pipeline then checks value by
 * value): one [n, features] numeric tensor as a numeric block, named inputs as records. Its
 * requested outputs are checked too.
 */
export function instancesOf(request: InferRequestBody, spec: PreprocessingSpec): FeatureRecord[] | NumericRows {
  checkRequestedOutputs(spec, request.outputs);
  const features = spec.features;
  const [first] = request.inputs;
  const featureByName = new Map(features.map((f) => [f.name, f]));
  const tensorForm = request.inputs.length === 1 && first.shape.length === 2 && !(featureByName.has(first.name) && first.shape[1] === 1 && features.length > 1);
  if (tensorForm) {
    if (!NUMERIC_DATATYPES.has(first.datatype))
      throw new ValidationError(`a [n, features] tensor must be numeric (FP64), got ${first.datatype}`, { field: 'inputs[0].datatype' });
    if (first.shape[1] !== features.length) {
      throw new ValidationError(
        `the tensor has ${first.shape[1]} columns; the model takes ${features.length} features (${features.map((f) => f.name).join(', ')})`,
        { field: 'inputs[0].shape' },
      );
    }
    const categorical = features.find((f) => f.type === 'CATEGORICAL');
    if (categorical)
      throw new ValidationError(`feature "${categorical.name}" is categorical: send named inputs (BYTES) instead of one numeric tensor`, {
        field: 'inputs[0]',
      });
    checkSize(first, 0);
    const rows = first.shape[0];
    const k = features.length;
    const block = numericRowsFromTensor(features, first.data, rows);
    if (block) return block;
    // A value that is neither a finite number nor null: as records, so that the schema check names it.
    const instances = new Array<FeatureRecord>(rows);
    for (let r = 0; r < rows; r++) {
      const record: FeatureRecord = {};
      for (let c = 0; c < k; c++) record[features[c].name] = first.data[r * k + c];
      instances[r] = record;
    }
    return instances;
  }
  let rows: number | undefined;
  request.inputs.forEach((input, i) => {
    const feature = featureByName.get(input.name);
    if (!feature) {
      const what = input.name === spec.label.column ? 'is the label column, not a feature' : 'is not a feature of this model';
      throw new ValidationError(`input "${input.name}" ${what}`, { field: `inputs[${i}].name`, column: input.name });
    }
    if (input.shape.length > 2 || (input.shape.length === 2 && input.shape[1] !== 1)) {
      throw new ValidationError(`input "${input.name}" must have shape [n] or [n, 1], got [${input.shape.join(', ')}]`, {
        field: `inputs[${i}].shape`,
        column: input.name,
      });
    }
    const wanted = feature.type === 'NUMERIC' ? NUMERIC_DATATYPES.has(input.datatype) : input.datatype === 'BYTES';
    if (!wanted) {
      throw new ValidationError(
        `input "${input.name}" is a ${feature.type.toLowerCase()} feature: datatype ${feature.type === 'NUMERIC' ? 'FP64' : 'BYTES'} expected, got ${input.datatype}`,
        {
          field: `inputs[${i}].datatype`,
          column: input.name,
        },
      );
    }
    checkSize(input, i);
    if (rows !== undefined && input.shape[0] !== rows) {
      throw new ValidationError(`input "${input.name}" has ${input.shape[0]} rows, the first input ${rows}`, {
        field: `inputs[${i}].shape`,
        column: input.name,
      });
    }
    rows = input.shape[0];
  });
  const seen = new Set<string>();
  request.inputs.forEach((input, i) => {
    if (seen.has(input.name)) throw new ValidationError(`input "${input.name}" is given twice`, { field: `inputs[${i}].name`, column: input.name });
    seen.add(input.name);
  });
  const missing = features.find((f) => !seen.has(f.name));
  if (missing)
    throw new ValidationError(`input "${missing.name}" is missing (every feature is required; send null for a missing value)`, {
      field: 'inputs',
      column: missing.name,
    });
  const instances: FeatureRecord[] = Array.from({ length: rows ?? 0 }, () => ({}));
  for (const input of request.inputs) {
    for (let r = 0; r < instances.length; r++) instances[r][input.name] = input.data[r];
  }
  return instances;
}

/** The answer's tensors: label (BYTES [n]), probabilities (FP64 [n, classes]) or value (FP64 [n]), and prediction_id (BYTES [n], for actuals). */
export function responseOutputs(
  spec: PreprocessingSpec,
  predictions: readonly { id: string; output: PredictionOutput }[],
  wanted?: readonly { name: string }[],
): ResponseTensor[] {
  const n = predictions.length;
  const tensors: ResponseTensor[] = [];
  if (spec.label.kind === 'TARGET') {
    tensors.push({ name: 'value', shape: [n], datatype: 'FP64', data: predictions.map((p) => ('value' in p.output ? p.output.value : NaN)) });
  } else {
    const classes = spec.label.classes;
    tensors.push({ name: 'label', shape: [n], datatype: 'BYTES', data: predictions.map((p) => ('label' in p.output ? p.output.label : '')) });
    const probabilities: number[] = [];
    for (const p of predictions) for (const c of classes) probabilities.push('probabilities' in p.output ? p.output.probabilities[c] : NaN);
    tensors.push({ name: 'probabilities', shape: [n, classes.length], datatype: 'FP64', data: probabilities });
  }
  tensors.push({ name: 'prediction_id', shape: [n], datatype: 'BYTES', data: predictions.map((p) => p.id) });
  if (!wanted) return tensors;
  checkRequestedOutputs(spec, wanted);
  return wanted.map((w) => {
    const tensor = tensors.find((t) => t.name === w.name);
    if (!tensor) throw new Error(`internal error: output "${w.name}" was not built`);
    return tensor;
  });
}

/** @throws ValidationError (`outputs[i].name`) for an output the deployment does not answer with. */
export function checkRequestedOutputs(spec: PreprocessingSpec, wanted: readonly { name: string }[] | undefined): void {
  const names: readonly string[] = spec.label.kind === 'TARGET' ? OUTPUT_NAMES.regression : OUTPUT_NAMES.classification;
  wanted?.forEach((w, i) => {
    if (!names.includes(w.name)) throw new ValidationError(`output "${w.name}" does not exist (outputs: ${names.join(', ')})`, { field: `outputs[${i}].name` });
  });
}

/** Model metadata tensors: the features as inputs, the answer's tensors as outputs. */
export function metadataTensors(spec: PreprocessingSpec): {
  inputs: { name: string; datatype: string; shape: number[] }[];
  outputs: { name: string; datatype: string; shape: number[] }[];
} {
  const inputs = spec.features.map((f) => ({ name: f.name, datatype: f.type === 'NUMERIC' ? 'FP64' : 'BYTES', shape: [-1] }));
  const outputs =
    spec.label.kind === 'TARGET'
      ? [{ name: 'value', datatype: 'FP64', shape: [-1] }]
      : [
          { name: 'label', datatype: 'BYTES', shape: [-1] },
          { name: 'probabilities', datatype: 'FP64', shape: [-1, spec.label.classes.length] },
        ];
  return { inputs, outputs: [...outputs, { name: 'prediction_id', datatype: 'BYTES', shape: [-1] }] };
}
