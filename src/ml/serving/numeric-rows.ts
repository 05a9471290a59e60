import type { FeatureRecord, FeatureSpec } from '../preprocessing';

/**
 * Instances of an all-numeric schema as one row-major block (NaN: a missing value), from a protocol
 * tensor or from JSON records ({@link numericRowsFromRecords}): encoded, checked and logged without
 * a record per instance.
 */
export class NumericRows {
  constructor(
    /** `rows x features.length` values in schema order. */
    readonly values: Float64Array,
    readonly rows: number,
    /** The schema's feature names, in order. */
    readonly features: readonly string[],
  ) {}

  /** Instance `index` as a record (a missing value as null), for error reports and the JSON log. */
  record(index: number): FeatureRecord {
    const k = this.features.length;
    const record: FeatureRecord = {};
    for (let f = 0; f < k; f++) {
      const value = this.values[index * k + f];
      record[this.features[f]] = Number.isNaN(value) ? null : value;
    }
    return record;
  }

  records(): FeatureRecord[] {
    return Array.from({ length: this.rows }, (_, index) => this.record(index));
  }
}

/** A value as a block's cell: a finite number as itself, null (missing) as NaN; undefined for anything else. */
function cell(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  return value === null ? NaN : undefined;
}

/**
 * A `[rows, features]` tensor's row-major values as numeric rows, or null when one is not a finite
 * number or null (the records path then names it).
 */
export function numericRowsFromTensor(features: readonly FeatureSpec[], data: readonly unknown[], rows: number): NumericRows | null {
  const values = new Float64Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const value = cell(data[i]);
    if (value === undefined) return null;
    values[i] = value;
  }
  return new NumericRows(
    values,
    rows,
    features.map((feature) => feature.name),
  );
}

/**
 * Records as numeric rows, when every feature is numeric and every record holds exactly the
 * features, each a finite number or null; otherwise null, and the records path checks and reports
 * them. (JSON instances of an all-numeric model, the common case, then skip the per-record walk of
 * encoding and logging.)
 */
export function numericRowsFromRecords(features: readonly FeatureSpec[], records: readonly unknown[], maxRows: number): NumericRows | null {
  const k = features.length;
  if (records.length === 0 || records.length > maxRows || features.some((feature) => feature.type !== 'NUMERIC')) return null;
  const names = features.map((feature) => feature.name);
  const values = new Float64Array(records.length * k);
  for (let r = 0; r < records.length; r++) {
    const record = records[r];
    if (record === null || typeof record !== 'object' || Array.isArray(record)) return null;
    const fields = record as FeatureRecord;
    // Own and inherited enumerable keys: exactly k of them, with every feature an own key below,
    // means the record holds the features and nothing else.
    let keys = 0;
    for (const _key in fields) keys++;
    if (keys !== k) return null;
    for (let f = 0; f < k; f++) {
      const name = names[f];
      if (!Object.hasOwn(fields, name)) return null;
      const value = cell(fields[name]);
      if (value === undefined) return null;
      values[r * k + f] = value;
    }
  }
  return new NumericRows(values, records.length, names);
}
