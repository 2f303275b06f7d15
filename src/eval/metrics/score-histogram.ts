/**
 * The ranking state behind AUC-ROC, AUC-PR and the ROC curve: a histogram of binary scores over
 * the top `bits` bits of their order-preserving float32 bit pattern, with per-bin class counts
 * and the smallest and largest score seen in each bin.
 *
 * - Counts across bins are exact, so every pair of a positive and a negative in different bins
 *   is ordered exactly. A bin whose scores are all equal (min = max) is an exact tie group.
 * - A bin holding several distinct scores and both classes (or two positives, for AUC-PR) leaves
 *   its inner order open: the result is the midpoint with a proven bound (`bound`).
 * - `planPass` lists those bins and groups them into extra passes over the input so that the
 *   rows kept per pass fit `budgetBytes` (2 bytes a row when every score is exactly a float32,
 *   8 otherwise; the default 1 GB refines 10^8 float32 predictions in one pass). A pass keeps the
 *   low bits (or the exact double) of the scores in those bins, sorts each bin and folds its
 *   exact contribution (concordant pairs, average-precision terms, the partial ROC area up to
 *   `maxFpr`) into the state. A bin too large for the budget on its own stays bounded.
 * - `merge` adds counts (integers held exactly in doubles), so merged shards give the same bits
 *   as one pass, whatever the order.
 * Scores of -0 count as +0; NaN and infinities are rejected before they get here.
 */
import type { Rng } from '../../core/rng.js';
import { multinomialResample } from '../stats/multinomial.js';

/** Options of a score histogram. */
export interface ScoreHistogramConfig {
  /** Bits of the float32 pattern that pick the bin (16..24). Default 16 (65,536 bins). */
  readonly bits: number;
  /** Memory for one refinement pass, in bytes. Default 1e9. */
  readonly budgetBytes: number;
  /** Partial AUC up to this false positive rate (sklearn's `max_fpr`); undefined: full AUC. */
  readonly maxFpr: number | undefined;
}

