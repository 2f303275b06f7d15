/**
 * Parallel evaluation of an Arrow IPC file without the main thread reading it: the main thread
 * only plans segments (ranges of record batches, from the file's checked structure), and each
 * worker thread reads its segments' record batches itself (random access through the file's
 * footer) and folds them. The segments are exactly those the main thread's own read would cut
 * (the same batches of at most `batchSize` rows, a segment closing after the batch that brings
 * its rows to `segmentRows`), so states are grouped and merged as in one thread: the same bits
 * for any thread count.
 */
import { open, stat, type FileHandle } from 'node:fs/promises';
import { RecordBatchReader, Table, tableToIPC, type RecordBatch } from 'apache-arrow';
import { Footer, type FileBlock } from 'apache-arrow/ipc/metadata/file';
import { footerBoundsProblem } from '../sources/arrow-flatbuffer-bounds.js';
import { InputError } from '../../core/errors.js';
import { arrowFileOf, batchColumns, openArrowReader, readableColumns, type ArrowFileRef } from '../sources/arrow-source.js';
import { fileSetPartsOf } from '../sources/set-parts.js';
import { checkArrowIpc } from '../sources/arrow-ipc-check.js';
import { scoreBatch, scoredSourceOf, type ScoreSourceOptions } from '../sources/score-source.js';
import type { EvalSource, SourceBatch } from '../sources/eval-source.js';
import { sliceColumns } from '../sources/eval-source.js';

/** Rows `start` to `end - 1` of record batch `batch` of `file` (which declares `rows` rows and starts at file row `firstRow`), columns `columns`. */
export interface BatchRange {
  readonly file: string;
  readonly columns: readonly string[];
  readonly batch: number;
  readonly rows: number;
  readonly firstRow: number;
  readonly start: number;
  readonly end: number;
}

/** One segment to read: record batch ranges, in order (of one file or of consecutive files of a set). */
export interface ReadSegment {
  readonly ranges: readonly BatchRange[];
  readonly rows: number;
  /** The score check or conversion of a {@link scoreSource} over the file, applied to each batch. */
  readonly scores?: ScoreSourceOptions;
}

/** The segments of one read of a file. */
export interface ReadPlan {
  readonly segments: readonly ReadSegment[];
  readonly rows: number;
}

/**
 * Plans `source`'s segments for worker threads that read the file themselves, or returns null
 * when `source` is not an Arrow IPC *file* source or a set of them ({@link fileSetSource}, files
 * with the same columns), alone or under a score check
 * ({@link scoreSource}, which the workers then apply to each batch): a stream has no index to
 * seek by; other sources are read by the main thread.
 * @throws InputError naming the file when it cannot be opened, is structurally corrupt, or lacks
 *   a requested column (as {@link arrowSource}'s own read would).
 */
export async function planArrowRead(source: EvalSource, batchSize: number, segmentRows: number): Promise<ReadPlan | null> {
  const scored = scoredSourceOf(source);
  const base = scored?.inner ?? source;
  const refs = (fileSetPartsOf(base) ?? [base]).map(arrowFileOf);
  if (refs.length === 0 || refs.some((r) => r === undefined)) return null;
  const scores: ScoreSourceOptions | undefined =
    scored === undefined
      ? undefined
      : { columns: [...scored.options.columns], kind: scored.options.kind, ...(scored.options.idColumn === undefined ? {} : { idColumn: scored.options.idColumn }) };
  const files: FileLayout[] = [];
  for (const ref of refs as ArrowFileRef[]) {
    const layout = await fileLayout(ref);
    if (layout === null) return null;
    // Files of a set with other columns: left to the set's own read, which names the difference.
    const first = files[0];
    if (first !== undefined && (first.columns.length !== layout.columns.length || !layout.columns.every((c) => first.columns.includes(c)))) return null;
    files.push(layout);
  }
  const segments: ReadSegment[] = [];
  let ranges: BatchRange[] = [];
  let segRows = 0;
  let total = 0;
  const close = (): void => {
    segments.push({ ranges, rows: segRows, ...(scores === undefined ? {} : { scores }) });
    ranges = [];
    segRows = 0;
  };
  for (const { file, columns, batches, range } of files) {
    let firstRow = 0;
    batches.forEach((rows, k) => {
      const first = firstRow;
      firstRow += rows;
      if (k < range.start || k >= range.end) return;
      // The pieces emitSliced cuts: [0, b), [b, 2b), …; a segment closes after the piece that fills it.
      let start = 0;
      for (let at = 0; at < rows; at += batchSize) {
        const end = Math.min(rows, at + batchSize);
        segRows += end - at;
        total += end - at;
        if (segRows >= segmentRows) {
          ranges.push({ file, columns, batch: k, rows, firstRow: first, start, end });
          start = end;
          close();
        }
      }
      if (start < rows) ranges.push({ file, columns, batch: k, rows, firstRow: first, start, end: rows });
    });
  }
  if (segRows > 0) close();
  return { segments, rows: total };
}

