/**
 * Several models' prediction files joined by sample id and combined into one model's scores
 * (FuseMedML's ensembling: average or vote, here with weights), to be evaluated like one model.
 */
import { InputError, OptionsError } from '../../core/errors.js';
import type { EvalSource, SourceBatch } from '../sources/eval-source.js';
import { describeOrigin } from '../sources/eval-source.js';
import { joinSources, type JoinedSource, type MissingPolicy } from '../sources/join-sources.js';
import { scoreBatch, SCORE_KINDS, type ScoreKind } from '../sources/score-source.js';
import type { EvalProgress } from '../evaluate-progress.js';
import { checkEnsembleWeights, ensembleScores, ENSEMBLE_METHODS, type EnsembleScoresOptions } from './ensemble-scores.js';

/** Options of {@link ensembleSource}. */
export interface EnsembleSourceOptions extends EnsembleScoresOptions {
  /** Sample-id column of every input (and of the joined batches). Required. */
  readonly id: string;
  /** Score columns every model has, in class order: one binary positive-class score, or one per class. Required. */
  readonly preds: readonly string[];
  /**
   * Names (keys of the inputs) of the models. Default: every input that has all the `preds`
   * columns, found from the first batch; the others (e.g. a file of targets) only add columns.
   */
  readonly models?: readonly string[];
  /**
   * What each model's score columns hold, checked or converted (logits → probabilities) before
   * they are combined, as `scoreSource` does; default `'probabilities'`.
   */
  readonly kind?: ScoreKind;
  /** Policy for an id some input lacks (see `joinSources`); default `'error'`. */
  readonly onMissing?: MissingPolicy;
  /** Progress of indexing the inputs by id. */
  readonly onProgress?: (progress: EvalProgress) => void;
}

/**
 * Joins `inputs` (name → source) by `id` and hands out batches whose `preds` columns are the
 * ensemble's scores (see `ensembleScores`), with every other column under its own name. A
 * column that several inputs hold (e.g. the target in every model's file) must hold the same
 * value for each id; a difference is an error naming the id, the column and both inputs.
 *
 * Reads the inputs (joined by id; memory bounded as `joinSources` states); writes the `preds`
 * columns, the id column and the inputs' other columns. Deterministic. Re-readable when the first
 * input is; `close` removes the join's temporary index (`evaluate` calls it).
 *
 * @example
 * const data = ensembleSource({ a: csvSource('a.csv'), b: csvSource('b.csv'), t: csvSource('t.csv') },
 *   { id: 'id', preds: ['p'], method: 'mean', weights: [2, 1] });
 * await evaluate({ data, metrics: { auc: auc({ pred: 'p', target: 'y' }) } });
 * @throws OptionsError for bad options, and (when scanned) for fewer than two models or a
 *   weight count that does not match them; InputError for a model lacking a score column, a
 *   score that is not a probability (kind 'probabilities') or a shared column that differs.
 */
export function ensembleSource(inputs: Readonly<Record<string, EvalSource>>, options: EnsembleSourceOptions): JoinedSource {
  const names = Object.keys(inputs);
  if (names.length < 2) throw new OptionsError('ensemble: give at least two inputs (a prediction file per model)');
  if (options.preds.length === 0) throw new OptionsError('ensemble: give the score columns (preds)');
  if (!ENSEMBLE_METHODS.includes(options.method)) throw new OptionsError(`ensemble: method must be mean or vote, got '${String(options.method)}'`);
  const kind = options.kind ?? 'probabilities';
  if (!SCORE_KINDS.includes(kind)) throw new OptionsError(`ensemble: kind must be one of ${SCORE_KINDS.join(', ')}, got '${String(kind)}'`);
  for (const m of options.models ?? []) if (!names.includes(m)) throw new OptionsError(`ensemble: model '${m}' is not one of the inputs (${names.join(', ')})`);
  if (options.models !== undefined) checkEnsembleWeights(options.weights, options.models.length);
  const joined = joinSources(inputs, {
    id: options.id,
    idColumn: options.id,
    prefix: true,
    onMissing: options.onMissing ?? 'error',
    ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
  });
  let layout: Layout | undefined;
  return {
    name: `ensemble (${options.method}) of ${names.map((n) => `'${n}'`).join(', ')}`,
    reReadable: joined.reReadable,
    counts: () => joined.counts(),
    close: () => joined.close(),
    scan(batchSize, onBatch) {
      return joined.scan(batchSize, (batch) => {
        layout ??= layoutOf(Object.keys(batch.columns), names, options);
        onBatch(combine(batch, layout, options, kind));
      });
    },
  };
}

