import type { ColumnProfile } from './column-profile';
import type { ColumnTypeOverrides } from './column-typing';
import type { ColumnRole, ColumnType } from './data-table';
import type { Task } from './label-rules';

/** A named dataset; its rows live in immutable versions. */
export interface Dataset {
  id: string;
  name: string;
  description: string;
  labelColumn: string;
  task: Task;
  columnTypeOverrides: ColumnTypeOverrides;
  createdAt: Date;
  /** Set while archived: hidden from lists, takes no new versions or models. */
  archivedAt: Date | null;
}

export interface DatasetColumn {
  name: string;
  type: ColumnType;
  role: ColumnRole;
  profile: ColumnProfile;
}

/** An immutable, content-addressed version of a dataset. */
export interface DatasetVersion {
  id: string;
  datasetId: string;
  version: number;
  contentHash: string;
  rowCount: number;
  columnCount: number;
  sizeBytes: number;
  columns: DatasetColumn[];
  labelClasses: string[] | null;
  createdAt: Date;
}

/** Checks a user-chosen name (datasets, models, deployments). */
export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9 ._:/-]{0,199}$/;
