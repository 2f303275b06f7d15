/**
 * Writing an Arrow IPC file batch by batch so that it appears whole or not at all: the batches
 * stream into a temporary file beside the target (named by its writer, safe-fs `tempPathFor`), which
 * is renamed onto it once complete; a temporary a killed writer of the target left is removed by the next write.
 * `inferToArrow` (predictions) and `writeOutOfFold` (cross-validation) write through it.
 */
import { once } from 'node:events';
import { createWriteStream, renameSync, rmSync } from 'node:fs';
import { RecordBatchFileWriter, RecordBatchStreamWriter, type RecordBatch } from 'apache-arrow';
import { checkOutputTarget, outputErrorOf, pauseBeforeRename, removeStaleTemps, tempPathFor } from '../core/safe-fs.js';

/** Options of {@link writeArrowAtomic}. */
export interface ArrowOutOptions {
  /** Replace an existing file (a symbolic link at the target is refused either way). */
  readonly overwrite: boolean;
  /** IPC file (default) or stream format. */
  readonly format?: 'file' | 'stream';
}

/**
 * Runs `body` with a `write(batch)` that appends a record batch (waiting when the file stream
 * asks), then publishes the file at `path`. When `body` throws, or the publish fails, the
 * temporary file is removed and nothing at `path` changes.
 *
 * @example await writeArrowAtomic('preds.arrow', { overwrite: true }, async (write) => { await write(batch); });
 * @throws {OutputError} when `path` is refused or cannot be written; whatever `body` throws.
 */
export async function writeArrowAtomic<T>(path: string, options: ArrowOutOptions, body: (write: (batch: RecordBatch) => Promise<void>) => Promise<T>): Promise<T> {
  checkOutputTarget(path, { overwrite: options.overwrite });
  // Named by its writer (safe-fs tempPathFor): what a writer of this target killed on this host left is removed first.
  removeStaleTemps(path);
  const tmp = tempPathFor(path);
  const file = createWriteStream(tmp, { flags: 'wx' });
  // Wait for the open: a stream destroyed before its lazy open would still open (and fail or
  // leave the temp file behind) after we cleaned up.
  await once(file, 'open').catch((err: unknown) => {
    throw outputErrorOf(path, err);
  });
  const writer = (options.format ?? 'file') === 'file' ? new RecordBatchFileWriter() : new RecordBatchStreamWriter();
  writer.reset(file);
  let result: T;
  try {
    result = await body(async (batch) => {
      writer.write(batch);
      if (file.writableNeedDrain) await once(file, 'drain');
    });
    writer.finish();
    writer.close();
    if (!file.writableFinished) await once(file, 'finish');
  } catch (err) {
    file.destroy();
    await once(file, 'close').catch(() => undefined);
    rmSync(tmp, { force: true });
    throw err;
  }
  try {
    pauseBeforeRename(tmp);
    checkOutputTarget(path, { overwrite: options.overwrite });
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw outputErrorOf(path, err);
  }
  return result;
}
