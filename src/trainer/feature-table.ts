/**
 * A table of numeric features and a class label per row, read strictly for training: every
 * feature cell must be a finite number. A non-numeric cell (`abc`), a missing one, `NaN` or
 * `Inf` is an {@link InputError} naming the file, the line (CSV) or row (Arrow), the column, the
 * row's id and the value, instead of a column dropped without a word or a NaN that surfaces
 * epochs later as a metric's error. Missing values are refused; there is no imputation.
 */
import { readFileSync } from 'node:fs';
import { InputError, OptionsError } from '../core/errors.js';
import { parseCsv } from '../ops/tabular/csv.js';
import { loadTable } from '../ops/tabular/table.js';

/** Options of {@link readFeatureTable}. */
export interface FeatureTableOptions {
  /** Column of class labels (any values; empty or NaN is refused). Required. */
  readonly target: string;
  /** Sample-id column; `null` numbers the rows from 0. Default `null`. */
  readonly idColumn?: string | null;
  /** Feature columns. Default: every column except the target and the id column. */
  readonly features?: readonly string[];
  /** CSV only: column names when the file has no header row. Default: the first row is the header. */
  readonly columnNames?: readonly string[];
  /** CSV only: records to skip before the header (or the data). Default 0. */
  readonly skipLines?: number;
}

/** The rows as ids, finite feature vectors and label strings, in file order. */
export interface FeatureTable {
  readonly file: string;
  readonly columns: readonly string[];
  readonly ids: readonly string[];
  readonly features: readonly string[];
  /** One row of `features.length` finite values per id. */
  readonly x: readonly Float64Array[];
  /** The target value of each row as text (numbers as JavaScript prints them). */
  readonly labels: readonly string[];
}

const FINITE_RE = /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/;

/**
 * Reads a CSV/TSV or Arrow IPC table for training.
 * @example const t = readFeatureTable('cohort.csv', { target: 'label', idColumn: 'patient' }); t.x[0]; // Float64Array
 * @throws {OptionsError} when the target or a named feature is not a column.
 * @throws {InputError} naming file, line/row, column, id and value for a feature cell that is not a
 *   finite number or a missing label (and whatever {@link loadTable} refuses: malformed rows, duplicate ids).
 */
export function readFeatureTable(file: string, options: FeatureTableOptions): FeatureTable {
  const idColumn = options.idColumn ?? null;
  const skipLines = options.skipLines ?? 0;
  const table = loadTable(file, { idColumn, skipLines, ...(options.columnNames === undefined ? {} : { columnNames: options.columnNames }) });
  const { target } = options;
  if (!table.columns.includes(target)) throw new OptionsError(`--target '${target}' is not a column of ${file}; columns: ${table.columns.join(', ')}`);
  const features = options.features ?? table.columns.filter((c) => c !== target && c !== idColumn);
  if (features.length === 0) throw new OptionsError(`no feature columns in ${file} (every column is the target or the id)`);
  for (const f of features) if (!table.columns.includes(f)) throw new OptionsError(`feature '${f}' is not a column of ${file}; columns: ${table.columns.join(', ')}`);
  const where = cellLocator(file, table.columns, table.ids.length, options);
  const x = table.ids.map((id, i) => {
    const row = table.row(id) ?? {};
    return Float64Array.from(features, (f) => {
      const raw = where.raw(i, f) ?? row[f];
      const text = raw === null || raw === undefined ? '' : String(raw);
      if (typeof raw === 'number' ? Number.isFinite(raw) : FINITE_RE.test(text)) return Number(raw);
      const why = text.trim() === '' ? 'a missing value' : /^\s*[+-]?(nan|inf|infinity)\s*$/i.test(text) ? 'not a finite number' : 'not a number';
      throw new InputError(
        `column '${f}', ${where.row(i)} (id '${id}'): '${text}' is ${why}; features must be finite numbers (missing values are refused: fill or drop them, or choose other feature columns with --features)`,
        where.at(i),
      );
    });
  });
  const labels = table.ids.map((id, i) => {
    const v = table.row(id)?.[target];
    if (v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v)) || String(v).trim() === '') {
      throw new InputError(`target column '${target}', ${where.row(i)} (id '${id}'): missing label`, where.at(i));
    }
    return String(v);
  });
  return { file, columns: table.columns, ids: table.ids, features, x, labels };
}

/** Where a body row sits in the file (CSV line, or Arrow row) and its cells as written. */
function cellLocator(
  file: string,
  columns: readonly string[],
  rows: number,
  options: FeatureTableOptions,
): {
  raw(i: number, column: string): string | undefined;
  row(i: number): string;
  at(i: number): { file: string; line?: number };
} {
  if (/\.(arrow|arrows|feather|ipc)$/i.test(file)) {
    return { raw: () => undefined, row: (i) => `row ${i + 1}`, at: () => ({ file }) };
  }
  const records = parseCsv(readFileSync(file, 'utf8'), { file, ...(/\.tsv$/i.test(file) ? { delimiter: '\t' } : {}) }).slice(options.skipLines ?? 0);
  const body = options.columnNames === undefined ? records.slice(1) : records;
  if (body.length !== rows) throw new InputError(`read ${rows} rows but found ${body.length} records`, { file });
  const index = new Map(columns.map((c, j) => [c, j]));
  return {
    raw: (i, column) => body[i]?.fields[index.get(column) ?? -1],
    row: (i) => `row ${i + 1}`,
    at: (i) => ({ file, line: body[i]?.line ?? i + 1 }),
  };
}