/** Exact contribution of one refined bin. */
interface RefinedBin {
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
interface SmallRows {
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
  return { config, small: { scores: [], labels: [] }, pos: EMPTY, neg: EMPTY, min: EMPTY, max: EMPTY, float32Exact: true, skipped: 0, passes: 0, refined: new Map(), unrefinable: new Set() };
}

/** Switches a small state to the histogram, in place. */
function densify(state: ScoreHistogramState): void {
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

function addDense(state: ScoreHistogramState, scores: ArrayLike<number>, labels: ArrayLike<number>, n: number): void {
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
  for (let i = 0; i < out.pos.length; i++) {
    let p = out.pos[i] as number;
    let q = out.neg[i] as number;
    let lo = out.min[i] as number;
    let hi = out.max[i] as number;
    for (const x of dense) {
      p += x.pos[i] as number;
      q += x.neg[i] as number;
      lo = Math.min(lo, x.min[i] as number);
      hi = Math.max(hi, x.max[i] as number);
    }
    out.pos[i] = p;
    out.neg[i] = q;
    out.min[i] = lo;
    out.max[i] = hi;
  }
  out.float32Exact = out.float32Exact && dense.every((x) => x.float32Exact);
  return out;
}

/** Whether bin `b`'s inner order matters and is still unknown. */
function open(state: ScoreHistogramState, b: number): boolean {
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

/** A planned refinement pass: the bins it refines and where their rows go. */
export interface RefinePass {
  readonly bins: Int32Array;
  /** Slot of each bin (-1: not in this pass). */
  readonly slotOf: Int32Array;
  readonly posStart: Float64Array;
  readonly negStart: Float64Array;
  readonly posFill: Float64Array;
  readonly negFill: Float64Array;
  readonly wide: boolean;
  posStore: Uint16Array | Float64Array | undefined;
  negStore: Uint16Array | Float64Array | undefined;
  readonly posTotal: number;
  readonly negTotal: number;
}

/**
 * Plans the next refinement pass, or returns null when nothing is open. Bins are taken from the
 * highest score down until the budget is full; a bin larger than the whole budget is marked
 * unrefinable (it stays bounded).
 */
export function planPass(state: ScoreHistogramState): RefinePass | null {
  if (state.small !== null) return null;
  const wide = !state.float32Exact;
  const bytesPerRow = wide ? 8 : 2;
  const capacity = Math.floor(state.config.budgetBytes / bytesPerRow);
  const chosen: number[] = [];
  let rows = 0;
  for (let b = state.pos.length - 1; b >= 0; b--) {
    if (!open(state, b)) continue;
    const r = (state.pos[b] as number) + (state.neg[b] as number);
    if (r > capacity) {
      state.unrefinable.add(b);
      continue;
    }
    if (rows + r > capacity) continue;
    chosen.push(b);
    rows += r;
  }
  if (chosen.length === 0) return null;
  const slotOf = new Int32Array(state.pos.length).fill(-1);
  const k = chosen.length;
  const posStart = new Float64Array(k);
  const negStart = new Float64Array(k);
  let pAcc = 0;
  let nAcc = 0;
  chosen.forEach((b, s) => {
    slotOf[b] = s;
    posStart[s] = pAcc;
    negStart[s] = nAcc;
    pAcc += state.pos[b] as number;
    nAcc += state.neg[b] as number;
  });
  return { bins: Int32Array.from(chosen), slotOf, posStart, negStart, posFill: new Float64Array(k), negFill: new Float64Array(k), wide, posStore: undefined, negStore: undefined, posTotal: pAcc, negTotal: nAcc };
}

/** An empty copy of a plan for another shard (same slots, no rows). */
export function emptyPassLike(p: RefinePass): RefinePass {
  const k = p.bins.length;
  return { ...p, posFill: new Float64Array(k), negFill: new Float64Array(k), posStore: undefined, negStore: undefined };
}

function stores(p: RefinePass): { ps: Uint16Array | Float64Array; ns: Uint16Array | Float64Array } {
  if (p.posStore === undefined || p.negStore === undefined) {
    p.posStore = p.wide ? new Float64Array(p.posTotal) : new Uint16Array(p.posTotal);
    p.negStore = p.wide ? new Float64Array(p.negTotal) : new Uint16Array(p.negTotal);
  }
  return { ps: p.posStore, ns: p.negStore };
}

/** Adds rows to a refinement pass (only rows in the pass's bins are kept). */
export function addPassRows(state: ScoreHistogramState, p: RefinePass, scores: ArrayLike<number>, labels: ArrayLike<number>, n: number): void {
  const bits = state.config.bits;
  const shift = 32 - bits;
  const lowMask = (2 ** shift - 1) >>> 0;
  const lowShift = Math.max(0, shift - 16);
  const { ps, ns } = stores(p);
  const { slotOf, posStart, negStart, posFill, negFill, wide } = p;
  if (scores instanceof Float32Array && scores.byteOffset % 4 === 0 && !wide) {
    const bitsOf = new Uint32Array(scores.buffer, scores.byteOffset, n);
    for (let i = 0; i < n; i++) {
      let u = bitsOf[i] as number;
      if (u === 0x80000000) u = 0;
      const key = u & 0x80000000 ? ~u >>> 0 : (u | 0x80000000) >>> 0;
      const s = slotOf[key >>> shift] as number;
      if (s < 0) continue;
      const stored = (key & lowMask) >>> lowShift;
      if (labels[i] === 1) {
        ps[(posStart[s] as number) + (posFill[s] as number)] = stored;
        posFill[s] = (posFill[s] as number) + 1;
      } else {
        ns[(negStart[s] as number) + (negFill[s] as number)] = stored;
        negFill[s] = (negFill[s] as number) + 1;
      }
    }
    return;
  }
  for (let i = 0; i < n; i++) {
    let v = scores[i] as number;
    if (v === 0) v = 0;
    f32[0] = v;
    const u = u32[0] as number;
    const key = u & 0x80000000 ? ~u >>> 0 : (u | 0x80000000) >>> 0;
    const s = slotOf[key >>> shift] as number;
    if (s < 0) continue;
    const stored = wide ? v : ((key & lowMask) >>> lowShift);
    if (labels[i] === 1) {
      ps[(posStart[s] as number) + (posFill[s] as number)] = stored;
      posFill[s] = (posFill[s] as number) + 1;
    } else {
      ns[(negStart[s] as number) + (negFill[s] as number)] = stored;
      negFill[s] = (negFill[s] as number) + 1;
    }
  }
}

/** Merges two shards' rows of the same pass (copies b's rows after a's, slot by slot). */
export function mergePasses(a: RefinePass, b: RefinePass): RefinePass {
  if (b.posStore === undefined) return a;
  if (a.posStore === undefined) return b;
  const { ps, ns } = stores(a);
  const bp = b.posStore;
  const bn = b.negStore as Uint16Array | Float64Array;
  for (let s = 0; s < a.bins.length; s++) {
    const pf = b.posFill[s] as number;
    const nf = b.negFill[s] as number;
    const pStart = (b.posStart[s] as number);
    const nStart = (b.negStart[s] as number);
    ps.set(bp.subarray(pStart, pStart + pf), (a.posStart[s] as number) + (a.posFill[s] as number));
    ns.set(bn.subarray(nStart, nStart + nf), (a.negStart[s] as number) + (a.negFill[s] as number));
    a.posFill[s] = (a.posFill[s] as number) + pf;
    a.negFill[s] = (a.negFill[s] as number) + nf;
  }
  return a;
}

/** Sorts a bin's stored values descending, in place. */
function sortedDesc(store: Uint16Array | Float64Array, start: number, len: number): Uint16Array | Float64Array {
  const seg = store.subarray(start, start + len);
  seg.sort();
  seg.reverse();
  return seg;
}

const countPos = new Uint32Array(65536);
const countNeg = new Uint32Array(65536);

/**
 * A bin's positive and negative values in descending order. Large bins of 16-bit values are
 * counting-sorted (O(rows + 65,536)), the others sorted.
 */
function groupedDesc(ps: Uint16Array | Float64Array, ns: Uint16Array | Float64Array, pStart: number, pl: number, nStart: number, nl: number): { pv: Uint16Array | Float64Array; nv: Uint16Array | Float64Array } {
  if (!(ps instanceof Uint16Array) || !(ns instanceof Uint16Array) || pl + nl < 8192) {
    return { pv: sortedDesc(ps, pStart, pl), nv: sortedDesc(ns, nStart, nl) };
  }
  const pv = ps.subarray(pStart, pStart + pl);
  const nv = ns.subarray(nStart, nStart + nl);
  let lo = 65535;
  let hi = 0;
  for (let i = 0; i < pl; i++) {
    const x = pv[i] as number;
    countPos[x] = (countPos[x] as number) + 1;
    if (x < lo) lo = x;
    if (x > hi) hi = x;
  }
  for (let i = 0; i < nl; i++) {
    const x = nv[i] as number;
    countNeg[x] = (countNeg[x] as number) + 1;
    if (x < lo) lo = x;
    if (x > hi) hi = x;
  }
  let a = 0;
  let c = 0;
  for (let x = hi; x >= lo; x--) {
    for (let k = countPos[x] as number; k > 0; k--) pv[a++] = x;
    for (let k = countNeg[x] as number; k > 0; k--) nv[c++] = x;
    countPos[x] = 0;
    countNeg[x] = 0;
  }
  return { pv, nv };
}

/** Class counts above each bin (strictly higher bins), from the top. */
function cumulativeAbove(state: ScoreHistogramState): { tpAbove: Float64Array; fpAbove: Float64Array } {
  const size = state.pos.length;
  const tpAbove = new Float64Array(size);
  const fpAbove = new Float64Array(size);
  let tp = 0;
  let fp = 0;
  for (let b = size - 1; b >= 0; b--) {
    tpAbove[b] = tp;
    fpAbove[b] = fp;
    tp += state.pos[b] as number;
    fp += state.neg[b] as number;
  }
  return { tpAbove, fpAbove };
}

/** Folds a finished pass into the state: each of its bins becomes exact. */
export function finishPass(state: ScoreHistogramState, p: RefinePass): ScoreHistogramState {
  const { tpAbove, fpAbove } = cumulativeAbove(state);
  const { P, N } = totals(state);
  const clipFp = state.config.maxFpr === undefined ? undefined : state.config.maxFpr * N;
  const { ps, ns } = stores(p);
  for (let s = 0; s < p.bins.length; s++) {
    const b = p.bins[s] as number;
    const pl = p.posFill[s] as number;
    const nl = p.negFill[s] as number;
    if (pl !== (state.pos[b] as number) || nl !== (state.neg[b] as number)) {
      throw new Error(`refinement pass saw ${pl}+${nl} rows in bin ${b}, the first pass ${state.pos[b]}+${state.neg[b]}: the input changed between passes`);
    }
    const { pv, nv } = groupedDesc(ps, ns, p.posStart[s] as number, pl, p.negStart[s] as number, nl);
    let i = 0;
    let j = 0;
    let tp = tpAbove[b] as number;
    let fp = fpAbove[b] as number;
    let pairs2 = 0;
    let apSum = 0;
    let clipArea: number | undefined;
    const clipHere = clipFp !== undefined && fp < clipFp && fp + nl > clipFp;
    let area = 0;
    while (i < pl || j < nl) {
      const v = i < pl && (j >= nl || (pv[i] as number) >= (nv[j] as number)) ? (pv[i] as number) : (nv[j] as number);
      let dp = 0;
      let dn = 0;
      while (i < pl && pv[i] === v) {
        i++;
        dp++;
      }
      while (j < nl && nv[j] === v) {
        j++;
        dn++;
      }
      // Negatives at v are below the positives seen before in this bin, tied with those at v.
      pairs2 += dn * (2 * (tp - (tpAbove[b] as number)) + dp);
      const tp0 = tp;
      const fp0 = fp;
      tp += dp;
      fp += dn;
      if (dp > 0) apSum += dp * (tp / (tp + fp));
      if (clipHere && clipFp !== undefined && fp0 < clipFp) {
        if (fp <= clipFp) area += dn * (tp0 + tp) / 2;
        else {
          const t = (clipFp - fp0) / dn;
          const tpCut = tp0 + dp * t;
          area += (clipFp - fp0) * (tp0 + tpCut) / 2;
        }
      }
    }
    if (clipHere) clipArea = area;
    state.refined.set(b, { pairs2, apSum, clipArea });
  }
  void P;
  state.passes++;
  return state;
}

/** What the state says about AUC-ROC, average precision and their bounds. */
export interface RankingSummary {
  readonly positives: number;
  readonly negatives: number;
  readonly auc: number;
  readonly aucBound: number;
  readonly ap: number;
  readonly apBound: number;
  /** Standardized partial AUC (McClish), when `maxFpr` is set. */
  readonly partialAuc: number | undefined;
  readonly partialAucBound: number | undefined;
  readonly exact: boolean;
}

/** Reads AUC, AP and partial AUC off the state (exact where every open bin was refined). */
export function summarize(state: ScoreHistogramState): RankingSummary {
  if (state.small !== null) return summarizeSmall(state, state.small);
  const { P, N } = totals(state);
  const { pos, neg, min, max } = state;
  let tp = 0;
  let fp = 0;
  let pairs2 = 0;
  let boundPairs2 = 0;
  let ap = 0;
  let apLoose = 0;
  const clipFp = state.config.maxFpr === undefined ? undefined : state.config.maxFpr * N;
  let area = 0;
  let areaBound = 0;
  let clipDone = false;
  for (let b = pos.length - 1; b >= 0; b--) {
    const p = pos[b] as number;
    const q = neg[b] as number;
    if (p === 0 && q === 0) continue;
    const below = N - fp - q;
    const single = (min[b] as number) === (max[b] as number);
    const r = state.refined.get(b);
    let within: number;
    let withinBound = 0;
    if (single || p === 0 || q === 0) within = p * q;
    else if (r !== undefined) within = r.pairs2;
    else {
      within = p * q;
      withinBound = p * q;
    }
    pairs2 += 2 * p * below + within;
    boundPairs2 += withinBound;
    // Average precision.
    if (p > 0) {
      if (single || r === undefined && p === 1 && q === 0) ap += p * ((tp + p) / (tp + p + fp + q));
      else if (r !== undefined) ap += r.apSum;
      else if (q === 0 && p > 1 && !single) {
        // Positives only, distinct values: precision rises from (tp+1)/(tp+1+fp) to (tp+p)/(tp+p+fp).
        const lo = (tp + 1) / (tp + 1 + fp);
        const hi = (tp + p) / (tp + p + fp);
        ap += p * (lo + hi) / 2;
        apLoose += p * (hi - lo) / 2;
      } else {
        const lo = (tp + 1) / (tp + 1 + fp + q);
        const hi = (tp + p) / (tp + p + fp);
        ap += p * (lo + hi) / 2;
        apLoose += p * (hi - lo) / 2;
      }
    }
    // Partial ROC area up to clipFp.
    if (clipFp !== undefined && !clipDone) {
      if (fp + q <= clipFp) {
        area += q * tp + within / 2;
        areaBound += withinBound / 2;
      } else {
        if (q > 0 && (single || p === 0)) {
          const t = (clipFp - fp) / q;
          area += (clipFp - fp) * (tp + tp + p * t) / 2;
        } else if (r !== undefined && r.clipArea !== undefined) {
          area += r.clipArea;
        } else {
          // Unknown path inside the bin: the area lies between the two extreme paths.
          const w = clipFp - fp;
          const lo = w * tp;
          const hi = w * (tp + p);
          area += (lo + hi) / 2;
          areaBound += (hi - lo) / 2;
        }
        clipDone = true;
      }
    }
    tp += p;
    fp += q;
  }
  const denom = 2 * P * N;
  const auc = pairs2 / denom;
  const aucBound = boundPairs2 / denom;
  let partialAuc: number | undefined;
  let partialAucBound: number | undefined;
  if (clipFp !== undefined && state.config.maxFpr !== undefined) {
    const m = state.config.maxFpr;
    if (m === 1) {
      partialAuc = auc;
      partialAucBound = aucBound;
    } else {
      const pa = area / (P * N);
      const minArea = 0.5 * m * m;
      const maxArea = m;
      partialAuc = 0.5 * (1 + (pa - minArea) / (maxArea - minArea));
      partialAucBound = (areaBound / (P * N)) * 0.5 / (maxArea - minArea);
    }
  }
  return {
    positives: P,
    negatives: N,
    auc,
    aucBound,
    ap: ap / P,
    apBound: apLoose / P,
    partialAuc,
    partialAucBound,
    exact: boundPairs2 === 0 && apLoose === 0 && (partialAucBound === undefined || partialAucBound === 0),
  };
}

/** Distinct score values of small rows, descending, with their class counts. */
function tieGroups(small: SmallRows): { values: number[]; pos: number[]; neg: number[] } {
  const order = small.scores.map((_, i) => i).sort((i, j) => (small.scores[j] as number) - (small.scores[i] as number));
  const values: number[] = [];
  const pos: number[] = [];
  const neg: number[] = [];
  for (const i of order) {
    const v = small.scores[i] as number;
    if (values.length === 0 || values[values.length - 1] !== v) {
      values.push(v);
      pos.push(0);
      neg.push(0);
    }
    const k = values.length - 1;
    if (small.labels[i] === 1) pos[k] = (pos[k] as number) + 1;
    else neg[k] = (neg[k] as number) + 1;
  }
  return { values, pos, neg };
}

function standardize(area: number, P: number, N: number, m: number): number {
  const pa = area / (P * N);
  const minArea = 0.5 * m * m;
  return 0.5 * (1 + (pa - minArea) / (m - minArea));
}

/** Exact summary of a small state: walk the distinct scores from the top. */
function summarizeSmall(state: ScoreHistogramState, small: SmallRows): RankingSummary {
  const g = tieGroups(small);
  let P = 0;
  let N = 0;
  for (let k = 0; k < g.values.length; k++) {
    P += g.pos[k] as number;
    N += g.neg[k] as number;
  }
  const clipFp = state.config.maxFpr === undefined ? undefined : state.config.maxFpr * N;
  let tp = 0;
  let fp = 0;
  let pairs2 = 0;
  let ap = 0;
  let area = 0;
  for (let k = 0; k < g.values.length; k++) {
    const dp = g.pos[k] as number;
    const dn = g.neg[k] as number;
    pairs2 += dn * (2 * tp + dp);
    const tp0 = tp;
    const fp0 = fp;
    tp += dp;
    fp += dn;
    if (dp > 0) ap += dp * (tp / (tp + fp));
    if (clipFp !== undefined && fp0 < clipFp) {
      if (fp <= clipFp) area += (dn * (tp0 + tp)) / 2;
      else area += ((clipFp - fp0) * (tp0 + tp0 + dp * ((clipFp - fp0) / dn))) / 2;
    }
  }
  const auc = pairs2 / (2 * P * N);
  const m = state.config.maxFpr;
  const partialAuc = m === undefined ? undefined : m === 1 ? auc : standardize(area, P, N, m);
  return { positives: P, negatives: N, auc, aucBound: 0, ap: ap / P, apBound: 0, partialAuc, partialAucBound: m === undefined ? undefined : 0, exact: true };
}

/** A dense, fully refined copy of a small state (cached), for the bootstrap's coarse view. */
const denseCopies = new WeakMap<ScoreHistogramState, ScoreHistogramState>();
function denseOf(state: ScoreHistogramState): ScoreHistogramState {
  const small = state.small;
  if (small === null) return state;
  const hit = denseCopies.get(state);
  if (hit !== undefined) return hit;
  const d = initHistogram(state.config);
  densify(d);
  addDense(d, small.scores, small.labels, small.scores.length);
  for (let p = planPass(d); p !== null; p = planPass(d)) {
    addPassRows(d, p, small.scores, small.labels, small.scores.length);
    finishPass(d, p);
  }
  denseCopies.set(state, d);
  return d;
}

/** Coarse view used by the bootstrap: class counts and exact inner pair counts per group of bins. */
interface CoarseView {
  readonly pos: Float64Array;
  readonly neg: Float64Array;
  /** Fraction of a group's positive-negative pairs that are concordant (ties one half). */
  readonly concord: Float64Array;
  readonly ap: number;
  readonly exactAp: number;
}

const coarseCache = new WeakMap<ScoreHistogramState, Map<number, CoarseView>>();

function coarseAp(pos: ArrayLike<number>, neg: ArrayLike<number>, P: number): number {
  let tp = 0;
  let fp = 0;
  let s = 0;
  for (let g = pos.length - 1; g >= 0; g--) {
    const p = pos[g] as number;
    tp += p;
    fp += neg[g] as number;
    if (p > 0) s += p * (tp / (tp + fp));
  }
  return s / P;
}

function coarseView(state: ScoreHistogramState, groupBits: number): CoarseView {
  let byBits = coarseCache.get(state);
  if (byBits === undefined) {
    byBits = new Map();
    coarseCache.set(state, byBits);
  }
  const hit = byBits.get(groupBits);
  if (hit !== undefined) return hit;
  const bits = Math.min(groupBits, state.config.bits);
  const shift = state.config.bits - bits;
  const g = 2 ** bits;
  const pos = new Float64Array(g);
  const neg = new Float64Array(g);
  const inner2 = new Float64Array(g);
  // Inner pairs of a group: pairs across its bins plus each bin's own (refined or midpoint).
  for (let b = state.pos.length - 1; b >= 0; b--) {
    const k = b >>> shift;
    const p = state.pos[b] as number;
    const q = state.neg[b] as number;
    if (p === 0 && q === 0) continue;
    const r = state.refined.get(b);
    const single = (state.min[b] as number) === (state.max[b] as number);
    const within = single || p === 0 || q === 0 || r === undefined ? p * q : r.pairs2;
    // Negatives of this group already seen are above b, so they are below nothing here; the
    // positives already seen in the group are above this bin's negatives.
    inner2[k] = (inner2[k] as number) + 2 * (pos[k] as number) * q + within;
    pos[k] = (pos[k] as number) + p;
    neg[k] = (neg[k] as number) + q;
  }
  const concord = new Float64Array(g);
  for (let k = 0; k < g; k++) {
    const pq = (pos[k] as number) * (neg[k] as number);
    concord[k] = pq > 0 ? (inner2[k] as number) / (2 * pq) : 0.5;
  }
  const { P } = totals(state);
  const s = summarize(state);
  const view: CoarseView = { pos, neg, concord, ap: coarseAp(pos, neg, P), exactAp: s.ap };
  byBits.set(groupBits, view);
  return view;
}

/**
 * One bootstrap replicate of (AUC, AP) drawn from the merged histogram, stratified by class: the
 * P positives are resampled as Multinomial(P, pos_g / P) over groups of bins, the N negatives
 * likewise (exactly FuseMedML's stratified row resampling, seen at group resolution). Pairs
 * inside a group keep the group's observed concordance (exact after refinement), and AP is the
 * exact AP shifted by the change of the group-level AP.
 */
export function replicateRanking(state: ScoreHistogramState, rng: Rng, groupBits = 12): { auc: number; ap: number } {
  const view = coarseView(denseOf(state), groupBits);
  const g = view.pos.length;
  const rp = multinomialResample(rng, view.pos, new Float64Array(g));
  const rn = multinomialResample(rng, view.neg, new Float64Array(g));
  let P = 0;
  let N = 0;
  for (let k = 0; k < g; k++) {
    P += rp[k] as number;
    N += rn[k] as number;
  }
  if (P === 0 || N === 0) return { auc: Number.NaN, ap: Number.NaN };
  let fp = 0;
  let pairs2 = 0;
  for (let k = g - 1; k >= 0; k--) {
    const p = rp[k] as number;
    const q = rn[k] as number;
    pairs2 += 2 * p * (N - fp - q) + 2 * (view.concord[k] as number) * p * q;
    fp += q;
  }
  const ap = view.exactAp + (coarseAp(rp, rn, P) - view.ap);
  return { auc: pairs2 / (2 * P * N), ap };
}

/** ROC points at bin boundaries (exact thresholds where a bin is one value). */
export function rocPoints(state: ScoreHistogramState): { fpr: number[]; tpr: number[]; thresholds: number[]; exact: boolean } {
  const { P, N } = totals(state);
  const fpr = [0];
  const tpr = [0];
  const thresholds = [Infinity];
  let tp = 0;
  let fp = 0;
  let exact = true;
  if (state.small !== null) {
    const g = tieGroups(state.small);
    g.values.forEach((v, k) => {
      tp += g.pos[k] as number;
      fp += g.neg[k] as number;
      fpr.push(fp / N);
      tpr.push(tp / P);
      thresholds.push(v);
    });
    return { fpr, tpr, thresholds, exact };
  }
  for (let b = state.pos.length - 1; b >= 0; b--) {
    const p = state.pos[b] as number;
    const q = state.neg[b] as number;
    if (p === 0 && q === 0) continue;
    if ((state.min[b] as number) !== (state.max[b] as number)) exact = false;
    tp += p;
    fp += q;
    fpr.push(fp / N);
    tpr.push(tp / P);
    thresholds.push(state.min[b] as number);
  }
  return { fpr, tpr, thresholds, exact };
}
