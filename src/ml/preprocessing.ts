/**
 * Preprocessing fitted on the training rows only and stored with the model version as plain JSON,
 * so that training, evaluation and prediction turn inputs into model features identically.
 *
 * - Numeric features: standardized with the training mean and the population standard deviation
 *   (divisor n, as scikit-learn's StandardScaler); a zero deviation scales by 1. A missing value
 *   (NaN, null) is imputed with the training mean, i.e. becomes 0.
 * - Categorical features: one-hot over the categories seen in the training rows, sorted. A missing
 *   value, or a category never seen in training, becomes the all-zero vector; unseen ones are
 *   reported so the serving layer can apply its own policy.
 * - Labels: classification classes are the training labels sorted (numerically when the label
 *   column is numeric, else by code unit); binary tasks predict the probability of `classes[1]`.
 *   Regression targets are standardized like a feature unless `standardizeTarget` is false;
 *   `decodeRegressionTargets` inverts it.
 */
import { type DataColumn, type DataTable, findColumn } from '../domain/datasets/data-table';
import { ValidationError, Violations } from '../domain/errors';
import type { Matrix, ModelTask } from './tf-types';

export interface NumericFeatureSpec {
  name: string;
  type: 'NUMERIC';
  /** First column of this feature in the feature matrix. */
  offset: number;
  mean: number;
  /** Population standard deviation of the training rows; 1 when it was 0. */
  scale: number;
}

export interface CategoricalFeatureSpec {
  name: string;
  type: 'CATEGORICAL';
  offset: number;
  /** One matrix column per category, in this order. */
  categories: string[];
}

export type FeatureSpec = NumericFeatureSpec | CategoricalFeatureSpec;

export interface ClassLabelSpec {
  kind: 'CLASSES';
  column: string;
  /** Whether the label column was numeric (its classes are the values' decimal strings). */
  numeric: boolean;
  classes: string[];
}

export interface TargetLabelSpec {
  kind: 'TARGET';
  column: string;
  /** The model learns `(y - mean) / scale`; mean 0 and scale 1 when not standardized. */
  mean: number;
  scale: number;
}

/** Everything needed to turn a dataset or JSON records into model inputs. JSON-serializable. */
export interface PreprocessingSpec {
  version: 1;
  task: ModelTask;
  features: FeatureSpec[];
  /** Width of the feature matrix (one column per numeric feature, one per category). */
  inputWidth: number;
  label: ClassLabelSpec | TargetLabelSpec;
  trainRowCount: number;
}

export interface PreprocessingOptions {
  labelColumn: string;
  featureColumns: string[];
  task: ModelTask;
  /** Standardize a regression target (default true). Ignored for classification. */
  standardizeTarget?: boolean;
}

/** A category at apply time that training never saw; it was encoded as all zeros. */
export interface UnseenCategory {
  /** 0-based position among the rows (or records) preprocessed. */
  index: number;
  column: string;
  value: string;
}

export interface EncodedClassLabels {
  kind: 'CLASSES';
  /** Index into `spec.label.classes` per row. */
  classIndex: Int32Array;
  /** Training targets: 0/1 (binary, width 1) or one-hot (multiclass, width = class count). */
  targets: Matrix;
}

export interface EncodedTargetLabels {
  kind: 'TARGET';
  /** Label values as given. */
  values: Float64Array;
  /** Training targets (standardized values), width 1. */
  targets: Matrix;
}

export type EncodedLabels = EncodedClassLabels | EncodedTargetLabels;

export interface PreprocessedData {
  x: Matrix;
  /** Present when the input carries the label column (a table with it, or records with the key). */
  labels?: EncodedLabels;
  unseenCategories: UnseenCategory[];
}

/** The labels of rows preprocessed with their label column. @throws Error when they carry none. */
export function labelsOf(data: PreprocessedData): EncodedLabels {
  if (!data.labels) throw new Error('these rows were preprocessed without their labels');
  return data.labels;
}

/** Expected input of one feature, for validating prediction requests. */
export type FeatureSchemaEntry = { name: string; type: 'NUMERIC' } | { name: string; type: 'CATEGORICAL'; categories: string[] };

/** A JSON record as a prediction request carries it: feature name to value. */
export type FeatureRecord = Record<string, unknown>;

const compareStrings = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Fits preprocessing on `trainRows` of `table` only.
 * @throws ValidationError when a column is missing or unusable, or the training labels do not fit the task.
 */
