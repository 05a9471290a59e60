/**
 * The rows of a new dataset and dataset version, written with node-postgres inside the caller's
 * transaction (see `pg-transaction.ts` for why not through Prisma): the node-postgres half of the
 * dataset repository (`dataset-repository.ts`, the only caller), with the reads that number a new
 * version under its dataset's lock. Binary values go as binary
 * parameters; a value over {@link PIECE_BYTES} is sent in pieces of that size into a large object
 * created inside the transaction, copied into its row and unlinked, so no statement carries more
 * than a piece: memory on this side stays bounded by the piece, whatever the version's size.
 */
import { randomUUID } from 'node:crypto';
import type { PoolClient } from 'pg';
import type { ColumnTypeOverrides } from '../../domain/datasets/column-typing';
import type { Task } from '../../domain/datasets/label-rules';
import type { PreparedVersion } from './prepared-version';

/** Largest binary value (or piece of one) sent in one statement. */
export const PIECE_BYTES = 1024 * 1024;

export interface NewDatasetRow {
  name: string;
  description: string;
  labelColumn: string;
  task: Task;
  columnTypeOverrides: ColumnTypeOverrides;
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Inserts a dataset; resolves with its id. */
export async function insertDataset(client: PoolClient, row: NewDatasetRow): Promise<string> {
  const id = randomUUID();
  await client.query('INSERT INTO datasets (id, name, description, label_column, task, column_type_overrides) VALUES ($1, $2, $3, $4, $5, $6::jsonb)', [
    id,
    row.name,
    row.description,
    row.labelColumn,
    row.task,
    JSON.stringify(row.columnTypeOverrides),
  ]);
  return id;
}

/** Locks a dataset's row (`FOR UPDATE`) until the transaction ends: serializes version numbering per dataset. */
export async function lockDatasetForVersion(client: PoolClient, datasetId: string): Promise<void> {
  await client.query('SELECT id FROM datasets WHERE id = $1 FOR UPDATE', [datasetId]);
}

/** The id of the dataset's version whose content has this sha256, or null. */
export async function versionIdWithContent(client: PoolClient, datasetId: string, contentHash: string): Promise<string | null> {
  const existing = await client.query<{ id: string }>('SELECT id FROM dataset_versions WHERE dataset_id = $1 AND content_hash = $2', [datasetId, contentHash]);
  return existing.rows.at(0)?.id ?? null;
}

/** The highest version number of a dataset (0 before its first). */
export async function lastDatasetVersionNumber(client: PoolClient, datasetId: string): Promise<number> {
  const last = await client.query<{ version: number | null }>('SELECT max(version) AS version FROM dataset_versions WHERE dataset_id = $1', [datasetId]);
  return last.rows[0].version ?? 0;
}

/** Inserts version `version` of a dataset with its columns and source; resolves with its id. */
export async function insertVersion(client: PoolClient, datasetId: string, version: number, prepared: PreparedVersion): Promise<string> {
  const id = randomUUID();
  await client.query(
    'INSERT INTO dataset_versions (id, dataset_id, version, content_hash, row_count, column_count, size_bytes, columns, label_classes) VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9::jsonb)',
    [
      id,
      datasetId,
      version,
      prepared.contentHash,
      prepared.rowCount,
      prepared.columns.length,
      prepared.sizeBytes,
      JSON.stringify(prepared.columns),
      prepared.labelClasses ? JSON.stringify(prepared.labelClasses) : null,
    ],
  );
  for (const [position, encoded] of prepared.encodedColumns.entries()) {
    await insertWithBytes(
      client,
      'INSERT INTO dataset_version_columns (dataset_version_id, position, name, encoded) VALUES ($1, $2, $3, #)',
      [id, position, prepared.columns[position].name],
      encoded,
    );
  }
  await insertWithBytes(
    client,
    'INSERT INTO dataset_version_data (dataset_version_id, reference_row_indices, source_csv_gzip) VALUES ($1, $2::jsonb, #)',
    [id, JSON.stringify(prepared.referenceRowIndices)],
    prepared.sourceCsvGzip,
  );
  return id;
}

/**
 * Runs `sql` with `params` and, in place of `#`, the bytes of `pieces` laid end to end: as one
 * parameter when they fit in {@link PIECE_BYTES}, else through a large object.
 */
async function insertWithBytes(client: PoolClient, sql: string, params: unknown[], pieces: readonly Uint8Array[]): Promise<void> {
  const total = pieces.reduce((sum, piece) => sum + piece.byteLength, 0);
  const slot = `$${params.length + 1}`;
  if (total <= PIECE_BYTES) {
    const value = pieces.length === 1 ? asBuffer(pieces[0]) : Buffer.concat(pieces);
    await client.query(sql.replace('#', slot), [...params, value]);
    return;
  }
  const { rows } = await client.query<{ oid: number }>('SELECT lo_create(0) AS oid');
  const oid = rows[0].oid;
  let offset = 0;
  for (const piece of pieces) {
    for (let start = 0; start < piece.byteLength; start += PIECE_BYTES) {
      const part = asBuffer(piece.subarray(start, start + PIECE_BYTES));
      await client.query('SELECT lo_put($1, $2, $3)', [oid, offset, part]);
      offset += part.byteLength;
    }
  }
  await client.query(sql.replace('#', `lo_get(${slot})`), [...params, oid]);
  await client.query('SELECT lo_unlink($1)', [oid]);
}
