/**
 * A source over a CSV file with a header row, streamed in chunks: memory holds one read chunk
 * (64 KiB), at most one unfinished record (`maxRecordChars`) and one output batch.
 */
import { createReadStream, statSync } from 'node:fs';
import { FuseflowError, InputError, OptionsError } from '../../core/errors.js';
import { closestText } from '../../core/closest-names.js';
import { CsvRecordParser, type CsvRecord } from './csv-records.js';
import type { EvalSource, SourceBatch, BatchHandler } from './eval-source.js';

/** How a CSV column's text becomes values. */
export type CsvColumnType = 'number' | 'string' | 'auto';

/** Options of {@link csvSource}. */
export interface CsvSourceOptions {
  /** Columns to read; default every column. Naming an absent column is an error. */
  readonly columns?: readonly string[];
  /**
   * Type per column; default `'auto'`. `'number'`: every cell must be a number in plain decimal
   * notation or `nan`, `inf`, `-inf` (see {@link parseCsvNumber}); anything else, a blank cell
   * included, is an InputError naming the file, line, column and value.
   * `'string'`: the text as is (use it for ids such as `00042`). `'auto'`: numbers where the cell
   * is a number, `null` for an empty cell, the text otherwise.
   */
  readonly types?: Readonly<Record<string, CsvColumnType>>;
  /** Field separator; default `','`. */
  readonly delimiter?: string;
  /** Longest record held while waiting for its end; default 1,048,576 characters. */
  readonly maxRecordChars?: number;
}

const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * Parses a CSV cell as a number, strictly: plain decimal notation (`12`, `-0.5`, `.5`, `1e-3`,
 * surrounding spaces allowed) and the words `nan`, `inf`, `infinity` (any case, signed);
 * undefined for anything else, a blank cell included (`0x10`, `1e`, `1,5`, `''`, `'  '`).
 */
export function parseCsvNumber(text: string): number | undefined {
  const t = text.trim();
  if (t === '') return undefined;
  if (NUMBER.test(t)) return Number(t);
  switch (t.toLowerCase()) {
    case 'nan':
    case '+nan':
    case '-nan':
      return Number.NaN;
    case 'inf':
    case '+inf':
    case 'infinity':
    case '+infinity':
      return Number.POSITIVE_INFINITY;
    case '-inf':
    case '-infinity':
      return Number.NEGATIVE_INFINITY;
    default:
      return undefined;
  }
}

/**
 * Streams a CSV file with a header row as batches of columns. Re-readable when `file` is a regular
 * file; a pipe or device (a FIFO, `/dev/stdin`) is read once (`reReadable: false`, so a metric
 * that needs a second pass asks for a file or spilling instead of waiting for a writer forever).
 *
 * @example
 * const src = csvSource('preds.csv', { types: { id: 'string', score: 'number' } });
 * @throws InputError (when scanned) naming file and line for a malformed row (wrong field count,
 *   bad quoting), a non-number in a `'number'` column, a missing or duplicate header column.
 */
export function csvSource(file: string, options: CsvSourceOptions = {}): EvalSource {
  const parserOptions = {
    file,
    ...(options.delimiter === undefined ? {} : { delimiter: options.delimiter }),
    ...(options.maxRecordChars === undefined ? {} : { maxRecordChars: options.maxRecordChars }),
  };
  new CsvRecordParser(parserOptions); // validates the delimiter now
  for (const [col, type] of Object.entries(options.types ?? {})) {
    if (type !== 'number' && type !== 'string' && type !== 'auto') {
      throw new OptionsError(`csvSource: type of column '${col}' must be 'number', 'string' or 'auto', got '${String(type)}'`);
    }
  }
  const oneShot = isPipeOrDevice(file);
  let read = false;
  return {
    name: file,
    reReadable: !oneShot,
    async scan(batchSize, onBatch) {
      if (oneShot && read) throw new FuseflowError(`${file} is a pipe or device and was already read once; it can be read only once: write the rows to a file and pass that`);
      read = true;
      const parser = new CsvRecordParser(parserOptions);
      let builder: BatchBuilder | undefined;
      const take = (records: readonly CsvRecord[]): void => {
        for (const record of records) {
          if (builder === undefined) builder = new BatchBuilder(file, record, options, batchSize, onBatch);
          else builder.add(record);
        }
      };
      const stream = createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 16 });
      try {
        for await (const chunk of stream) take(parser.feed(chunk as string));
      } catch (err) {
        if (err instanceof InputError) throw err;
        throw new InputError(`cannot read: ${err instanceof Error ? err.message : String(err)}`, { file });
      } finally {
        stream.destroy();
      }
      take(parser.end());
      if (builder === undefined) throw new InputError('empty file: no header row', { file });
      builder.flush();
    },
  };
}

