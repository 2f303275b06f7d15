/**
 * Refinement passes of the score histogram: plan which open bins fit the memory budget, keep
 * the low bits (or exact doubles) of their rows during the extra pass, then sort each bin and
 * fold its exact contribution (concordant pairs, AP terms, partial ROC area) into the state.
 */
import { isOpenBin, totals, type ScoreHistogramState } from './score-histogram.js';

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

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
    if (!isOpenBin(state, b)) continue;
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
  return {
    bins: Int32Array.from(chosen),
    slotOf,
    posStart,
    negStart,
    posFill: new Float64Array(k),
    negFill: new Float64Array(k),
    wide,
    posStore: undefined,
    negStore: undefined,
    posTotal: pAcc,
    negTotal: nAcc,
  };
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
  if (scores instanceof Float32Array && scores.byteOffset % 4 === 0 && ps instanceof Uint16Array && ns instanceof Uint16Array) {
    // Integer write cursors per slot for the batch, folded back into the fills after it.
    const k = posStart.length;
    const posNext = new Uint32Array(k);
    const negNext = new Uint32Array(k);
    for (let s = 0; s < k; s++) {
      posNext[s] = (posStart[s] as number) + (posFill[s] as number);
      negNext[s] = (negStart[s] as number) + (negFill[s] as number);
    }
    const bitsOf = new Uint32Array(scores.buffer, scores.byteOffset, n);
    for (let i = 0; i < n; i++) {
      let u = bitsOf[i] as number;
      if (u === 0x80000000) u = 0;
      const key = u & 0x80000000 ? ~u >>> 0 : (u | 0x80000000) >>> 0;
      const s = slotOf[key >>> shift] as number;
      if (s < 0) continue;
      if (labels[i] === 1) {
        const w = posNext[s] as number;
        ps[w] = key & lowMask;
        posNext[s] = w + 1;
      } else {
        const w = negNext[s] as number;
        ns[w] = key & lowMask;
        negNext[s] = w + 1;
      }
    }
    for (let s = 0; s < k; s++) {
      posFill[s] = (posNext[s] as number) - (posStart[s] as number);
      negFill[s] = (negNext[s] as number) - (negStart[s] as number);
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
    const stored = wide ? v : (key & lowMask) >>> lowShift;
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
    const pStart = b.posStart[s] as number;
    const nStart = b.negStart[s] as number;
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

const groupPos = new Float64Array(65536);
const groupNeg = new Float64Array(65536);

/**
 * A bin's tie groups in descending score order: `groupPos[k]` positives and `groupNeg[k]`
 * negatives share the k-th highest distinct value; returns the number of groups. Large bins of
 * 16-bit values are counted (O(rows + range)) without materialising a sorted copy; the others
 * are sorted and merged. Float64 bins (wide) may exceed 65,536 distinct values: they return
 * their groups in growable arrays.
 */
function tieGroupsOf(
  ps: Uint16Array | Float64Array,
  ns: Uint16Array | Float64Array,
  pStart: number,
  pl: number,
  nStart: number,
  nl: number,
): { gp: Float64Array; gn: Float64Array; count: number } {
  if (ps instanceof Uint16Array && ns instanceof Uint16Array && pl + nl >= 8192) {
    let lo = 65535;
    let hi = 0;
    for (let i = pStart; i < pStart + pl; i++) {
      const x = ps[i] as number;
      countPos[x] = (countPos[x] as number) + 1;
      if (x < lo) lo = x;
      if (x > hi) hi = x;
    }
    for (let i = nStart; i < nStart + nl; i++) {
      const x = ns[i] as number;
      countNeg[x] = (countNeg[x] as number) + 1;
      if (x < lo) lo = x;
      if (x > hi) hi = x;
    }
    let k = 0;
    for (let x = hi; x >= lo; x--) {
      const a = countPos[x] as number;
      const c = countNeg[x] as number;
      if (a === 0 && c === 0) continue;
      groupPos[k] = a;
      groupNeg[k] = c;
      k++;
      countPos[x] = 0;
      countNeg[x] = 0;
    }
    return { gp: groupPos, gn: groupNeg, count: k };
  }
  const pv = sortedDesc(ps, pStart, pl);
  const nv = sortedDesc(ns, nStart, nl);
  const wide = pl + nl > 65536;
  const gp = wide ? new Float64Array(pl + nl) : groupPos;
  const gn = wide ? new Float64Array(pl + nl) : groupNeg;
  let i = 0;
  let j = 0;
  let k = 0;
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
    gp[k] = dp;
    gn[k] = dn;
    k++;
  }
  return { gp, gn, count: k };
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
  const { N } = totals(state);
  const clipFp = state.config.maxFpr === undefined ? undefined : state.config.maxFpr * N;
  const { ps, ns } = stores(p);
  for (let s = 0; s < p.bins.length; s++) {
    const b = p.bins[s] as number;
    const pl = p.posFill[s] as number;
    const nl = p.negFill[s] as number;
    if (pl !== (state.pos[b] as number) || nl !== (state.neg[b] as number)) {
      throw new Error(`refinement pass saw ${pl}+${nl} rows in bin ${b}, the first pass ${state.pos[b]}+${state.neg[b]}: the input changed between passes`);
    }
    const { gp, gn, count } = tieGroupsOf(ps, ns, p.posStart[s] as number, pl, p.negStart[s] as number, nl);
    let tp = tpAbove[b] as number;
    let fp = fpAbove[b] as number;
    let pairs2 = 0;
    let apSum = 0;
    let clipArea: number | undefined;
    const clipHere = clipFp !== undefined && fp < clipFp && fp + nl > clipFp;
    let area = 0;
    for (let g = 0; g < count; g++) {
      const dp = gp[g] as number;
      const dn = gn[g] as number;
      // Negatives at this value are below the positives seen before in this bin, tied with those at it.
      pairs2 += dn * (2 * (tp - (tpAbove[b] as number)) + dp);
      const tp0 = tp;
      const fp0 = fp;
      tp += dp;
      fp += dn;
      if (dp > 0) apSum += dp * (tp / (tp + fp));
      if (clipHere && clipFp !== undefined && fp0 < clipFp) {
        if (fp <= clipFp) area += (dn * (tp0 + tp)) / 2;
        else {
          const t = (clipFp - fp0) / dn;
          const tpCut = tp0 + dp * t;
          area += ((clipFp - fp0) * (tp0 + tpCut)) / 2;
        }
      }
    }
    if (clipHere) clipArea = area;
    state.refined.set(b, { pairs2, apSum, clipArea });
  }
  state.passes++;
  return state;
}
