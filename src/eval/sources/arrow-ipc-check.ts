/**
 * A structural check of an Arrow IPC file (`.arrow`, `.feather` v2) or stream (`.arrows`) before
 * any value is read: the message framing, the end-of-stream marker, the file footer, and each
 * record batch's buffers against its row count and the schema. Arrow carries no checksum, so a
 * changed value inside a data buffer cannot be seen; everything that says how many rows there are
 * and where they lie can, and a file that fails here is refused rather than read short or wrong.
 * Reads only message headers (bodies are skipped by position): memory is one header at a time.
 */
import type { FileHandle } from 'node:fs/promises';
import { Message, MessageHeader, Type, type DataType, type Field, type Schema } from 'apache-arrow';
import { Footer, type FileBlock } from 'apache-arrow/ipc/metadata/file';
import { InputError } from '../../core/errors.js';
import { footerBoundsProblem, messageBoundsProblem } from './arrow-flatbuffer-bounds.js';

/** One record batch as the check found it. */
export interface ArrowBatchLayout {
  /** Byte offset of the message (its continuation marker). */
  readonly offset: number;
  /** Rows the batch declares (and its buffers hold). */
  readonly rows: number;
  /** Absolute byte ranges `[start, end)` of the batch's buffers (validity, offsets, values). */
  readonly buffers: readonly (readonly [number, number])[];
}

/** What {@link checkArrowIpc} found. */
export interface ArrowLayout {
  readonly format: 'file' | 'stream';
  readonly batches: readonly ArrowBatchLayout[];
  /** Sum of the batches' rows. */
  readonly rows: number;
}

const MAGIC = Buffer.from('ARROW1');
/** Bytes of a float by Arrow precision (HALF, SINGLE, DOUBLE). */
const FLOAT_BYTES: readonly number[] = [2, 4, 8];
const CONTINUATION = 0xffffffff;

/**
 * Checks the structure of the Arrow IPC data in `handle` (`size` bytes); `file` names it in errors.
 *
 * @example
 * const layout = await checkArrowIpc(handle, (await handle.stat()).size, 'preds.arrows');
 * layout.rows; // rows the batches declare
 * @throws InputError naming the file: not Arrow IPC, a truncated stream (no end-of-stream
 *   marker), a message or buffer reaching past the end, a file footer missing or disagreeing
 *   with the messages, a buffer too short or too long for the rows and type it holds.
 */
