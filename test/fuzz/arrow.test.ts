/**
 * Fuzz: an Arrow IPC file and an Arrow IPC stream of predictions (two record batches: a float64
 * score and an int8 target), cut at a random byte or with one random bit flipped, read through
 * `arrowSource` (what `evaluate` and `fuseflow eval` read Arrow with).
 *
 * The property, stated honestly: Arrow has no checksum, so one flipped bit inside a column's value
 * bytes changes one value and nothing can tell. Everything else — framing, metadata, footer,
 * end-of-stream marker, row counts, buffer offsets and lengths, padding — is checked. So:
 * - a cut anywhere, or a flip outside the value bytes: the exact undamaged columns, or an
 *   InputError naming the file;
 * - a flip inside the value bytes (known from the undamaged file's layout): the above, or the
 *   same columns with the same row count where exactly one cell differs (the flipped value).
 * Never a short read, an extra row, another error type or a stack trace.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { RecordBatchFileWriter, RecordBatchStreamWriter, Table, vectorFromArray } from 'apache-arrow';
import { InputError } from '../../src/core/errors.js';
import { arrowSource } from '../../src/eval/sources/arrow-source.js';
import { checkArrowIpc } from '../../src/eval/sources/arrow-ipc-check.js';
import { FuzzTally, applyDamage, damageOf, exactOrInputError, fuzzParams, type Damage } from './fuzz-kit.js';

const dir = mkdtempSync(join(tmpdir(), 'fuseflow-fuzz-arrow-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Columns = Record<string, unknown[]>;

async function readColumns(path: string): Promise<Columns> {
  const out: Columns = { pred: [], target: [] };
  await arrowSource(path, { columns: ['pred', 'target'] }).scan(1000, (b) => {
    for (const k of ['pred', 'target']) out[k]?.push(...Array.from(b.columns[k] as ArrayLike<unknown>));
  });
  return out;
}

function writePredictions(format: 'file' | 'stream'): Uint8Array {
  const writer = format === 'file' ? new RecordBatchFileWriter() : new RecordBatchStreamWriter();
  for (let b = 0; b < 2; b++) {
    const rows = 60 + 17 * b;
    const t = new Table({
      pred: vectorFromArray(Float64Array.from({ length: rows }, (_, i) => ((i * 37 + b) % 101) / 100)),
      target: vectorFromArray(Int8Array.from({ length: rows }, (_, i) => ((i * 7 + b) % 3 === 0 ? 1 : 0))),
    });
    for (const rb of t.batches) writer.write(rb);
  }
  writer.finish();
  return writer.toUint8Array(true);
}

/** Byte ranges of value buffers (where a flip is an undetectable changed value). */
async function valueRanges(path: string): Promise<(readonly [number, number])[]> {
  const handle = await open(path, 'r');
  try {
    const layout = await checkArrowIpc(handle, (await handle.stat()).size, path);
    return layout.batches.flatMap((b) => b.buffers);
  } finally {
    await handle.close();
  }
}

function differingCells(a: Columns, b: Columns): number {
  let n = 0;
  for (const k of Object.keys(a)) {
    const x = a[k] as unknown[];
    const y = b[k] as unknown[];
    expect(y).toHaveLength(x.length);
    for (let i = 0; i < x.length; i++) if (!Object.is(x[i], y[i])) n++;
  }
  return n;
}

describe.each(['file', 'stream'] as const)('fuzz: a damaged Arrow IPC %s of predictions', (format) => {
  it('gives the exact columns or an InputError naming the file (one changed value only for a flip inside value bytes)', async () => {
    const bytes = writePredictions(format);
    const original = join(dir, `whole.${format === 'file' ? 'arrow' : 'arrows'}`);
    writeFileSync(original, bytes);
    const expected = await readColumns(original);
    expect(expected.pred).toHaveLength(137);
    const values = await valueRanges(original);
    const inValues = (at: number): boolean => values.some(([s, e]) => at >= s && at < e);
    const tally = new FuzzTally(`arrow ${format}`);
    let changedValues = 0;
    const path = join(dir, `damaged.${format === 'file' ? 'arrow' : 'arrows'}`);
    await fc.assert(
      fc.asyncProperty(damageOf(bytes.length), async (d: Damage) => {
        writeFileSync(path, applyDamage(bytes, d));
        if (d.kind === 'flip' && inValues(d.at)) {
          let got: Columns;
          try {
            got = await readColumns(path);
          } catch (err) {
            expect(err).toBeInstanceOf(InputError);
            expect((err as Error).message).toContain(path);
            tally.refused++;
            return;
          }
          const n = differingCells(expected, got);
          expect(n).toBeLessThanOrEqual(1);
          if (n === 0) tally.exact++;
          else changedValues++;
          return;
        }
        await exactOrInputError(tally, path, expected, () => readColumns(path));
      }),
      fuzzParams(250),
    );
    tally.report();
    console.log(`fuzz arrow ${format}: ${changedValues} flips inside value bytes changed exactly one value (undetectable without a checksum)`);
    expect(readFileSync(original)).toEqual(Buffer.from(bytes));
  });
});
