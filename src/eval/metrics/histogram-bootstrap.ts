/**
 * Bootstrap replicates of AUC and AP drawn from a merged score histogram, stratified by class.
 */
import type { Rng } from '../../core/rng.js';
import { multinomialResample } from '../stats/multinomial.js';
import { addPassRows, finishPass, planPass } from './histogram-refine.js';
import { summarize } from './histogram-summary.js';
import { addDense, densify, initHistogram, totals, type ScoreHistogramState } from './score-histogram.js';

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
 * likewise (exactly FuseMedML's stratified row resampling, seen at group resolution; a class of
 * more than 10^6 rows uses the Poisson bootstrap, see `multinomialResample`). Pairs
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
