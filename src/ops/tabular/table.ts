/**
 * In-memory tables read from CSV or Arrow IPC files, indexed by an id column, for ops that read
 * a sample's row by its id. The number of rows held is bounded by `maxRows`.
 */
import { readFileSync } from 'node:fs';
import { tableFromIPC } from 'apache-arrow';
import { InputError } from '../../core/errors.js';
import { parseCsv } from './csv.js';

/** A row: column name → number, string or null. */
export type Row = Readonly<Record<string, number | string | boolean | null>>;

/** A table indexed by id. */
export interface IndexedTable {
  readonly file: string;
  readonly columns: readonly string[];
  readonly ids: readonly string[];
  row(id: string): Row | undefined;
}

/** Options of {@link loadTable}. */
export interface LoadTableOptions {
  /** Column holding the sample id; `null` uses the 0-based row number. Default `'sampleId'`. */
  readonly idColumn?: string | null;
  /** CSV only: column names when the file has no header row. Default: the first row is the header. */
  readonly columnNames?: readonly string[];
  /** CSV only: lines to skip before the header (or the data, with `columnNames`). Default 0. */
  readonly skipLines?: number;
  /** Most rows held in memory. Default 5,000,000. */
  readonly maxRows?: number;
}

const NUMBER_RE = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$|^[+-]?(inf|infinity|nan)$/i;

function toNumber(s: string): number {
  const t = s.trim().toLowerCase();
  if (t === 'nan') return Number.NaN;
  if (t === 'inf' || t === '+inf' || t === 'infinity' || t === '+infinity') return Number.POSITIVE_INFINITY;
  if (t === '-inf' || t === '-infinity') return Number.NEGATIVE_INFINITY;
  return Number(t);
}

/**
 * Reads a CSV (`.csv`, `.tsv`) or Arrow IPC (`.arrow`, `.feather`, `.arrows`) file into an indexed
 * table. CSV columns whose non-empty values all look numeric become numbers (empty → NaN), as
 * pandas infers them; others stay strings.
 * @throws {InputError} naming the file and line for a malformed row, a duplicate or missing id,
 * or more rows than `maxRows`.
 */
export function loadTable(file: string, options: LoadTableOptions = {}): IndexedTable {
  const idColumn = options.idColumn === undefined ? 'sampleId' : options.idColumn;
  const maxRows = options.maxRows ?? 5_000_000;
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    throw new InputError(`cannot read table: ${(err as Error).message}`, { file });
  }
  const { columns, rows, lines } = /\.(arrow|arrows|feather|ipc)$/i.test(file) ? readArrow(bytes, file, maxRows) : readCsv(bytes, file, options, maxRows);
  if (idColumn !== null && !columns.includes(idColumn)) {
    throw new InputError(`id column '${idColumn}' not found; columns are ${columns.slice(0, 20).join(', ')}`, { file });
  }
  const index = new Map<string, Row>();
  const ids: string[] = [];
  rows.forEach((row, i) => {
    const raw = idColumn === null ? i : row[idColumn];
    if (raw === null || raw === undefined || raw === '') throw new InputError(`empty id in column '${idColumn}'`, { file, line: lines[i] ?? i + 1 });
    const id = String(raw);
    if (index.has(id)) throw new InputError(`duplicate id '${id}' in column '${idColumn}'`, { file, line: lines[i] ?? i + 1 });
    index.set(id, row);
    ids.push(id);
  });
  return { file, columns, ids, row: (id) => index.get(id) };
}

function readCsv(bytes: Buffer, file: string, options: LoadTableOptions, maxRows: number): { columns: string[]; rows: Row[]; lines: number[] } {
  const records = parseCsv(bytes.toString('utf8'), { file, ...(/\.tsv$/i.test(file) ? { delimiter: '\t' } : {}) }).slice(options.skipLines ?? 0);
  let columns: string[];
  let body = records;
  if (options.columnNames !== undefined) {
    columns = [...options.columnNames];
  } else {
    const header = records[0];
    if (header === undefined) throw new InputError('empty CSV file (no header row)', { file });
    columns = header.fields.map((f) => f.trim());
    body = records.slice(1);
  }
  if (body.length > maxRows) throw new InputError(`table has ${body.length} rows, more than maxRows ${maxRows}`, { file });
  for (const r of body) {
    if (r.fields.length !== columns.length) {
      throw new InputError(`expected ${columns.length} fields (${columns.slice(0, 5).join(', ')}${columns.length > 5 ? ', …' : ''}), found ${r.fields.length}`, {
        file,
        line: r.line,
      });
    }
  }
  const numeric = columns.map(
    (_, c) =>
      body.every((r) => {
        const v = (r.fields[c] as string).trim();
        return v === '' || NUMBER_RE.test(v);
      }) && body.some((r) => (r.fields[c] as string).trim() !== ''),
  );
  const rows = body.map((r) => {
    const row: Record<string, number | string | null> = {};
    columns.forEach((name, c) => {
      const v = r.fields[c] as string;
      row[name] = numeric[c] === true ? (v.trim() === '' ? Number.NaN : toNumber(v)) : v;
    });
    return row;
  });
  return { columns, rows, lines: body.map((r) => r.line) };
}

function readArrow(bytes: Buffer, file: string, maxRows: number): { columns: string[]; rows: Row[]; lines: number[] } {
  let table;
  try {
    table = tableFromIPC(bytes);
  } catch (err) {
    throw new InputError(`not a readable Arrow IPC file: ${(err as Error).message}`, { file });
  }
  if (table.numRows > maxRows) throw new InputError(`table has ${table.numRows} rows, more than maxRows ${maxRows}`, { file });
  const columns = table.schema.fields.map((f) => f.name);
  const vectors = columns.map((c) => table.getChild(c));
  const rows: Row[] = [];
  for (let i = 0; i < table.numRows; i++) {
    const row: Record<string, number | string | boolean | null> = {};
    columns.forEach((c, j) => {
      const v: unknown = vectors[j]?.get(i);
      row[c] = typeof v === 'bigint' ? Number(v) : v === undefined ? null : (v as number | string | boolean | null);
    });
    rows.push(row);
  }
  return { columns, rows, lines: rows.map((_, i) => i + 1) };
}
