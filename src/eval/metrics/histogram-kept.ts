/**
 * The fused refinement of the score histogram: while the first pass counts a batch of float32
 * scores, it also keeps each row's compact key — the low 16 bits of its order-preserving float32
 * pattern, grouped by bin and class (a counting sort of the batch) — so that the refinement
 * passes `planPass` (histogram-refine.ts) asks for are folded from memory, without reading the
 * input again. The result is the one the passes over the input give, bit for bit: the same
 * plans, the same bins, the same tie groups (a bin's rows are counted or sorted before use, so
 * where each row was kept does not matter).
 *
 * Memory bound: 2 bytes a row plus 8 bytes per (batch, bin, class) present, allocated per batch
 * as shared memory (so segment states posted between threads carry it without a copy). Every
 * allocation is first reserved in one ledger per process (worker threads of `evaluate` share the
 * main thread's, see {@link keptLedgerBuffer}): a state whose reservation would bring the
 * process's kept bytes past its metric's `budgetBytes` stops keeping and releases what it kept,
 * and its metric falls back to refinement passes over the input (histogram-refine.ts). So the
 * kept rows of all states of a process never exceed the budget (at 10^8 rows: about 200 MB).
 *
 * The kept rows sit on the state under a symbol, which structured cloning and `node:v8`
 * serialization skip: a state written to a pass file or cloned for planning carries none (its
 * metric then plans passes over the input, as before). Posting segment states between threads
 * carries them (state-codec.ts tags them for the trip).
 */
import { sortedIndexOf } from '../../core/sorted-index.js';
import { densify, totals, type ScoreHistogramState } from './score-histogram.js';
import { clipFpOf, COUNT_ROWS, countedGroups, countKeys, cumulativeAbove, planPass, refinedBin, tieGroupsOf, type TieGroups } from './histogram-refine.js';

/** One batch's kept rows: low 16-bit keys ordered by class (`bin * 2 + label`), classes ascending. */
export interface KeptRun {
  readonly keys: Uint16Array;
  /** The classes present, ascending. */
  readonly classes: Int32Array;
  /** End of each class's keys in `keys` (its start is the previous class's end, or 0). */
  readonly ends: Uint32Array;
}

/** What a state kept in its first pass. */
export interface KeptRows {
  runs: KeptRun[];
  /** Rows kept (all the state's rows when nothing was left out). */
  rows: number;
  /** KiB reserved in the ledger for `runs`. */
  kib: number;
  /** True once a row was not kept (budget, a batch off the fast path): the rows go unused. */
  dropped: boolean;
  /**
   * Rows kept outside this process's memory (a map step's key files, src/eval/shard/kept-keys.ts):
   * gives the runs of just the bins of one refinement pass (`runs` is then empty), so a pass holds
   * at most its planned rows, bounded by `budgetBytes` as a pass over the input is.
   */
  load?: (bins: Int32Array) => readonly KeptRun[];
}

/** Where a state holds its kept rows (a symbol: not cloned, not serialized). */
export const KEPT: unique symbol = Symbol.for('fuseflow.keptRows');

/** A histogram state with (perhaps) kept rows. */
type Keeping = ScoreHistogramState & { [KEPT]?: KeptRows };

/** The bin resolution the fused refinement handles (its per-class scratch has 2^17 entries). */
const KEEP_BITS = 16;

/**
 * This thread's ledger (its [0]: KiB of kept rows reserved by every state of the process) and
 * refinement helpers, held on `globalThis` so that two copies of this module in one thread (a
 * bundle and the package's modules) keep one ledger and one set of helpers, as they share `KEPT`.
 */
interface KeptGlobals {
  ledger: Int32Array<SharedArrayBuffer>;
  readonly helpers: Set<(job: RefineJob) => void>;
}
const GLOBALS = Symbol.for('fuseflow.keptGlobals');
const globals = ((globalThis as { [GLOBALS]?: KeptGlobals })[GLOBALS] ??= { ledger: new Int32Array(new SharedArrayBuffer(4)), helpers: new Set() });

/** The ledger's shared memory, for worker threads to adopt ({@link useKeptLedger}). */
export function keptLedgerBuffer(): SharedArrayBuffer {
  return globals.ledger.buffer;
}

/** Makes this thread reserve its kept rows in `buffer` (the main thread's ledger). */
export function useKeptLedger(buffer: SharedArrayBuffer): void {
  globals.ledger = new Int32Array(buffer);
}

