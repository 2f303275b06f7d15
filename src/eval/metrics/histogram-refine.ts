/**
 * Refinement passes of the score histogram: plan which open bins fit the memory budget, keep
 * the low bits (or exact doubles) of their rows during the extra pass, then sort each bin and
 * fold its exact contribution (concordant pairs, AP terms, partial ROC area) into the state.
 *
 * Memory: a plan keeps its rows in one store of at most `budgetBytes` (2 bytes a row, 8 when the
 * scores are not all float32), allocated on first use as a SharedArrayBuffer and shared by every
 * state of the plan: the states `init` makes in this thread, and — cloned into worker threads by
 * parallel evaluation (segment-runner.ts seeds each thread's pass state with this thread's
 * fresh one) — those of every thread. Each batch reserves its rows' places per bin with one
 * atomic add per touched bin, then writes them; so N threads together hold the budget once, not
 * N times, and merging their states copies nothing. The order of rows inside a bin then depends
 * on the threads' timing, never the result: each bin is sorted (or counted) before use.
 * States of other stores (another process's, read back from a pass file) merge by copying.
 */
import { threadId } from 'node:worker_threads';
import { isOpenBin, totals, type RefinedBin, type ScoreHistogramState } from './score-histogram.js';

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** Most rows one pass keeps (its store's places and per-bin counters are 32-bit). */
export const MAX_PASS_ROWS = 2 ** 32 - 1;

/** The rows a plan keeps. */
export interface PassRows {
  /** Names the store within the process (thread id and a counter); SharedArrayBuffer-backed stores of one id are one memory. */
  readonly id: string;
  /** Kept values: the positives of slot s at `posStart[s]`, the negatives at `posTotal + negStart[s]`. */
  readonly keys: Uint16Array | Float64Array;
  /**
   * Rows kept so far per slot: positives at [0, k), negatives at [k, 2k); places are reserved with
   * `Atomics.add`. `fill[2k]` is 1 once the store may have writers in other threads (see
   * {@link shareRefineStores}); while it is 0 the one writer skips the reservation step.
   */
  readonly fill: Uint32Array;
}

/** A planned refinement pass: the bins it refines and where their rows go. */
export interface RefinePass {
  readonly bins: Int32Array;
  /** Slot of each bin (-1: not in this pass). */
  readonly slotOf: Int32Array;
  readonly posStart: Float64Array;
  readonly negStart: Float64Array;
  readonly wide: boolean;
  readonly posTotal: number;
  readonly negTotal: number;
  /** The plan's kept rows, allocated on first use; the holder is shared by the plan's states. */
  readonly store: { rows: PassRows | undefined };
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
  const capacity = Math.min(MAX_PASS_ROWS, Math.floor(state.config.budgetBytes / bytesPerRow));
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
  return { bins: Int32Array.from(chosen), slotOf, posStart, negStart, wide, posTotal: pAcc, negTotal: nAcc, store: { rows: undefined } };
}

/** A state of plan `p` for another shard or segment: the same plan and the same store (see the module comment). */
export function emptyPassLike(p: RefinePass): RefinePass {
  rowsOf(p);
  return { ...p };
}

let storeCount = 0;
let sharing = false;

/**
 * Runs `make` (which creates the pass states to hand to worker threads) with every store those
 * states reach marked as shared: from then on each batch reserves its places atomically before
 * writing. Stores never marked have one writer, which writes its rows in a single loop (the
 * in-thread evaluation's path: the reservation step costs it about a quarter of the pass).
 */
export function shareRefineStores<T>(make: () => T): T {
  const was = sharing;
  sharing = true;
  try {
    return make();
  } finally {
    sharing = was;
  }
}

/** The plan's store, allocated (zeroed, shared memory) on first use; marked shared under {@link shareRefineStores}. */
function rowsOf(p: RefinePass): PassRows {
  let rows = p.store.rows;
  const k = p.bins.length;
  if (rows === undefined) {
    const n = p.posTotal + p.negTotal;
    const keys = p.wide ? new Float64Array(new SharedArrayBuffer(n * 8)) : new Uint16Array(new SharedArrayBuffer(n * 2));
    rows = { id: `${threadId}:${++storeCount}`, keys, fill: new Uint32Array(new SharedArrayBuffer(4 * (2 * k + 1))) };
    p.store.rows = rows;
  }
  if (sharing) Atomics.store(rows.fill, 2 * k, 1);
  return rows;
}

/** Where slot-class `c` (positives of slot c < k, negatives of slot c − k) starts in the store. */
function startOf(p: RefinePass, c: number, k: number): number {
  return c < k ? (p.posStart[c] as number) : p.posTotal + (p.negStart[c - k] as number);
}

/** Rows slot-class `c` holds after the pass (the first pass's count of its bin and class). */
function capacityOf(state: ScoreHistogramState, p: RefinePass, c: number, k: number): number {
  return c < k ? (state.pos[p.bins[c] as number] as number) : (state.neg[p.bins[c - k] as number] as number);
}

function changed(state: ScoreHistogramState, p: RefinePass, c: number, k: number, rows: number): Error {
  const b = p.bins[c < k ? c : c - k] as number;
  return new Error(
    `refinement pass saw ${rows} ${c < k ? 'positive' : 'negative'} rows in bin ${b}, the first pass ${capacityOf(state, p, c, k)}: the input changed between passes`,
  );
}

// Per-thread scratch of addPassRows (one chunk at a time): each row's slot-class, per slot-class counts (zero between calls) and write cursors.
let rowClass = new Int32Array(0);
let rowLow = new Uint16Array(0);
let counts = new Uint32Array(0);
let cursors = new Uint32Array(0);
let touched = new Int32Array(0);

/**
 * Adds rows to a refinement pass (only rows in the pass's bins are kept): counts the batch's
 * rows per bin and class, reserves their places in the shared store (one atomic add per touched
 * bin and class), then writes them.
 * @throws Error when a bin gets more rows than the first pass counted (the input changed).
 */
export function addPassRows(state: ScoreHistogramState, p: RefinePass, scores: ArrayLike<number>, labels: ArrayLike<number>, n: number): void {
  const rows = rowsOf(p);
  const k = p.bins.length;
  if (rowClass.length < Math.min(n, CHUNK_ROWS)) {
    rowClass = new Int32Array(Math.min(n, CHUNK_ROWS));
    rowLow = new Uint16Array(rowClass.length);
  }
  if (counts.length < 2 * k) {
    counts = new Uint32Array(2 * k);
    cursors = new Uint32Array(2 * k);
    touched = new Int32Array(2 * k);
  }
  const bitsOf = scores instanceof Float32Array && scores.byteOffset % 4 === 0 ? new Uint32Array(scores.buffer, scores.byteOffset, n) : undefined;
  const fast = bitsOf !== undefined && rows.keys instanceof Uint16Array && state.config.bits === 16 ? rows.keys : undefined;
  if (fast !== undefined && bitsOf !== undefined && rows.fill[2 * k] === 0) {
    addRows16OneWriter(state, p, fast, rows.fill, bitsOf, labels, n);
    return;
  }
  for (let from = 0; from < n; from += CHUNK_ROWS) {
    const to = Math.min(n, from + CHUNK_ROWS);
    if (fast !== undefined && bitsOf !== undefined) addRange16(state, p, fast, rows.fill, bitsOf, labels, from, to);
    else addRange(state, p, rows, scores, bitsOf, labels, from, to);
  }
}

/**
 * {@link addRange} for float32 scores at 16 bits a bin (the common case), in tight loops: the
 * count keeps each row's low 16 bits so the write does not decode the score again.
 */
function addRange16(
  state: ScoreHistogramState,
  p: RefinePass,
  keys: Uint16Array,
  fill: Uint32Array,
  bitsOf: Uint32Array,
  labels: ArrayLike<number>,
  from: number,
  to: number,
): void {
  const { slotOf } = p;
  const k = p.bins.length;
  const cls = rowClass;
  const low = rowLow;
  const cnt = counts;
  let t = 0;
  for (let i = from; i < to; i++) {
    const u = bitsOf[i] as number;
    const key = u === 0x80000000 ? 0x80000000 : u & 0x80000000 ? ~u >>> 0 : (u | 0x80000000) >>> 0;
    const s = slotOf[key >>> 16] as number;
    const j = i - from;
    if (s < 0) {
      cls[j] = -1;
      continue;
    }
    const c = labels[i] === 1 ? s : s + k;
    cls[j] = c;
    low[j] = key & 0xffff;
    if ((cnt[c] = (cnt[c] as number) + 1) === 1) touched[t++] = c;
  }
  reserve(state, p, fill, t);
  const cur = cursors;
  const m = to - from;
  for (let j = 0; j < m; j++) {
    const c = cls[j] as number;
    if (c < 0) continue;
    const w = cur[c] as number;
    keys[w] = low[j] as number;
    cur[c] = w + 1;
  }
}

/**
 * {@link addRange16} for a store with one writer (never handed to another thread): one loop
 * writes each kept row at its slot-class's cursor; the fills are updated after it, and a
 * slot-class that got more rows than the first pass counted is refused as {@link reserve} does.
 */
function addRows16OneWriter(state: ScoreHistogramState, p: RefinePass, keys: Uint16Array, fill: Uint32Array, bitsOf: Uint32Array, labels: ArrayLike<number>, n: number): void {
  const { slotOf } = p;
  const k = p.bins.length;
  if (cursors.length < 2 * k) cursors = new Uint32Array(2 * k);
  const cur = cursors;
  for (let c = 0; c < 2 * k; c++) cur[c] = startOf(p, c, k) + (fill[c] as number);
  for (let i = 0; i < n; i++) {
    const u = bitsOf[i] as number;
    const key = u === 0x80000000 ? 0x80000000 : u & 0x80000000 ? ~u >>> 0 : (u | 0x80000000) >>> 0;
    const s = slotOf[key >>> 16] as number;
    if (s < 0) continue;
    const c = labels[i] === 1 ? s : s + k;
    const w = cur[c] as number;
    keys[w] = key & 0xffff;
    cur[c] = w + 1;
  }
  for (let c = 0; c < 2 * k; c++) {
    const rows = (cur[c] as number) - startOf(p, c, k);
    if (rows > capacityOf(state, p, c, k)) throw changed(state, p, c, k, rows);
    fill[c] = rows;
  }
}

/** Reserves the places of the `t` touched slot-classes counted in `counts` (zeroing them) and sets their write cursors. */
function reserve(state: ScoreHistogramState, p: RefinePass, fill: Uint32Array, t: number): void {
  const k = p.bins.length;
  const cnt = counts;
  for (let j = 0; j < t; j++) {
    const c = touched[j] as number;
    const m = cnt[c] as number;
    cnt[c] = 0;
    const at = Atomics.add(fill, c, m);
    if (at + m > capacityOf(state, p, c, k)) {
      for (let r = j + 1; r < t; r++) cnt[touched[r] as number] = 0;
      throw changed(state, p, c, k, at + m);
    }
    cursors[c] = startOf(p, c, k) + at;
  }
}

/** Rows per reservation step of {@link addPassRows} (bounds its per-row scratch to 256 KB). */
const CHUNK_ROWS = 1 << 16;

/** {@link addPassRows} for rows [from, to): count, reserve, write. */
function addRange(
  state: ScoreHistogramState,
  p: RefinePass,
  rows: PassRows,
  scores: ArrayLike<number>,
  bitsOf: Uint32Array | undefined,
  labels: ArrayLike<number>,
  from: number,
  to: number,
): void {
  const shift = 32 - state.config.bits;
  const lowMask = (2 ** shift - 1) >>> 0;
  const { keys, fill } = rows;
  const { slotOf, wide } = p;
  const k = p.bins.length;
  const cls = rowClass;
  const cnt = counts;
  let t = 0;
  // Count: each row's slot-class (-1: not kept).
  for (let i = from; i < to; i++) {
    let u: number;
    if (bitsOf !== undefined) {
      u = bitsOf[i] as number;
      if (u === 0x80000000) u = 0;
    } else {
      const v = scores[i] as number;
      f32[0] = v === 0 ? 0 : v;
      u = u32[0] as number;
    }
    const key = u & 0x80000000 ? ~u >>> 0 : (u | 0x80000000) >>> 0;
    const s = slotOf[key >>> shift] as number;
    if (s < 0) {
      cls[i - from] = -1;
      continue;
    }
    const c = labels[i] === 1 ? s : s + k;
    cls[i - from] = c;
    if ((cnt[c] = (cnt[c] as number) + 1) === 1) touched[t++] = c;
  }
  reserve(state, p, fill, t);
  // Write.
  const cur = cursors;
  if (bitsOf !== undefined && keys instanceof Uint16Array) {
    for (let i = from; i < to; i++) {
      const c = cls[i - from] as number;
      if (c < 0) continue;
      let u = bitsOf[i] as number;
      if (u === 0x80000000) u = 0;
      const key = u & 0x80000000 ? ~u >>> 0 : (u | 0x80000000) >>> 0;
      const w = cur[c] as number;
      keys[w] = key & lowMask;
      cur[c] = w + 1;
    }
    return;
  }
  for (let i = from; i < to; i++) {
    const c = cls[i - from] as number;
    if (c < 0) continue;
    let v = scores[i] as number;
    if (v === 0) v = 0;
    f32[0] = v;
    const u = u32[0] as number;
    const key = u & 0x80000000 ? ~u >>> 0 : (u | 0x80000000) >>> 0;
    const w = cur[c] as number;
    keys[w] = wide ? v : key & lowMask;
    cur[c] = w + 1;
  }
}

/** Same memory: one rows object, or shared stores of one id (the same store seen from two threads). */
function sameStore(a: PassRows, b: PassRows): boolean {
  return a === b || (a.id === b.id && a.keys.buffer instanceof SharedArrayBuffer && b.keys.buffer instanceof SharedArrayBuffer);
}

/**
 * Merges two shards' states of the same pass: states sharing a store already hold each other's
 * rows (nothing to do); otherwise b's rows are copied after a's, slot by slot.
 * @throws Error when the merged rows exceed a bin's count (the input changed).
 */
export function mergePasses(a: RefinePass, b: RefinePass): RefinePass {
  const rb = b.store.rows;
  if (rb === undefined) return a;
  const ra = a.store.rows;
  if (ra === undefined) return b;
  if (sameStore(ra, rb)) return a;
  const k = a.bins.length;
  for (let c = 0; c < 2 * k; c++) {
    const m = rb.fill[c] as number;
    if (m === 0) continue;
    const at = ra.fill[c] as number;
    const from = startOf(b, c, k);
    if (at + m > (c < k ? (a.posStart[c + 1] ?? a.posTotal) - (a.posStart[c] as number) : (a.negStart[c - k + 1] ?? a.negTotal) - (a.negStart[c - k] as number))) {
      throw new Error(`refinement pass states hold more rows in bin ${a.bins[c < k ? c : c - k] as number} than the plan: the input changed between passes`);
    }
    ra.keys.set(rb.keys.subarray(from, from + m), startOf(a, c, k) + at);
    ra.fill[c] = at + m;
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

/** A bin's tie groups in descending score order: `gp[k]` positives and `gn[k]` negatives share the k-th highest distinct value. */
export interface TieGroups {
  readonly gp: Float64Array;
  readonly gn: Float64Array;
  readonly count: number;
}

/** Bins of at least this many 16-bit rows are counted (O(rows + 2,048): a bitmap of the values seen) rather than sorted. */
export const COUNT_ROWS = 512;

/** Which 16-bit values {@link countKeys} saw (one bit each), so {@link countedGroups} visits only those. */
const seen = new Int32Array(65536 / 32);

/**
 * Counts 16-bit values `keys[from..to)` into the positive (`positive`) or negative tally of
 * {@link countedGroups}.
 */
export function countKeys(keys: Uint16Array, from: number, to: number, positive: boolean): void {
  const count = positive ? countPos : countNeg;
  for (let i = from; i < to; i++) {
    const x = keys[i] as number;
    count[x] = (count[x] as number) + 1;
    seen[x >>> 5] = (seen[x >>> 5] as number) | (1 << (x & 31));
  }
}

/** The tie groups of the values {@link countKeys} tallied, zeroing the tallies. */
export function countedGroups(): TieGroups {
  let k = 0;
  for (let w = seen.length - 1; w >= 0; w--) {
    let bits = seen[w] as number;
    if (bits === 0) continue;
    seen[w] = 0;
    // The values of this word, highest first.
    while (bits !== 0) {
      const bit = 31 - Math.clz32(bits);
      bits &= ~(1 << bit);
      const x = (w << 5) | bit;
      groupPos[k] = countPos[x] as number;
      groupNeg[k] = countNeg[x] as number;
      k++;
      countPos[x] = 0;
      countNeg[x] = 0;
    }
  }
  return { gp: groupPos, gn: groupNeg, count: k };
}

/**
 * A bin's tie groups in descending score order (see {@link TieGroups}). Large bins of
 * 16-bit values are counted (O(rows + range)) without materialising a sorted copy; the others
 * are sorted (in place) and merged. Float64 bins (wide) may exceed 65,536 distinct values: they
 * return their groups in growable arrays.
 */
export function tieGroupsOf(ps: Uint16Array | Float64Array, ns: Uint16Array | Float64Array, pStart: number, pl: number, nStart: number, nl: number): TieGroups {
  if (ps instanceof Uint16Array && ns instanceof Uint16Array && pl + nl >= COUNT_ROWS) {
    countKeys(ps, pStart, pStart + pl, true);
    countKeys(ns, nStart, nStart + nl, false);
    return countedGroups();
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
export function cumulativeAbove(state: ScoreHistogramState): { tpAbove: Float64Array; fpAbove: Float64Array } {
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
  const { keys, fill } = rowsOf(p);
  const k = p.bins.length;
  return foldRefinedBins(state, p.bins, (s, b) => {
    const pl = fill[s] as number;
    const nl = fill[k + s] as number;
    if (pl !== (state.pos[b] as number) || nl !== (state.neg[b] as number)) {
      throw new Error(`refinement pass saw ${pl}+${nl} rows in bin ${b}, the first pass ${state.pos[b]}+${state.neg[b]}: the input changed between passes`);
    }
    return tieGroupsOf(keys, keys, p.posStart[s] as number, pl, p.posTotal + (p.negStart[s] as number), nl);
  });
}

/**
 * Makes each of `bins` exact from its tie groups (`groupsOf(slot, bin)`, descending score order,
 * the class counts of the first pass) and counts one pass.
 */
export function foldRefinedBins(state: ScoreHistogramState, bins: Int32Array, groupsOf: (slot: number, bin: number) => TieGroups): ScoreHistogramState {
  const { tpAbove, fpAbove } = cumulativeAbove(state);
  const clipFp = clipFpOf(state);
  for (let s = 0; s < bins.length; s++) {
    const b = bins[s] as number;
    state.refined.set(b, refinedBin(groupsOf(s, b), tpAbove[b] as number, fpAbove[b] as number, state.neg[b] as number, clipFp));
  }
  state.passes++;
  return state;
}

/** The false positives at the max-FPR cut of `state` (undefined: full AUC). */
export function clipFpOf(state: ScoreHistogramState): number | undefined {
  return state.config.maxFpr === undefined ? undefined : state.config.maxFpr * totals(state).N;
}

/**
 * One bin's exact contribution from its tie groups, given the class counts above it and its
 * negatives `nl` (and the max-FPR cut in false positives, if any).
 */
export function refinedBin(groups: TieGroups, tpAbove: number, fpAbove: number, nl: number, clipFp: number | undefined): RefinedBin {
  const { gp, gn, count } = groups;
  let tp = tpAbove;
  let fp = fpAbove;
  let pairs2 = 0;
  let apSum = 0;
  let clipArea: number | undefined;
  const clipHere = clipFp !== undefined && fp < clipFp && fp + nl > clipFp;
  let area = 0;
  for (let g = 0; g < count; g++) {
    const dp = gp[g] as number;
    const dn = gn[g] as number;
    // Negatives at this value are below the positives seen before in this bin, tied with those at it.
    pairs2 += dn * (2 * (tp - tpAbove) + dp);
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
  return { pairs2, apSum, clipArea };
}