/** One file's record batch rows, the columns to read and the batches asked for. */
interface FileLayout {
  readonly file: string;
  readonly columns: readonly string[];
  readonly batches: readonly number[];
  readonly range: { readonly start: number; readonly end: number };
}

/** The checked structure of `ref`'s file, or null when it is not a regular Arrow IPC file (left to the source's own read). */
async function fileLayout(ref: ArrowFileRef): Promise<FileLayout | null> {
  const { file } = ref;
  // Anything but a readable regular file is left to the source's own read (and its messages); a FIFO must not be opened here.
  const info = await stat(file).catch(() => null);
  if (info === null || !info.isFile()) return null;
  const handle = await open(file, 'r').catch(() => null);
  if (handle === null) return null;
  try {
    const layout = await checkArrowIpc(handle, (await handle.stat()).size, file);
    if (layout.format !== 'file') return null;
    const reader = await openArrowReader(handle, file);
    const columns = readableColumns(reader.schema, ref.columns, file);
    const range = ref.recordBatches ?? { start: 0, end: layout.batches.length };
    if (range.end > layout.batches.length)
      throw new InputError(`has ${layout.batches.length} record batches; batches ${range.start} to ${range.end - 1} were asked for (did the file change?)`, { file });
    return { file, columns, batches: layout.batches.map((b) => b.rows), range };
  } finally {
    await handle.close();
  }
}

/** An open Arrow file read by record batch index. */
interface OpenFile {
  close(): Promise<void>;
  /** Record batch `k`; its bytes go into `pool` when given and large enough (then its columns are views of `pool`). */
  read(k: number, pool: Pool): Promise<RecordBatch | null>;
}

/** The reader's reusable read buffer: `bytes` while nothing keeps a view of it, else null (the next read takes a fresh one). */
interface Pool {
  bytes: Uint8Array | null;
}

/**
 * Reads record batches of Arrow files by index, one open reader per file (worker side).
 *
 * Memory: one record batch at a time, read into one buffer that the next batch reuses, unless
 * `keeps` says the folded states hold a view of it (a metric that keeps rows): then that buffer
 * is left to them and the next batch gets a fresh one. (Without reuse, each batch's fresh
 * buffer stays allocated until the garbage collector runs — tens of MB per thread.) Files with
 * dictionary-encoded columns are read through apache-arrow's file reader, a fresh buffer a batch.
 */
export class BatchReader {
  readonly #open = new Map<string, Promise<OpenFile>>();
  readonly #pool: Pool = { bytes: null };

