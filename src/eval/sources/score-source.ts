/**
 * Says what the score columns of a source hold and checks or converts them on the way to the
 * metrics: probabilities (checked to lie in [0, 1]), logits (turned into probabilities by the
 * sigmoid, or the softmax across several class columns) or raw scores (any finite number; only
 * rank-based metrics make sense of them). A score that is not a number — a string such as `0x10`
 * or `1e`, an empty cell — is an error naming the file, line or row, column, id and value.
 */
import { InputError, OptionsError } from '../../core/errors.js';
import { describeOrigin, type EvalSource, type RowOrigin, type SourceBatch } from './eval-source.js';

/** What the score columns hold. */
export type ScoreKind = 'probabilities' | 'logits' | 'raw';

/** The score kinds, for option checks and messages. */
export const SCORE_KINDS: readonly ScoreKind[] = ['probabilities', 'logits', 'raw'];

/** Options of {@link scoreSource}. */
export interface ScoreSourceOptions {
  /**
   * Score columns: one binary positive-class score, or one column per class (then `logits` are
   * turned into probabilities by a softmax across them).
   */
  readonly columns: readonly string[];
  /**
   * What they hold. `'probabilities'`: every finite score must lie in [0, 1]. `'logits'`: the
   * sigmoid `1 / (1 + e^-x)` (one column) or the softmax across the columns is applied, so the
   * metrics see probabilities. `'raw'`: passed on unchanged (any finite number).
   * NaN and ±Infinity pass through in every case (the metrics' `nonFinite` policy decides).
   */
  readonly kind: ScoreKind;
  /** Column of sample ids, named in errors. Default none. */
  readonly idColumn?: string;
}

const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * Wraps `source` so its score columns are checked (`probabilities`, `raw`) or converted
 * (`logits`) batch by batch; other columns pass unchanged. Re-readable when `source` is.
 *
 * @example
 * const src = scoreSource(csvSource('preds.csv'), { columns: ['score'], kind: 'probabilities' });
 * @throws OptionsError for no columns or an unknown kind; InputError (when scanned) naming the
 *   file, line or row, column, id and value for a score that is not a number or, for
 *   probabilities, lies outside [0, 1].
 */
export function scoreSource(source: EvalSource, options: ScoreSourceOptions): EvalSource {
  const { columns, kind, idColumn } = options;
  if (!SCORE_KINDS.includes(kind)) throw new OptionsError(`scores must be one of ${SCORE_KINDS.join(', ')}, got '${String(kind)}'`);
  if (columns.length === 0) throw new OptionsError('scoreSource: give at least one score column');
  const scored: EvalSource = {
    name: source.name,
    reReadable: source.reReadable,
    scan(batchSize, onBatch) {
      return source.scan(batchSize, (batch) => onBatch(convertBatch(batch, columns, kind, idColumn, source.name)));
    },
  };
  scoredSources.set(scored, { inner: source, options });
  return scored;
}

const scoredSources = new WeakMap<EvalSource, { readonly inner: EvalSource; readonly options: ScoreSourceOptions }>();

/**
 * The source a {@link scoreSource} reads and its options, when `source` is one: what lets worker
 * threads read the inner file themselves and check or convert each batch as this source would.
 */
export function scoredSourceOf(source: EvalSource): { readonly inner: EvalSource; readonly options: ScoreSourceOptions } | undefined {
  return scoredSources.get(source);
}

/**
 * One batch through {@link scoreSource}'s check or conversion (for sources that learn their score
 * columns only from the first batch, such as an ensemble's models).
 *
 * @example
 * const out = scoreBatch(batch, { columns: ['a.p'], kind: 'logits' }, 'a.csv');
 * @throws InputError as {@link scoreSource} does.
 */
export function scoreBatch(batch: SourceBatch, options: ScoreSourceOptions, name: string): SourceBatch {
  return convertBatch(batch, options.columns, options.kind, options.idColumn, name);
}

