import { Field, Int32, List, Message, MessageHeader, RecordBatch, Table, Utf8, tableToIPC, vectorFromArray } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { HEADER_DICTIONARY_BATCH, HEADER_RECORD_BATCH, HEADER_SCHEMA, readMessageHead } from '../../../src/core/ids/arrow-batch-header.js';

/** The metadata flatbuffer of every message of an Arrow IPC stream. */
function messagesOf(bytes: Uint8Array): Uint8Array[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Uint8Array[] = [];
  for (let pos = 0; pos + 8 <= bytes.length;) {
    const length = view.getUint32(pos + 4, true);
    if (length === 0) break;
    const meta = bytes.subarray(pos + 8, pos + 8 + length);
    out.push(meta);
    pos += 8 + length + Number(Message.decode(meta).bodyLength);
  }
  return out;
}

describe('readMessageHead', () => {
  it("reads the type, body length, rows, field nodes and buffers apache-arrow's decoder reads", () => {
    const batches = [3, 0, 17].map((n) => {
      const rows = Array.from({ length: n }, (_, i) => i);
      return new RecordBatch({
        id: vectorFromArray(
          rows.map((i) => (i % 5 === 1 ? null : `id${i}`)),
          new Utf8(),
        ).data[0]!,
        tags: vectorFromArray(
          rows.map((i) => Array.from({ length: i % 3 }, () => i)),
          new List(new Field('item', new Int32())),
        ).data[0]!,
      });
    });
    const metas = messagesOf(tableToIPC(new Table(batches), 'stream'));
    expect(metas.length).toBe(4);
    for (const meta of metas) {
      const want = Message.decode(meta);
      const got = readMessageHead(meta);
      expect(got.bodyLength).toBe(Number(want.bodyLength));
      expect(got.headerType).toBe(want.headerType);
      if (want.headerType !== MessageHeader.RecordBatch) {
        expect(got.headerType).toBe(HEADER_SCHEMA);
        expect(got.batch).toBeUndefined();
        continue;
      }
      expect(got.headerType).toBe(HEADER_RECORD_BATCH);
      const header = want.header() as unknown as {
        length: number;
        nodes: { length: number; nullCount: number }[];
        buffers: { offset: number; length: number }[];
        compression: unknown;
      };
      const batch = got.batch!;
      expect(batch.length).toBe(Number(header.length));
      expect(batch.compressed).toBe(false);
      expect(batch.nodeCount).toBe(header.nodes.length);
      expect(batch.bufferCount).toBe(header.buffers.length);
      header.nodes.forEach((n, i) => expect(batch.node(i)).toEqual([Number(n.length), Number(n.nullCount)]));
      header.buffers.forEach((b, i) => expect(batch.buffer(i)).toEqual([Number(b.offset), Number(b.length)]));
      expect(() => batch.node(header.nodes.length)).toThrow(RangeError);
    }
    expect(HEADER_DICTIONARY_BATCH).toBe(MessageHeader.DictionaryBatch);
  });

  it('throws a RangeError for a header whose offsets point outside it', () => {
    const meta = messagesOf(tableToIPC(new Table({ id: vectorFromArray(['a', 'b'], new Utf8()) }), 'stream'))[1]!;
    expect(() => readMessageHead(meta.subarray(0, 12))).toThrow(RangeError);
    const bent = Uint8Array.from(meta);
    new DataView(bent.buffer).setUint32(0, 1 << 20, true); // root table far past the end
    expect(() => readMessageHead(bent)).toThrow(RangeError);
  });
});