export function fitPreprocessing(table: DataTable, trainRows: ArrayLike<number>, options: PreprocessingOptions): PreprocessingSpec {
  const { labelColumn, featureColumns, task } = options;
  if (trainRows.length === 0) {
    throw new ValidationError('the training split has no rows', { field: 'trainRows' });
  }
  if (featureColumns.length === 0) {
    throw new ValidationError('at least one feature column is required', { field: 'featureColumns' });
  }
  const seen = new Set<string>();
  const features: FeatureSpec[] = [];
  let offset = 0;
  featureColumns.forEach((name, i) => {
    if (name === labelColumn) {
      throw new ValidationError(`column "${name}" is the label and cannot also be a feature`, {
        field: `featureColumns[${i}]`,
        column: name,
      });
    }
    if (seen.has(name)) {
      throw new ValidationError(`column "${name}" is listed twice`, { field: `featureColumns[${i}]`, column: name });
    }
    seen.add(name);
    const column = requireColumn(table, name, `featureColumns[${i}]`);
    const feature = fitFeature(column, trainRows, offset);
    offset += featureWidth(feature);
    features.push(feature);
  });
  const label = fitLabel(requireColumn(table, labelColumn, 'labelColumn'), trainRows, task, options.standardizeTarget ?? true);
  return { version: 1, task, features, inputWidth: offset, label, trainRowCount: trainRows.length };
}

/** Number of matrix columns a feature occupies. */
export function featureWidth(feature: FeatureSpec): number {
  return feature.type === 'NUMERIC' ? 1 : feature.categories.length;
}

/** Number of model outputs for the spec's task: 1, or the class count for multiclass. */
export function outputWidth(spec: PreprocessingSpec): number {
  return spec.label.kind === 'CLASSES' && spec.task === 'MULTICLASS_CLASSIFICATION' ? spec.label.classes.length : 1;
}

/** The inputs a prediction request must provide, in feature order. */
export function featureSchema(spec: PreprocessingSpec): FeatureSchemaEntry[] {
  return spec.features.map((feature) =>
    feature.type === 'NUMERIC'
      ? { name: feature.name, type: 'NUMERIC' as const }
      : { name: feature.name, type: 'CATEGORICAL' as const, categories: [...feature.categories] },
  );
}

export interface ApplyOptions {
  /** Table rows to encode, in this order (default: all rows). Ignored for records. */
  rows?: ArrayLike<number>;
  /** Encode the label when the input has it (default true); false skips it entirely. */
  labels?: boolean;
}

/**
 * Applies a fitted spec to rows of a table or to JSON records.
 * Records must carry every feature key; `null` is a missing value. Numeric features take numbers,
 * categorical ones strings (numbers are matched by their decimal string). Extra keys are ignored.
 * @throws ValidationError naming the row (table) or index (records) and the column at fault.
 */
export function applyPreprocessing(spec: PreprocessingSpec, input: DataTable | readonly FeatureRecord[], options: ApplyOptions = {}): PreprocessedData {
  assertSpecVersion(spec);
  const withLabels = options.labels ?? true;
  return isDataTable(input) ? applyToTable(spec, input, options.rows, withLabels) : applyToRecords(spec, input, withLabels);
}

/**
 * Encodes instances of an all-numeric schema given as one row-major block of `rows` rows (NaN: a
 * missing value), exactly as {@link applyPreprocessing} encodes the same values given as records.
 * Returns null when the schema has a categorical feature or a value is beyond float32 once
 * standardized: the records path then reports it.
 */
export function encodeNumericRows(spec: PreprocessingSpec, values: Float64Array, rows: number): Matrix | null {
  assertSpecVersion(spec);
  const features = spec.features;
  const k = features.length;
  const width = spec.inputWidth;
  if (values.length !== rows * k) return null;
  const numeric: NumericFeatureSpec[] = [];
  for (const feature of features) {
    if (feature.type !== 'NUMERIC') return null;
    numeric.push(feature);
  }
  const data = new Float32Array(rows * width);
  for (let r = 0; r < rows; r++) {
    for (let f = 0; f < k; f++) {
      const feature = numeric[f];
      const standardized = standardize(values[r * k + f], feature);
      if (!Number.isFinite(Math.fround(standardized))) return null;
      data[r * width + feature.offset] = standardized;
    }
  }
  return { data, rows, cols: width };
}

