/**
 * Combines several models' scores for the same rows into one model's scores, as FuseMedML's
 * ensembling metric does (`average` / `voting`), with weights.
 *
 * - `'mean'`: the weighted mean of the models' scores, column by column:
 *   Σ_m w_m·p_m / Σ_m w_m (equal weights: FuseMedML's `average`, without its NaN skipping — a
 *   non-finite score gives a non-finite ensemble score, left to the metrics' `nonFinite` policy).
 * - `'vote'`: each model votes for one class — binary (one score column): positive when its
 *   score is strictly above `threshold`; several class columns: the argmax, ties to the lower
 *   class index. The ensemble's score of class c is the weighted share of votes for c, so its
 *   argmax (ties to the lower class index, as FuseMedML's `scipy.stats.mode`) is the weighted
 *   majority, and a binary share strictly above 0.5 is a positive majority (a tie is negative,
 *   the lower class). A model with a non-finite score casts no vote; a row where none votes gets
 *   NaN scores.
 */
import { OptionsError } from '../../core/errors.js';

/** How the models are combined. */
export type EnsembleMethod = 'mean' | 'vote';

/** The methods, for option checks and messages. */
export const ENSEMBLE_METHODS: readonly EnsembleMethod[] = ['mean', 'vote'];

/** Options of {@link ensembleScores}. */
export interface EnsembleScoresOptions {
  /** `'mean'` (weighted mean of probabilities) or `'vote'` (weighted majority). */
  readonly method: EnsembleMethod;
  /** One positive finite weight per model; default equal weights. Normalised by their sum. */
  readonly weights?: readonly number[];
  /** `'vote'` with one score column: a model votes positive when its score is strictly above this; default 0.5. */
  readonly threshold?: number;
}

/**
 * Checks ensemble weights: one positive finite number per model.
 *
 * @throws OptionsError naming the bad weight.
 */
export function checkEnsembleWeights(weights: readonly number[] | undefined, models: number): readonly number[] {
  if (weights === undefined) return new Array<number>(models).fill(1);
  if (weights.length !== models) throw new OptionsError(`ensemble: ${weights.length} weights for ${models} models; give one weight per model`);
  weights.forEach((w, m) => {
    if (!(Number.isFinite(w) && w > 0)) throw new OptionsError(`ensemble: weight ${m + 1} must be a positive finite number, got ${String(w)}`);
  });
  return weights;
}

/**
 * The ensemble's score columns from `models[m][c]` = model m's scores of class column c (every
 * model the same number of columns, every column `n` rows).
 *
 * Pure: reads only its arguments.
 *
 * @example
 * ensembleScores([[Float64Array.of(0.2)], [Float64Array.of(0.8)]], { method: 'mean', weights: [1, 3] });
 * // → [Float64Array [0.65]]
 * @throws OptionsError for no models, differing column counts or lengths, or bad weights.
 */
export function ensembleScores(models: readonly (readonly ArrayLike<number>[])[], options: EnsembleScoresOptions): Float64Array[] {
  const first = models[0];
  if (first === undefined || first.length === 0) throw new OptionsError('ensemble: give at least one model with at least one score column');
  const classes = first.length;
  const n = (first[0] as ArrayLike<number>).length;
  for (const [m, cols] of models.entries()) {
    if (cols.length !== classes) throw new OptionsError(`ensemble: model ${m + 1} has ${cols.length} score columns, model 1 has ${classes}`);
    for (const col of cols) if (col.length !== n) throw new OptionsError(`ensemble: model ${m + 1} has a column of ${col.length} rows, expected ${n}`);
  }
  if (!ENSEMBLE_METHODS.includes(options.method)) throw new OptionsError(`ensemble: method must be mean or vote, got '${String(options.method)}'`);
  const weights = checkEnsembleWeights(options.weights, models.length);
  const out = Array.from({ length: classes }, () => new Float64Array(n));
  if (options.method === 'mean') {
    const total = weights.reduce((a, b) => a + b, 0);
    for (let c = 0; c < classes; c++) {
      const o = out[c] as Float64Array;
      models.forEach((cols, m) => {
        const col = cols[c] as ArrayLike<number>;
        const w = (weights[m] as number) / total;
        for (let i = 0; i < n; i++) o[i] = (o[i] as number) + w * (col[i] as number);
      });
    }
    return out;
  }
  const threshold = options.threshold ?? 0.5;
  if (!Number.isFinite(threshold)) throw new OptionsError(`ensemble: threshold must be a finite number, got ${String(threshold)}`);
  const cast = new Float64Array(n);
  models.forEach((cols, m) => {
    const w = weights[m] as number;
    for (let i = 0; i < n; i++) {
      const vote = voteOf(cols, i, threshold);
      if (vote === NO_VOTE) continue;
      cast[i] = (cast[i] as number) + w;
      if (vote === NEGATIVE) continue;
      const o = out[vote] as Float64Array;
      o[i] = (o[i] as number) + w;
    }
  });
  for (const o of out) for (let i = 0; i < n; i++) o[i] = cast[i] === 0 ? Number.NaN : (o[i] as number) / (cast[i] as number);
  return out;
}

/** A model with a non-finite score in the row: no vote. */
const NO_VOTE = -1;
/** Binary: a vote for the negative class (counted in the total, not in the positive column). */
const NEGATIVE = -2;

/** The score column one model votes for in row i, or {@link NEGATIVE} / {@link NO_VOTE}. */
function voteOf(cols: readonly ArrayLike<number>[], i: number, threshold: number): number {
  if (cols.length === 1) {
    const p = (cols[0] as ArrayLike<number>)[i] as number;
    if (!Number.isFinite(p)) return NO_VOTE;
    return p > threshold ? 0 : NEGATIVE;
  }
  let best = NO_VOTE;
  let max = Number.NEGATIVE_INFINITY;
  for (let c = 0; c < cols.length; c++) {
    const p = (cols[c] as ArrayLike<number>)[i] as number;
    if (!Number.isFinite(p)) return NO_VOTE;
    if (p > max) {
      max = p;
      best = c;
    }
  }
  return best;
}
