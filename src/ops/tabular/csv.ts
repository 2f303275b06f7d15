/**
 * A small RFC 4180 CSV parser: quoted fields with embedded commas, quotes ("") and newlines.
 * Errors name the file and the line where the bad record starts.
 */
import { InputError } from '../../core/errors.js';

/** One parsed record and the 1-based line it starts on. */
export interface CsvRecord {
  readonly line: number;
  readonly fields: readonly string[];
}

/** Options of {@link parseCsv}. */
export interface ParseCsvOptions {
  /** File name used in error messages. */
  readonly file?: string;
  /** Field separator. Default `','`. */
  readonly delimiter?: string;
}

/**
 * Parses CSV text into records (blank lines are skipped).
 * @throws {InputError} for an unterminated quote or text after a closing quote.
 */
export function parseCsv(text: string, options: ParseCsvOptions = {}): CsvRecord[] {
  const sep = options.delimiter ?? ',';
  const where = (line: number): { file?: string; line: number } => (options.file === undefined ? { line } : { file: options.file, line });
  const records: CsvRecord[] = [];
  let fields: string[] = [];
  let field = '';
  let line = 1;
  let recordLine = 1;
  let i = 0;
  let quoted = false;
  let fieldStarted = false;
  const n = text.length;
  const endRecord = (): void => {
    fields.push(field);
    if (!(fields.length === 1 && fields[0] === '' && !fieldStarted)) records.push({ line: recordLine, fields });
    fields = [];
    field = '';
    fieldStarted = false;
  };
  while (i < n) {
    const c = text[i] as string;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
        i++;
        const next = text[i];
        if (next !== undefined && next !== sep && next !== '\n' && next !== '\r') {
          throw new InputError(`unexpected character ${JSON.stringify(next)} after a closing quote`, where(line));
        }
        continue;
      }
      if (c === '\n') line++;
      field += c;
      i++;
      continue;
    }
    if (c === '"' && field === '') {
      quoted = true;
      fieldStarted = true;
      i++;
    } else if (c === sep) {
      fields.push(field);
      field = '';
      fieldStarted = true;
      i++;
    } else if (c === '\n' || c === '\r') {
      endRecord();
      if (c === '\r' && text[i + 1] === '\n') i++;
      i++;
      line++;
      recordLine = line;
    } else {
      field += c;
      fieldStarted = true;
      i++;
    }
  }
  if (quoted) throw new InputError('unterminated quoted field', where(recordLine));
  if (field !== '' || fields.length > 0 || fieldStarted) endRecord();
  return records;
}