/** Turns standardized regression outputs back into label units. */
export function decodeRegressionTargets(spec: PreprocessingSpec, outputs: ArrayLike<number>): Float64Array {
  if (spec.label.kind !== 'TARGET') {
    throw new ValidationError('the model is a classifier; it has no regression target', { field: 'spec.label' });
  }
  const { mean, scale } = spec.label;
  const values = new Float64Array(outputs.length);
  for (let i = 0; i < outputs.length; i++) values[i] = outputs[i] * scale + mean;
  return values;
}

/**
 * Turns class weights keyed by class label into weights by class index (missing classes weigh 1).
 * @throws ValidationError for an unknown class or a weight that is not a positive finite number.
 */
export function classWeightsByIndex(spec: PreprocessingSpec, weights: Record<string, number>, field = 'classWeights'): number[] {
  if (spec.label.kind !== 'CLASSES') {
    throw new ValidationError('class weights apply to classification only', { field });
  }
  const { classes } = spec.label;
  const byIndex = classes.map(() => 1);
  for (const [label, weight] of Object.entries(weights)) {
    const index = classes.indexOf(label);
    if (index < 0) {
      throw new ValidationError(`class "${label}" is not among the training classes (${classes.join(', ')})`, {
        field: `${field}.${label}`,
      });
    }
    if (!Number.isFinite(weight) || weight <= 0) {
      throw new ValidationError(`class weight must be a positive number, got ${weight}`, { field: `${field}.${label}` });
    }
    byIndex[index] = weight;
  }
  return byIndex;
}

function isDataTable(input: DataTable | readonly FeatureRecord[]): input is DataTable {
  return !Array.isArray(input);
}

/** A spec read back from storage may be of a version this code does not write. */
function assertSpecVersion(spec: { readonly version: unknown }): void {
  if (spec.version !== 1) {
    throw new ValidationError(`unsupported preprocessing spec version ${String(spec.version)}`, { field: 'spec.version' });
  }
}

function requireColumn(table: DataTable, name: string, field: string): DataColumn {
  const column = findColumn(table, name);
  if (!column) throw new ValidationError(`column "${name}" does not exist`, { field, column: name });
  return column;
}

function fitFeature(column: DataColumn, trainRows: ArrayLike<number>, offset: number): FeatureSpec {
  if (column.type === 'CATEGORICAL') {
    const used = new Set<number>();
    for (let i = 0; i < trainRows.length; i++) {
      const code = column.codes[trainRows[i]];
      if (code >= 0) used.add(code);
    }
    const categories = [...used].map((code) => column.categories[code]).sort(compareStrings);
    return { name: column.name, type: 'CATEGORICAL', offset, categories };
  }
  const { mean, std } = meanAndStd(column.values, trainRows);
  return { name: column.name, type: 'NUMERIC', offset, mean, scale: std > 0 ? std : 1 };
}

/** Mean and population standard deviation over the non-missing values; 0 and 0 when all are missing. */
function meanAndStd(values: Float64Array, rows: ArrayLike<number>): { mean: number; std: number } {
  let count = 0;
  let sum = 0;
  for (let i = 0; i < rows.length; i++) {
    const v = values[rows[i]];
    if (!Number.isNaN(v)) {
      sum += v;
      count++;
    }
  }
  if (count === 0) return { mean: 0, std: 0 };
  const mean = sum / count;
  let squares = 0;
  for (let i = 0; i < rows.length; i++) {
    const v = values[rows[i]];
    if (!Number.isNaN(v)) squares += (v - mean) * (v - mean);
  }
  return { mean, std: Math.sqrt(squares / count) };
}

function fitLabel(column: DataColumn, trainRows: ArrayLike<number>, task: ModelTask, standardizeTarget: boolean): ClassLabelSpec | TargetLabelSpec {
  for (let i = 0; i < trainRows.length; i++) {
    if (isMissing(column, trainRows[i])) {
      throw new ValidationError(`label column "${column.name}" has a missing value`, {
        row: trainRows[i] + 1,
        column: column.name,
      });
    }
  }
  if (task === 'REGRESSION') {
    if (column.type !== 'NUMERIC') {
      throw new ValidationError(`regression needs a numeric label; column "${column.name}" is categorical`, {
        field: 'labelColumn',
        column: column.name,
      });
    }
    const { mean, std } = meanAndStd(column.values, trainRows);
    return standardizeTarget
      ? { kind: 'TARGET', column: column.name, mean, scale: std > 0 ? std : 1 }
      : { kind: 'TARGET', column: column.name, mean: 0, scale: 1 };
  }
  const classes = column.type === 'NUMERIC' ? numericClasses(column.values, trainRows) : categoricalClasses(column, trainRows);
  if (classes.length < 2) {
    throw new ValidationError(`label column "${column.name}" has ${classes.length} class in the training rows; at least 2 are needed`, {
      field: 'labelColumn',
      column: column.name,
    });
  }
  if (task === 'BINARY_CLASSIFICATION' && classes.length !== 2) {
    throw new ValidationError(`binary classification needs exactly 2 classes; column "${column.name}" has ${classes.length} in the training rows`, {
      field: 'labelColumn',
      column: column.name,
    });
  }
  return { kind: 'CLASSES', column: column.name, numeric: column.type === 'NUMERIC', classes };
}