/** Where each output column comes from. */
interface Layout {
  readonly models: readonly string[];
  /** Output column → the joined columns holding it (one per input that has it). */
  readonly others: ReadonlyMap<string, readonly { readonly input: string; readonly column: string }[]>;
}

function layoutOf(columns: readonly string[], names: readonly string[], options: EnsembleSourceOptions): Layout {
  // Longest input name first, so an input named 'a.csv' does not claim the columns of 'a.csv.b'.
  const byLength = [...names].sort((a, b) => b.length - a.length);
  const owned = new Map<string, string[]>(names.map((n) => [n, []]));
  for (const c of columns) {
    if (c === options.id) continue;
    const input = byLength.find((n) => c.startsWith(`${n}.`));
    if (input !== undefined) owned.get(input)?.push(c.slice(input.length + 1));
  }
  const has = (n: string): boolean => options.preds.every((p) => owned.get(n)?.includes(p) === true);
  const models = options.models ?? names.filter(has);
  for (const m of models) {
    const lacking = options.preds.filter((p) => owned.get(m)?.includes(p) !== true);
    if (lacking.length > 0)
      throw new InputError(`ensemble: model '${m}' has no score column ${lacking.map((p) => `'${p}'`).join(', ')} (its columns: ${(owned.get(m) ?? []).join(', ')})`);
  }
  if (models.length < 2) {
    throw new OptionsError(
      `ensemble: ${models.length} input${models.length === 1 ? '' : 's'} (${models.join(', ') || 'none'}) hold${models.length === 1 ? 's' : ''} every score column ${options.preds.join(', ')}; an ensemble needs at least two models`,
    );
  }
  checkEnsembleWeights(options.weights, models.length);
  const others = new Map<string, { input: string; column: string }[]>();
  for (const n of names) {
    for (const c of owned.get(n) ?? []) {
      if (models.includes(n) && options.preds.includes(c)) continue;
      const list = others.get(c) ?? [];
      list.push({ input: n, column: `${n}.${c}` });
      others.set(c, list);
    }
  }
  return { models, others };
}

function combine(batch: SourceBatch, layout: Layout, options: EnsembleSourceOptions, kind: ScoreKind): SourceBatch {
  let scored = batch;
  for (const m of layout.models) scored = scoreBatch(scored, { columns: options.preds.map((p) => `${m}.${p}`), kind, idColumn: options.id }, m);
  const scores = layout.models.map((m) => options.preds.map((p) => scored.columns[`${m}.${p}`] as ArrayLike<number>));
  const combined = ensembleScores(scores, options);
  const ids = batch.columns[options.id] as ArrayLike<unknown>;
  const out: Record<string, ArrayLike<unknown>> = { [options.id]: ids };
  options.preds.forEach((p, k) => (out[p] = combined[k] as Float64Array));
  for (const [name, sources] of layout.others) {
    if (out[name] !== undefined)
      throw new InputError(`ensemble: column '${name}' of input '${(sources[0] as { input: string }).input}' clashes with a score or id column; rename it`);
    const first = sources[0] as { input: string; column: string };
    const values = batch.columns[first.column] as ArrayLike<unknown>;
    for (const other of sources.slice(1)) {
      const v2 = batch.columns[other.column] as ArrayLike<unknown>;
      for (let i = 0; i < batch.length; i++) {
        if (String(values[i]) !== String(v2[i])) {
          const where = batch.where === undefined ? '' : ` (${describeOrigin(batch.where(i))})`;
          throw new InputError(
            `ensemble: id '${String(ids[i])}': column '${name}' is '${String(values[i])}' in '${first.input}' but '${String(v2[i])}' in '${other.input}'${where}`,
          );
        }
      }
    }
    out[name] = values;
  }
  return { columns: out, length: batch.length, ...(batch.where === undefined ? {} : { where: batch.where }) };
}
