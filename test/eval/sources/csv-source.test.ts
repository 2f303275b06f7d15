import { execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { csvSource, parseCsvNumber } from '../../../src/eval/sources/csv-source.js';
import { InputError, OptionsError } from '../../../src/core/errors.js';
import { collect } from './collect.js';
import { tempFolder } from '../../temp-folder.js';

const { dir, write: file } = tempFolder('fuseflow-csv-test-');

describe('csvSource', () => {
  it('streams columns in batches of at most batchSize, typing numbers', async () => {
    const rows = Array.from({ length: 25 }, (_, i) => `id${String(i).padStart(3, '0')},${i / 10},${i % 2 === 0 ? 'neg' : 'pos'}`);
    const path = file('a.csv', `id,score,label\n${rows.join('\n')}\n`);
    const { batches, columns } = await collect(csvSource(path), 10);
    expect(batches.map((b) => b.length)).toEqual([10, 10, 5]);
    expect(batches[0]?.columns.score).toBeInstanceOf(Float64Array);
    expect(columns.score).toEqual(Array.from({ length: 25 }, (_, i) => i / 10));
    expect(columns.label?.slice(0, 3)).toEqual(['neg', 'pos', 'neg']);
    expect(columns.id?.[4]).toBe('id004');
    expect(batches[1]?.where?.(0)).toEqual({ file: path, line: 12 });
  });

  it('keeps string-typed columns as text and reads only the columns asked for', async () => {
    const path = file('b.csv', 'id,score,other\n007,0.5,x\n010,0.25,y\n');
    const { columns } = await collect(csvSource(path, { columns: ['id', 'score'], types: { id: 'string', score: 'number' } }));
    expect(columns).toEqual({ id: ['007', '010'], score: [0.5, 0.25] });
  });

  it('reads nan and inf as numbers in number columns, an empty cell as null in auto columns', async () => {
    const path = file('c.csv', 'p,q\nnan,1\ninf,\n-inf,2\n1e-3,3\n');
    const { columns } = await collect(csvSource(path, { types: { p: 'number' } }));
    expect(columns.p).toEqual([NaN, Infinity, -Infinity, 0.001]);
    expect(columns.q).toEqual([1, null, 2, 3]);
    expect(parseCsvNumber(' 1e-3 ')).toBe(0.001);
    expect(parseCsvNumber('-.5')).toBe(-0.5);
  });

  it('parses numbers strictly: hex, a bare exponent, blank cells and other text are not numbers', async () => {
    for (const text of ['0x10', '1e', '', '  ', '1,5', '1_000', '0b1', '+', '.', 'Infinityx', '١']) expect(parseCsvNumber(text), text).toBeUndefined();
    for (const [text, cell] of [
      ['0x10', '0x10'],
      ['1e', '1e'],
      ['', ''],
      ['  ', '  '],
    ] as const) {
      const path = file('strict.csv', `id,p\na,0.5\nb,${cell}\n`);
      const err = await collect(csvSource(path, { types: { p: 'number' } })).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err, text).toBeInstanceOf(InputError);
      expect((err as Error).message).toMatch(
        text.trim() === '' ? /strict\.csv:line 3: column 'p': an empty cell is not a number/ : new RegExp(`strict\\.csv:line 3: column 'p': '${text}' is not a number`),
      );
    }
  });

  it('re-reads the same rows on a second scan', async () => {
    const src = csvSource(file('d.csv', 'a\n1\n2\n3\n'));
    expect((await collect(src, 2)).columns).toEqual((await collect(src, 2)).columns);
    expect(src.reReadable).toBe(true);
  });

  it.each([
    ['a row with too many fields', 'a,b\n1,2\n3,4,5\n', /e\.csv:line 3: expected 2 fields, found 3/, undefined],
    ['a non-number in a number column', 'a,b\n1,2\nx,4\n', /e\.csv:line 3: column 'a': 'x' is not a number/, { a: 'number' as const }],
    ['an unterminated quote', 'a,b\n1,2\n"3,4\n', /e\.csv:line 3: unterminated quoted field/, undefined],
    ['a missing column', 'a,b\n1,2\n', /e\.csv:line 1: no column 'zz'/, { zz: 'number' as const }],
    ['a duplicate header', 'a,a\n1,2\n', /e\.csv:line 1: duplicate column 'a'/, undefined],
    ['an empty file', '', /e\.csv: empty file/, undefined],
  ])('fails with an InputError naming file and line for %s', async (_name, text, message, types) => {
    const src = csvSource(file('e.csv', text), types === undefined ? {} : { types });
    const run = collect(src);
    await expect(run).rejects.toThrow(InputError);
    await expect(collect(src)).rejects.toThrow(message);
  });

  it('fails on a missing file and rejects bad options when built', async () => {
    await expect(collect(csvSource(join(dir, 'nope.csv')))).rejects.toThrow(/nope\.csv: cannot read/);
    expect(() => csvSource('x.csv', { delimiter: ';;' })).toThrow(/delimiter/);
    expect(() => csvSource('x.csv', { types: { a: 'float' as 'number' } })).toThrow(OptionsError);
  });

  it('streams a file far larger than its chunk without holding it (batches arrive before the end)', async () => {
    const n = 200_000;
    const lines = ['id,score'];
    for (let i = 0; i < n; i++) lines.push(`${i},${(i % 1000) / 1000}`);
    const path = file('big.csv', lines.join('\n'));
    let rows = 0;
    let batches = 0;
    let maxBatch = 0;
    await csvSource(path, { types: { score: 'number' } }).scan(4096, (b) => {
      rows += b.length;
      batches++;
      maxBatch = Math.max(maxBatch, b.length);
    });
    expect(rows).toBe(n);
    expect(maxBatch).toBe(4096);
    expect(batches).toBe(Math.ceil(n / 4096));
  });

  it('reads a FIFO once and refuses a second read at once instead of waiting forever for a writer', async () => {
    const path = file('f.csv', 'id,score\na,0.25\nb,0.75\n');
    const fifo = join(dir, 'pipe.csv');
    execFileSync('mkfifo', [fifo]);
    const writer = spawn('sh', ['-c', 'cat "$1" > "$2"', 'sh', path, fifo], { stdio: 'ignore' });
    // Listened for now: the writer exits before the read below ends, so a listener added after it would wait forever.
    const writerDone = new Promise((done) => writer.once('exit', done));
    try {
      const src = csvSource(fifo, { types: { score: 'number' } });
      expect(src.reReadable).toBe(false);
      const { columns } = await collect(src);
      expect(columns).toEqual({ id: ['a', 'b'], score: [0.25, 0.75] });
      await writerDone;
      // Before the fix this second read opened the FIFO again and hung, waiting for a writer that never came.
      await expect(collect(src)).rejects.toThrow(/pipe\.csv.*(read only once|already read)/);
    } finally {
      writer.kill(); // a writer still blocked on the FIFO (a failed assertion) is not left behind
    }
  }, 15_000);
});
