/**
 * Sample ids read by row from an Arrow IPC file (`.arrow`) or stream (`.arrows`) on disk, for id
 * sets larger than memory. Opening walks the message headers once (bodies are skipped by
 * position) and keeps, per record batch, where the id column's buffers lie: memory is a few
 * numbers per record batch, whatever the number of rows. `at(row)` then reads that row's offsets
 * and bytes with positioned reads (two or three `pread`s, synchronous), so a dataset decodes an
 * id only when its sample is made.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { Message, MessageHeader, type Schema } from 'apache-arrow';
import { Footer } from 'apache-arrow/ipc/metadata/file';
import { FuseflowError, InputError } from '../core/errors.js';
import { HEADER_DICTIONARY_BATCH, HEADER_SCHEMA, readMessageHead, type MessageHead } from './arrow-batch-header.js';
import { addBatch, locateColumn, type BatchTable, type IdLayout } from './arrow-id-layout.js';
import type { IdColumn } from './id-column.js';

/** Options of {@link idsFromArrowFile}. */
export interface IdsFromArrowFileOptions {
  /** The column holding the ids (Utf8, LargeUtf8 or an integer type). Default `'id'`. */
  readonly column?: string;
}

/** Ids read from an Arrow file; holds the file open until {@link ArrowFileIds.close}. */
export interface ArrowFileIds extends IdColumn {
  readonly file: string;
  readonly column: string;
  /** Record batches in the file. */
  readonly batches: number;
  /** The first row holding `id`, or -1: scans the column one record batch at a time. */
  indexOf(id: string): number;
  /** Closes the file; `at` afterwards throws. Idempotent. */
  close(): void;
}

const MAGIC = Buffer.from('ARROW1');
const CONTINUATION = 0xffffffff;
/** Largest message header read (a header holds a few numbers per column). */
const MAX_HEADER_BYTES = 64 * 1024 * 1024;
/** Longest id decoded (bytes): a longer one is a damaged offset rather than an id. */
const MAX_ID_BYTES = 1 << 20;

/**
 * Opens an Arrow IPC file or stream for reading ids by row. The column must be Utf8, LargeUtf8 or
 * an integer type (integers are written in decimal), in uncompressed record batches. Ids are not
 * checked for uniqueness (that would hold them all): give each row its own id.
 * @example
 * const ids = idsFromArrowFile('ids.arrow', { column: 'id' });
 * const ds = dataset({ ids, source: readVolume });
 * for await (const s of ds.stream({ epoch: 0, seed: 1 })) train(s);
 * ids.close();
 * @throws {InputError} naming the file: not Arrow IPC, truncated or damaged headers, no such
 *   column (the columns are listed), an unsupported type, compressed batches; `at` throws one for
 *   a null id or damaged offsets, naming the row.
 */
export function idsFromArrowFile(file: string, options: IdsFromArrowFileOptions = {}): ArrowFileIds {
  const column = options.column ?? 'id';
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (err) {
    throw new InputError(`cannot open the id file: ${err instanceof Error ? err.message : String(err)}`, { file });
  }
  try {
    return openedIds(fd, file, column);
  } catch (err) {
    closeSync(fd);
    throw err;
  }
}