function numericClasses(values: Float64Array, rows: ArrayLike<number>): string[] {
  const distinct = new Set<number>();
  for (let i = 0; i < rows.length; i++) distinct.add(values[rows[i]]);
  return [...distinct].sort((a, b) => a - b).map(String);
}

function categoricalClasses(column: Extract<DataColumn, { type: 'CATEGORICAL' }>, rows: ArrayLike<number>): string[] {
  const used = new Set<number>();
  for (let i = 0; i < rows.length; i++) used.add(column.codes[rows[i]]);
  return [...used].map((code) => column.categories[code]).sort(compareStrings);
}

function isMissing(column: DataColumn, row: number): boolean {
  return column.type === 'NUMERIC' ? Number.isNaN(column.values[row]) : column.codes[row] < 0;
}

function applyToTable(spec: PreprocessingSpec, table: DataTable, rows: ArrayLike<number> | undefined, withLabels: boolean): PreprocessedData {
  const rowCount = rows ? rows.length : table.rowCount;
  const rowAt = rows ? (i: number) => rows[i] : (i: number) => i;
  const width = spec.inputWidth;
  const data = new Float32Array(rowCount * width);
  const unseenCategories: UnseenCategory[] = [];
  for (const feature of spec.features) {
    const column = findColumn(table, feature.name);
    if (!column) {
      throw new ValidationError(`feature column "${feature.name}" is missing from the dataset`, { column: feature.name });
    }
    if (feature.type === 'NUMERIC') {
      if (column.type !== 'NUMERIC') {
        throw new ValidationError(`feature column "${feature.name}" must be numeric but is categorical`, { column: feature.name });
      }
      for (let i = 0; i < rowCount; i++) {
        data[i * width + feature.offset] = standardize(column.values[rowAt(i)], feature);
      }
      continue;
    }
    const lookup = categoryLookup(feature);
    for (let i = 0; i < rowCount; i++) {
      const value = categoricalCell(column, rowAt(i));
      if (value === undefined) continue;
      const position = lookup.get(value);
      if (position === undefined) unseenCategories.push({ index: i, column: feature.name, value });
      else data[i * width + feature.offset + position] = 1;
    }
  }
  const labelColumn = withLabels ? findColumn(table, spec.label.column) : undefined;
  const labels = labelColumn
    ? encodeLabels(
        spec,
        rowCount,
        (i) => labelCell(labelColumn, rowAt(i)),
        (i) => ({ row: rowAt(i) + 1 }),
      )
    : undefined;
  return { x: { data, rows: rowCount, cols: width }, labels, unseenCategories };
}

