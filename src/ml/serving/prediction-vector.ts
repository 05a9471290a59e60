/**
 * A logged prediction's inputs and output as the drift monitor reads them: one vector of float64
 * (little-endian) per prediction, one value per feature of the version's schema in its order, then
 * the output. Numeric features hold their value (NaN = missing); categorical ones the index of the
 * category in the feature's training categories (NaN = missing); the output is the predicted
 * label's index in the classes (classification) or the value (regression).
 *
 * Reading a window of 100,000 predictions then costs one bulk copy per prediction instead of
 * parsing their JSON inputs value by value. A prediction whose inputs or output cannot be written
 * so (a category or label outside the schema) gets no vector; its JSON is read instead
 * (`WindowColumns.addRecord`), as for predictions logged before vectors existed.
 */
import { shownValue } from '../../domain/errors';
import type { FeatureSample } from '../drift/feature-drift';
import type { FeatureRecord, FeatureSpec, PreprocessingSpec } from '../preprocessing';
import type { PredictionOutput } from './prediction-request';

/** What vectors are written and read by: the version's features and label. */
export type VectorSchema = Pick<PreprocessingSpec, 'features' | 'label'>;

/** Bytes of one prediction's vector. */
export function vectorBytes(schema: VectorSchema): number {
  return (schema.features.length + 1) * 8;
}

function categoryIndex(categories: readonly string[], value: unknown): number {
  if (value === null || value === undefined) return NaN;
  const index = categories.indexOf(shownValue(value));
  return index < 0 ? -1 : index;
}

/**
 * The vector of one prediction, or null when a categorical value or the label is not in the
 * schema (then only its JSON is logged).
 */
export function encodePredictionVector(schema: VectorSchema, inputs: FeatureRecord, output: PredictionOutput): Buffer | null {
  const { features } = schema;
  const out = Buffer.allocUnsafe(vectorBytes(schema));
  for (let f = 0; f < features.length; f++) {
    const feature = features[f];
    const value = inputs[feature.name];
    let x: number;
    if (feature.type === 'NUMERIC') x = typeof value === 'number' ? value : NaN;
    else {
      x = categoryIndex(feature.categories, value);
      if (x === -1) return null;
    }
    out.writeDoubleLE(x, f * 8);
  }
  const y = outputCode(schema, output);
  if (y === null) return null;
  out.writeDoubleLE(y, features.length * 8);
  return out;
}

/** The output's number in a vector: the value, or the class index; null when the label is not a class of the schema. */
function outputCode(schema: VectorSchema, output: PredictionOutput): number | null {
  if ('value' in output) return output.value;
  const y = schema.label.kind === 'CLASSES' ? categoryIndex(schema.label.classes, output.label) : -1;
  return y < 0 || Number.isNaN(y) ? null : y;
}

/**
 * {@link encodePredictionVector} of instance `row` of numeric rows (an all-numeric schema, NaN for
 * a missing value): the same bytes, without a record.
 */
export function encodeNumericRowVector(schema: VectorSchema, values: Float64Array, row: number, output: PredictionOutput): Buffer | null {
  const k = schema.features.length;
  const y = outputCode(schema, output);
  if (y === null) return null;
  const out = Buffer.allocUnsafe(vectorBytes(schema));
  for (let f = 0; f < k; f++) out.writeDoubleLE(values[row * k + f], f * 8);
  out.writeDoubleLE(y, k * 8);
  return out;
}

/**
 * The inputs a vector holds, as the request gave them: numbers, category strings, null for a
 * missing value. The log stores a prediction's inputs once, as this vector, when it can.
 */
export function decodePredictionInputs(schema: VectorSchema, vector: Uint8Array): FeatureRecord {
  const view = new DataView(vector.buffer, vector.byteOffset, vector.byteLength);
  const inputs: FeatureRecord = {};
  schema.features.forEach((feature, f) => {
    const x = view.getFloat64(f * 8, true);
    if (Number.isNaN(x)) inputs[feature.name] = null;
    else inputs[feature.name] = feature.type === 'NUMERIC' ? x : feature.categories[x];
  });
  return inputs;
}

/**
 * Collects a categorical column from JSON values by name: codes into `categories` (given first),
 * then any other value met; null is missing (-1).
 */
