/**
 * A source over an Arrow IPC file (`.arrow`, `.feather` v2) or stream (`.arrows`), read record
 * batch by record batch: at most one record batch is in memory at a time. The file's structure is
 * checked first ({@link checkArrowIpc}): a stream without its end-of-stream marker, a file without
 * its footer, a batch whose buffers do not fit its rows are refused, never read short.
 */
import { open, stat, type FileHandle } from 'node:fs/promises';
import { RecordBatchReader, Type, type DataType, type RecordBatch, type Schema, type Table, type Vector } from 'apache-arrow';
import { InputError } from '../../core/errors.js';
import { closestText } from '../../core/closest-names.js';
import { checkArrowIpc } from './arrow-ipc-check.js';
import { emitSliced, type EvalSource } from './eval-source.js';

/** Column types whose values come out as numbers, booleans, strings or nulls. */
const READABLE_TYPES: ReadonlySet<Type> = new Set([Type.Null, Type.Int, Type.Float, Type.Bool, Type.Utf8, Type.LargeUtf8, Type.Dictionary, Type.Date, Type.Timestamp]);

/** Options of {@link arrowSource}. */
export interface ArrowSourceOptions {
  /** Columns to read; default every column. Naming an absent column is an error. */
  readonly columns?: readonly string[];
  /**
   * Only record batches `start` to `end - 1` (0-based, as written in the file); default all. The
   * others are skipped (row numbers in messages still count from the file's first row). Used to
   * split a few large files between shards.
   */
  readonly recordBatches?: { readonly start: number; readonly end: number };
}

/**
 * Streams an Arrow IPC file or stream batch by batch (the format is detected from the bytes).
 * Numeric columns come out as typed arrays (zero-copy where Arrow allows; 64-bit integers become
 * `Float64Array`), strings and dictionaries as string arrays, nulls as `null`. Re-readable.
 *
 * Memory bound: one Arrow record batch (as written by the producer) plus one output batch.
 *
 * @example
 * const src = arrowSource('preds.arrow', { columns: ['pred', 'target'] });
 * @throws InputError (when scanned) naming the file if it is not a regular file, not Arrow IPC,
 *   truncated or structurally corrupt (see {@link checkArrowIpc}), or lacks a requested column.
 */
export function arrowSource(file: string, options: ArrowSourceOptions = {}): EvalSource {
  const range = options.recordBatches;
  if (range !== undefined && !(Number.isInteger(range.start) && Number.isInteger(range.end) && range.start >= 0 && range.end >= range.start))
    throw new InputError(`record batch range ${range.start}..${range.end} is not a range of whole numbers from 0`, { file });
  const source: EvalSource = {
    name: file,
    reReadable: true,
    async scan(batchSize, onBatch) {
      const info = await stat(file).catch((err: unknown) => {
        throw new InputError(`cannot open: ${err instanceof Error ? err.message : String(err)}`, { file });
      });
      // A pipe or device cannot be checked before reading nor read twice; opening a FIFO would also wait for a writer.
      if (!info.isFile()) throw new InputError('not a regular file (a pipe, device or folder); write the Arrow data to a file and pass that', { file });
      const handle = await open(file, 'r').catch((err: unknown) => {
        throw new InputError(`cannot open: ${err instanceof Error ? err.message : String(err)}`, { file });
      });
      try {
        const layout = await checkArrowIpc(handle, (await handle.stat()).size, file);
        const reader = await openArrowReader(handle, file);
        const wanted = readableColumns(reader.schema, options.columns, file);
        let row = 0;
        let k = 0;
        const iterator = reader[Symbol.asyncIterator]();
        for (;;) {
          let next: IteratorResult<RecordBatch>;
          try {
            next = await iterator.next();
          } catch (err) {
            throw new InputError(`corrupt Arrow data after ${row} rows: ${err instanceof Error ? err.message : String(err)}`, { file });
          }
          if (next.done === true) break;
          const batch = next.value;
          const declared = layout.batches[k]?.rows;
          if (batch.numRows !== declared) throw new InputError(`record batch ${k}: read ${batch.numRows} rows where the file declares ${String(declared ?? 'no batch')}`, { file });
          const first = row;
          if (range !== undefined && (k < range.start || k >= range.end)) {
            row += batch.numRows;
            k++;
            continue;
          }
          let columns: Record<string, ArrayLike<unknown>>;
          try {
            columns = batchColumns(batch, wanted);
          } catch (err) {
            throw new InputError(`corrupt Arrow record batch ${k}: ${err instanceof Error ? err.message : String(err)}`, { file });
          }
          emitSliced({ columns, length: batch.numRows, where: (i) => ({ file, row: first + i }) }, batchSize, onBatch);
          row += batch.numRows;
          k++;
        }
        if (row !== layout.rows) throw new InputError(`read ${row} rows where the record batches declare ${layout.rows}`, { file });
        if (range !== undefined && range.end > k)
          throw new InputError(`has ${k} record batches; batches ${range.start} to ${range.end - 1} were asked for (did the file change?)`, { file });
      } finally {
        await handle.close();
      }
    },
  };
  arrowFiles.set(source, { file, ...(options.columns === undefined ? {} : { columns: options.columns }), ...(range === undefined ? {} : { recordBatches: range }) });
  return source;
}