/** KiB of kept rows reserved in this process now (for tests). */
export function keptKib(): number {
  return Atomics.load(globals.ledger, 0);
}

/** The kept rows of `state`, if any. */
export function keptOf(state: ScoreHistogramState): KeptRows | undefined {
  return (state as Keeping)[KEPT];
}

/** Sets (or with undefined, removes) the kept rows of `state`. */
export function setKept(state: ScoreHistogramState, kept: KeptRows | undefined): void {
  if (kept === undefined) delete (state as Keeping)[KEPT];
  else (state as Keeping)[KEPT] = kept;
}

/** Releases `kept`'s reservation and marks it dropped (its runs become garbage). */
function drop(kept: KeptRows): void {
  if (kept.kib > 0) Atomics.sub(globals.ledger, 0, kept.kib);
  kept.kib = 0;
  kept.runs = [];
  delete kept.load;
  kept.rows = 0;
  kept.dropped = true;
}

/** Releases the kept rows of `state` (reservation and memory), e.g. once they are used. */
export function releaseKept(state: ScoreHistogramState): void {
  const kept = keptOf(state);
  if (kept === undefined) return;
  drop(kept);
  setKept(state, undefined);
}

/** Marks `state`'s rows as not all kept (a batch took another path): its kept rows are released. */
export function stopKeeping(state: ScoreHistogramState): void {
  const kept = keptOf(state);
  if (kept === undefined) setKept(state, { runs: [], rows: 0, kib: 0, dropped: true });
  else drop(kept);
}

/** Rows counted and kept per step of {@link addDenseKept}: one kept run at most this long. */
const CHUNK_ROWS = 1 << 18;

// Per-thread scratch of addDenseKept (about 2 MB): rows per class of one chunk (zero between
// calls), the classes touched, each row's class and low bits, and the keys of a chunk not kept.
const classRows = new Uint32Array(2 << KEEP_BITS);
const touched = new Int32Array(2 << KEEP_BITS);
const rowClass = new Int32Array(CHUNK_ROWS);
const rowLow = new Uint16Array(CHUNK_ROWS);
const unkept = new Uint16Array(CHUNK_ROWS);

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The score whose order-preserving key is `key` (a float32, as a double). */
function scoreOfKey(key: number): number {
  u32[0] = key & 0x80000000 ? key & 0x7fffffff : ~key >>> 0;
  return f32[0] as number;
}

/**
 * The first pass's fast path at 16 bits a bin, fused with keeping the rows: adds rows [0, n) of
 * float32 `scores` and 0/1 `labels` to the dense `state` (class counts, per-bin extremes) and keeps
 * their compact keys (see the module comment), chunk by chunk: each chunk's rows are counted per
 * bin and class, then written grouped by class (a counting sort) into the kept run, whose
 * per-class segments also give the bins' extremes. Stops at the first row that is not a finite
 * score with a 0/1 label and returns how many rows it added (from the start): the caller handles
 * the rest. Gives the same counts and extremes as `addDenseChecked`.
 */
export function addDenseKept(state: ScoreHistogramState, scores: Float32Array, labels: ArrayLike<number>, n: number): number {
  if (state.small !== null || state.config.bits !== KEEP_BITS || scores.byteOffset % 4 !== 0) return 0;
  let kept = keptOf(state);
  if (kept === undefined) {
    kept = { runs: [], rows: 0, kib: 0, dropped: false };
    setKept(state, kept);
  }
  const bits = new Uint32Array(scores.buffer, scores.byteOffset, n);
  for (let from = 0; from < n;) {
    const to = Math.min(n, from + CHUNK_ROWS);
    const done = addChunk(state, kept, bits, labels, from, to);
    if (done < to) return done;
    from = to;
  }
  return n;
}

/** {@link addDenseKept} for rows [from, to) (at most CHUNK_ROWS); returns where it stopped. */
function addChunk(state: ScoreHistogramState, kept: KeptRows, bits: Uint32Array, labels: ArrayLike<number>, from: number, to: number): number {
  const t = countChunk(bits, labels, from, to);
  const m = counted.rows;
  if (m === 0) return from;
  // Shared memory, as the keys: posting a state or a refinement job to another thread copies no run.
  const classes = new Int32Array(new SharedArrayBuffer(4 * t));
  classes.set(touched.subarray(0, t));
  classes.sort();
  const ends = placeClasses(state, classes);
  let keys: Uint16Array = unkept;
  if (!kept.dropped) {
    const kib = Math.ceil((2 * m + 8 * t) / 1024);
    if ((Atomics.add(globals.ledger, 0, kib) + kib) * 1024 > state.config.budgetBytes) {
      Atomics.sub(globals.ledger, 0, kib);
      drop(kept);
    } else {
      kept.kib += kib;
      keys = new Uint16Array(new SharedArrayBuffer(2 * m));
    }
  }
  scatterChunk(keys, m);
  widenExtremes(state, keys, classes, ends);
  if (!kept.dropped) {
    kept.runs.push({ keys, classes, ends });
    kept.rows += m;
  }
  return from + m;
}

