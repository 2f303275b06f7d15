/**
 * The few fields of an Arrow IPC message header that reading ids by row needs — the message
 * type, the body length and, for a record batch, its row count, one field node and a few buffer
 * regions — read straight from the flatbuffer (Message.fbs, Schema.fbs) without building the
 * whole header. A 10^8-row file has thousands of record batches; decoding each header in full
 * (every node and buffer as an object) costs ten times more than reading the ones used. Every
 * read is bounds-checked by the DataView: a damaged header throws a RangeError.
 */

/** Message.fbs header types. */
export const HEADER_SCHEMA = 1;
export const HEADER_DICTIONARY_BATCH = 2;
export const HEADER_RECORD_BATCH = 3;

/** Slots of the tables read (field order in Message.fbs). */
const MESSAGE = { headerType: 1, header: 2, bodyLength: 3 } as const;
const RECORD_BATCH = { length: 0, nodes: 1, buffers: 2, compression: 3 } as const;
/** FieldNode { length: long, null_count: long } and Buffer { offset: long, length: long } are 16-byte structs. */
const STRUCT_BYTES = 16;

/** A record batch header, read lazily. */
export interface BatchHead {
  readonly length: number;
  /** Field nodes and buffers in the batch. */
  readonly nodeCount: number;
  readonly bufferCount: number;
  /** True when the body's buffers are compressed. */
  readonly compressed: boolean;
  /** Field node `i`: `[length, nullCount]`. */
  node(i: number): readonly [number, number];
  /** Buffer `i`: `[offset, length]` within the body. */
  buffer(i: number): readonly [number, number];
}

/** What a message header says. */
export interface MessageHead {
  readonly headerType: number;
  readonly bodyLength: number;
  /** Present for a record batch. */
  readonly batch?: BatchHead;
}

/**
 * Reads a message header (the flatbuffer after the length prefix).
 * @example
 * const head = readMessageHead(metadataBytes);
 * if (head.batch !== undefined) head.batch.node(0); // [rows, nulls] of the first column
 * @throws {RangeError} when an offset points outside the bytes or a number is not a safe integer.
 */
export function readMessageHead(bytes: Uint8Array): MessageHead {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u32 = (pos: number): number => view.getUint32(pos, true);
  const i64 = (pos: number): number => {
    const value = Number(view.getBigInt64(pos, true));
    if (!Number.isSafeInteger(value)) throw new RangeError(`a 64-bit value at byte ${pos} of the header is too large`);
    return value;
  };
  /** Absolute position of field `slot` of the table at `table`, or undefined when absent. */
  const field = (table: number, slot: number): number | undefined => {
    const vtable = table - view.getInt32(table, true);
    const size = view.getUint16(vtable, true);
    const at = 4 + 2 * slot;
    if (at + 2 > size) return undefined;
    const offset = view.getUint16(vtable + at, true);
    return offset === 0 ? undefined : table + offset;
  };
  const indirect = (pos: number): number => pos + u32(pos);
  /** Start and count of a vector of 16-byte structs, bounds-checked once. */
  const structs = (pos: number | undefined): [number, number] => {
    if (pos === undefined) return [0, 0];
    const vec = indirect(pos);
    const count = u32(vec);
    if (vec + 4 + count * STRUCT_BYTES > bytes.byteLength) throw new RangeError(`a vector of ${count} structs at byte ${vec} runs past the ${bytes.byteLength}-byte header`);
    return [vec + 4, count];
  };

  const root = u32(0);
  const typeAt = field(root, MESSAGE.headerType);
  const headerType = typeAt === undefined ? 0 : view.getUint8(typeAt);
  const bodyAt = field(root, MESSAGE.bodyLength);
  const bodyLength = bodyAt === undefined ? 0 : i64(bodyAt);
  if (headerType !== HEADER_RECORD_BATCH) return { headerType, bodyLength };
  const headerAt = field(root, MESSAGE.header);
  if (headerAt === undefined) throw new RangeError('a record batch message without its header');
  const batch = indirect(headerAt);
  const lengthAt = field(batch, RECORD_BATCH.length);
  const [nodes, nodeCount] = structs(field(batch, RECORD_BATCH.nodes));
  const [buffers, bufferCount] = structs(field(batch, RECORD_BATCH.buffers));
  const pair = (start: number, count: number, i: number, what: string): readonly [number, number] => {
    if (!(Number.isInteger(i) && i >= 0 && i < count)) throw new RangeError(`${what} ${i} of ${count}`);
    const at = start + i * STRUCT_BYTES;
    return [i64(at), i64(at + 8)];
  };
  return {
    headerType,
    bodyLength,
    batch: {
      length: lengthAt === undefined ? 0 : i64(lengthAt),
      nodeCount,
      bufferCount,
      compressed: field(batch, RECORD_BATCH.compression) !== undefined,
      node: (i) => pair(nodes, nodeCount, i, 'field node'),
      buffer: (i) => pair(buffers, bufferCount, i, 'buffer'),
    },
  };
}
