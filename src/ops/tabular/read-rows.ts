import { InputError, OptionsError } from '../../core/errors.js';
import { SAMPLE_ID_KEY, getKey, setKey, type Sample } from '../../core/sample.js';
import { noteFileRead } from '../file-reads.js';
import { defineOp } from '../registry.js';
import { checkKey } from '../validate.js';
import { loadTable, type IndexedTable } from './table.js';

/** Options of {@link readRows}. */
export interface ReadRowsOptions {
  /** CSV (`.csv`, `.tsv`) or Arrow IPC (`.arrow`, `.feather`) file. */
  readonly file: string;
  /** Column holding sample ids; `null` = 0-based row number. Default `'sampleId'`. */
  readonly idColumn?: string | null;
  /** Columns to copy into the sample. Default all but the id column. */
  readonly columns?: readonly string[];
  /** Column → key path; columns not listed go to `<prefix>.<column>`. */
  readonly rename?: Readonly<Record<string, string>>;
  /** Key prefix for copied columns. Default `'data'`. */
  readonly prefix?: string;
  /** Key holding the id to look up. Default `'data.sampleId'`. */
  readonly idKey?: string;
  /** CSV only: column names when the file has no header row. */
  readonly columnNames?: readonly string[];
  /** CSV only: lines to skip first. Default 0. */
  readonly skipLines?: number;
  /** Most rows held in memory. Default 5,000,000. */
  readonly maxRows?: number;
}

/**
 * Copies a table row into the sample, found by the sample's id (FuseMedML's OpReadDataframe).
 * The file is read once, when the op is built. Reads `idKey`, writes `<prefix>.<column>` (or
 * the `rename` targets). Static.
 * @example readRows({ file: 'clinical.csv', idColumn: 'patient', columns: ['age', 'label'] })
 * @throws {InputError} when the file is unreadable or malformed (naming file and line) — at build
 * time; and (as an OpError) when the sample's id is not in the table.
 */
export const readRows = defineOp<ReadRowsOptions, { table: IndexedTable; columns: readonly string[] }>({
  name: 'tabular.readRows',
  version: 1,
  kind: 'static',
  validate: (o) => {
    checkKey('tabular.readRows', 'file', o.file);
    if (o.idColumn !== undefined && o.idColumn !== null) checkKey('tabular.readRows', 'idColumn', o.idColumn);
  },
  prepare: (o) => {
    const table = loadTable(o.file, {
      idColumn: o.idColumn === undefined ? 'sampleId' : o.idColumn,
      ...(o.columnNames === undefined ? {} : { columnNames: o.columnNames }),
      ...(o.skipLines === undefined ? {} : { skipLines: o.skipLines }),
      ...(o.maxRows === undefined ? {} : { maxRows: o.maxRows }),
    });
    const columns = o.columns ?? table.columns.filter((c) => c !== o.idColumn && !(o.idColumn === undefined && c === 'sampleId'));
    for (const c of columns) {
      if (!table.columns.includes(c)) throw new OptionsError(`op 'tabular.readRows': column '${c}' is not in ${o.file} (columns: ${table.columns.slice(0, 20).join(', ')})`);
    }
    return { table, columns };
  },
  apply: (sample, _ctx, o, { table, columns }) => {
    noteFileRead(table.file); // lets a cache record the file, so editing it makes the entry stale
    const id = String(getKey(sample, o.idKey ?? SAMPLE_ID_KEY));
    const row = table.row(id);
    if (row === undefined) throw new InputError(`id '${id}' is not in the table (${table.ids.length} rows)`, { file: table.file });
    let out: Sample = sample;
    const prefix = o.prefix ?? 'data';
    for (const c of columns) out = setKey(out, o.rename?.[c] ?? `${prefix}.${c}`, row[c] ?? null);
    return out;
  },
});
