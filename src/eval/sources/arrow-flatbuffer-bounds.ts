/**
 * Bounds of the flatbuffers in Arrow IPC metadata (a message header, the file footer), checked
 * before apache-arrow decodes them: every table, vector and string must lie inside the bytes. A
 * damaged length (one flipped bit can make a 2-field schema claim 1.3 billion fields) would
 * otherwise make the decoder allocate until the process runs out of memory. Reads only the
 * offsets and lengths Arrow's schema (Message.fbs, Schema.fbs, File.fbs) defines.
 */

/** Field slots of the Arrow flatbuffer tables that hold vectors or sub-tables. */
const MESSAGE = { header: 2, customMetadata: 4 } as const;
const SCHEMA = { fields: 1, customMetadata: 2, features: 3 } as const;
const FIELD = { name: 0, type: 3, dictionary: 4, children: 5, customMetadata: 6 } as const;
const RECORD_BATCH = { nodes: 1, buffers: 2, compression: 3, variadicCounts: 4 } as const;
const DICTIONARY_BATCH = { data: 1 } as const;
const FOOTER = { schema: 1, dictionaries: 2, recordBatches: 3, customMetadata: 4 } as const;
/** Header types of Message.fbs. */
const HEADER_SCHEMA = 1;
const HEADER_DICTIONARY_BATCH = 2;
const HEADER_RECORD_BATCH = 3;
/** Deepest field nesting accepted (Arrow types nest a few levels in practice). */
const MAX_DEPTH = 64;

/** A bounds-checked reader of one flatbuffer. */
class Flat {
  readonly #view: DataView;
  readonly size: number;
  constructor(bytes: Uint8Array) {
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.size = bytes.byteLength;
  }
  #need(pos: number, bytes: number, what: string): void {
    if (!(pos >= 0 && pos + bytes <= this.size)) throw new RangeError(`${what} at byte ${pos} lies outside the ${this.size}-byte metadata`);
  }
  u32(pos: number, what: string): number {
    this.#need(pos, 4, what);
    return this.#view.getUint32(pos, true);
  }
  u8(pos: number, what: string): number {
    this.#need(pos, 1, what);
    return this.#view.getUint8(pos);
  }
  /** Position of the root table. */
  root(): number {
    return this.u32(0, 'root offset');
  }
  /** Absolute position of field `slot` of the table at `table`, or undefined when absent. */
  field(table: number, slot: number, what: string): number | undefined {
    this.#need(table, 4, what);
    const vtable = table - this.#view.getInt32(table, true);
    this.#need(vtable, 4, `${what} vtable`);
    const vtableSize = this.#view.getUint16(vtable, true);
    const at = 4 + 2 * slot;
    if (at + 2 > vtableSize) return undefined;
    this.#need(vtable + at, 2, `${what} vtable`);
    const off = this.#view.getUint16(vtable + at, true);
    return off === 0 ? undefined : table + off;
  }
  /** The table an offset field points to, or undefined. */
  table(table: number, slot: number, what: string): number | undefined {
    const pos = this.field(table, slot, what);
    return pos === undefined ? undefined : pos + this.u32(pos, what);
  }
  /** A vector field: its first element and length, checked to fit `elementBytes` each. */
  vector(table: number, slot: number, elementBytes: number, what: string): { start: number; length: number } | undefined {
    const pos = this.field(table, slot, what);
    if (pos === undefined) return undefined;
    const vec = pos + this.u32(pos, what);
    const length = this.u32(vec, `${what} length`);
    this.#need(vec + 4, length * elementBytes, `${what} (${length} entries)`);
    return { start: vec + 4, length };
  }
  /** Each table of a vector of tables. */
  tables(table: number, slot: number, what: string): number[] {
    const v = this.vector(table, slot, 4, what);
    if (v === undefined) return [];
    return Array.from({ length: v.length }, (_, i) => v.start + 4 * i + this.u32(v.start + 4 * i, what));
  }
}

/**
 * Why the flatbuffer of an IPC message header is out of bounds, or undefined when it is not.
 *
 * @example
 * messageBoundsProblem(metadataBytes); // undefined for a sound header
 */
export function messageBoundsProblem(bytes: Uint8Array): string | undefined {
  return guard(() => {
    const f = new Flat(bytes);
    const message = f.root();
    f.vector(message, MESSAGE.customMetadata, 4, 'message metadata');
    const type = f.field(message, 1, 'message header type');
    const headerType = type === undefined ? 0 : f.u8(type, 'message header type');
    const header = f.table(message, MESSAGE.header, 'message header');
    if (header === undefined) return;
    if (headerType === HEADER_SCHEMA) checkSchema(f, header);
    else if (headerType === HEADER_RECORD_BATCH) checkBatch(f, header);
    else if (headerType === HEADER_DICTIONARY_BATCH) {
      const data = f.table(header, DICTIONARY_BATCH.data, 'dictionary batch');
      if (data !== undefined) checkBatch(f, data);
    }
  });
}

/**
 * Why the flatbuffer of an IPC file footer is out of bounds, or undefined when it is not.
 *
 * @example
 * footerBoundsProblem(footerBytes); // undefined for a sound footer
 */
export function footerBoundsProblem(bytes: Uint8Array): string | undefined {
  return guard(() => {
    const f = new Flat(bytes);
    const footer = f.root();
    const schema = f.table(footer, FOOTER.schema, 'footer schema');
    if (schema !== undefined) checkSchema(f, schema);
    f.vector(footer, FOOTER.dictionaries, 24, 'footer dictionary blocks');
    f.vector(footer, FOOTER.recordBatches, 24, 'footer record batch blocks');
    f.vector(footer, FOOTER.customMetadata, 4, 'footer metadata');
  });
}

function guard(check: () => void): string | undefined {
  try {
    check();
    return undefined;
  } catch (err) {
    if (err instanceof RangeError) return err.message;
    throw err;
  }
}

function checkSchema(f: Flat, schema: number): void {
  f.vector(schema, SCHEMA.customMetadata, 4, 'schema metadata');
  f.vector(schema, SCHEMA.features, 8, 'schema features');
  let seen = 0;
  const visit = (field: number, depth: number): void => {
    if (depth > MAX_DEPTH) throw new RangeError(`fields nested deeper than ${MAX_DEPTH}`);
    if (++seen > f.size / 4) throw new RangeError(`more fields than the metadata can hold`);
    f.vector(field, FIELD.name, 1, 'field name');
    f.table(field, FIELD.type, 'field type');
    f.table(field, FIELD.dictionary, 'field dictionary');
    f.vector(field, FIELD.customMetadata, 4, 'field metadata');
    for (const child of f.tables(field, FIELD.children, 'field children')) visit(child, depth + 1);
  };
  for (const field of f.tables(schema, SCHEMA.fields, 'schema fields')) visit(field, 0);
}

function checkBatch(f: Flat, batch: number): void {
  f.vector(batch, RECORD_BATCH.nodes, 16, 'field nodes');
  f.vector(batch, RECORD_BATCH.buffers, 16, 'buffers');
  f.table(batch, RECORD_BATCH.compression, 'compression');
  f.vector(batch, RECORD_BATCH.variadicCounts, 8, 'variadic buffer counts');
}
