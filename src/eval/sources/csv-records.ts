/**
 * An incremental CSV record parser (RFC 4180: comma-separated, `"`-quoted fields, `""` escapes a
 * quote, quoted fields may span lines, `\n` or `\r\n` line ends). Text is fed chunk by chunk; the
 * only text kept between chunks is the unfinished record, bounded by `maxRecordChars`.
 */
import { InputError } from '../../core/errors.js';

/** One parsed record and the line (1-based) it starts on. */
export interface CsvRecord {
  readonly fields: readonly string[];
  readonly line: number;
}

/** Options of {@link CsvRecordParser}. */
export interface CsvRecordParserOptions {
  /** File name used in error messages. */
  readonly file: string;
  /** Field separator; default `','`. */
  readonly delimiter?: string;
  /** Longest record (in characters) held while waiting for its end; default 1,048,576. */
  readonly maxRecordChars?: number;
}

const QUOTE = 34;
const LF = 10;
const CR = 13;

/**
 * Splits CSV text into records. Blank lines are skipped; a leading byte-order mark is dropped.
 *
 * @example
 * const p = new CsvRecordParser({ file: 'a.csv' });
 * const records = [...p.feed('a,b\n1,"x'), ...p.feed('y"\n'), ...p.end()];
 * @throws InputError naming file and line for an unterminated quote, text after a closing quote,
 *   a quote inside an unquoted field, or a record longer than `maxRecordChars`.
 */
export class CsvRecordParser {
  readonly #file: string;
  readonly #delimiter: string;
  readonly #delimiterCode: number;
  readonly #maxRecordChars: number;
  #pending = '';
  #line = 1;
  #started = false;

  constructor(options: CsvRecordParserOptions) {
    this.#file = options.file;
    this.#delimiter = options.delimiter ?? ',';
    if (this.#delimiter.length !== 1 || this.#delimiter === '"' || this.#delimiter === '\n') {
      throw new InputError(`delimiter must be one character other than a quote or newline, got '${this.#delimiter}'`);
    }
    this.#delimiterCode = this.#delimiter.charCodeAt(0);
    this.#maxRecordChars = options.maxRecordChars ?? 1 << 20;
  }

  /** Parses the complete records in `chunk` (plus text left over from earlier chunks). */
  feed(chunk: string): CsvRecord[] {
    let text = this.#pending + chunk;
    if (!this.#started && text.length > 0) {
      this.#started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    const out: CsvRecord[] = [];
    const rest = this.#parse(text, false, out);
    this.#pending = text.slice(rest);
    if (this.#pending.length > this.#maxRecordChars) {
      throw new InputError(`record longer than ${this.#maxRecordChars} characters (an unterminated quote?)`, { file: this.#file, line: this.#line });
    }
    return out;
  }

  /** Parses what is left at the end of the input. */
  end(): CsvRecord[] {
    const out: CsvRecord[] = [];
    this.#parse(this.#pending, true, out);
    this.#pending = '';
    return out;
  }

  /** Parses records from `s`; returns the index where the first unfinished record starts. */
  #parse(s: string, final: boolean, out: CsvRecord[]): number {
    let pos = 0;
    const n = s.length;
    let quote = -1;
    while (pos < n) {
      const nl = s.indexOf('\n', pos);
      if (nl < 0 && !final) return pos;
      const lineEnd = nl < 0 ? n : nl;
      if (quote >= 0 && quote < pos) quote = -1;
      if (quote === -1) quote = s.indexOf('"', pos);
      if (quote === -1) quote = n;
      if (quote >= lineEnd) {
        // Fast path: a record on one line without quotes.
        let end = lineEnd;
        if (end > pos && s.charCodeAt(end - 1) === CR) end--;
        if (end > pos) out.push({ fields: s.slice(pos, end).split(this.#delimiter), line: this.#line });
        this.#line++;
        pos = lineEnd + 1;
        continue;
      }
      const parsed = this.#parseQuoted(s, pos, final);
      if (parsed === null) return pos;
      out.push({ fields: parsed.fields, line: this.#line });
      this.#line += parsed.lines;
      pos = parsed.next;
    }
    return pos;
  }

  /** Parses one record that contains quotes; null when it continues past the end of `s`. */
  #parseQuoted(s: string, start: number, final: boolean): { fields: string[]; next: number; lines: number } | null {
    const fields: string[] = [];
    const n = s.length;
    let pos = start;
    let lines = 0;
    for (;;) {
      if (pos < n && s.charCodeAt(pos) === QUOTE) {
        let value = '';
        let from = pos + 1;
        for (;;) {
          const q = s.indexOf('"', from);
          if (q < 0) {
            if (!final) return null;
            throw new InputError('unterminated quoted field', { file: this.#file, line: this.#line });
          }
          value += s.slice(from, q);
          if (q + 1 < n && s.charCodeAt(q + 1) === QUOTE) {
            value += '"';
            from = q + 2;
            continue;
          }
          if (q + 1 >= n && !final) return null;
          pos = q + 1;
          break;
        }
        lines += countNewlines(value);
        fields.push(value);
        const c = pos < n ? s.charCodeAt(pos) : -1;
        if (c === this.#delimiterCode) {
          pos++;
          continue;
        }
        if (c === CR && pos + 1 < n && s.charCodeAt(pos + 1) === LF) pos++;
        else if (c === CR && pos + 1 >= n && !final) return null;
        if (pos >= n || s.charCodeAt(pos) === LF) return { fields, next: pos + 1, lines: lines + 1 };
        throw new InputError(`unexpected character '${s[pos] ?? ''}' after a closing quote`, {
          file: this.#file,
          line: this.#line + lines,
        });
      }
      let end = pos;
      while (end < n) {
        const c = s.charCodeAt(end);
        if (c === this.#delimiterCode || c === LF) break;
        if (c === QUOTE) {
          throw new InputError('quote inside an unquoted field', { file: this.#file, line: this.#line + lines });
        }
        end++;
      }
      if (end >= n && !final) return null;
      let valueEnd = end;
      if (valueEnd > pos && s.charCodeAt(valueEnd - 1) === CR && (end >= n || s.charCodeAt(end) === LF)) valueEnd--;
      fields.push(s.slice(pos, valueEnd));
      if (end < n && s.charCodeAt(end) === this.#delimiterCode) {
        pos = end + 1;
        continue;
      }
      return { fields, next: end + 1, lines: lines + 1 };
    }
  }
}

function countNewlines(s: string): number {
  let count = 0;
  for (let i = s.indexOf('\n'); i >= 0; i = s.indexOf('\n', i + 1)) count++;
  return count;
}