/** Rows {@link countChunk} counted (up to the first bad row). */
const counted = { rows: 0 };

/**
 * Counts rows [from, to) per class (bin * 2 + label) into `classRows`, noting each row's class
 * and low bits; stops before the first row that is not a finite score with a 0/1 label. Returns
 * the number of classes touched (listed in `touched`); `counted.rows` says how many rows.
 */
function countChunk(bits: Uint32Array, labels: ArrayLike<number>, from: number, to: number): number {
  let t = 0;
  const n = to - from;
  for (let j = 0; j < n; j++) {
    const u = bits[from + j] as number;
    const y = labels[from + j] as number;
    // Exponent all ones (NaN or an infinity), or a label other than 0 and 1 (y & 1 differs).
    if ((u & 0x7f800000) === 0x7f800000 || y !== (y & 1)) {
      counted.rows = j;
      return t;
    }
    // The order-preserving key (-0 as +0): negative patterns flipped, positive ones get the sign bit.
    const key = u === 0x80000000 ? 0x80000000 : u & 0x80000000 ? ~u : u | 0x80000000;
    const c = ((key >>> 16) << 1) | y;
    rowClass[j] = c;
    rowLow[j] = key;
    const k = classRows[c] as number;
    classRows[c] = k + 1;
    if (k === 0) touched[t++] = c;
  }
  counted.rows = n;
  return t;
}

/**
 * Adds the counted rows of `classes` (ascending) to the state's class counts and turns each
 * class's count into its write cursor; returns each class's end in the run.
 */
function placeClasses(state: ScoreHistogramState, classes: Int32Array): Uint32Array {
  const { pos, neg } = state;
  const ends = new Uint32Array(new SharedArrayBuffer(4 * classes.length));
  let at = 0;
  for (let j = 0; j < classes.length; j++) {
    const c = classes[j] as number;
    const rows = classRows[c] as number;
    const b = c >>> 1;
    if (c & 1) pos[b] = (pos[b] as number) + rows;
    else neg[b] = (neg[b] as number) + rows;
    classRows[c] = at;
    at += rows;
    ends[j] = at;
  }
  return ends;
}

/** Writes the `m` counted rows' low bits grouped by class (at the cursors {@link placeClasses} set). */
function scatterChunk(keys: Uint16Array, m: number): void {
  for (let j = 0; j < m; j++) {
    const c = rowClass[j] as number;
    const w = classRows[c] as number;
    keys[w] = rowLow[j] as number;
    classRows[c] = w + 1;
  }
}

/** Widens each bin's extremes to those of its classes' rows in `keys` (and zeroes `classRows`). */
function widenExtremes(state: ScoreHistogramState, keys: Uint16Array, classes: Int32Array, ends: Uint32Array): void {
  const { min, max } = state;
  let start = 0;
  for (let j = 0; j < classes.length; j++) {
    const c = classes[j] as number;
    classRows[c] = 0;
    const stop = ends[j] as number;
    let lo = 0xffff;
    let hi = 0;
    for (let i = start; i < stop; i++) {
      const x = keys[i] as number;
      if (x < lo) lo = x;
      if (x > hi) hi = x;
    }
    start = stop;
    const b = c >>> 1;
    const vLo = scoreOfKey(((b << 16) | lo) >>> 0);
    const vHi = scoreOfKey(((b << 16) | hi) >>> 0);
    if (vLo < (min[b] as number)) min[b] = vLo;
    if (vHi > (max[b] as number)) max[b] = vHi;
  }
}

/**
 * A small state's raw rows made into its histogram, keeping them as {@link addDenseKept} does
 * (when its scores are all float32; otherwise the histogram keeps nothing).
 */
