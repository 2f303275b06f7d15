/**
 * Where an id column lies in an Arrow IPC record batch: its storage kind (Utf8/LargeUtf8 offsets
 * and bytes, or fixed-width integers) and the index of its field node and first buffer, counted
 * over the columns before it (Arrow columnar format v5: nodes and buffers depth-first); and, per
 * record batch, the absolute file positions of its buffers, checked against the batch's body.
 */
import { Type, type DataType, type Field, type Schema } from 'apache-arrow';
import { InputError } from '../errors.js';
import type { BatchHead } from './arrow-batch-header.js';

/** How the id column's values are stored. */
export type IdLayout = { readonly kind: 'utf8'; readonly offsetBytes: 4 | 8 } | { readonly kind: 'int'; readonly bytes: 1 | 2 | 4 | 8; readonly signed: boolean };

/** The id column's layout and the index of its field node and first buffer in every record batch. */
export function locateColumn(schema: Schema, column: string, file: string): { layout: IdLayout; nodeIndex: number; bufferIndex: number } {
  let nodeIndex = 0;
  let bufferIndex = 0;
  for (const field of schema.fields) {
    if (field.name === column) return { layout: layoutOf(field, file, column), nodeIndex, bufferIndex };
    const counted = countBuffers(field);
    if (counted === undefined) {
      throw new InputError(`column '${field.name}' (${String(field.type)}) comes before the id column '${column}' and its buffers cannot be counted; put the id column first`, {
        file,
      });
    }
    nodeIndex += counted.nodes;
    bufferIndex += counted.buffers;
  }
  const names = schema.fields.map((f) => `'${f.name}'`).join(', ');
  throw new InputError(`no id column '${column}' (the columns are ${names === '' ? 'none' : names})`, { file });
}

function layoutOf(field: Field, file: string, column: string): IdLayout {
  const type = field.type as DataType & { bitWidth?: number; isSigned?: boolean };
  switch (type.typeId) {
    case Type.Utf8:
      return { kind: 'utf8', offsetBytes: 4 };
    case Type.LargeUtf8:
      return { kind: 'utf8', offsetBytes: 8 };
    case Type.Int: {
      const bytes = (type.bitWidth ?? 0) / 8;
      if (bytes === 1 || bytes === 2 || bytes === 4 || bytes === 8) return { kind: 'int', bytes, signed: type.isSigned === true };
      break;
    }
    default:
      break;
  }
  throw new InputError(`id column '${column}' holds ${String(field.type)}; sample ids must be Utf8, LargeUtf8 or integers (a dictionary-encoded column: write it plain)`, { file });
}

/** Field nodes and buffers a field takes in a record batch (Arrow columnar format v5), undefined for kinds not counted. */
function countBuffers(field: Field): { nodes: number; buffers: number } | undefined {
  const type = field.type as DataType & { mode?: number };
  const own = ((): number | undefined => {
    switch (type.typeId) {
      case Type.Null:
        return 0;
      case Type.Int:
      case Type.Float:
      case Type.Bool:
      case Type.Decimal:
      case Type.Date:
      case Type.Time:
      case Type.Timestamp:
      case Type.Interval:
      case Type.Duration:
      case Type.FixedSizeBinary:
      case Type.Dictionary:
        return 2;
      case Type.Utf8:
      case Type.Binary:
      case Type.LargeUtf8:
      case Type.LargeBinary:
        return 3;
      case Type.List:
      case Type.LargeList:
      case Type.Map:
        return 2;
      case Type.FixedSizeList:
      case Type.Struct:
        return 1;
      case Type.Union:
        return type.mode === 1 ? 2 : 1;
      default:
        return undefined;
    }
  })();
  if (own === undefined) return undefined;
  let nodes = 1;
  let buffers = own;
  const children: readonly Field[] = (type as { children?: readonly Field[] }).children ?? [];
  for (const child of children) {
    const c = countBuffers(child);
    if (c === undefined) return undefined;
    nodes += c.nodes;
    buffers += c.buffers;
  }
  return { nodes, buffers };
}

/** Per record batch: first row, rows, nulls and absolute positions/lengths of the column's buffers. */
export interface BatchTable {
  rowStart: number[];
  rows: number[];
  nulls: number[];
  validity: number[];
  validityBytes: number[];
  offsets: number[];
  offsetsBytes: number[];
  values: number[];
  valuesBytes: number[];
}

/** Records one record batch's id buffers after checking they lie in its body and fit its rows. */
export function addBatch(
  table: BatchTable,
  batch: BatchHead,
  bodyStart: number,
  bodyLength: number,
  nodeIndex: number,
  bufferIndex: number,
  layout: IdLayout,
  rowStart: number,
  corrupt: (why: string) => InputError,
): void {
  if (batch.compressed) {
    throw corrupt('its buffers are compressed (LZ4/ZSTD), which cannot be read by row; write the id file uncompressed');
  }
  const rows = batch.length;
  if (nodeIndex >= batch.nodeCount) throw corrupt(`no field node for the id column (${batch.nodeCount} nodes)`);
  const [nodeRows, nulls] = batch.node(nodeIndex);
  if (nodeRows !== rows) throw corrupt(`the id column has ${nodeRows} rows, the batch ${rows}`);
  if (!(nulls >= 0 && nulls <= rows)) throw corrupt(`the id column has ${nulls} nulls in ${rows} rows`);
  const region = (k: number): [number, number] => {
    if (bufferIndex + k >= batch.bufferCount) throw corrupt(`the id column lacks buffer ${k}`);
    const [offset, length] = batch.buffer(bufferIndex + k);
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > bodyLength) {
      throw corrupt(`id buffer ${k} (offset ${offset}, ${length} bytes) lies outside the ${bodyLength}-byte body`);
    }
    return [bodyStart + offset, length];
  };
  const [validity, validityBytes] = region(0);
  if (nulls > 0 && validityBytes < Math.ceil(rows / 8)) throw corrupt(`validity bitmap of ${validityBytes} bytes for ${rows} rows with nulls`);
  const [first, firstBytes] = region(1);
  let offsets = -1;
  let offsetsBytes = 0;
  let values = first;
  let valuesBytes = firstBytes;
  if (layout.kind === 'utf8') {
    [offsets, offsetsBytes] = [first, firstBytes];
    [values, valuesBytes] = region(2);
    if (rows > 0 && offsetsBytes < (rows + 1) * layout.offsetBytes) throw corrupt(`${offsetsBytes} bytes of offsets for ${rows} ids`);
  } else if (valuesBytes < rows * layout.bytes) {
    throw corrupt(`${valuesBytes} bytes of values for ${rows} ids`);
  }
  table.rowStart.push(rowStart);
  table.rows.push(rows);
  table.nulls.push(nulls);
  table.validity.push(validity);
  table.validityBytes.push(validityBytes);
  table.offsets.push(offsets);
  table.offsetsBytes.push(offsetsBytes);
  table.values.push(values);
  table.valuesBytes.push(valuesBytes);
}