function applyToRecords(spec: PreprocessingSpec, records: readonly FeatureRecord[], withLabels: boolean): PreprocessedData {
  const width = spec.inputWidth;
  const data = new Float32Array(records.length * width);
  const unseenCategories: UnseenCategory[] = [];
  const lookups = spec.features.map((feature) => (feature.type === 'CATEGORICAL' ? categoryLookup(feature) : undefined));
  // Every missing or ill-typed value of every record is reported, not only the first.
  const problems = new Violations();
  records.forEach((record, index) => {
    spec.features.forEach((feature, f) => {
      if (!Object.hasOwn(record, feature.name)) {
        problems.add(`instance ${index} lacks feature "${feature.name}"`, { index, column: feature.name });
        return;
      }
      const raw = record[feature.name];
      if (feature.type === 'NUMERIC') {
        if (raw !== null && (typeof raw !== 'number' || !Number.isFinite(raw))) {
          problems.add(`feature "${feature.name}" of instance ${index} must be a finite number or null`, { index, column: feature.name });
          return;
        }
        const standardized = standardize(raw === null ? NaN : raw, feature);
        if (!Number.isFinite(Math.fround(standardized))) {
          problems.add(
            `feature "${feature.name}" of instance ${index} is out of the model's range: ${String(raw)} is beyond float32 (about ±3.4e38) once standardized`,
            { index, column: feature.name },
          );
          return;
        }
        data[index * width + feature.offset] = standardized;
        return;
      }
      if (raw === null) return;
      if (typeof raw !== 'string' && (typeof raw !== 'number' || !Number.isFinite(raw))) {
        problems.add(`feature "${feature.name}" of instance ${index} must be a string or null`, { index, column: feature.name });
        return;
      }
      const value = String(raw);
      const lookup = lookups[f];
      if (!lookup) throw new Error(`internal error: no category lookup for feature "${feature.name}"`);
      const position = lookup.get(value);
      if (position === undefined) unseenCategories.push({ index, column: feature.name, value });
      else data[index * width + feature.offset + position] = 1;
    });
  });
  problems.throwIfAny();
  const labelKey = spec.label.column;
  const hasLabels = withLabels && records.length > 0 && records.every((record) => Object.hasOwn(record, labelKey));
  const labels = hasLabels
    ? encodeLabels(
        spec,
        records.length,
        (i) => recordLabel(records[i][labelKey]),
        (i) => ({ index: i }),
      )
    : undefined;
  return { x: { data, rows: records.length, cols: width }, labels, unseenCategories };
}

function standardize(value: number, feature: NumericFeatureSpec): number {
  return Number.isNaN(value) ? 0 : (value - feature.mean) / feature.scale;
}

function categoryLookup(feature: CategoricalFeatureSpec): Map<string, number> {
  return new Map(feature.categories.map((category, i) => [category, i]));
}

/** A categorical cell as its string, accepting a numeric column whose values were the categories. */
function categoricalCell(column: DataColumn, row: number): string | undefined {
  if (column.type === 'CATEGORICAL') {
    const code = column.codes[row];
    return code < 0 ? undefined : column.categories[code];
  }
  const value = column.values[row];
  return Number.isNaN(value) ? undefined : String(value);
}

/** A label cell: a number for numeric columns, a string for categorical ones, undefined when missing. */
function labelCell(column: DataColumn, row: number): number | string | undefined {
  if (column.type === 'NUMERIC') {
    const value = column.values[row];
    return Number.isNaN(value) ? undefined : value;
  }
  const code = column.codes[row];
  return code < 0 ? undefined : column.categories[code];
}

function recordLabel(raw: unknown): number | string | undefined {
  return typeof raw === 'number' || typeof raw === 'string' ? raw : undefined;
}

function encodeLabels(
  spec: PreprocessingSpec,
  rowCount: number,
  labelAt: (i: number) => number | string | undefined,
  locate: (i: number) => { row?: number; index?: number },
): EncodedLabels {
  const column = spec.label.column;
  const missing = (i: number) => new ValidationError(`label "${column}" is missing or not a number or string`, { ...locate(i), column });
  if (spec.label.kind === 'TARGET') {
    const { mean, scale } = spec.label;
    const values = new Float64Array(rowCount);
    const targets = new Float32Array(rowCount);
    for (let i = 0; i < rowCount; i++) {
      const value = labelAt(i);
      if (typeof value !== 'number' || !Number.isFinite(value)) throw missing(i);
      values[i] = value;
      targets[i] = (value - mean) / scale;
    }
    return { kind: 'TARGET', values, targets: { data: targets, rows: rowCount, cols: 1 } };
  }
  const { classes } = spec.label;
  const lookup = new Map(classes.map((name, i) => [name, i]));
  const multiclass = spec.task === 'MULTICLASS_CLASSIFICATION';
  const width = multiclass ? classes.length : 1;
  const classIndex = new Int32Array(rowCount);
  const targets = new Float32Array(rowCount * width);
  for (let i = 0; i < rowCount; i++) {
    const value = labelAt(i);
    if (value === undefined) throw missing(i);
    const index = lookup.get(String(value));
    if (index === undefined) {
      throw new ValidationError(`label "${String(value)}" is not among the training classes (${classes.join(', ')})`, {
        ...locate(i),
        column,
      });
    }
    classIndex[i] = index;
    if (multiclass) targets[i * width + index] = 1;
    else targets[i] = index;
  }
  return { kind: 'CLASSES', classIndex, targets: { data: targets, rows: rowCount, cols: width } };
}
