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
import { FuseflowError, InputError } from '../errors.js';
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
  /** The first row holding `id`, or -1: scans the column in bounded chunks. */
  indexOf(id: string): number;
  /** Every id in row order, read in chunks of at most 8,192 rows and 4 MiB. */
  scan(): Generator<string>;
  /** Closes the file; `at` afterwards throws. Idempotent. */
  close(): void;
}

const MAGIC = Buffer.from('ARROW1');
const CONTINUATION = 0xffffffff;
/** Largest message header read (a header holds a few numbers per column). */
const MAX_HEADER_BYTES = 64 * 1024 * 1024;
/** Longest id decoded (bytes): a longer one is a damaged offset rather than an id. */
const MAX_ID_BYTES = 1 << 20;
/** Most rows a scan (`scan`, `indexOf`) reads at once. */
const SCAN_ROWS = 8192;
/** Most value bytes a scan reads at once (a single longer id, up to MAX_ID_BYTES, is read alone). */
const SCAN_BYTES = 4 * 1024 * 1024;

/** Rows `start … start + rows - 1` of the column, as a scan reads them (valid until the next chunk). */
interface Chunk {
  readonly start: number;
  readonly rows: number;
  /** False for a null row (`j` counts from `start`). */
  valid(j: number): boolean;
  text(j: number): string;
  /** Row `j` holds exactly the UTF-8 bytes `id`. */
  equals(j: number, id: Buffer): boolean;
}

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

  /**
   * The column's rows a chunk at a time: at most SCAN_ROWS rows and (past the first row)
   * SCAN_BYTES of values per chunk, read into buffers of this pass, checked like `at` reads them.
   */
  function* chunks(): Generator<Chunk> {
    let validity: Buffer = Buffer.alloc(0);
    let offsets: Buffer = Buffer.alloc(0);
    let values: Buffer = Buffer.alloc(0);
    const into = (buf: Buffer, length: number): Buffer => (length <= buf.length ? buf : Buffer.alloc(Math.max(length, 2 * buf.length)));
    for (let b = 0; b < starts.length; b++) {
      const batchRows = t.rows[b] as number;
      for (let first = 0; first < batchRows;) {
        if (!open) throw new FuseflowError(`${where}: the id file was closed`);
        const start = (starts[b] as number) + first;
        let rows = Math.min(SCAN_ROWS, batchRows - first);
        const bit0 = first & 7;
        let valid: (j: number) => boolean = () => true;
        if ((t.nulls[b] as number) > 0) {
          const length = (bit0 + rows + 7) >>> 3;
          validity = into(validity, length);
          const bits = read((t.validity[b] as number) + (first >>> 3), length, validity);
          valid = (j) => (((bits[(bit0 + j) >>> 3] as number) >>> ((bit0 + j) & 7)) & 1) === 1;
        }
        let chunk: Chunk;
        if (layout.kind === 'int') {
          const width = layout.bytes;
          values = into(values, rows * width);
          const v = read((t.values[b] as number) + first * width, rows * width, values);
          const text = (j: number): string => intText(v.subarray(j * width), layout);
          chunk = { start, rows, valid, text, equals: (j, id) => text(j) === id.toString('utf8') };
        } else {
          const w = layout.offsetBytes;
          offsets = into(offsets, (rows + 1) * w);
          const o = read((t.offsets[b] as number) + first * w, (rows + 1) * w, offsets);
          const offsetAt = (j: number): number => (w === 4 ? o.readInt32LE(4 * j) : Number(o.readBigInt64LE(8 * j)));
          const base = offsetAt(0);
          const size = t.valuesBytes[b] as number;
          let next = base;
          for (let j = 0; j < rows; j++) {
            const from = next;
            next = offsetAt(j + 1);
            if (!(from >= 0 && next >= from && next <= size)) throw fail(`row ${start + j} has offsets ${from}..${next} outside its ${size}-byte values buffer (damaged file)`);
            if (next - from > MAX_ID_BYTES) throw fail(`row ${start + j} holds a ${next - from}-byte id, more than ${MAX_ID_BYTES} (damaged offsets?)`);
            if (j > 0 && next - base > SCAN_BYTES) {
              rows = j;
              break;
            }
          }
          const span = offsetAt(rows) - base;
          values = into(values, span);
          const v = read((t.values[b] as number) + base, span, values);
          chunk = {
            start,
            rows,
            valid,
            text: (j) => v.toString('utf8', offsetAt(j) - base, offsetAt(j + 1) - base),
            equals: (j, id) => {
              const from = offsetAt(j) - base;
              const to = offsetAt(j + 1) - base;
              return to - from === id.length && v.compare(id, 0, id.length, from, to) === 0;
            },
          };
        }
        yield chunk;
        first += rows;
      }
    }
  }

  const indexOf = (id: string): number => {
    if (!open) throw new FuseflowError(`${where}: the id file was closed`);
    const target = Buffer.from(id, 'utf8');
    for (const c of chunks()) for (let j = 0; j < c.rows; j++) if (c.valid(j) && c.equals(j, target)) return c.start + j;
    return -1;
  };

  function* scan(): Generator<string> {
    if (!open) throw new FuseflowError(`${where}: the id file was closed`);
    for (const c of chunks()) {
      for (let j = 0; j < c.rows; j++) {
        if (!c.valid(j)) throw fail(`row ${c.start + j} holds no sample id (null)`);
        yield c.text(j);
      }
    }
  }

  return {
    file,
    column,
    label: where,
    length: total,
    batches: starts.length,
    at,
    indexOf,
    scan,
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