/** What an {@link arrowSource} reads: its file, columns and record batch range. */
export interface ArrowFileRef {
  readonly file: string;
  readonly columns?: readonly string[];
  readonly recordBatches?: { readonly start: number; readonly end: number };
}

const arrowFiles = new WeakMap<EvalSource, ArrowFileRef>();

/**
 * The file, columns and record batches `source` reads when it is an {@link arrowSource} itself
 * (not a source wrapping one): what lets parallel evaluation have worker threads read the file's
 * record batches themselves.
 */
export function arrowFileOf(source: EvalSource): ArrowFileRef | undefined {
  return arrowFiles.get(source);
}

/**
 * apache-arrow's reader over an open Arrow IPC file or stream, its schema read.
 * @throws {InputError} naming `file` when apache-arrow cannot read it.
 */
export async function openArrowReader(handle: FileHandle, file: string): Promise<Awaited<ReturnType<typeof RecordBatchReader.from>>> {
  try {
    const reader = await RecordBatchReader.from(handle);
    await reader.open();
    return reader;
  } catch (err) {
    throw new InputError(`not an Arrow IPC file or stream: ${err instanceof Error ? err.message : String(err)}`, { file });
  }
}

/**
 * The columns to read from a file of schema `schema`: `columns`, or every column.
 * @throws InputError naming the file for an absent column (with the closest names) or one of a
 *   type fuseflow does not read.
 */
export function readableColumns(schema: Schema, columns: readonly string[] | undefined, file: string): readonly string[] {
  const names = schema.fields.map((f) => f.name);
  const wanted = columns ?? names;
  for (const c of wanted) {
    if (!names.includes(c)) throw new InputError(`no column '${c}'; ${closestText(names, c)}`, { file });
    const type = schema.fields[names.indexOf(c)]?.type as DataType | undefined;
    if (type === undefined || !READABLE_TYPES.has(type.typeId)) {
      throw new InputError(`column '${c}' has type ${type === undefined ? 'none' : Type[type.typeId]}; fuseflow reads numbers, booleans, strings and dictionaries of them`, {
        file,
      });
    }
  }
  return wanted;
}

/**
 * A re-readable source over an Arrow `Table` already in memory, record batch by record batch
 * (columns converted as {@link arrowSource} does). `options.name` (default `'arrow table'`) is
 * used in messages.
 *
 * @example
 * const src = arrowTableSource(tableFromArrays({ pred: Float32Array.from([0.2, 0.9]), target: Int8Array.from([0, 1]) }));
 */
export function arrowTableSource(table: Table, options: { readonly name?: string } = {}): EvalSource {
  const name = options.name ?? 'arrow table';
  const names = table.schema.fields.map((f) => f.name);
  return {
    name,
    reReadable: true,
    scan(batchSize, onBatch) {
      // Synchronous work; an error thrown in the executor rejects the promise.
      return new Promise<void>((resolve) => {
        let row = 0;
        for (const batch of table.batches) {
          const first = row;
          emitSliced({ columns: batchColumns(batch, names), length: batch.numRows, where: (i) => ({ file: name, row: first + i }) }, batchSize, onBatch);
          row += batch.numRows;
        }
        resolve();
      });
    },
  };
}

/** The columns `names` of an Arrow record batch as evaluate's columns (see {@link arrowSource}). */
export function batchColumns(batch: RecordBatch, names: readonly string[]): Record<string, ArrayLike<unknown>> {
  const out: Record<string, ArrayLike<unknown>> = {};
  for (const name of names) {
    const vector = batch.getChild(name);
    if (vector === null) throw new InputError(`no column '${name}' in a record batch`);
    out[name] = vectorValues(vector);
  }
  return out;
}

function vectorValues(vector: Vector): ArrayLike<unknown> {
  if (vector.nullCount > 0) {
    const out = new Array<unknown>(vector.length);
    for (let i = 0; i < vector.length; i++) out[i] = toPlain(vector.get(i));
    return out;
  }
  const values = vector.toArray() as ArrayLike<unknown>;
  if (values instanceof BigInt64Array || values instanceof BigUint64Array) {
    const out = new Float64Array(values.length);
    for (let i = 0; i < values.length; i++) out[i] = Number(values[i]);
    return out;
  }
  return values;
}

function toPlain(value: unknown): unknown {
  return typeof value === 'bigint' ? Number(value) : (value ?? null);
}