function openedIds(fd: number, file: string, column: string): ArrowFileIds {
  const size = fstatSync(fd).size;
  const where = `${file}, column '${column}'`;
  const fail = (why: string): InputError => new InputError(why, { file });
  const read = (at: number, length: number, into: Buffer = Buffer.allocUnsafe(length)): Buffer => {
    let done = 0;
    while (done < length) {
      const n = readSync(fd, into, done, length - done, at + done);
      if (n === 0) break;
      done += n;
    }
    if (done < length) throw fail(`truncated Arrow data: needed ${length} bytes at byte ${at}, the file has ${size}`);
    return into;
  };

  const isFile = size >= 6 && read(0, 6).equals(MAGIC);
  let start = 0;
  let end = size;
  let layout: IdLayout | undefined;
  let nodeIndex = -1;
  let bufferIndex = -1;
  let fields = '';
  const names = (schema: Schema): string => schema.fields.map((f) => f.name).join('\u0000');
  if (isFile) {
    // A file's schema is in its footer (a schema message before the batches is optional).
    if (size < 18 || !read(size - 6, 6).equals(MAGIC)) throw fail('truncated Arrow file: no ARROW1 magic at the end');
    const footerLength = read(size - 10, 4).readInt32LE(0);
    start = 8;
    end = size - 10 - footerLength;
    if (footerLength <= 0 || footerLength > MAX_HEADER_BYTES || end < start) throw fail(`corrupt Arrow file: footer length ${footerLength} does not fit in ${size} bytes`);
    let schema: Schema;
    try {
      schema = Footer.decode(read(end, footerLength)).schema;
    } catch (err) {
      throw fail(`corrupt Arrow file footer: ${err instanceof Error ? err.message : String(err)}`);
    }
    ({ layout, nodeIndex, bufferIndex } = locateColumn(schema, column, file));
    fields = names(schema);
  }

  const table: BatchTable = { rowStart: [], rows: [], nulls: [], validity: [], validityBytes: [], offsets: [], offsetsBytes: [], values: [], valuesBytes: [] };
  let total = 0;
  const lengthPrefix = Buffer.alloc(8);
  for (let pos = start; pos < end;) {
    if (pos + 4 > end) throw fail(`truncated Arrow data at byte ${pos}`);
    // One read for the prefix: a continuation marker and a length, or (before Arrow 0.15) a length.
    read(pos, Math.min(8, end - pos), lengthPrefix);
    let length = lengthPrefix.readUInt32LE(0);
    let prefix = 4;
    if (length === CONTINUATION) {
      if (pos + 8 > end) throw fail(`truncated Arrow data at byte ${pos}`);
      length = lengthPrefix.readUInt32LE(4);
      prefix = 8;
    }
    if (length === 0) break; // end-of-stream marker
    if (length > MAX_HEADER_BYTES || pos + prefix + length > end) throw fail(`corrupt or truncated Arrow data: a ${length}-byte message header at byte ${pos}`);
    const meta = read(pos + prefix, length);
    let head: MessageHead;
    try {
      head = readMessageHead(meta);
    } catch (err) {
      throw fail(`${layout === undefined ? 'not an Arrow IPC file or stream' : `corrupt Arrow message at byte ${pos}`}: ${err instanceof Error ? err.message : String(err)}`);
    }
    const bodyStart = pos + prefix + length;
    const bodyLength = head.bodyLength;
    if (!Number.isSafeInteger(bodyLength) || bodyLength < 0 || bodyStart + bodyLength > end)
      throw fail(`corrupt or truncated Arrow data: message at byte ${pos} has a ${bodyLength}-byte body`);
    if (head.headerType === HEADER_SCHEMA) {
      const schema = schemaOf(meta, (why) => fail(`not an Arrow IPC file or stream: ${why}`));
      if (layout !== undefined && (table.rows.length > 0 || names(schema) !== fields))
        throw fail(`corrupt Arrow data: a second schema, or one unlike the footer's, at byte ${pos}`);
      ({ layout, nodeIndex, bufferIndex } = locateColumn(schema, column, file));
      fields = names(schema);
    } else if (head.batch !== undefined) {
      if (layout === undefined) throw fail('not an Arrow IPC file or stream: a record batch before the schema');
      const batch = head.batch;
      const corrupt = (why: string): InputError => fail(`corrupt Arrow record batch at byte ${pos}: ${why}`);
      try {
        addBatch(table, batch, bodyStart, bodyLength, nodeIndex, bufferIndex, layout, total, corrupt);
      } catch (err) {
        throw err instanceof InputError ? err : corrupt(err instanceof Error ? err.message : String(err));
      }
      total += batch.length;
    } else if (head.headerType !== HEADER_DICTIONARY_BATCH) {
      throw fail(`corrupt Arrow data: unknown message type ${head.headerType} at byte ${pos}`);
    }
    pos = bodyStart + bodyLength;
  }
  if (layout === undefined) throw fail('not an Arrow IPC file or stream (no schema message)');
  const idLayout: IdLayout = layout;
  return columnReader(fd, file, column, where, idLayout, table, total, read);
}

/** The schema of a schema message, decoded by apache-arrow. */
function schemaOf(meta: Buffer, fail: (why: string) => InputError): Schema {
  try {
    const message = Message.decode(meta);
    if (message.headerType !== MessageHeader.Schema) throw new Error('not a schema message');
    return message.header() as Schema;
  } catch (err) {
    throw fail(err instanceof Error ? err.message : String(err));
  }
}

type Read = (at: number, length: number, into?: Buffer) => Buffer;

