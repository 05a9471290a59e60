/**
 * Compact binary form of a `DataTable`, stored with each dataset version.
 *
 * Layout (all integers little-endian):
 * - bytes 0-3: magic `MLDT`; 4-7: format version (uint32, 1); 8-11: header length L (uint32);
 * - bytes 12..12+L: header, UTF-8 JSON `{ rowCount, columns: [{ name, type, categories? }] }`;
 * - zero padding to a multiple of 8, then one block per column in header order:
 *   NUMERIC: rowCount float64 values (NaN = missing);
 *   CATEGORICAL: rowCount int32 codes into `categories` (-1 = missing), zero-padded to a multiple of 8.
 *
 * Decoding copies each block into a fresh typed array in one bulk copy (no per-value work), so
 * decoded columns never alias the input buffer.
 */

import type { DataColumn, DataTable } from './data-table';

const MAGIC = 'MLDT';
const FORMAT_VERSION = 1;
const PREAMBLE_BYTES = 12;
const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

interface HeaderColumn {
  name: string;
  type: DataColumn['type'];
  categories?: string[];
}

interface Header {
  rowCount: number;
  columns: HeaderColumn[];
}

const align8 = (n: number): number => Math.ceil(n / 8) * 8;
const blockBytes = (column: HeaderColumn, rowCount: number): number => align8(rowCount * (column.type === 'NUMERIC' ? 8 : 4));

/** Encodes `table` into one Buffer (see the module comment for the layout). */
export function encodeDataTable(table: DataTable): Buffer {
  return Buffer.concat(encodeDataTableParts(table));
}

/**
 * The bytes of {@link encodeDataTable} as pieces to lay end to end: the preamble with the header,
 * then per column its values and their padding. On a little-endian host a column's values are its
 * own memory, not a copy: a large table can be stored without being held twice.
 */
export function encodeDataTableParts(table: DataTable): Uint8Array[] {
  const header: Header = {
    rowCount: table.rowCount,
    columns: table.columns.map((column) =>
      column.type === 'NUMERIC' ? { name: column.name, type: column.type } : { name: column.name, type: column.type, categories: column.categories },
    ),
  };
  const headerBytes = Buffer.from(JSON.stringify(header), 'utf8');
  const head = Buffer.alloc(align8(PREAMBLE_BYTES + headerBytes.length));
  head.write(MAGIC, 0, 'latin1');
  head.writeUInt32LE(FORMAT_VERSION, 4);
  head.writeUInt32LE(headerBytes.length, 8);
  headerBytes.copy(head, PREAMBLE_BYTES);
  const parts: Uint8Array[] = [head];
  table.columns.forEach((column, i) => {
    const values = column.type === 'NUMERIC' ? column.values : column.codes;
    if (values.length !== table.rowCount) {
      throw new RangeError(`Column '${column.name}' has ${values.length} values for ${table.rowCount} rows`);
    }
    parts.push(littleEndian(values));
    const padding = blockBytes(header.columns[i], table.rowCount) - values.byteLength;
    if (padding > 0) parts.push(new Uint8Array(padding));
  });
  return parts;
}

/**
 * Decodes bytes produced by {@link encodeDataTable}.
 * @throws Error when the bytes are not a complete buffer of this format (storage corruption, not user input).
 */
export function decodeDataTable(bytes: Uint8Array): DataTable {
  if (bytes.length < PREAMBLE_BYTES || Buffer.from(bytes.buffer, bytes.byteOffset, 4).toString('latin1') !== MAGIC) {
    throw new Error('Not an mlplane columnar buffer (bad magic)');
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(4, true);
  if (version !== FORMAT_VERSION) throw new Error(`Unsupported columnar format version ${version}`);
  const headerLength = view.getUint32(8, true);
  const header = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset + PREAMBLE_BYTES, headerLength).toString('utf8')) as Header;
  const { rowCount } = header;
  const expected = header.columns.reduce((sum, column) => sum + blockBytes(column, rowCount), align8(PREAMBLE_BYTES + headerLength));
  if (expected !== bytes.length) {
    throw new Error(`Columnar buffer is ${bytes.length} bytes, its header describes ${expected}`);
  }

  let offset = align8(PREAMBLE_BYTES + headerLength);
  const columns = header.columns.map((column): DataColumn => {
    const start = offset;
    offset += blockBytes(column, rowCount);
    if (column.type === 'NUMERIC') {
      return { name: column.name, type: 'NUMERIC', values: readLittleEndian(new Float64Array(rowCount), bytes, start) };
    }
    return {
      name: column.name,
      type: 'CATEGORICAL',
      categories: column.categories ?? [],
      codes: readLittleEndian(new Int32Array(rowCount), bytes, start),
    };
  });
  return { rowCount, columns };
}

/** The values' bytes in little-endian order: their own memory on a little-endian host, a swapped copy otherwise. */
function littleEndian(values: Float64Array | Int32Array): Uint8Array {
  if (LITTLE_ENDIAN_HOST) return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  const out = new Uint8Array(values.byteLength);
  const view = new DataView(out.buffer);
  if (values instanceof Float64Array) values.forEach((value, i) => view.setFloat64(i * 8, value, true));
  else values.forEach((value, i) => view.setInt32(i * 4, value, true));
  return out;
}

function readLittleEndian<T extends Float64Array | Int32Array>(target: T, bytes: Uint8Array, offset: number): T {
  if (LITTLE_ENDIAN_HOST) {
    new Uint8Array(target.buffer).set(bytes.subarray(offset, offset + target.byteLength));
    return target;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, target.byteLength);
  if (target instanceof Float64Array) for (let i = 0; i < target.length; i++) target[i] = view.getFloat64(i * 8, true);
  else for (let i = 0; i < target.length; i++) target[i] = view.getInt32(i * 4, true);
  return target;
}
