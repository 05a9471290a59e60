/**
 * Rules for the label column: it must exist and be complete, have at least two classes, and fit
 * the task, which is inferred when not given.
 */

import { oneOf } from '../common/input-fields';
import { parseInput } from '../common/input-schema';
import { ValidationError } from '../errors';
import { quoteValue } from './csv-parser';
import { findColumn, type DataColumn, type DataTable } from './data-table';

/** Every task, in declaration order. */
export const TASKS = ['BINARY_CLASSIFICATION', 'MULTICLASS_CLASSIFICATION', 'REGRESSION'] as const;
/** What a model trained on the dataset predicts. */
export type Task = (typeof TASKS)[number];
/** A requested task: one of {@link TASKS}. */
export const TASK_SCHEMA = oneOf(TASKS);

/** Input field of the label column name. */
export const LABEL_COLUMN_FIELD = 'input.labelColumn';
/** Input field of the requested task. */
export const TASK_FIELD = 'input.task';

/** Most distinct integer values a NUMERIC label may have to be inferred MULTICLASS_CLASSIFICATION. */
export const MAX_INFERRED_CLASSES = 20;

/** The settled task and, for classification, the classes. */
export interface LabelResolution {
  task: Task;
  /**
   * Classification only: the classes in their encoded order (class index = position). NUMERIC
   * labels are ordered by value and written with JavaScript's `String(number)` (`0`, `1`, `2.5`);
   * CATEGORICAL labels are ordered by UTF-16 code units (`'B' < 'M' < 'a'`), not by locale. For
   * BINARY_CLASSIFICATION the second class is the positive one.
   */
  labelClasses?: string[];
}

/**
 * Checks the label column and settles the task.
 *
 * Inference when `task` is not given:
 * - CATEGORICAL label: 2 classes -> BINARY_CLASSIFICATION, 3 or more -> MULTICLASS_CLASSIFICATION.
 * - NUMERIC label: exactly 2 distinct values -> BINARY_CLASSIFICATION; integer values only, with
 *   3 to 20 ({@link MAX_INFERRED_CLASSES}) distinct values -> MULTICLASS_CLASSIFICATION (digits
 *   0-9); anything else -> REGRESSION (diabetes progression, ~200 distinct integers).
 *
 * A given task must fit: REGRESSION needs a NUMERIC label; BINARY_CLASSIFICATION needs exactly two
 * classes; MULTICLASS_CLASSIFICATION accepts any label with two or more classes.
 *
 * @throws ValidationError when the label column does not exist (field `input.labelColumn`), has a
 *   missing value (first such row and the column), has fewer than two distinct values (field and
 *   column), or when the given task is unknown or does not fit the label (field `input.task`).
 */
export function resolveLabel(table: DataTable, labelColumn: string, task?: Task): LabelResolution {
  const column = findColumn(table, labelColumn);
  if (column === undefined) {
    const names = table.columns.map((c) => c.name);
    const shown = names
      .slice(0, 20)
      .map((n) => `'${quoteValue(n)}'`)
      .join(', ');
    throw new ValidationError(`Label column '${quoteValue(labelColumn)}' is not in the CSV header (columns: ${shown}${names.length > 20 ? ', …' : ''})`, {
      field: LABEL_COLUMN_FIELD,
      column: labelColumn,
    });
  }
  const missingRow = firstMissingRow(column);
  if (missingRow !== undefined) {
    throw new ValidationError(
      `Label column '${quoteValue(labelColumn)}' has a missing value in data row ${missingRow} (1-based, header excluded); every row needs a label`,
      { field: LABEL_COLUMN_FIELD, row: missingRow, column: labelColumn },
    );
  }
  const classes = distinctLabels(column);
  if (classes.length < 2) {
    throw new ValidationError(
      `Label column '${quoteValue(labelColumn)}' has a single value ('${quoteValue(classes[0] ?? '')}'); a label needs at least two distinct values`,
      { field: LABEL_COLUMN_FIELD, column: labelColumn },
    );
  }
  const settled = task === undefined ? inferTask(column, classes.length) : checkTask(task, column, classes.length);
  return settled === 'REGRESSION' ? { task: settled } : { task: settled, labelClasses: classes };
}

/**
 * The class index of each row, positions in `labelClasses` (as returned by {@link resolveLabel}).
 * @throws RangeError when a row's label is missing or not among `labelClasses`.
 */
export function classIndices(column: DataColumn, labelClasses: readonly string[]): Int32Array {
  const indexOf = new Map(labelClasses.map((label, index) => [label, index]));
  const outside = (row: number) => new RangeError(`Row ${row + 1} of '${column.name}' has a label outside the classes`);
  if (column.type === 'NUMERIC') {
    const out = new Int32Array(column.values.length);
    column.values.forEach((value, row) => {
      const index = indexOf.get(String(value));
      if (index === undefined) throw outside(row);
      out[row] = index;
    });
    return out;
  }
  const byCode = column.categories.map((category) => indexOf.get(category));
  const out = new Int32Array(column.codes.length);
  column.codes.forEach((code, row) => {
    const index = code < 0 ? undefined : byCode[code];
    if (index === undefined) throw outside(row);
    out[row] = index;
  });
  return out;
}

function firstMissingRow(column: DataColumn): number | undefined {
  const index = column.type === 'NUMERIC' ? column.values.findIndex(Number.isNaN) : column.codes.indexOf(-1);
  return index < 0 ? undefined : index + 1;
}

/** Distinct label values as class names, in class order (see {@link LabelResolution.labelClasses}). */
function distinctLabels(column: DataColumn): string[] {
  if (column.type === 'NUMERIC') {
    return Array.from(new Set(column.values))
      .sort((a, b) => a - b)
      .map(String);
  }
  const used = new Set(column.codes);
  return column.categories.filter((_, code) => used.has(code)).sort(compareCodeUnits);
}

function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function inferTask(column: DataColumn, classCount: number): Task {
  if (classCount === 2) return 'BINARY_CLASSIFICATION';
  if (column.type === 'CATEGORICAL') return 'MULTICLASS_CLASSIFICATION';
  const integral = column.values.every(Number.isInteger);
  return integral && classCount <= MAX_INFERRED_CLASSES ? 'MULTICLASS_CLASSIFICATION' : 'REGRESSION';
}

function checkTask(task: Task, column: DataColumn, classCount: number): Task {
  parseInput(TASK_SCHEMA, task, TASK_FIELD);
  if (task === 'REGRESSION' && column.type !== 'NUMERIC') {
    throw new ValidationError(`task REGRESSION needs a NUMERIC label, but '${quoteValue(column.name)}' is CATEGORICAL (${classCount} classes)`, {
      field: TASK_FIELD,
      column: column.name,
    });
  }
  if (task === 'BINARY_CLASSIFICATION' && classCount !== 2) {
    throw new ValidationError(`task BINARY_CLASSIFICATION needs exactly 2 label classes, but '${quoteValue(column.name)}' has ${classCount}`, {
      field: TASK_FIELD,
      column: column.name,
    });
  }
  return task;
}
