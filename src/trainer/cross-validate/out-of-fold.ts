/**
 * Out-of-fold predictions: each fold's prediction file (the ids it validated) joined by id into
 * one Arrow file with a `fold` column, checked to hold every id of the split exactly once.
 */
import { readFileSync } from 'node:fs';
import { Int32, RecordBatch, makeData, tableFromIPC, type Data, type Table } from 'apache-arrow';
import { InputError } from '../../core/errors.js';
import { writeArrowAtomic } from '../arrow-file-out.js';

/** One fold's predictions. */
export interface FoldPredictions {
  readonly fold: number;
  /** Arrow IPC file with an `id` column (what `inferToArrow` writes). */
  readonly path: string;
  /** The ids this fold validated: the file must hold each exactly once and no other. */
  readonly ids: readonly string[];
}

/** Options of {@link writeOutOfFold}. */
export interface WriteOutOfFoldOptions {
  readonly folds: readonly FoldPredictions[];
  /** Output Arrow file. Required. */
  readonly path: string;
  /** Replace an existing file. Default false (refused). */
  readonly overwrite?: boolean;
  /** Name of the fold column added. Default `'fold'`. */
  readonly foldColumn?: string;
}

/** What {@link writeOutOfFold} wrote. */
export interface OutOfFoldResult {
  readonly path: string;
  readonly rows: number;
  readonly columns: readonly string[];
}

function readTable(path: string): Table {
  try {
    return tableFromIPC(readFileSync(path));
  } catch (err) {
    throw new InputError(`cannot read the fold's predictions: ${err instanceof Error ? err.message : String(err)}`, { file: path });
  }
}

/**
 * Joins the folds' predictions by id into one Arrow file (fold order, each file's row order),
 * adding the fold index. Memory: one fold's predictions at a time.
 * @example await writeOutOfFold({ folds: [{ fold: 0, path: 'fold-0/predictions.arrow', ids: valid0 }, …], path: 'oof.arrow' });
 * @throws {InputError} naming the file for a missing `id` column, columns that differ from the first fold's, an id twice, an id the fold did not validate, or an id of the split with no prediction.
 * @throws {OutputError} for an existing output without `overwrite`, a link, or a failed write.
 */
export async function writeOutOfFold(options: WriteOutOfFoldOptions): Promise<OutOfFoldResult> {
  const foldColumn = options.foldColumn ?? 'fold';
  const seen = new Set<string>();
  let columns: string[] | null = null;
  let names: string[] = [];
  let rows = 0;
  await writeArrowAtomic(options.path, { overwrite: options.overwrite === true }, async (write) => {
    for (const fold of options.folds) {
      const table = readTable(fold.path);
      const here = table.schema.fields.map((f) => f.name);
      if (!here.includes('id')) throw new InputError(`no 'id' column (columns: ${here.join(', ')})`, { file: fold.path });
      if (here.includes(foldColumn)) throw new InputError(`already has a '${foldColumn}' column`, { file: fold.path });
      const signature = table.schema.fields.map((f) => `${f.name}:${String(f.type as unknown)}`);
      if (columns === null) {
        columns = signature;
        names = table.schema.fields.map((f) => f.name);
      } else if (signature.join(',') !== columns.join(','))
        throw new InputError(`columns (${signature.join(', ')}) differ from the first fold's (${columns.join(', ')})`, { file: fold.path });
      const expected = new Set(fold.ids);
      for (const batch of table.batches) {
        const ids = batch.getChild('id');
        for (let i = 0; i < batch.numRows; i++) {
          const id = String(ids?.get(i));
          if (seen.has(id)) throw new InputError(`sample id '${id}' has a prediction twice in the out-of-fold set`, { file: fold.path });
          if (!expected.has(id)) throw new InputError(`sample id '${id}' is not in fold ${fold.fold}'s validation set`, { file: fold.path });
          seen.add(id);
        }
        const data: Record<string, Data> = {};
        table.schema.fields.forEach((f, j) => {
          const child = batch.data.children[j];
          if (child !== undefined) data[f.name] = child;
        });
        data[foldColumn] = makeData({ type: new Int32(), length: batch.numRows, data: new Int32Array(batch.numRows).fill(fold.fold) });
        await write(new RecordBatch(data));
        rows += batch.numRows;
      }
      const missing = fold.ids.filter((id) => !seen.has(id));
      if (missing.length > 0)
        throw new InputError(
          `${missing.length} id(s) of fold ${fold.fold}'s validation set have no prediction (${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', …' : ''})`,
          {
            file: fold.path,
          },
        );
    }
  });
  return { path: options.path, rows, columns: [...names, foldColumn] };
}