export async function checkArrowIpc(handle: FileHandle, size: number, file: string): Promise<ArrowLayout> {
  const read = async (at: number, length: number): Promise<Buffer> => {
    const buf = Buffer.alloc(length);
    let done = 0;
    while (done < length) {
      const { bytesRead } = await handle.read(buf, done, length - done, at + done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    if (done < length) throw new InputError(`truncated Arrow data: needed ${length} bytes at byte ${at}, the file has ${size}`, { file });
    return buf;
  };
  if (size === 0) throw new InputError('empty file (0 bytes): not an Arrow IPC file or stream', { file });
  const head = await read(0, Math.min(size, 8));
  const isFile = head.length >= 6 && head.subarray(0, 6).equals(MAGIC);
  if (!isFile) return walkMessages(read, 0, size, file, 'stream');
  if (size < 8 + 10) throw new InputError(`truncated Arrow file: ${size} bytes, too short for the header and footer`, { file });
  const tail = await read(size - 10, 10);
  if (!tail.subarray(4).equals(MAGIC)) throw new InputError('truncated Arrow file: no ARROW1 magic at the end (the file was cut, or it is a stream: name it .arrows)', { file });
  const footerLength = tail.readInt32LE(0);
  const footerStart = size - 10 - footerLength;
  if (footerLength <= 0 || footerStart < 8) throw new InputError(`corrupt Arrow file: footer length ${footerLength} does not fit in ${size} bytes`, { file });
  let footer: InstanceType<typeof Footer>;
  let blocks: FileBlock[];
  try {
    const bytes = await read(footerStart, footerLength);
    const problem = footerBoundsProblem(bytes);
    if (problem !== undefined) throw new Error(problem);
    footer = Footer.decode(bytes);
    blocks = [...footer.recordBatches()];
  } catch (err) {
    throw new InputError(`corrupt Arrow file footer: ${err instanceof Error ? err.message : String(err)}`, { file });
  }
  // The footer holds the schema; a schema message before the batches (optional in files) must agree.
  checkSchema(footer.schema, (why) => new InputError(`corrupt Arrow file footer: ${why}`, { file }));
  const layout = await walkMessages(read, 8, footerStart, file, 'file', footer.schema);
  const disagree = (why: string): InputError => new InputError(`corrupt Arrow file: the footer disagrees with the messages (${why})`, { file });
  if (blocks.length !== layout.batches.length) throw disagree(`${blocks.length} record batches listed, ${layout.batches.length} found`);
  blocks.forEach((b, i) => {
    const found = layout.batches[i];
    if (found === undefined || Number(b.offset) !== found.offset) throw disagree(`record batch ${i} at byte ${Number(b.offset)}, found at ${found?.offset ?? 'none'}`);
  });
  return { format: 'file', batches: layout.batches, rows: layout.rows };
}

type Reader = (at: number, length: number) => Promise<Buffer>;

/** Walks the encapsulated messages in `[start, end)`: schema first, then dictionaries and batches. */
async function walkMessages(read: Reader, start: number, end: number, file: string, format: 'file' | 'stream', footerSchema?: Schema): Promise<ArrowLayout> {
  const batches: ArrowBatchLayout[] = [];
  let schema: Schema | undefined = footerSchema;
  let schemaMessages = 0;
  let framing: number | undefined;
  let rows = 0;
  let pos = start;
  const truncated = (): InputError =>
    new InputError(`truncated Arrow ${format}: no end-of-stream marker after ${rows} rows in ${batches.length} record batches (the ${format} was cut at byte ${pos})`, { file });
  for (;;) {
    if (pos === end) {
      // A file may end its messages right at the footer; a stream must close with the marker.
      if (format === 'file' && schema !== undefined) break;
      throw truncated();
    }
    if (pos + 4 > end) throw truncated();
    let word = (await read(pos, 4)).readUInt32LE(0);
    let prefix = 4;
    if (word === CONTINUATION) {
      if (pos + 8 > end) throw truncated();
      word = (await read(pos + 4, 4)).readUInt32LE(0);
      prefix = 8;
    }
    // One framing throughout: every message with the continuation marker (Arrow ≥ 0.15), or none.
    framing ??= prefix;
    if (prefix !== framing)
      throw new InputError(
        `corrupt Arrow ${format}: message at byte ${pos} is framed ${prefix === 8 ? 'with' : 'without'} a continuation marker, the first ${framing === 8 ? 'with' : 'without'}`,
        { file },
      );
    if (word === 0) {
      pos += prefix;
      if (pos !== end) throw new InputError(`corrupt Arrow ${format}: ${end - pos} bytes after the end-of-stream marker`, { file });
      if (schema === undefined) throw new InputError(`not an Arrow IPC ${format}: it ends before a schema`, { file });
      break;
    }
    const metaLength = word;
    if (metaLength > 0x7fffffff || pos + prefix + metaLength > end) {
      if (schema === undefined) throw new InputError('not an Arrow IPC file or stream (no schema message at the start)', { file });
      throw truncated();
    }
    let message: Message;
    try {
      const meta = await read(pos + prefix, metaLength);
      const problem = messageBoundsProblem(meta);
      if (problem !== undefined) throw new Error(problem);
      message = Message.decode(meta);
    } catch (err) {
      throw new InputError(
        `${schema === undefined ? 'not an Arrow IPC file or stream' : `corrupt Arrow message at byte ${pos}`}: ${err instanceof Error ? err.message : String(err)}`,
        { file },
      );
    }
    const bodyStart = pos + prefix + metaLength;
    const bodyLength = Number(message.bodyLength);
    if (!Number.isSafeInteger(bodyLength) || bodyLength < 0) throw new InputError(`corrupt Arrow message at byte ${pos}: body length ${bodyLength}`, { file });
    // The format pads metadata and body to 8 bytes, so every body starts 8-aligned.
    if ((prefix + metaLength) % 8 !== 0 || bodyLength % 8 !== 0) {
      throw new InputError(`corrupt Arrow ${format}: message at byte ${pos} has ${metaLength} metadata and ${bodyLength} body bytes, not padded to 8`, { file });
    }
    if (bodyStart + bodyLength > end) throw truncated();
    const corrupt = (why: string): InputError => new InputError(`corrupt Arrow ${format}: message at byte ${pos}: ${why}`, { file });
    try {
      if (message.headerType === MessageHeader.Schema) {
        const own = message.header() as Schema;
        checkSchema(own, corrupt);
        if (schemaMessages > 0 || batches.length > 0) throw corrupt('a second schema');
        if (schema !== undefined && schemaText(own) !== schemaText(schema)) throw corrupt('its schema disagrees with the footer');
        schemaMessages++;
        schema = own;
      } else if (message.headerType === MessageHeader.RecordBatch || message.headerType === MessageHeader.DictionaryBatch) {
        if (schema === undefined) throw new InputError(`not an Arrow IPC ${format}: a record batch before the schema`, { file });
        const isBatch = message.headerType === MessageHeader.RecordBatch;
        const header = isBatch ? (message.header() as BatchHeader) : (message.header() as { data: BatchHeader }).data;
        const buffers = checkBuffers(header, bodyStart, bodyLength, corrupt);
        if (isBatch) {
          checkColumns(header, schema, corrupt);
          const n = Number(header.length);
          batches.push({ offset: pos, rows: n, buffers });
          rows += n;
        }
      } else {
        throw corrupt(`unknown message type ${String(message.headerType)}`);
      }
    } catch (err) {
      if (err instanceof InputError) throw err;
      throw corrupt(err instanceof Error ? err.message : String(err));
    }
    pos = bodyStart + bodyLength;
  }
  return { format, batches, rows };
}

interface BatchHeader {
  readonly length: number | bigint;
  readonly nodes: readonly { readonly length: number | bigint; readonly nullCount: number | bigint }[];
  readonly buffers: readonly { readonly offset: number | bigint; readonly length: number | bigint }[];
  readonly compression: unknown;
}

/** Every buffer lies inside the body and no two overlap; returns their absolute ranges. */
function checkBuffers(header: BatchHeader, bodyStart: number, bodyLength: number, corrupt: (why: string) => InputError): [number, number][] {
  const ranges: [number, number][] = [];
  let last = 0;
  header.buffers.forEach((b, i) => {
    const offset = Number(b.offset);
    const length = Number(b.length);
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > bodyLength) {
      throw corrupt(`buffer ${i} (offset ${offset}, ${length} bytes) lies outside the ${bodyLength}-byte body`);
    }
    if (length > 0 && offset < last) throw corrupt(`buffer ${i} (offset ${offset}) overlaps the buffer before it`);
    if (length > 0) last = offset + length;
    ranges.push([bodyStart + offset, bodyStart + offset + length]);
  });
  return ranges;
}

/**
 * Top-level columns hold the batch's row count; each column's buffers fit its rows and type
 * (fixed-width values need rows × width bytes, padded to at most the next multiple of 64), and
 * when every column's type is a flat one, the batch has exactly their buffers.
 */
function checkColumns(header: BatchHeader, schema: Schema, corrupt: (why: string) => InputError): void {
  const rows = Number(header.length);
  if (!Number.isSafeInteger(rows) || rows < 0) throw corrupt(`row count ${rows}`);
  let node = 0;
  let buffer = 0;
  const plain = header.compression === null || header.compression === undefined;
  const visit = (field: Field, expectRows: number | undefined): boolean => {
    const n = header.nodes[node];
    if (n === undefined) throw corrupt(`no field node for column '${field.name}'`);
    node++;
    const length = Number(n.length);
    const nulls = Number(n.nullCount);
    if (expectRows !== undefined && length !== expectRows) throw corrupt(`column '${field.name}' has ${length} rows, the batch ${expectRows}`);
    if (!(nulls >= 0 && nulls <= length)) throw corrupt(`column '${field.name}' has ${nulls} nulls in ${length} rows`);
    const widths = layoutOf(field.type as DataType, length);
    if (widths === undefined) return false; // nested or rare types: generic checks only
    for (const [k, need] of widths.entries()) {
      const b = header.buffers[buffer];
      if (b === undefined) throw corrupt(`column '${field.name}' lacks buffer ${k}`);
      buffer++;
      const have = Number(b.length);
      if (!plain || need === undefined) continue;
      if (k === 0) {
        if (nulls > 0 && have < Math.ceil(length / 8)) throw corrupt(`column '${field.name}': validity bitmap of ${have} bytes for ${length} rows with nulls`);
        continue;
      }
      // Writers pad a buffer to 8 or 64 bytes; more than that means the type or row count is not what wrote it.
      if (have < need || have > Math.max(64, Math.ceil(need / 64) * 64)) {
        throw corrupt(`column '${field.name}': buffer of ${have} bytes, expected ${need} for ${length} rows of ${String(field.type)}`);
      }
    }
    return true;
  };
  for (const field of schema.fields) {
    if (!visit(field, rows)) return; // buffer positions of later columns are unknown past a nested one
  }
  if (node !== header.nodes.length) throw corrupt(`${header.nodes.length} field nodes for ${node} columns`);
  if (buffer !== header.buffers.length) throw corrupt(`${header.buffers.length} buffers where the schema's columns have ${buffer}`);
}

/**
 * Bytes each buffer of a flat column of `rows` rows needs: `[validity, …]`, `undefined` where the
 * size depends on the data (string bytes); the whole result `undefined` for types not checked.
 */
function layoutOf(type: DataType, rows: number): (number | undefined)[] | undefined {
  const t = type as DataType & { bitWidth?: number; precision?: number; unit?: number; byteWidth?: number; indices?: DataType };
  switch (type.typeId) {
    case Type.Null:
      return [];
    case Type.Int:
    case Type.Time:
    case Type.Decimal:
      return [undefined, (rows * (t.bitWidth ?? 0)) / 8];
    case Type.Float:
      return [undefined, rows * (FLOAT_BYTES[t.precision ?? 2] ?? 8)];
    case Type.Date:
      return [undefined, rows * (t.unit === 0 ? 4 : 8)];
    case Type.Interval:
      return [undefined, rows * ([4, 8, 16][t.unit ?? 0] ?? 16)];
    case Type.Timestamp:
    case Type.Duration:
      return [undefined, rows * 8];
    case Type.Bool:
      return [undefined, Math.ceil(rows / 8)];
    case Type.FixedSizeBinary:
      return [undefined, rows * (t.byteWidth ?? 0)];
    case Type.Utf8:
    case Type.Binary:
      return [undefined, rows === 0 ? undefined : (rows + 1) * 4, undefined];
    case Type.LargeUtf8:
    case Type.LargeBinary:
      return [undefined, rows === 0 ? undefined : (rows + 1) * 8, undefined];
    case Type.Dictionary:
      return t.indices === undefined ? undefined : layoutOf(t.indices, rows);
    default:
      return undefined;
  }
}

/** Every field has a name (a flatbuffer string) and a known type. */
function checkSchema(schema: Schema, corrupt: (why: string) => InputError): void {
  if (!Array.isArray(schema.fields)) throw corrupt('schema without fields');
  schema.fields.forEach((f, i) => {
    if (typeof f.name !== 'string') throw corrupt(`field ${i} has no name`);
    const type = f.type as DataType | null | undefined;
    if (type === null || type === undefined || typeof type.typeId !== 'number') throw corrupt(`field '${f.name}' has no type`);
  });
}

/** The schema as comparable text (names, types, nullability). */
function schemaText(schema: Schema): string {
  return schema.fields.map((f) => `${f.name}:${String(f.type)}:${f.nullable}`).join('|');
}