function convertBatch(batch: SourceBatch, columns: readonly string[], kind: ScoreKind, idColumn: string | undefined, name: string): SourceBatch {
  const n = batch.length;
  const scores = columns.map((c) => {
    const col = batch.columns[c];
    // A missing column is left for the metric, whose message lists the closest names.
    if (col === undefined) return undefined;
    // Float columns that are only checked pass on as they are (no copy; the metrics' float32 fast paths still apply).
    if (kind !== 'logits' && (col instanceof Float32Array || col instanceof Float64Array) && col.length === n) return col;
    return numbersOf(col, n, c, batch, idColumn, name);
  });
  if (scores.some((s) => s === undefined)) return batch;
  const cols = scores as (Float64Array | Float32Array)[];
  if (kind === 'probabilities') {
    cols.forEach((col, k) => {
      for (let i = 0; i < n; i++) {
        const v = col[i] as number;
        if (Number.isFinite(v) && (v < 0 || v > 1))
          throw rowError(
            `score ${v} is not a probability in [0, 1] (if they are logits or other scores, say so: --scores logits|raw, or evaluate's option scores)`,
            columns[k] as string,
            i,
            batch,
            idColumn,
            name,
          );
      }
    });
  } else if (kind === 'logits') {
    if (cols.length === 1) {
      const col = cols[0] as Float64Array;
      for (let i = 0; i < n; i++) if (Number.isFinite(col[i])) col[i] = sigmoid(col[i] as number);
    } else softmaxRows(cols as Float64Array[], n);
  }
  const out: Record<string, ArrayLike<unknown>> = { ...batch.columns };
  columns.forEach((c, k) => (out[c] = cols[k] as Float64Array | Float32Array));
  return { ...batch, columns: out };
}

/** The column as numbers (a copy); a value that is not a number is an error. */
function numbersOf(col: ArrayLike<unknown>, n: number, key: string, batch: SourceBatch, idColumn: string | undefined, name: string): Float64Array {
  if (
    col instanceof Float64Array ||
    col instanceof Float32Array ||
    col instanceof Int32Array ||
    col instanceof Int16Array ||
    col instanceof Int8Array ||
    col instanceof Uint8Array ||
    col instanceof Uint16Array ||
    col instanceof Uint32Array
  ) {
    return Float64Array.from(col.subarray(0, n));
  }
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const v = col[i];
    if (typeof v === 'number') out[i] = v;
    else if (typeof v === 'bigint') out[i] = Number(v);
    else if (v === null || v === undefined)
      out[i] = Number.NaN; // missing: the metric's nonFinite policy decides
    else if (typeof v === 'string' && DECIMAL.test(v.trim())) out[i] = Number(v);
    else throw rowError(`score ${JSON.stringify(v)} is not a decimal number`, key, i, batch, idColumn, name);
  }
  return out;
}

function rowError(message: string, key: string, i: number, batch: SourceBatch, idColumn: string | undefined, name: string): InputError {
  const origin: RowOrigin = batch.where?.(i) ?? { file: name };
  const id = idColumn === undefined ? undefined : batch.columns[idColumn]?.[i];
  const at = origin.line === undefined ? `${describeOrigin(origin)}: ` : '';
  const idText = typeof id === 'string' || typeof id === 'number' || typeof id === 'bigint' ? `, id '${id}'` : '';
  return new InputError(`${at}column '${key}'${idText}: ${message}`, {
    ...(origin.file === undefined || origin.line === undefined ? {} : { file: origin.file, line: origin.line }),
  });
}

/** The logistic function, stable for large |x|. */
export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

/** Softmax across the columns, row by row, in place (max subtracted first). A row with a non-finite logit is left as it is (for the metrics' nonFinite policy). */
function softmaxRows(cols: Float64Array[], n: number): void {
  for (let i = 0; i < n; i++) {
    let max = Number.NEGATIVE_INFINITY;
    let finite = true;
    for (const c of cols) {
      const v = c[i] as number;
      if (!Number.isFinite(v)) finite = false;
      if (v > max) max = v;
    }
    if (!finite) continue;
    let sum = 0;
    for (const c of cols) {
      const e = Math.exp((c[i] as number) - max);
      c[i] = e;
      sum += e;
    }
    for (const c of cols) c[i] = (c[i] as number) / sum;
  }
}
