import { readFileSync } from 'node:fs';
import {
  Field,
  Float64,
  Int32,
  Int64,
  LargeUtf8,
  List,
  RecordBatch,
  RecordBatchFileWriter,
  Struct,
  Table,
  Uint8,
  Utf8,
  compressionRegistry,
  tableToIPC,
  vectorFromArray,
  type DataType,
} from 'apache-arrow';
import { CompressionType } from 'apache-arrow/fb/compression-type';
import { describe, expect, it } from 'vitest';
import { FuseflowError, InputError, OptionsError } from '../../../src/core/errors.js';
import { idsFromArrowFile } from '../../../src/core/ids/arrow-file-ids.js';
import { idsFromArrowVector, scanIds } from '../../../src/core/ids/id-column.js';
import { tempFolder } from '../../temp-folder.js';

const { write } = tempFolder('fuseflow-arrow-ids-');

/** Batches of the given sizes with three columns before the id (a float, a list, a struct) and the id last. */
function tableOf(sizes: readonly number[], idOf: (row: number) => unknown, idType: DataType): Table {
  let row = 0;
  const batches = sizes.map((size) => {
    const rows = Array.from({ length: size }, (_, i) => row + i);
    row += size;
    return new RecordBatch({
      x: vectorFromArray(
        rows.map((r) => r / 2),
        new Float64(),
      ).data[0]!,
      tags: vectorFromArray(
        rows.map((r) => Array.from({ length: r % 3 }, (_, k) => r + k)),
        new List(new Field('item', new Int32())),
      ).data[0]!,
      meta: vectorFromArray(
        rows.map((r) => ({ a: r, b: `m${r}` })),
        new Struct([new Field('a', new Int32()), new Field('b', new Utf8())]),
      ).data[0]!,
      id: vectorFromArray(rows.map(idOf), idType).data[0]!,
    });
  });
  return new Table(batches);
}

const sizes = [100, 1, 57, 300];
const n = sizes.reduce((a, b) => a + b, 0);
const idText = (r: number): string => `sample-${r}-${'é'.repeat(r % 4)}`;

