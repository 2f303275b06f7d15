/**
 * Many prediction files read as ONE set of rows: the files in the order given (sorted path order
 * when they come from {@link expandInput}), every file with the same columns. A part of such a
 * set — whole files, or record batches of Arrow files — is what one shard of a map/merge
 * evaluation reads (see src/eval/shard/shard-share.ts).
 */
import { extname } from 'node:path';
import { InputError, OptionsError } from '../../core/errors.js';
import { fileSource, type FileSourceOptions } from '../evaluate-input.js';
import { arrowSource } from './arrow-source.js';
import type { EvalSource } from './eval-source.js';
import { recordSetParts } from './set-parts.js';

/** One file of a set, or some of its Arrow record batches. */
export interface FilePart {
  readonly path: string;
  /** Record batches `start` to `end - 1` only (Arrow files); absent: the whole file. */
  readonly recordBatches?: { readonly start: number; readonly end: number };
}

/** Options of {@link fileSetSource}. */
export interface FileSetSourceOptions extends FileSourceOptions {
  /** Name used in messages; default the first file's path and the count. */
  readonly name?: string;
}

/**
 * Reads `parts` one after the other as one source. Every file must have the same columns (in any
 * order) as the first; rows keep their file and row number for messages. Re-readable. Memory:
 * one record batch (or CSV batch) at a time.
 *
 * @example
 * const rows = fileSetSource(expandInput('preds/*.arrow').map((path) => ({ path })));
 * @throws OptionsError for no parts; InputError (when scanned) naming the file whose columns
 *   differ from the first file's, and saying which columns are missing or extra.
 */
export function fileSetSource(parts: readonly FilePart[], options: FileSetSourceOptions = {}): EvalSource {
  const first = parts[0];
  if (first === undefined) throw new OptionsError('fileSetSource: no files');
  const sources = parts.map((p) => partSource(p, options));
  const set: EvalSource = {
    name: options.name ?? (parts.length === 1 ? first.path : `${first.path} and ${parts.length - 1} more file${parts.length === 2 ? '' : 's'}`),
    reReadable: sources.every((s) => s.reReadable),
    async scan(batchSize, onBatch) {
      let expected: { readonly file: string; readonly columns: readonly string[] } | undefined;
      for (let k = 0; k < sources.length; k++) {
        const source = sources[k] as EvalSource;
        let checked = false;
        await source.scan(batchSize, (batch) => {
          if (!checked) {
            const names = Object.keys(batch.columns);
            if (expected === undefined) expected = { file: source.name, columns: names };
            else checkColumns(source.name, names, expected);
            checked = true;
          }
          onBatch(batch);
        });
      }
    },
  };
  recordSetParts(set, sources);
  return set;
}

/** A source with no rows (the share of a shard that gets no file), named `name`. */
export function emptySource(name: string): EvalSource {
  return { name, reReadable: true, scan: () => Promise.resolve() };
}

function partSource(part: FilePart, options: FileSourceOptions): EvalSource {
  if (part.recordBatches === undefined) return fileSource(part.path, options);
  const ext = extname(part.path).toLowerCase();
  if (!['.arrow', '.arrows', '.feather', '.ipc'].includes(ext)) throw new OptionsError(`fileSetSource: record batches of '${part.path}': only Arrow files have record batches`);
  return arrowSource(part.path, { recordBatches: part.recordBatches });
}

function checkColumns(file: string, names: readonly string[], expected: { readonly file: string; readonly columns: readonly string[] }): void {
  const have = new Set(names);
  const want = new Set(expected.columns);
  const missing = expected.columns.filter((c) => !have.has(c));
  const extra = names.filter((c) => !want.has(c));
  if (missing.length === 0 && extra.length === 0) return;
  const what = [missing.length > 0 ? `lacks ${missing.map((c) => `'${c}'`).join(', ')}` : '', extra.length > 0 ? `has extra ${extra.map((c) => `'${c}'`).join(', ')}` : '']
    .filter((x) => x !== '')
    .join(' and ');
  throw new InputError(
    `columns differ from those of the first file of the set, ${expected.file} (${expected.columns.join(', ')}): this file ${what}; every file of one --input must have the same columns (give files with other columns as another --input, joined by --id)`,
    { file },
  );
}
