import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CsvRecordParser } from '../../../src/eval/sources/csv-records.js';
import { InputError } from '../../../src/core/errors.js';

function parseChunks(chunks: readonly string[], maxRecordChars?: number): { fields: readonly string[]; line: number }[] {
  const p = new CsvRecordParser({ file: 'x.csv', ...(maxRecordChars === undefined ? {} : { maxRecordChars }) });
  const out = chunks.flatMap((c) => p.feed(c));
  return [...out, ...p.end()].map((r) => ({ fields: r.fields, line: r.line }));
}

/** Writes fields as RFC 4180 CSV (quoting when needed). */
function toCsv(rows: readonly (readonly string[])[]): string {
  return rows.map((r) => r.map((f) => (/[",\n\r]/.test(f) || f === '' ? `"${f.replace(/"/g, '""')}"` : f)).join(',')).join('\r\n') + '\n';
}

describe('CsvRecordParser', () => {
  it('splits plain and quoted records with line numbers', () => {
    const text = 'a,b,c\n1,"x, y",3\n\n"multi\nline","q""uote",\r\n4,5,6';
    expect(parseChunks([text])).toEqual([
      { fields: ['a', 'b', 'c'], line: 1 },
      { fields: ['1', 'x, y', '3'], line: 2 },
      { fields: ['multi\nline', 'q"uote', ''], line: 4 },
      { fields: ['4', '5', '6'], line: 6 },
    ]);
  });

  it('gives the same records whatever the chunk boundaries (property)', () => {
    const field = fc.string({ unit: fc.constantFrom('a', 'b', ',', '"', '\n', '\r', '1', ' ', 'é'), maxLength: 6 });
    fc.assert(
      fc.property(fc.array(fc.array(field, { minLength: 2, maxLength: 2 }), { minLength: 1, maxLength: 8 }), fc.array(fc.nat(), { maxLength: 5 }), (rows, cuts) => {
        const text = toCsv(rows);
        const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
        const chunks: string[] = [];
        let prev = 0;
        for (const p of points) {
          chunks.push(text.slice(prev, p));
          prev = p;
        }
        chunks.push(text.slice(prev));
        expect(parseChunks(chunks).map((r) => r.fields)).toEqual(rows);
      }),
      { numRuns: 300 },
    );
  });

  it('strips a byte-order mark', () => {
    expect(parseChunks(['\uFEFFa,b\n'])[0]?.fields).toEqual(['a', 'b']);
  });

  it.each([
    ['unterminated quote', 'a,b\n1,"open\n2,3\n', /x\.csv:line 2: unterminated quoted field/],
    ['text after closing quote', 'a,b\n"x"y,2\n', /x\.csv:line 2: unexpected character 'y' after a closing quote/],
    ['quote in an unquoted field', 'a,b\n1,2\nab"c,4\n', /x\.csv:line 3: quote inside an unquoted field/],
  ])('names file and line for a malformed record: %s', (_name, text, message) => {
    expect(() => parseChunks([text])).toThrow(InputError);
    expect(() => parseChunks([text])).toThrow(message);
  });

  it('bounds the unfinished record it holds', () => {
    const p = new CsvRecordParser({ file: 'big.csv', maxRecordChars: 100 });
    p.feed('a,b\n');
    expect(() => p.feed(`"${'x'.repeat(200)}`)).toThrow(/big\.csv:line 2: record longer than 100 characters/);
  });
});
