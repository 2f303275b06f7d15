/**
 * The input contract of `evaluate`: a source streams columns of predictions batch by batch.
 * Each pass over the data is one `scan`; a metric that needs another pass (see `nextPass` in the
 * metric contract) gets it only from a source that can be read again (`reReadable`).
 */
import type { EvalBatch } from '../metric.js';
import { InputError } from '../../core/errors.js';
import { isList } from '../../core/is-list.js';

/** One batch handed out by a source: equal-length columns plus where its rows came from. */
export interface SourceBatch {
  /** Columns keyed by name; every column has `length` entries. */
  readonly columns: EvalBatch;
  /** Number of rows. */
  readonly length: number;
  /** Where row `i` of this batch came from, for error messages. */
  readonly where?: (i: number) => RowOrigin;
}

/** Where a row came from: the file (or source name), its line in a text file, its row index. */
export interface RowOrigin {
  readonly file?: string;
  readonly line?: number;
  readonly row?: number;
}

/** Describes a row origin in words, e.g. `preds.csv line 12` or `arrays row 4`. */
export function describeOrigin(origin: RowOrigin): string {
  const parts: string[] = [];
  if (origin.file !== undefined) parts.push(origin.file);
  if (origin.line !== undefined) parts.push(`line ${origin.line}`);
  else if (origin.row !== undefined) parts.push(`row ${origin.row}`);
  return parts.join(' ');
}

/** Receives one batch; runs synchronously so no batch is ever queued between reader and metrics. */
export type BatchHandler = (batch: SourceBatch) => void;

/** A stream of prediction batches. */
export interface EvalSource {
  /** Human-readable name used in messages (a file path, `'arrays'`, `'async iterable'`). */
  readonly name: string;
  /** Whether `scan` may be called again to read the same rows in the same order. */
  readonly reReadable: boolean;
  /**
   * Reads the whole input once, calling `onBatch` with batches of at most `batchSize` rows, in
   * order; resolves when the input ends. Errors from `onBatch` stop the read and reject.
   */
  scan(batchSize: number, onBatch: BatchHandler): Promise<void>;
}

/** The common length of a batch's columns; throws when they differ. */
export function columnsLength(columns: EvalBatch, source: string): number {
  let length: number | undefined;
  let first = '';
  for (const [key, col] of Object.entries(columns)) {
    if (col === null || typeof col !== 'object' || typeof col.length !== 'number') {
      throw new InputError(`column '${key}' is not an array`, { file: source });
    }
    if (length === undefined) {
      length = col.length;
      first = key;
    } else if (col.length !== length) {
      throw new InputError(`column '${key}' has ${col.length} rows but '${first}' has ${length}`, { file: source });
    }
  }
  return length ?? 0;
}

/** Rows `[start, end)` of every column, sharing memory with typed arrays where possible. */
export function sliceColumns(columns: EvalBatch, start: number, end: number): EvalBatch {
  const out: Record<string, ArrayLike<unknown>> = {};
  for (const [key, col] of Object.entries(columns)) out[key] = sliceColumn(col, start, end);
  return out;
}

function sliceColumn(col: ArrayLike<unknown>, start: number, end: number): ArrayLike<unknown> {
  if (ArrayBuffer.isView(col) && 'subarray' in col && typeof col.subarray === 'function') {
    return (col as unknown as { subarray(s: number, e: number): ArrayLike<unknown> }).subarray(start, end);
  }
  if (isList(col)) return col.slice(start, end);
  const out = new Array<unknown>(end - start);
  for (let i = start; i < end; i++) out[i - start] = col[i];
  return out;
}

/**
 * Calls `onBatch` with `batch` cut into pieces of at most `batchSize` rows (the batch itself when
 * it is small enough).
 */
export function emitSliced(batch: SourceBatch, batchSize: number, onBatch: BatchHandler): void {
  if (batch.length <= batchSize) {
    if (batch.length > 0) onBatch(batch);
    return;
  }
  for (let start = 0; start < batch.length; start += batchSize) {
    const end = Math.min(batch.length, start + batchSize);
    const where = batch.where;
    const piece: SourceBatch = {
      columns: sliceColumns(batch.columns, start, end),
      length: end - start,
      ...(where === undefined ? {} : { where: (i: number) => where(start + i) }),
    };
    onBatch(piece);
  }
}