export class CategoricalColumn {
  readonly categories: string[];
  private readonly index: Map<string, number>;
  readonly codes: Int32Array;
  constructor(size: number, categories: readonly string[] = []) {
    this.categories = [...categories];
    this.index = new Map(this.categories.map((name, code) => [name, code]));
    this.codes = new Int32Array(size);
  }
  set(row: number, value: unknown): void {
    if (value === null || value === undefined) {
      this.codes[row] = -1;
      return;
    }
    const key = shownValue(value);
    let code = this.index.get(key);
    if (code === undefined) {
      code = this.categories.length;
      this.categories.push(key);
      this.index.set(key, code);
    }
    this.codes[row] = code;
  }
}

type Column = { type: 'NUMERIC'; values: Float64Array } | { type: 'CATEGORICAL'; column: CategoricalColumn };

function columnFor(spec: Pick<FeatureSpec, 'type'> & { categories?: readonly string[] }, size: number): Column {
  return spec.type === 'NUMERIC'
    ? { type: 'NUMERIC', values: new Float64Array(size) }
    : { type: 'CATEGORICAL', column: new CategoricalColumn(size, spec.categories) };
}

/**
 * A window's columns, filled from vectors (`addVectors`) and from JSON rows (`addRecord`), in any
 * order: the drift tests are univariate, so rows need not keep their log order.
 */
export class WindowColumns {
  private readonly columns: Column[];
  private readonly output: Column;
  private readonly width: number;
  private rows = 0;

  /** `capacity`: the window's row count (rows beyond it are an error). */
  constructor(
    private readonly schema: VectorSchema,
    private readonly capacity: number,
  ) {
    this.columns = schema.features.map((feature) => columnFor(feature, capacity));
    this.output =
      schema.label.kind === 'CLASSES'
        ? columnFor({ type: 'CATEGORICAL', categories: schema.label.classes }, capacity)
        : columnFor({ type: 'NUMERIC' }, capacity);
    this.width = schema.features.length + 1;
  }

  /** Rows added so far. */
  get size(): number {
    return this.rows;
  }

  /** Adds the vectors concatenated in `bytes` (a whole number of them). */
  addVectors(bytes: Uint8Array): void {
    const stride = this.width * 8;
    if (bytes.length % stride !== 0) throw new Error(`prediction vectors of ${bytes.length} bytes are not a multiple of ${stride}`);
    const count = bytes.length / stride;
    if (this.rows + count > this.capacity) throw new Error(`window of ${this.capacity} rows got ${this.rows + count}`);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const all = [...this.columns, this.output];
    for (let c = 0; c < all.length; c++) {
      const column = all[c];
      let offset = c * 8;
      if (column.type === 'NUMERIC') {
        const values = column.values;
        for (let r = this.rows, end = this.rows + count; r < end; r++, offset += stride) values[r] = view.getFloat64(offset, true);
      } else {
        const codes = column.column.codes;
        for (let r = this.rows, end = this.rows + count; r < end; r++, offset += stride) {
          const code = view.getFloat64(offset, true);
          codes[r] = Number.isNaN(code) ? -1 : code;
        }
      }
    }
    this.rows += count;
  }

  /**
   * Adds one prediction from its JSON inputs and output value (label or value), as the vector would
   * hold them; a numeric input that is not a number and a null category are missing.
   */
  addRecord(inputs: FeatureRecord, output: unknown): void {
    if (this.rows >= this.capacity) throw new Error(`window of ${this.capacity} rows got more`);
    const row = this.rows++;
    this.schema.features.forEach((feature, f) => setCell(this.columns[f], row, inputs[feature.name]));
    setCell(this.output, row, output);
  }

  /** The features' samples, named as in the schema, and the output's, named `outputName`. */
  samples(outputName: string): { features: FeatureSample[]; prediction: FeatureSample } {
    const sample = (column: Column, name: string): FeatureSample =>
      column.type === 'NUMERIC'
        ? { type: 'NUMERIC', name, values: column.values.subarray(0, this.rows) }
        : { type: 'CATEGORICAL', name, categories: column.column.categories, codes: column.column.codes.subarray(0, this.rows) };
    return { features: this.columns.map((column, f) => sample(column, this.schema.features[f].name)), prediction: sample(this.output, outputName) };
  }
}

function setCell(column: Column, row: number, value: unknown): void {
  if (column.type === 'NUMERIC') column.values[row] = typeof value === 'number' ? value : NaN;
  else column.column.set(row, value);
}
