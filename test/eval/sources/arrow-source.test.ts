import { mkdtempSync, writeFileSync, rmSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RecordBatchFileWriter, RecordBatchStreamWriter, vectorFromArray, Table, Int64, Float32, Utf8 } from 'apache-arrow';
import { arrowSource } from '../../../src/eval/sources/arrow-source.js';
import { InputError } from '../../../src/core/errors.js';
import { collect } from './collect.js';

const dir = mkdtempSync(join(tmpdir(), 'fuseflow-arrow-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Writes `batches` record batches of `rows` rows each (file or stream format). */
function writeArrow(name: string, format: 'file' | 'stream', batches: number, rows: number): string {
  const parts = Array.from(
    { length: batches },
    (_, b) =>
      new Table({
        id: vectorFromArray(
          Array.from({ length: rows }, (_, i) => `s${b * rows + i}`),
          new Utf8(),
        ),
        pred: vectorFromArray(Float32Array.from({ length: rows }, (_, i) => ((b * rows + i) % 7) / 7)),
        target: vectorFromArray(Int32Array.from({ length: rows }, (_, i) => (b * rows + i) % 2)),
      }),
  );
  const writer = format === 'file' ? new RecordBatchFileWriter() : new RecordBatchStreamWriter();
  for (const t of parts) for (const rb of t.batches) writer.write(rb);
  writer.finish();
  const path = join(dir, name);
  writeFileSync(path, writer.toUint8Array(true));
  return path;
}

describe('arrowSource', () => {
  it.each(['file', 'stream'] as const)('reads an IPC %s record batch by record batch, cut to batchSize', async (format) => {
    const path = writeArrow(`a.${format === 'file' ? 'arrow' : 'arrows'}`, format, 3, 50);
    const { batches, columns } = await collect(arrowSource(path), 20);
    expect(batches.map((b) => b.length)).toEqual([20, 20, 10, 20, 20, 10, 20, 20, 10]);
    expect(batches[0]?.columns.pred).toBeInstanceOf(Float32Array);
    expect(columns.id?.[149]).toBe('s149');
    expect(columns.target?.slice(0, 4)).toEqual([0, 1, 0, 1]);
    expect(batches[3]?.where?.(1)).toEqual({ file: path, row: 51 });
  });

  it('turns 64-bit integers into Float64Array and nulls into null', async () => {
    const t = new Table({
      big: vectorFromArray([1n, 2n, 3n], new Int64()),
      p: vectorFromArray([0.5, null, 0.25], new Float32()),
    });
    const writer = new RecordBatchFileWriter();
    writer.writeAll(t);
    const path = join(dir, 'b.feather');
    writeFileSync(path, writer.toUint8Array(true));
    const { batches, columns } = await collect(arrowSource(path));
    expect(batches[0]?.columns.big).toBeInstanceOf(Float64Array);
    expect(columns).toEqual({ big: [1, 2, 3], p: [0.5, null, 0.25] });
  });

  it('reads only the requested columns and fails naming an absent one', async () => {
    const path = writeArrow('c.arrow', 'file', 1, 5);
    expect(Object.keys((await collect(arrowSource(path, { columns: ['pred'] }))).columns)).toEqual(['pred']);
    await expect(collect(arrowSource(path, { columns: ['score'] }))).rejects.toThrow(/c\.arrow: no column 'score'; closest: 'pred', 'id', 'target' \(of 3 columns\)/);
  });

  it('fails with an InputError on a file that is not Arrow', async () => {
    const path = join(dir, 'bad.arrow');
    writeFileSync(path, 'id,pred\n1,0.5\n');
    await expect(collect(arrowSource(path))).rejects.toThrow(InputError);
  });

  it('refuses a stream cut at a record-batch boundary (no end-of-stream marker), naming the file and the rows read', async () => {
    const path = writeArrow('cut.arrows', 'stream', 2, 20_000);
    const whole = readFileSync(path);
    // The end-of-stream marker is the last 8 bytes; without it the stream ends right after batch 2,
    // and cutting batch 2 off as well leaves a stream that ends exactly after batch 1.
    expect([...whole.subarray(whole.length - 8)]).toEqual([255, 255, 255, 255, 0, 0, 0, 0]);
    const atBoundary = join(dir, 'cut-boundary.arrows');
    const { batches } = await collect(arrowSource(path));
    expect(batches.reduce((s, b) => s + b.length, 0)).toBe(40_000);
    const layoutEnd = whole.length - 8;
    writeFileSync(atBoundary, whole.subarray(0, layoutEnd));
    await expect(collect(arrowSource(atBoundary))).rejects.toThrow(/cut-boundary\.arrows: truncated Arrow stream: no end-of-stream marker after 40000 rows in 2 record batches/);
    // Cut after the first batch: find its end from a one-batch stream of the same shape.
    const one = readFileSync(writeArrow('one.arrows', 'stream', 1, 20_000));
    writeFileSync(atBoundary, whole.subarray(0, one.length - 8));
    await expect(collect(arrowSource(atBoundary))).rejects.toThrow(/truncated Arrow stream: no end-of-stream marker after 20000 rows in 1 record batches/);
  });

  it.each([
    ['a file cut mid-batch', 'file', 'mid.arrow', 0.6],
    ['a feather file cut mid-batch', 'file', 'mid.feather', 0.3],
    ['a stream cut mid-batch', 'stream', 'mid.arrows', 0.6],
    ['a 0-byte file', 'file', 'empty.arrow', 0],
  ] as const)('refuses %s with an InputError naming the file', async (_what, format, name, keep) => {
    const path = writeArrow(`whole-${name}`, format, 2, 1000);
    const bytes = readFileSync(path);
    const cut = join(dir, name);
    writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length * keep)));
    const err = await collect(arrowSource(cut)).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toContain(cut);
  });

  it('refuses a FIFO cleanly instead of waiting for a writer', async () => {
    const fifo = join(dir, 'pipe.arrows');
    execFileSync('mkfifo', [fifo]);
    await expect(collect(arrowSource(fifo))).rejects.toThrow(/pipe\.arrows: not a regular file/);
  });
});