function columnReader(fd: number, file: string, column: string, where: string, layout: IdLayout, t: BatchTable, total: number, read: Read): ArrowFileIds {
  const starts = Float64Array.from(t.rowStart);
  let open = true;
  let last = 0;
  const word = Buffer.alloc(16);
  let bytes = Buffer.alloc(256);
  const fail = (why: string): InputError => new InputError(`${where}: ${why}`, { file });

  /** Record batch holding `row` (the last one found first: sequential reads stay O(1)). */
  const batchOf = (row: number): number => {
    const s = starts[last] as number;
    if (row >= s && row < s + (t.rows[last] as number)) return last;
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if ((starts[mid] as number) <= row) lo = mid;
      else hi = mid - 1;
    }
    // Skip empty batches that share a start with the one holding the row.
    while ((t.rows[lo] as number) === 0 || row >= (starts[lo] as number) + (t.rows[lo] as number)) lo++;
    return (last = lo);
  };

  const isNull = (b: number, local: number): boolean => {
    if ((t.nulls[b] as number) === 0) return false;
    const bits = read((t.validity[b] as number) + (local >>> 3), 1, word)[0] as number;
    return (bits & (1 << (local & 7))) === 0;
  };

  const at = (row: number): string => {
    if (!open) throw new FuseflowError(`${where}: the id file was closed`);
    if (!Number.isInteger(row) || row < 0 || row >= total) throw new RangeError(`${where}: row ${String(row)} is outside [0, ${total})`);
    const b = batchOf(row);
    const local = row - (starts[b] as number);
    if (isNull(b, local)) throw fail(`row ${row} holds no sample id (null)`);
    if (layout.kind === 'int') {
      read((t.values[b] as number) + local * layout.bytes, layout.bytes, word);
      return intText(word, layout);
    }
    const w = layout.offsetBytes;
    read((t.offsets[b] as number) + local * w, 2 * w, word);
    const from = w === 4 ? word.readInt32LE(0) : Number(word.readBigInt64LE(0));
    const to = w === 4 ? word.readInt32LE(4) : Number(word.readBigInt64LE(8));
    const length = to - from;
    if (!(from >= 0 && to >= from && to <= (t.valuesBytes[b] as number)))
      throw fail(`row ${row} has offsets ${from}..${to} outside its ${t.valuesBytes[b] as number}-byte values buffer (damaged file)`);
    if (length > MAX_ID_BYTES) throw fail(`row ${row} holds a ${length}-byte id, more than ${MAX_ID_BYTES} (damaged offsets?)`);
    if (length > bytes.length) bytes = Buffer.alloc(Math.max(length, 2 * bytes.length));
    read((t.values[b] as number) + from, length, bytes);
    return bytes.toString('utf8', 0, length);
  };

  const indexOf = (id: string): number => {
    if (!open) throw new FuseflowError(`${where}: the id file was closed`);
    const target = Buffer.from(id, 'utf8');
    for (let b = 0; b < starts.length; b++) {
      const rows = t.rows[b] as number;
      if (rows === 0) continue;
      const validity = (t.nulls[b] as number) > 0 ? read(t.validity[b] as number, Math.ceil(rows / 8)) : undefined;
      const valid = (j: number): boolean => validity === undefined || ((validity[j >>> 3] as number) & (1 << (j & 7))) !== 0;
      if (layout.kind === 'int') {
        const values = read(t.values[b] as number, rows * layout.bytes);
        for (let j = 0; j < rows; j++) if (valid(j) && intText(values.subarray(j * layout.bytes), layout) === id) return (starts[b] as number) + j;
        continue;
      }
      const w = layout.offsetBytes;
      const offsets = read(t.offsets[b] as number, (rows + 1) * w);
      const values = read(t.values[b] as number, t.valuesBytes[b] as number);
      const offsetAt = (j: number): number => (w === 4 ? offsets.readInt32LE(4 * j) : Number(offsets.readBigInt64LE(8 * j)));
      for (let j = 0; j < rows; j++) {
        const from = offsetAt(j);
        const to = offsetAt(j + 1);
        if (to - from === target.length && valid(j) && values.compare(target, 0, target.length, from, to) === 0) return (starts[b] as number) + j;
      }
    }
    return -1;
  };

  return {
    file,
    column,
    label: where,
    length: total,
    batches: starts.length,
    at,
    indexOf,
    close: () => {
      if (open) closeSync(fd);
      open = false;
    },
  };
}

/** The decimal text of one little-endian integer at the start of `buf`. */
function intText(buf: Buffer, layout: { readonly bytes: 1 | 2 | 4 | 8; readonly signed: boolean }): string {
  switch (layout.bytes) {
    case 1:
      return String(layout.signed ? buf.readInt8(0) : buf.readUInt8(0));
    case 2:
      return String(layout.signed ? buf.readInt16LE(0) : buf.readUInt16LE(0));
    case 4:
      return String(layout.signed ? buf.readInt32LE(0) : buf.readUInt32LE(0));
    default:
      return String(layout.signed ? buf.readBigInt64LE(0) : buf.readBigUInt64LE(0));
  }
}