  /**
   * Calls `onBatch` with the batches (at most `batchSize` rows) of `segment`, in order. After each
   * record batch, `keeps(buffer)` tells whether anything the batches were folded into holds a
   * view of `buffer` (default: assume so, and never reuse a buffer).
   * @throws InputError naming the file when a record batch cannot be read or holds another row
   *   count than the plan (the file changed).
   */
  async read(segment: ReadSegment, batchSize: number, onBatch: (batch: SourceBatch) => void, keeps: (buffer: ArrayBufferLike) => boolean = () => true): Promise<void> {
    for (const r of segment.ranges) {
      const { file } = r;
      const reader = await this.#reader(file);
      let batch;
      try {
        batch = await reader.read(r.batch, this.#pool);
      } catch (err) {
        throw new InputError(`corrupt Arrow record batch ${r.batch}: ${err instanceof Error ? err.message : String(err)}`, { file });
      }
      if (batch === null || batch.numRows !== r.rows)
        throw new InputError(`record batch ${r.batch}: read ${batch?.numRows ?? 'no'} rows where the file declared ${r.rows} (did the file change?)`, { file });
      let columns;
      try {
        columns = batchColumns(batch, r.columns);
      } catch (err) {
        throw new InputError(`corrupt Arrow record batch ${r.batch}: ${err instanceof Error ? err.message : String(err)}`, { file });
      }
      try {
        for (let at = r.start; at < r.end; at += batchSize) {
          const end = Math.min(r.end, at + batchSize);
          const first = r.firstRow + at;
          const piece: SourceBatch = { columns: at === 0 && end === r.rows ? columns : sliceColumns(columns, at, end), length: end - at, where: (i) => ({ file, row: first + i }) };
          onBatch(segment.scores === undefined ? piece : scoreBatch(piece, segment.scores, file));
        }
      } finally {
        const pool = this.#pool.bytes;
        if (pool !== null && keeps(pool.buffer)) this.#pool.bytes = null;
      }
    }
  }

  #reader(file: string): Promise<OpenFile> {
    let r = this.#open.get(file);
    if (r === undefined) {
      r = (async () => {
        const handle = await open(file, 'r').catch((err: unknown) => {
          throw new InputError(`cannot open: ${err instanceof Error ? err.message : String(err)}`, { file });
        });
        try {
          const reader = await RecordBatchReader.from(handle);
          await reader.open();
          if (!reader.isFile()) throw new Error('not an Arrow IPC file (no footer)');
          const size = (await handle.stat()).size;
          const blocks = reader.schema.dictionaries.size > 0 ? null : await footerBlocks(handle, size);
          if (blocks === null) return { close: () => handle.close(), read: async (k: number) => (await reader.readRecordBatch(k)) ?? null };
          // A stream of the schema message, the batch's message and the end-of-stream marker, decoded in place.
          const stream = tableToIPC(new Table(reader.schema), 'stream');
          const head = stream.subarray(0, stream.length - 8);
          const eos = stream.subarray(stream.length - 8);
          return {
            close: () => handle.close(),
            async read(k: number, pool: Pool) {
              const block = blocks[k];
              if (block === undefined) return null;
              const at = Number(block.offset);
              const length = block.metaDataLength + Number(block.bodyLength);
              if (!(at >= 0 && length > 0 && at + length <= size)) throw new Error(`its bytes ${at} to ${at + length} lie outside the file (${size} bytes)`);
              const need = head.length + length + eos.length;
              let bytes = pool.bytes;
              if (bytes === null || bytes.length < need) {
                // An eighth more, so batches of varying size (strings) rarely need a new buffer.
                bytes = new Uint8Array(need + (need >>> 3));
                pool.bytes = bytes;
              }
              bytes.set(head, 0);
              let done = 0;
              while (done < length) {
                const { bytesRead } = await handle.read(bytes, head.length + done, length - done, at + done);
                if (bytesRead === 0) throw new Error(`the file ends inside it (byte ${at + done})`);
                done += bytesRead;
              }
              bytes.set(eos, head.length + length);
              const batch = RecordBatchReader.from(bytes.subarray(0, need)).next();
              return batch.done === true ? null : batch.value;
            },
          };
        } catch (err) {
          await handle.close();
          throw new InputError(`not an Arrow IPC file: ${err instanceof Error ? err.message : String(err)}`, { file });
        }
      })();
      this.#open.set(file, r);
    }
    return r;
  }

  /** Closes every open file. */
  async close(): Promise<void> {
    const all = [...this.#open.values()];
    this.#open.clear();
    this.#pool.bytes = null;
    await Promise.all(all.map((p) => p.then((r) => r.close()).catch(() => undefined)));
  }
}

/** The record batch blocks listed in the footer of the Arrow file open as `handle` (`size` bytes). */
async function footerBlocks(handle: FileHandle, size: number): Promise<FileBlock[]> {
  const tail = Buffer.alloc(10);
  if (size < 18 || (await handle.read(tail, 0, 10, size - 10)).bytesRead !== 10) throw new Error('too short for an Arrow file footer');
  const length = tail.readInt32LE(0);
  if (!(length > 0 && length <= size - 18)) throw new Error(`footer length ${length} does not fit in ${size} bytes`);
  const bytes = Buffer.alloc(length);
  if ((await handle.read(bytes, 0, length, size - 10 - length)).bytesRead !== length) throw new Error('the footer is cut short');
  const problem = footerBoundsProblem(bytes);
  if (problem !== undefined) throw new Error(`corrupt footer: ${problem}`);
  return [...Footer.decode(bytes).recordBatches()];
}
