/**
 * Turns what `evaluate` accepts as `data` into an {@link EvalSource}: files by extension, arrays,
 * iterables, Observables, and objects of sources joined by sample id.
 */
import { extname } from 'node:path';
import type { EvalBatch } from './metric.js';
import { OptionsError } from '../core/errors.js';
import type { EvalSource } from './sources/eval-source.js';
import { arraySource } from './sources/array-source.js';
import { arrowSource, arrowTableSource } from './sources/arrow-source.js';
import { Table } from 'apache-arrow';
import { csvSource } from './sources/csv-source.js';
import { iterableSource, observableSource, type BatchIterable, type BatchSubscribable } from './sources/iterable-source.js';
import { joinSources, type JoinedSource, type MissingPolicy } from './sources/join-sources.js';
import { concatSources } from './sources/concat-sources.js';
import type { EvalProgress } from './evaluate-progress.js';

/** One input: a file path (`.csv`, `.tsv`, `.arrow`, `.arrows`, `.feather`, `.ipc`), columns or an Arrow `Table` in memory, batches from code, or a source. */
export type EvalInput = string | EvalSource | EvalBatch | Table | BatchIterable | (() => BatchIterable) | BatchSubscribable;

/** One input, or a list of inputs read one after the other (rows tagged with the list index in `evaluator_fold`). */
export type EvalInputs = EvalInput | readonly EvalInput[];

/**
 * `evaluate`'s data: one input or list, or named inputs (or lists) joined by sample id (columns
 * become `<name>.<column>`), as FuseMedML's `{"pred": [fold0.csv, fold1.csv], "target": ...}`.
 */
export type EvalData = EvalInputs | Readonly<Record<string, EvalInputs>>;

/** The column holding a row's position in a list of inputs (FuseMedML's name). */
export const FOLD_COLUMN = 'evaluator_fold';

/** How inputs are identified and joined. */
export interface EvalInputOptions {
  /** Sample-id column (one name, or one per named input). Needed to join, to use `ids`, and to catch duplicate ids. */
  readonly id?: string | Readonly<Record<string, string>>;
  /** Evaluate only these sample ids (needs `id`). */
  readonly ids?: readonly (string | number)[];
  /** Policy for an id some input lacks; default `'error'`. */
  readonly onMissing?: MissingPolicy;
  /** Id-index entries held in memory before the join moves them to LMDB; default 1,000,000 (see `joinSources`). */
  readonly joinMemoryRows?: number;
  /** Folder for the join's temporary LMDB index; default the OS temp folder. */
  readonly tmpDir?: string;
  /** Called about every `progressIntervalMs` while reading (and while indexing joined inputs) and at the end of each pass. */
  readonly onProgress?: (progress: EvalProgress) => void;
  /** Milliseconds between progress calls; default 1,000. */
  readonly progressIntervalMs?: number;
}

/**
 * Whether `x` is already an {@link EvalSource}.
 *
 * @example
 * isEvalSource(csvSource('a.csv')); // true
 */
export function isEvalSource(x: unknown): x is EvalSource {
  return typeof x === 'object' && x !== null && typeof (x as EvalSource).scan === 'function' && typeof (x as EvalSource).reReadable === 'boolean';
}

/** Whether `x` is a {@link JoinedSource} (it reports join counts). */
export function isJoinedSource(x: EvalSource): x is JoinedSource {
  return typeof (x as JoinedSource).counts === 'function' && typeof (x as JoinedSource).close === 'function';
}

/** Options of {@link fileSource}. */
export interface FileSourceOptions {
  /** Sample-id column: read as text from CSV (so `007` stays `007`); default none. */
  readonly idColumn?: string;
}

/**
 * Opens a file as a source, choosing CSV (`.csv`, `.tsv`) or Arrow IPC (`.arrow`, `.arrows`,
 * `.feather`, `.ipc`) by its extension.
 *
 * @example
 * const src = fileSource('preds.arrow');
 * @throws OptionsError for an unknown extension.
 */
export function fileSource(path: string, options: FileSourceOptions = {}): EvalSource {
  const idColumn = options.idColumn;
  const ext = extname(path).toLowerCase();
  const types = idColumn === undefined ? {} : { types: { [idColumn]: 'string' as const } };
  switch (ext) {
    case '.csv':
      return csvSource(path, types);
    case '.tsv':
      return csvSource(path, { ...types, delimiter: '\t' });
    case '.arrow':
    case '.arrows':
    case '.feather':
    case '.ipc':
      return arrowSource(path);
    default:
      throw new OptionsError(`cannot tell the format of '${path}' from its extension '${ext}'; use .csv, .tsv, .arrow, .arrows, .feather or .ipc`);
  }
}

