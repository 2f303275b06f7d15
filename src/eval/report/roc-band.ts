/**
 * A pointwise confidence band around a ROC curve, by bootstrapping the curve's own counts: each
 * step of the curve holds the positives and negatives whose score equals that threshold, so
 * resampling rows is resampling those counts. Each replicate draws every step's counts from a
 * Poisson distribution of that mean (the Poisson bootstrap), rebuilds the curve and reads its
 * true positive rate on a fixed grid of false positive rates; the band is the percentile interval
 * at each grid point. Cost: replicates × curve steps, independent of the number of rows.
 */
import { Rng } from '../../core/rng.js';
import { OptionsError } from '../../core/errors.js';
import { poisson } from '../stats/poisson.js';
import { DEFAULT_SEED } from '../ci/default-seed.js';

/** A ROC curve as points, from (0, 0) to (1, 1). */
export interface RocPoints {
  readonly fpr: readonly number[];
  readonly tpr: readonly number[];
}

/** Options of {@link rocBand}. */
export interface RocBandOptions {
  /** Number of positives and negatives behind the curve. Required. */
  readonly positives: number;
  readonly negatives: number;
  /** Bootstrap replicates; default 200. */
  readonly replicates?: number;
  /** Confidence level in percent; default 95. */
  readonly confidence?: number;
  /** Grid points on the false positive rate axis; default 101 (steps of 0.01). */
  readonly grid?: number;
  /** Seed of the resampling; default `DEFAULT_SEED` (1234). */
  readonly seed?: number;
}

/** The band: at each grid false positive rate, the lower and upper true positive rate. */
export interface RocBand {
  readonly fpr: readonly number[];
  readonly lower: readonly number[];
  readonly upper: readonly number[];
  readonly confidence: number;
  readonly replicates: number;
}

/**
 * The true positive rate of a piecewise-linear ROC curve at false positive rate `x` (the highest
 * one where the curve is vertical at `x`).
 */
export function tprAt(fpr: ArrayLike<number>, tpr: ArrayLike<number>, x: number): number {
  let best = 0;
  for (let i = 1; i < fpr.length; i++) {
    const x0 = fpr[i - 1] as number;
    const x1 = fpr[i] as number;
    if (x < x0 || x > x1) continue;
    const y0 = tpr[i - 1] as number;
    const y1 = tpr[i] as number;
    const y = x1 === x0 ? Math.max(y0, y1) : y0 + ((y1 - y0) * (x - x0)) / (x1 - x0);
    if (y > best) best = y;
  }
  return best;
}

/**
 * Bootstraps a pointwise confidence band for a ROC curve. Deterministic for a given seed.
 *
 * @example
 * rocBand({ fpr: [0, 0.5, 1], tpr: [0, 1, 1] }, { positives: 10, negatives: 10 }).upper[50]; // 1
 * @throws OptionsError for curves that do not start at (0, 0) and end at (1, 1), or bad options.
 */
export function rocBand(curve: RocPoints, options: RocBandOptions): RocBand {
  const { positives: P, negatives: N } = options;
  const replicates = options.replicates ?? 200;
  const confidence = options.confidence ?? 95;
  const gridSize = options.grid ?? 101;
  if (!(Number.isInteger(P) && P > 0 && Number.isInteger(N) && N > 0)) throw new OptionsError(`rocBand: positives and negatives must be positive integers, got ${P}, ${N}`);
  if (!(Number.isInteger(replicates) && replicates >= 2)) throw new OptionsError(`rocBand: replicates must be an integer >= 2, got ${replicates}`);
  if (!(confidence > 0 && confidence < 100)) throw new OptionsError(`rocBand: confidence must be in (0, 100), got ${confidence}`);
  if (!(Number.isInteger(gridSize) && gridSize >= 2)) throw new OptionsError(`rocBand: grid must be an integer >= 2, got ${gridSize}`);
  const n = curve.fpr.length;
  if (
    n < 2 ||
    curve.tpr.length !== n ||
    curve.fpr[0] !== 0 ||
    curve.tpr[0] !== 0 ||
    Math.abs((curve.fpr[n - 1] as number) - 1) > 1e-9 ||
    Math.abs((curve.tpr[n - 1] as number) - 1) > 1e-9
  ) {
    throw new OptionsError('rocBand: the curve must run from (0, 0) to (1, 1) with equal-length fpr and tpr');
  }
  // Counts per step of the curve.
  const dtp = new Float64Array(n - 1);
  const dfp = new Float64Array(n - 1);
  for (let i = 1; i < n; i++) {
    dtp[i - 1] = Math.round(((curve.tpr[i] as number) - (curve.tpr[i - 1] as number)) * P);
    dfp[i - 1] = Math.round(((curve.fpr[i] as number) - (curve.fpr[i - 1] as number)) * N);
  }
  const grid = Array.from({ length: gridSize }, (_, g) => g / (gridSize - 1));
  const samples = grid.map(() => new Float64Array(replicates));
  const rfpr = new Float64Array(n);
  const rtpr = new Float64Array(n);
  const rng = Rng.fromParts([options.seed ?? DEFAULT_SEED, 'roc-band']);
  for (let r = 0; r < replicates; r++) {
    const rr = rng.fork(r);
    let tp = 0;
    let fp = 0;
    const tps = new Float64Array(n - 1);
    const fps = new Float64Array(n - 1);
    for (let i = 0; i < n - 1; i++) {
      tps[i] = poisson(rr, dtp[i] as number);
      fps[i] = poisson(rr, dfp[i] as number);
      tp += tps[i] as number;
      fp += fps[i] as number;
    }
    let ctp = 0;
    let cfp = 0;
    rfpr[0] = 0;
    rtpr[0] = 0;
    for (let i = 0; i < n - 1; i++) {
      ctp += tps[i] as number;
      cfp += fps[i] as number;
      rtpr[i + 1] = tp > 0 ? ctp / tp : (i + 1) / (n - 1);
      rfpr[i + 1] = fp > 0 ? cfp / fp : (i + 1) / (n - 1);
    }
    grid.forEach((x, g) => {
      (samples[g] as Float64Array)[r] = tprAt(rfpr, rtpr, x);
    });
  }
  const alpha = (100 - confidence) / 200;
  const lower: number[] = [];
  const upper: number[] = [];
  for (const s of samples) {
    s.sort();
    lower.push(s[Math.floor(alpha * (replicates - 1))] as number);
    upper.push(s[Math.ceil((1 - alpha) * (replicates - 1))] as number);
  }
  return { fpr: grid, lower, upper, confidence, replicates };
}
