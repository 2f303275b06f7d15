/**
 * Reads several sources one after the other as one, optionally tagging each row with the index
 * of the source it came from (FuseMedML's `evaluator_fold` for a list of per-fold files).
 */
import { InputError, OptionsError } from '../../core/errors.js';
import type { EvalSource } from './eval-source.js';

/** Options of {@link concatSources}. */
export interface ConcatSourcesOptions {
  /** Column added to every batch holding the source's index (0, 1, …); default none. */
  readonly tagColumn?: string;
  /** Name used in messages; default `'concatenation'`. */
  readonly name?: string;
}

/**
 * Concatenates sources in order. Every source must have the same columns. Re-readable when all
 * are. Memory: one batch at a time.
 *
 * @example
 * const folds = concatSources([csvSource('fold0.csv'), csvSource('fold1.csv')], { tagColumn: 'evaluator_fold' });
 * @throws OptionsError for no sources; InputError (when scanned) when a source's columns differ
 *   from the first's or already contain `tagColumn`.
 */
export function concatSources(sources: readonly EvalSource[], options: ConcatSourcesOptions = {}): EvalSource {
  if (sources.length === 0) throw new OptionsError('concatSources: no sources');
  const tag = options.tagColumn;
  return {
    name: options.name ?? `concatenation of ${sources.map((s) => s.name).join(', ')}`,
    reReadable: sources.every((s) => s.reReadable),
    async scan(batchSize, onBatch) {
      let columns: string | undefined;
      for (let k = 0; k < sources.length; k++) {
        const source = sources[k] as EvalSource;
        await source.scan(batchSize, (batch) => {
          const names = Object.keys(batch.columns);
          const key = [...names].sort().join('\u0000');
          if (columns === undefined) columns = key;
          else if (key !== columns) throw new InputError(`columns (${names.join(', ')}) differ from those of the first source`, { file: source.name });
          if (tag === undefined) {
            onBatch(batch);
            return;
          }
          if (names.includes(tag)) throw new InputError(`already has a column '${tag}' (the source tag column)`, { file: source.name });
          onBatch({ ...batch, columns: { ...batch.columns, [tag]: new Int32Array(batch.length).fill(k) } });
        });
      }
    },
  };
}