export function densifyKept(state: ScoreHistogramState): void {
  const small = state.small;
  if (small === null) return;
  const scores = Float32Array.from(small.scores);
  if (state.config.bits !== KEEP_BITS || !scores.every((x, i) => x === small.scores[i])) {
    densify(state);
    stopKeeping(state);
    return;
  }
  state.small = { scores: [], labels: [] };
  densify(state);
  addDenseKept(state, scores, Uint8Array.from(small.labels), scores.length);
}

/**
 * Moves the kept rows of `a` and `b` (merged, in that order, into `out`) to `out`. A side that
 * kept nothing while holding rows leaves `out` without usable kept rows.
 */
export function mergeKept(out: ScoreHistogramState, a: ScoreHistogramState, b: ScoreHistogramState): void {
  const ka = keptOf(a);
  const kb = keptOf(b);
  if (ka === undefined && kb === undefined) return;
  setKept(a, undefined);
  setKept(b, undefined);
  const merged: KeptRows = { runs: [], rows: 0, kib: 0, dropped: false };
  for (const k of [ka, kb]) {
    if (k === undefined) continue;
    merged.runs.push(...k.runs);
    merged.rows += k.rows;
    merged.kib += k.kib;
    // Rows loaded from files belong to the state they were given to, not to a merge of it.
    merged.dropped ||= k.dropped || k.load !== undefined;
  }
  if (merged.dropped) drop(merged);
  setKept(out, merged);
}

/** Whether `state`'s kept rows are all its rows, so its refinement can be folded from memory. */
export function keptAll(state: ScoreHistogramState): boolean {
  const kept = keptOf(state);
  if (kept === undefined || kept.dropped || state.small !== null || !state.float32Exact) return false;
  const { P, N } = totals(state);
  return kept.rows === P + N;
}

/**
 * Folds every refinement pass `planPass` plans (up to `maxPasses` passes in all) from the kept
 * rows (or the runs `load` gives for each pass's bins), then releases them. The state must have kept all its rows ({@link keptAll}). The bins of
 * a pass are shared with the helper threads (see {@link addRefineHelper}) as they get free; each
 * bin's result is computed by one thread from the same rows, and folded here in bin order, so
 * the result does not depend on the helpers.
 * @throws Error when a bin's kept rows differ from its counts (a fault, not bad input).
 */
export function refineFromKept(state: ScoreHistogramState, maxPasses: number): void {
  const kept = keptOf(state);
  if (kept === undefined) return;
  try {
    for (;;) {
      if (state.passes >= maxPasses) return;
      const p = planPass(state);
      if (p === null) return;
      const job = refineJob(state, kept.load === undefined ? kept.runs : kept.load(p.bins), p.bins);
      for (const helper of globals.helpers) helper(job);
      workOnRefine(job);
      awaitRefine(job);
      for (let s = 0; s < p.bins.length; s++) {
        const clip = job.out[3 * s + 2] as number;
        state.refined.set(p.bins[s] as number, { pairs2: job.out[3 * s] as number, apSum: job.out[3 * s + 1] as number, clipArea: Number.isNaN(clip) ? undefined : clip });
      }
      state.passes++;
    }
  } finally {
    releaseKept(state);
  }
}

/** One pass of {@link refineFromKept}, as helper threads get it (shared memory but for the per-bin inputs). */
export interface RefineJob {
  readonly runs: readonly KeptRun[];
  readonly bins: Int32Array;
  /** Per slot: the bin's positives and negatives, and the class counts above it. */
  readonly pl: Float64Array;
  readonly nl: Float64Array;
  readonly tpAbove: Float64Array;
  readonly fpAbove: Float64Array;
  /** False positives at the max-FPR cut; NaN: none. */
  readonly clipFp: number;
  /** [0] next slot to take, [1] slots done, [2] 1 once a thread failed. */
  readonly progress: Int32Array;
  /** Per slot: pairs2, apSum, clipArea (NaN: none). */
  readonly out: Float64Array;
}

/** Slots a thread takes at a time. */
const SLOTS_PER_TAKE = 4;

/**
 * Registers a thread that can take bins of a refinement from kept rows: `post` hands it a job,
 * which it runs with {@link workOnRefine} when it is free (parallel evaluation registers its
 * worker threads while they live). Returns the function that unregisters it.
 */
export function addRefineHelper(post: (job: RefineJob) => void): () => void {
  globals.helpers.add(post);
  return () => globals.helpers.delete(post);
}

