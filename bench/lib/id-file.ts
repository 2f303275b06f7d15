/**
 * Large Arrow id files for benchmarks and memory tests (bench/ids, test/cache/sharded/id-column):
 * `n` ids `s000000000`, `s000000001`, … as the non-null Utf8 column `id`, in record batches of
 * 2^16 rows, written one batch at a time (memory: one batch, whatever `n`).
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { Field, RecordBatch, RecordBatchFileWriter, Schema, Struct, Utf8, makeData } from 'apache-arrow';

/** Rows per record batch. */
export const ID_BATCH_ROWS = 1 << 16;
/** Digits after the `s` of each id. */
export const ID_DIGITS = 9;
/** The id written at `row`. */
export const idOfRow = (row: number): string => `s${String(row).padStart(ID_DIGITS, '0')}`;

/** Writes the ids of rows 0 … n-1 to the new file `path` (refused if it exists). */
export async function writeIdFile(path: string, n: number): Promise<void> {
  const width = 1 + ID_DIGITS;
  const schema = new Schema([new Field('id', new Utf8(), false)]);
  const file = createWriteStream(path, { flags: 'wx' });
  await once(file, 'open');
  const writer = new RecordBatchFileWriter();
  writer.reset(file, schema);
  for (let start = 0; start < n; start += ID_BATCH_ROWS) {
    const rows = Math.min(ID_BATCH_ROWS, n - start);
    const offsets = new Int32Array(rows + 1);
    const bytes = new Uint8Array(rows * width);
    for (let j = 0; j < rows; j++) {
      offsets[j + 1] = (j + 1) * width;
      let v = start + j;
      const at = j * width;
      bytes[at] = 0x73; // 's'
      for (let d = ID_DIGITS; d >= 1; d--) {
        bytes[at + d] = 0x30 + (v % 10);
        v = Math.floor(v / 10);
      }
    }
    const id = makeData({ type: new Utf8(), length: rows, nullCount: 0, valueOffsets: offsets, data: bytes });
    writer.write(new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length: rows, nullCount: 0, children: [id] })));
    if (file.writableNeedDrain) await once(file, 'drain');
  }
  writer.finish();
  writer.close();
  if (!file.writableFinished) await once(file, 'finish');
}
