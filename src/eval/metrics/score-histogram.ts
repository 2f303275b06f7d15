/**
 * The ranking state behind AUC-ROC, AUC-PR and the ROC curve: a histogram of binary scores over
 * the top `bits` bits of their order-preserving float32 bit pattern, with per-bin class counts
 * and the smallest and largest score seen in each bin.
 *
 * - Counts across bins are exact, so every pair of a positive and a negative in different bins
 *   is ordered exactly. A bin whose scores are all equal (min = max) is an exact tie group.
 * - A bin holding several distinct scores and both classes (or two positives, for AUC-PR) leaves
 *   its inner order open: the result is the midpoint with a proven bound (`bound`).
 * - `planPass` (histogram-refine.ts) lists those bins and groups them into extra passes over the input so that the
 *   rows kept per pass fit `budgetBytes` (2 bytes a row when every score is exactly a float32,
 *   8 otherwise; the default 1 GB refines up to 5·10^8 float32 predictions in one pass). A pass keeps the
 *   low bits (or the exact double) of the scores in those bins, sorts each bin and folds its
 *   exact contribution (concordant pairs, average-precision terms, the partial ROC area up to
 *   `maxFpr`) into the state. A bin too large for the budget on its own stays bounded.
 * - `merge` adds counts (integers held exactly in doubles), so merged shards give the same bits
 *   as one pass, whatever the order.
 * Scores of -0 count as +0; NaN and infinities are rejected before they get here.
 */

/** Options of a score histogram. */
export interface ScoreHistogramConfig {
  /** Bits of the float32 pattern that pick the bin (16..24). Default 16 (65,536 bins). */
  readonly bits: number;
  /** Memory for one refinement pass, in bytes (one store shared by every thread, see histogram-refine.ts). Default 1e9. */
  readonly budgetBytes: number;
  /** Partial AUC up to this false positive rate (sklearn's `max_fpr`); undefined: full AUC. */
  readonly maxFpr: number | undefined;
}

/** Exact contribution of one refined bin. */
export interface RefinedBin {
  /** Twice the concordant pairs inside the bin (ties count one). */
  readonly pairs2: number;
  /** Sum over the bin's positives of the precision at their threshold. */
  readonly apSum: number;
  /** ROC area (in count units) inside the bin up to the max-FPR cut, when the cut falls in it. */
  readonly clipArea: number | undefined;
}

/** Up to `SMALL_ROWS` rows are kept as they are (exact, no histogram allocated). */
export const SMALL_ROWS = 16384;

/** Rows kept while the input is small. */
export interface SmallRows {
  scores: number[];
  labels: number[];
}