function isArrayLike(x: unknown): boolean {
  return Array.isArray(x) || (ArrayBuffer.isView(x) && !(x instanceof DataView));
}

function inputsSource(inputs: EvalInputs, name: string, idColumn: string | undefined): EvalSource {
  if (!Array.isArray(inputs)) return inputSource(inputs as EvalInput, name, idColumn);
  const list = inputs as readonly EvalInput[];
  return concatSources(
    list.map((input, k) => inputSource(input, `${name}[${k}]`, idColumn)),
    { tagColumn: FOLD_COLUMN, name },
  );
}

/** Whether `data` is a list of inputs rather than a column. */
function isInputList(x: unknown): boolean {
  return (
    Array.isArray(x) &&
    x.length > 0 &&
    x.every((v) => typeof v === 'string' || isEvalSource(v) || v instanceof Table || (typeof v === 'object' && v !== null && !Array.isArray(v) && !ArrayBuffer.isView(v)))
  );
}

function inputSource(input: EvalInput, name: string, idColumn: string | undefined): EvalSource {
  if (typeof input === 'string') return fileSource(input, idColumn === undefined ? {} : { idColumn });
  if (isEvalSource(input)) return input;
  if (typeof input === 'function') return iterableSource(input, { name });
  if (typeof input !== 'object' || input === null) throw new OptionsError(`evaluate: input '${name}' is not a file path, columns, iterable, Observable or source`);
  if (input instanceof Table) return arrowTableSource(input, { name });
  if (typeof (input as BatchSubscribable).subscribe === 'function') return observableSource(input as BatchSubscribable, { name });
  if (Symbol.asyncIterator in input || Symbol.iterator in input) return iterableSource(input as BatchIterable, { name });
  const values = Object.values(input);
  if (values.length > 0 && values.every(isArrayLike)) return arraySource(input as EvalBatch, { name });
  throw new OptionsError(`evaluate: input '${name}' is an object whose values are not all arrays`);
}

/**
 * The source `evaluate` reads. A plain object whose values are all arrays is columns; a plain
 * object whose values are all inputs (paths, sources, column objects, …) is a join by `id`.
 * With `id` or `ids` on a single input the rows still pass through the id check (duplicates,
 * `ids` filter).
 *
 * @example
 * toEvalSource({ pred: ['fold0.csv', 'fold1.csv'], target: 'targets.csv' }, { id: 'id' });
 * // a join whose batches carry id, pred.<column>, pred.evaluator_fold, target.<column>
 *
 * @throws OptionsError for an input of unknown kind, a join without `id`, or `ids` without `id`.
 */
export function toEvalSource(data: EvalData, options: EvalInputOptions = {}): EvalSource {
  const { id, ids, onMissing, joinMemoryRows, tmpDir, onProgress, progressIntervalMs } = options;
  if (ids !== undefined && id === undefined) throw new OptionsError('evaluate: ids needs the id column (option id)');
  const common = {
    ...(ids === undefined ? {} : { ids }),
    ...(onMissing === undefined ? {} : { onMissing }),
    ...(joinMemoryRows === undefined ? {} : { memoryRows: joinMemoryRows }),
    ...(tmpDir === undefined ? {} : { tmpDir }),
    ...(onProgress === undefined ? {} : { onProgress }),
    ...(progressIntervalMs === undefined ? {} : { progressIntervalMs }),
  };
  if (isJoinObject(data)) {
    if (id === undefined) throw new OptionsError('evaluate: joining several inputs needs the id column (option id)');
    const entries = Object.entries(data as Readonly<Record<string, EvalInputs>>);
    const sources: Record<string, EvalSource> = {};
    for (const [name, input] of entries) sources[name] = inputsSource(input, name, typeof id === 'string' ? id : id[name]);
    return joinSources(sources, { id, ...(typeof id === 'string' ? { idColumn: id } : {}), ...common });
  }
  if (typeof id === 'object') throw new OptionsError('evaluate: a per-input id map needs named inputs');
  const source = inputsSource(data as EvalInputs, 'data', id);
  if (id === undefined) return source;
  return joinSources({ [source.name]: source }, { id, idColumn: id, prefix: false, ...common });
}

function isJoinObject(data: EvalData): boolean {
  if (typeof data !== 'object' || data === null || isEvalSource(data) || isArrayLike(data) || data instanceof Table) return false;
  if (typeof (data as BatchSubscribable).subscribe === 'function' || Symbol.asyncIterator in data || Symbol.iterator in data) return false;
  const values = Object.values(data);
  return values.length > 0 && values.every((v) => !isArrayLike(v) || isInputList(v));
}