describe('idsFromArrowFile', () => {
  it('reads every id by row from a multi-batch Arrow file, the id column after float, list and struct columns', () => {
    const file = write('ids.arrow', tableToIPC(tableOf(sizes, idText, new Utf8()), 'file'));
    const ids = idsFromArrowFile(file);
    expect(ids.length).toBe(n);
    expect(ids.batches).toBe(sizes.length);
    expect(ids.label).toBe(`${file}, column 'id'`);
    // Random access in a scattered order, then sequential: each equals the written id.
    for (let k = 0; k < n; k++) {
      const r = (k * 173) % n;
      expect(ids.at(r)).toBe(idText(r));
    }
    expect(Array.from({ length: n }, (_, r) => ids.at(r))).toEqual(Array.from({ length: n }, (_, r) => idText(r)));
    ids.close();
  });

  it('reads an Arrow IPC stream (.arrows) the same way, and another column by name', () => {
    const file = write('ids.arrows', tableToIPC(tableOf(sizes, idText, new Utf8()), 'stream'));
    const ids = idsFromArrowFile(file);
    expect(Array.from({ length: n }, (_, r) => ids.at(r))).toEqual(Array.from({ length: n }, (_, r) => idText(r)));
    ids.close();
    const tableFile = write('named.arrow', tableToIPC(new Table({ key: vectorFromArray(['p', 'q', 'r'], new Utf8()) }), 'file'));
    const named = idsFromArrowFile(tableFile, { column: 'key' });
    expect([0, 1, 2].map((r) => named.at(r))).toEqual(['p', 'q', 'r']);
    named.close();
  });

  it('reads LargeUtf8 ids and integer ids (signed 64-bit, unsigned 8-bit) as decimal text', () => {
    const large = idsFromArrowFile(write('large.arrow', tableToIPC(tableOf([3, 4], idText, new LargeUtf8()), 'file')));
    expect(Array.from({ length: 7 }, (_, r) => large.at(r))).toEqual(Array.from({ length: 7 }, (_, r) => idText(r)));
    large.close();
    const big = (r: number): bigint => BigInt(r) * 1_000_000_000_007n - 3_000_000_000_021n;
    const int64 = idsFromArrowFile(write('int64.arrow', tableToIPC(tableOf([5, 6], big, new Int64()), 'file')));
    expect(Array.from({ length: 11 }, (_, r) => int64.at(r))).toEqual(Array.from({ length: 11 }, (_, r) => big(r).toString()));
    expect(int64.indexOf(big(8).toString())).toBe(8);
    expect(int64.indexOf('12')).toBe(-1);
    int64.close();
    const uint8 = idsFromArrowFile(
      write(
        'uint8.arrow',
        tableToIPC(
          tableOf([4], (r) => 250 + r, new Uint8()),
          'file',
        ),
      ),
    );
    expect([0, 1, 2, 3].map((r) => uint8.at(r))).toEqual(['250', '251', '252', '253']);
    uint8.close();
  });

  it('finds the row of an id (indexOf scans batch by batch), -1 when absent', () => {
    const ids = idsFromArrowFile(write('find.arrow', tableToIPC(tableOf(sizes, idText, new Utf8()), 'file')));
    for (const r of [0, 99, 100, 101, 157, n - 1]) expect(ids.indexOf(idText(r))).toBe(r);
    expect(ids.indexOf('sample-3')).toBe(-1);
    expect(ids.indexOf('')).toBe(-1);
    ids.close();
  });

  it('names the file and row of a null id; indexOf skips nulls', () => {
    const file = write(
      'nulls.arrow',
      tableToIPC(
        tableOf([4, 4], (r) => (r === 5 ? null : `s${r}`), new Utf8()),
        'file',
      ),
    );
    const ids = idsFromArrowFile(file);
    expect(ids.at(4)).toBe('s4');
    expect(() => ids.at(5)).toThrow(InputError);
    expect(() => ids.at(5)).toThrow(/row 5 holds no sample id \(null\)/);
    expect(() => ids.at(5)).toThrow(file);
    expect(ids.at(6)).toBe('s6');
    expect(ids.indexOf('s7')).toBe(7);
    ids.close();
  });

  it('refuses a missing column (listing the columns), a non-id type, a non-Arrow file and a cut file', () => {
    const file = write('cols.arrow', tableToIPC(tableOf([3], idText, new Utf8()), 'file'));
    expect(() => idsFromArrowFile(file, { column: 'sampleId' })).toThrow(/no id column 'sampleId' \(the columns are 'x', 'tags', 'meta', 'id'\)/);
    expect(() => idsFromArrowFile(file, { column: 'x' })).toThrow(/id column 'x' holds Float64; sample ids must be Utf8, LargeUtf8 or integers/);
    expect(() => idsFromArrowFile(write('text.arrow', 'id\na\nb\n'))).toThrow(InputError);
    const bytes = readFileSync(file);
    expect(() => idsFromArrowFile(write('cut.arrow', bytes.subarray(0, Math.floor(bytes.length / 2))))).toThrow(/truncated Arrow file/);
    const stream = readFileSync(write('whole.arrows', tableToIPC(tableOf([50, 50], idText, new Utf8()), 'stream')));
    expect(() => idsFromArrowFile(write('cut.arrows', stream.subarray(0, stream.length - 300)))).toThrow(/truncated/);
    expect(() => idsFromArrowFile(write('empty.arrow', ''))).toThrow(InputError);
    expect(() => idsFromArrowFile(`${file}.absent`)).toThrow(/cannot open the id file/);
  });

  it('refuses compressed record batches, which cannot be read by row', async () => {
    // Not real ZSTD (bytes behind a ZSTD frame magic): enough for the writer to mark the batches compressed.
    const magic = [0x28, 0xb5, 0x2f, 0xfd, 0, 0];
    compressionRegistry.set(CompressionType.ZSTD, { encode: (x) => Uint8Array.from([...magic, ...x]), decode: (x) => x.subarray(magic.length) });
    const writer = new RecordBatchFileWriter({ compressionType: CompressionType.ZSTD });
    writer.write(tableOf([5], idText, new Utf8()));
    const file = write('zstd.arrow', await writer.toUint8Array());
    expect(() => idsFromArrowFile(file)).toThrow(/compressed \(LZ4\/ZSTD\), which cannot be read by row; write the id file uncompressed/);
  });

  it('scan reads every id in row order in bounded chunks (8,192 rows, 4 MiB), equal to at; names a null row', () => {
    // Batches over and under the row chunk, ids of 3,000 bytes so 1,500 of them pass the byte bound.
    const long = (r: number): string => `${r}:${'x'.repeat(r % 7 === 0 ? 3000 : 5)}${'é'.repeat(r % 3)}`;
    const sizesLong = [20_000, 3, 8192, 0, 9000];
    const rows = sizesLong.reduce((a, b) => a + b, 0);
    const lbl = (r: number): string => (r % 5 === 0 ? long(r) : idText(r));
    for (const type of [new Utf8(), new LargeUtf8()]) {
      const ids = idsFromArrowFile(write(`scan-${String(type)}.arrow`, tableToIPC(tableOf(sizesLong, lbl, type), 'file')));
      const scanned = [...ids.scan()];
      expect(scanned).toHaveLength(rows);
      expect(scanned).toEqual(Array.from({ length: rows }, (_, r) => lbl(r)));
      expect(ids.indexOf(lbl(rows - 1))).toBe(rows - 1);
      expect([...scanIds(ids)]).toEqual(scanned);
      ids.close();
      expect(() => [...ids.scan()]).toThrow(/closed/);
    }
    const big = (r: number): bigint => BigInt(r) * 1_000_000_000_007n - 3_000_000_000_021n;
    const int64 = idsFromArrowFile(write('scan-int64.arrow', tableToIPC(tableOf([9000, 5], big, new Int64()), 'file')));
    expect([...int64.scan()]).toEqual(Array.from({ length: 9005 }, (_, r) => big(r).toString()));
    int64.close();
    // A null in a chunk that does not start on a byte of the validity bitmap: 3,000-byte ids cut
    // the chunks at 1,398 rows (4 MiB), so the second chunk of the batch starts at bit 6.
    const wide = (r: number): string => `s${r}-${'y'.repeat(3000)}`;
    const file = write(
      'scan-nulls.arrow',
      tableToIPC(
        tableOf([3, 4000], (r) => (r === 3 + 1403 ? null : wide(r)), new Utf8()),
        'file',
      ),
    );
    const withNull = idsFromArrowFile(file);
    const seen: string[] = [];
    expect(() => {
      for (const id of withNull.scan()) seen.push(id);
    }).toThrow(new RegExp(`${file}.*row 1406 holds no sample id \\(null\\)`));
    expect(seen).toEqual(Array.from({ length: 1406 }, (_, r) => wide(r)));
    expect(withNull.indexOf(wide(1407))).toBe(1407);
    expect(withNull.indexOf(wide(1406))).toBe(-1);
    withNull.close();
    // A column without scan is read through at.
    expect([...scanIds(idsFromArrowVector(vectorFromArray(['a', 'b'], new Utf8())))]).toEqual(['a', 'b']);
    expect(scanIds(['x'])).toEqual(['x']);
  });

  it('refuses rows out of range, and reads after close', () => {
    const ids = idsFromArrowFile(write('close.arrow', tableToIPC(tableOf([3], idText, new Utf8()), 'file')));
    expect(() => ids.at(3)).toThrow(RangeError);
    expect(() => ids.at(-1)).toThrow(RangeError);
    ids.close();
    ids.close();
    expect(() => ids.at(0)).toThrow(FuseflowError);
    expect(() => ids.at(0)).toThrow(/closed/);
  });
});

describe('idsFromArrowVector', () => {
  it('reads ids from a vector in memory, naming the row of a null', () => {
    const ids = idsFromArrowVector(vectorFromArray(['a', null, 'c'], new Utf8()), "t.arrow, column 'id'");
    expect(ids.length).toBe(3);
    expect(ids.at(0)).toBe('a');
    expect(ids.at(2)).toBe('c');
    expect(() => ids.at(1)).toThrow(/t.arrow, column 'id': row 1 holds no sample id/);
    expect(idsFromArrowVector(vectorFromArray([3n, -4n], new Int64())).at(1)).toBe('-4');
    expect(() => idsFromArrowVector(vectorFromArray([1.5], new Float64()))).toThrow(OptionsError);
  });
});