/** The histogram state. */
export interface ScoreHistogramState {
  readonly config: ScoreHistogramConfig;
  /** Raw rows while at most `SMALL_ROWS` have been seen; null once the histogram is in use. */
  small: SmallRows | null;
  pos: Float64Array;
  neg: Float64Array;
  min: Float64Array;
  max: Float64Array;
  /** True while every score seen is exactly a float32. */
  float32Exact: boolean;
  /** Rows dropped by the `nonFinite: 'skip'` policy. */
  skipped: number;
  /** Refinement passes run so far. */
  passes: number;
  readonly refined: Map<number, RefinedBin>;
  /** Bins the budget could not refine (each larger than the budget alone). */
  readonly unrefinable: Set<number>;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** Order-preserving unsigned key of the float32 nearest to `v`. */
export function sortKey32(v: number): number {
  f32[0] = v === 0 ? 0 : v;
  const u = u32[0] as number;
  return u & 0x80000000 ? ~u >>> 0 : (u | 0x80000000) >>> 0;
}

const EMPTY = new Float64Array(0);

/** A fresh state (small: no histogram allocated until more than `SMALL_ROWS` rows arrive). */
export function initHistogram(config: ScoreHistogramConfig): ScoreHistogramState {
  return {
    config,
    small: { scores: [], labels: [] },
    pos: EMPTY,
    neg: EMPTY,
    min: EMPTY,
    max: EMPTY,
    float32Exact: true,
    skipped: 0,
    passes: 0,
    refined: new Map(),
    unrefinable: new Set(),
  };
}

/** Switches a small state to the histogram, in place. */
export function densify(state: ScoreHistogramState): void {
  const small = state.small;
  if (small === null) return;
  const size = 2 ** state.config.bits;
  state.pos = new Float64Array(size);
  state.neg = new Float64Array(size);
  state.min = new Float64Array(size).fill(Infinity);
  state.max = new Float64Array(size).fill(-Infinity);
  state.small = null;
  addDense(state, small.scores, small.labels, small.scores.length);
}

/**
 * Adds rows: `scores[i]` with class `labels[i]` (1 positive, 0 negative) for i in [0, n).
 * Scores must be finite.
 */
export function addRows(state: ScoreHistogramState, scores: ArrayLike<number>, labels: ArrayLike<number>, n: number): void {
  const small = state.small;
  if (small !== null) {
    if (small.scores.length + n <= SMALL_ROWS) {
      for (let i = 0; i < n; i++) {
        const v = scores[i] as number;
        small.scores.push(v === 0 ? 0 : v);
        small.labels.push(labels[i] === 1 ? 1 : 0);
      }
      return;
    }
    densify(state);
  }
  addDense(state, scores, labels, n);
}

/**
 * Fast path for float32 scores and typed 0/1 targets on a dense state: validates and adds in one
 * loop, stopping at the first row that is not a finite score with a 0/1 target. Returns the
 * number of rows added (from the start); the caller handles the rest.
 */
export function addDenseChecked(state: ScoreHistogramState, scores: Float32Array, labels: ArrayLike<number>, n: number): number {
  if (state.small !== null || scores.byteOffset % 4 !== 0) return 0;
  const shift = 32 - state.config.bits;
  const { pos, neg, min, max } = state;
  const bits = new Uint32Array(scores.buffer, scores.byteOffset, n);
  for (let i = 0; i < n; i++) {
    let u = bits[i] as number;
    // Exponent all ones: NaN or an infinity.
    if ((u & 0x7f800000) === 0x7f800000) return i;
    const y = labels[i] as number;
    if (u === 0x80000000) u = 0;
    const b = (u & 0x80000000 ? ~u >>> 0 : (u | 0x80000000) >>> 0) >>> shift;
    if (y === 1) pos[b] = (pos[b] as number) + 1;
    else if (y === 0) neg[b] = (neg[b] as number) + 1;
    else return i;
    const v = scores[i] as number;
    if (v < (min[b] as number)) min[b] = v === 0 ? 0 : v;
    if (v > (max[b] as number)) max[b] = v === 0 ? 0 : v;
  }
  return n;
}

/** True when every score is finite and every label 0 or 1: rows {@link addDenseChecked} adds all of. */
export function allDense01(scores: Float32Array, labels: ArrayLike<number>): boolean {
  if (scores.byteOffset % 4 !== 0) return false;
  const n = scores.length;
  const bits = new Uint32Array(scores.buffer, scores.byteOffset, n);
  for (let i = 0; i < n; i++) {
    if (((bits[i] as number) & 0x7f800000) === 0x7f800000) return false;
    const y = labels[i] as number;
    if (y !== 0 && y !== 1) return false;
  }
  return true;
}

/** Adds rows to the histogram arrays (the state must be dense). */
export function addDense(state: ScoreHistogramState, scores: ArrayLike<number>, labels: ArrayLike<number>, n: number): void {
  const shift = 32 - state.config.bits;
  const { pos, neg, min, max } = state;
  if (scores instanceof Float32Array && scores.byteOffset % 4 === 0) {
    // Read the float32 bit patterns directly.
    const bits = new Uint32Array(scores.buffer, scores.byteOffset, n);
    for (let i = 0; i < n; i++) {
      let u = bits[i] as number;
      if (u === 0x80000000) u = 0;
      const b = (u & 0x80000000 ? ~u >>> 0 : (u | 0x80000000) >>> 0) >>> shift;
      if (labels[i] === 1) pos[b] = (pos[b] as number) + 1;
      else neg[b] = (neg[b] as number) + 1;
      const v = scores[i] as number;
      if (v < (min[b] as number)) min[b] = v === 0 ? 0 : v;
      if (v > (max[b] as number)) max[b] = v === 0 ? 0 : v;
    }
    return;
  }
  let exact = state.float32Exact;
  const isF32 = scores instanceof Float32Array;
  for (let i = 0; i < n; i++) {
    let v = scores[i] as number;
    if (v === 0) v = 0;
    f32[0] = v;
    if (!isF32 && exact && f32[0] !== v) exact = false;
    const u = u32[0] as number;
    const b = (u & 0x80000000 ? ~u >>> 0 : (u | 0x80000000) >>> 0) >>> shift;
    if (labels[i] === 1) pos[b] = (pos[b] as number) + 1;
    else neg[b] = (neg[b] as number) + 1;
    if (v < (min[b] as number)) min[b] = v;
    if (v > (max[b] as number)) max[b] = v;
  }
  state.float32Exact = exact;
}

/** Merges two states of the same configuration into a new one. */
export function mergeHistograms(a: ScoreHistogramState, b: ScoreHistogramState): ScoreHistogramState {
  if (a.config.bits !== b.config.bits) throw new Error('cannot merge score histograms of different resolutions');
  if (a.refined.size > 0 || b.refined.size > 0) throw new Error('merge shard states before refinement passes, not after');
  const out = initHistogram(a.config);
  out.skipped = a.skipped + b.skipped;
  if (a.small !== null && b.small !== null && a.small.scores.length + b.small.scores.length <= SMALL_ROWS) {
    out.small = { scores: [...a.small.scores, ...b.small.scores], labels: [...a.small.labels, ...b.small.labels] };
    return out;
  }
  densify(out);
  for (const x of [a, b]) {
    if (x.small !== null) addDense(out, x.small.scores, x.small.labels, x.small.scores.length);
  }
  const dense = [a, b].filter((x) => x.small === null);
  if (dense.length === 0) return out;
  // One state at a time, in order (a, then b): the same sums and extremes as adding both per bin.
  for (const x of dense) addBins(out, x);
  out.float32Exact = out.float32Exact && dense.every((x) => x.float32Exact);
  return out;
}

/** Adds `x`'s per-bin counts into `out` and widens `out`'s per-bin extremes to `x`'s (both dense, same size). */
function addBins(out: ScoreHistogramState, x: ScoreHistogramState): void {
  const { pos, neg, min, max } = out;
  const xp = x.pos;
  const xn = x.neg;
  const xl = x.min;
  const xh = x.max;
  for (let i = 0; i < pos.length; i++) {
    pos[i] = (pos[i] as number) + (xp[i] as number);
    neg[i] = (neg[i] as number) + (xn[i] as number);
    const lo = xl[i] as number;
    const hi = xh[i] as number;
    if (lo < (min[i] as number)) min[i] = lo;
    if (hi > (max[i] as number)) max[i] = hi;
  }
}

/** Whether bin `b`'s inner order matters and is still unknown. */
export function isOpenBin(state: ScoreHistogramState, b: number): boolean {
  const p = state.pos[b] as number;
  const q = state.neg[b] as number;
  if ((state.min[b] as number) === (state.max[b] as number)) return false;
  if (state.refined.has(b) || state.unrefinable.has(b)) return false;
  return (p > 0 && q > 0) || p > 1;
}

/** Total class counts. */
export function totals(state: ScoreHistogramState): { P: number; N: number } {
  let P = 0;
  let N = 0;
  if (state.small !== null) {
    for (const y of state.small.labels) if (y === 1) P++;
    return { P, N: state.small.labels.length - P };
  }
  for (let i = 0; i < state.pos.length; i++) {
    P += state.pos[i] as number;
    N += state.neg[i] as number;
  }
  return { P, N };
}