/** Whether `file` exists and is not a regular file (a FIFO, socket or device: readable only once). */
function isPipeOrDevice(file: string): boolean {
  try {
    const info = statSync(file);
    return !info.isFile() && !info.isDirectory();
  } catch {
    return false; // a missing file is reported when scanned, naming it
  }
}

/** Collects records into column batches of `batchSize` rows. */
class BatchBuilder {
  readonly #file: string;
  readonly #width: number;
  readonly #names: readonly string[];
  readonly #indices: readonly number[];
  readonly #types: readonly CsvColumnType[];
  readonly #batchSize: number;
  readonly #onBatch: BatchHandler;
  #cells: unknown[][] = [];
  #numbers: Float64Array[] = [];
  #lines: number[] = [];

  constructor(file: string, header: CsvRecord, options: CsvSourceOptions, batchSize: number, onBatch: BatchHandler) {
    this.#file = file;
    this.#width = header.fields.length;
    const seen = new Set<string>();
    for (const name of header.fields) {
      if (seen.has(name)) throw new InputError(`duplicate column '${name}' in the header`, { file, line: header.line });
      seen.add(name);
    }
    const names = options.columns ?? header.fields;
    for (const c of names) {
      if (!seen.has(c)) {
        throw new InputError(`no column '${c}'; ${closestText(header.fields, c)}`, { file, line: header.line });
      }
    }
    for (const c of Object.keys(options.types ?? {})) {
      if (!seen.has(c)) throw new InputError(`no column '${c}' (given a type)`, { file, line: header.line });
    }
    this.#names = names;
    this.#indices = names.map((c) => header.fields.indexOf(c));
    this.#types = names.map((c) => options.types?.[c] ?? 'auto');
    this.#batchSize = batchSize;
    this.#onBatch = onBatch;
    this.#reset();
  }

  add(record: CsvRecord): void {
    const { fields, line } = record;
    if (fields.length !== this.#width) {
      throw new InputError(`expected ${this.#width} fields, found ${fields.length}`, { file: this.#file, line });
    }
    const row = this.#lines.length;
    for (let c = 0; c < this.#names.length; c++) {
      const text = fields[this.#indices[c] as number] as string;
      const type = this.#types[c];
      if (type === 'number') {
        const value = parseCsvNumber(text);
        if (value === undefined) {
          const what = text.trim() === '' ? 'an empty cell is not a number (write nan for a missing value)' : `'${text}' is not a number`;
          throw new InputError(`column '${this.#names[c]}': ${what}`, { file: this.#file, line });
        }
        let numbers = this.#numbers[c] as Float64Array;
        if (row >= numbers.length) {
          const grown = new Float64Array(Math.min(this.#batchSize, numbers.length * 2));
          grown.set(numbers);
          this.#numbers[c] = numbers = grown;
        }
        numbers[row] = value;
      } else if (type === 'string') {
        (this.#cells[c] as unknown[]).push(text);
      } else {
        const value = text.trim() === '' ? null : parseCsvNumber(text);
        (this.#cells[c] as unknown[]).push(value === undefined ? text : value);
      }
    }
    this.#lines.push(line);
    if (this.#lines.length === this.#batchSize) this.flush();
  }

  flush(): void {
    const length = this.#lines.length;
    if (length === 0) return;
    const columns: Record<string, ArrayLike<unknown>> = {};
    for (let c = 0; c < this.#names.length; c++) {
      const name = this.#names[c] as string;
      if (this.#types[c] === 'number') columns[name] = (this.#numbers[c] as Float64Array).subarray(0, length);
      else columns[name] = autoColumn(this.#cells[c] as unknown[]);
    }
    const lines = this.#lines;
    const file = this.#file;
    const batch: SourceBatch = { columns, length, where: (i) => ({ file, ...(lines[i] === undefined ? {} : { line: lines[i] }) }) };
    this.#reset();
    this.#onBatch(batch);
  }

  #reset(): void {
    this.#cells = this.#types.map(() => []);
    this.#numbers = this.#types.map((t) => new Float64Array(t === 'number' ? Math.min(this.#batchSize, 4096) : 0));
    this.#lines = [];
  }
}

/** A column of all numbers becomes a Float64Array; anything else stays as read. */
function autoColumn(cells: unknown[]): ArrayLike<unknown> {
  for (const v of cells) if (typeof v !== 'number') return cells;
  return Float64Array.from(cells as number[]);
}
