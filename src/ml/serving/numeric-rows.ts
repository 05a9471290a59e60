import type { FeatureRecord } from '../preprocessing';

/**
 * Instances of an all-numeric schema as one row-major block, as a protocol tensor carries them
 * (NaN: a missing value): encoded, checked and logged without a record per instance.
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