function refineJob(state: ScoreHistogramState, runs: readonly KeptRun[], bins: Int32Array): RefineJob {
  failure = undefined;
  const { tpAbove, fpAbove } = cumulativeAbove(state);
  const k = bins.length;
  const at = (from: Float64Array): Float64Array => Float64Array.from(bins, (b) => from[b] as number);
  return {
    runs,
    bins,
    pl: at(state.pos),
    nl: at(state.neg),
    tpAbove: at(tpAbove),
    fpAbove: at(fpAbove),
    clipFp: clipFpOf(state) ?? Number.NaN,
    progress: new Int32Array(new SharedArrayBuffer(12)),
    out: new Float64Array(new SharedArrayBuffer(24 * k)),
  };
}

/** Takes slots of `job` until none is left, writing each bin's result (any thread). */
export function workOnRefine(job: RefineJob): void {
  const k = job.bins.length;
  const clipFp = Number.isNaN(job.clipFp) ? undefined : job.clipFp;
  for (;;) {
    const from = Atomics.add(job.progress, 0, SLOTS_PER_TAKE);
    if (from >= k) return;
    const to = Math.min(k, from + SLOTS_PER_TAKE);
    try {
      for (let s = from; s < to; s++) {
        const nl = job.nl[s] as number;
        const r = refinedBin(keptGroups(job.runs, job.bins[s] as number, job.pl[s] as number, nl), job.tpAbove[s] as number, job.fpAbove[s] as number, nl, clipFp);
        job.out[3 * s] = r.pairs2;
        job.out[3 * s + 1] = r.apSum;
        job.out[3 * s + 2] = r.clipArea ?? Number.NaN;
      }
    } catch (err) {
      Atomics.store(job.progress, 2, 1);
      failure = err instanceof Error ? err : new Error(String(err));
    } finally {
      Atomics.add(job.progress, 1, to - from);
      Atomics.notify(job.progress, 1);
    }
  }
}

/** This thread's last failure in {@link workOnRefine} (rethrown by the thread that waits). */
let failure: Error | undefined;

/** Longest wait for helper threads to finish the bins they took. */
const HELPER_WAIT_MS = 120_000;

/** Waits until every slot of `job` is done (this thread took what was left). */
function awaitRefine(job: RefineJob): void {
  const k = job.bins.length;
  const t0 = Date.now();
  for (;;) {
    const done = Atomics.load(job.progress, 1);
    if (done >= k) break;
    if (Date.now() - t0 > HELPER_WAIT_MS) throw new Error(`refinement from kept rows: helper threads did not finish ${k - done} of ${k} bins in ${HELPER_WAIT_MS / 1000} s`);
    Atomics.wait(job.progress, 1, done, 100);
  }
  if (Atomics.load(job.progress, 2) !== 0) {
    if (failure !== undefined) throw failure;
    throw new Error('refinement from kept rows failed in a helper thread (the kept rows do not match the counts)');
  }
}

// Scratch for the rows of a bin too small to count (fewer than COUNT_ROWS: sorted instead).
const smallPos = new Uint16Array(COUNT_ROWS);
const smallNeg = new Uint16Array(COUNT_ROWS);

/** Bin `b`'s tie groups from the kept runs (`pl` positives and `nl` negatives; counted, or gathered and sorted when small). */
function keptGroups(runs: readonly KeptRun[], b: number, pl: number, nl: number): TieGroups {
  const count = pl + nl >= COUNT_ROWS;
  let gotPos = 0;
  let gotNeg = 0;
  for (const run of runs) {
    const j = sortedIndexOf(run.classes, 2 * b);
    const neg = j >= 0 ? j : sortedIndexOf(run.classes, 2 * b + 1);
    if (neg < 0) continue;
    // The negatives (class 2b) come just before the positives (2b + 1).
    for (let x = neg; x < run.classes.length && (run.classes[x] as number) <= 2 * b + 1; x++) {
      const from = x === 0 ? 0 : (run.ends[x - 1] as number);
      const to = run.ends[x] as number;
      const positive = ((run.classes[x] as number) & 1) === 1;
      if (count) countKeys(run.keys, from, to, positive);
      else if (positive) {
        smallPos.set(run.keys.subarray(from, to), gotPos);
      } else smallNeg.set(run.keys.subarray(from, to), gotNeg);
      if (positive) gotPos += to - from;
      else gotNeg += to - from;
    }
  }
  if (gotPos !== pl || gotNeg !== nl) throw new Error(`kept rows of bin ${b}: ${gotPos}+${gotNeg}, counted ${pl}+${nl}`);
  return count ? countedGroups() : tieGroupsOf(smallPos, smallNeg, 0, pl, 0, nl);
}
