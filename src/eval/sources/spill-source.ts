/**
 * Makes a one-shot source re-readable by copying it to a temporary file during its first read
 * (each batch serialised with `v8.serialize`, so typed arrays, strings and nulls come back as
 * they were). Later reads stream that file back frame by frame. Memory: one batch; disk: the
 * whole input once.
 */
import { closeSync, createReadStream, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deserialize, serialize } from 'node:v8';
import type { EvalBatch } from '../metric.js';
import { FuseflowError } from '../../core/errors.js';
import { emitSliced, type EvalSource } from './eval-source.js';

/** Options of {@link spillSource}. */
export interface SpillSourceOptions {
  /** Folder for the temporary copy; default the OS temp folder. */
  readonly tmpDir?: string;
}

/** A source copied to disk on its first read; `close` removes the copy. */
export interface SpilledSource extends EvalSource {
  close(): Promise<void>;
}

/**
 * Wraps `source` so it can be read again: the first `scan` reads `source` and writes every batch
 * to a temporary file; later scans read the file. A source that is already re-readable is read
 * directly (nothing is written).
 *
 * @example
 * const src = spillSource(iterableSource(stream));
 * @throws FuseflowError when scanned again before the first read finished, or after it failed.
 */
export function spillSource(source: EvalSource, options: SpillSourceOptions = {}): SpilledSource {
  if (source.reReadable) return { name: source.name, reReadable: true, scan: (n, f) => source.scan(n, f), close: () => Promise.resolve() };
  let dir: string | undefined;
  let file: string | undefined;
  let state: 'fresh' | 'reading' | 'spilled' | 'failed' = 'fresh';
  const name = `${source.name} (spilled to disk)`;
  return {
    name,
    reReadable: true,
    async scan(batchSize, onBatch) {
      if (state === 'fresh') {
        state = 'reading';
        dir = mkdtempSync(join(options.tmpDir ?? tmpdir(), 'fuseflow-spill-'));
        file = join(dir, 'batches.v8');
        const fd = openSync(file, 'w');
        const header = Buffer.alloc(4);
        try {
          await source.scan(batchSize, (batch) => {
            const bytes = serialize(batch.columns);
            header.writeUInt32LE(bytes.length, 0);
            writeSync(fd, header);
            writeSync(fd, bytes);
            onBatch(batch);
          });
          state = 'spilled';
        } catch (err) {
          state = 'failed';
          throw err;
        } finally {
          closeSync(fd);
        }
        return;
      }
      if (state !== 'spilled') throw new FuseflowError(`${source.name}: cannot read again: its first read ${state === 'reading' ? 'has not finished' : 'failed'}`);
      let row = 0;
      let pending: Buffer = Buffer.alloc(0);
      for await (const chunk of createReadStream(file as string, { highWaterMark: 1 << 20 })) {
        pending = pending.length === 0 ? (chunk as Buffer) : Buffer.concat([pending, chunk as Buffer]);
        let offset = 0;
        while (pending.length - offset >= 4) {
          const size = pending.readUInt32LE(offset);
          if (pending.length - offset - 4 < size) break;
          const columns = deserialize(pending.subarray(offset + 4, offset + 4 + size)) as EvalBatch;
          offset += 4 + size;
          const first = row;
          const length = Object.values(columns)[0]?.length ?? 0;
          emitSliced({ columns, length, where: (i) => ({ file: source.name, row: first + i }) }, batchSize, onBatch);
          row += length;
        }
        pending = pending.subarray(offset);
      }
      if (pending.length > 0) throw new FuseflowError(`${name}: the spill file ends inside a batch`);
    },
    close() {
      if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
      dir = undefined;
      return Promise.resolve();
    },
  };
}
