/**
 * The confusion-matrix state shared by accuracy, balanced accuracy, confusion, confusion matrix
 * and MCC: a k×k table of (weighted) counts, rows = true class, columns = predicted class, built
 * from class probabilities (argmax, a binary threshold or per-class thresholds), a binary score,
 * or predicted class labels. Integer counts (or exact sums of weights) merge bit for bit.
 */
import { OptionsError } from '../../core/errors.js';
import type { Rng } from '../../core/rng.js';
import type { EvalBatch } from '../metric.js';
import { batchMemo, memoKey } from '../batch-memo.js';
import { ExactSum } from '../stats/exact-sum.js';
import { multinomialResample } from '../stats/multinomial.js';
import { BinaryTarget } from './binary-rows.js';
import type { ClassKeys } from './class-keys.js';
import { ClassIndex, badScore, badTarget, checkKey, checkNonFinite, column, rowCount, rowWhere, toScore, type NonFinitePolicy } from './columns.js';
import { MetricInputError } from '../metric-input-error.js';

/**
 * How class probabilities become a class: `'argmax'` (ties to the lower index), a number (binary:
 * class 1 when its probability is strictly above it), or a list of `[classIndex, threshold]`
 * tried in order (first class whose probability is strictly above its threshold; the entry
 * `'argmax'` falls back to argmax; no match predicts no class, counted as wrong).
 */
export type OperationPoint = 'argmax' | number | readonly (readonly [number, number] | 'argmax')[];

/** Options of the class-count metrics: the shared class keys plus the decision rule and weights. */
export interface ClassCountOptions extends ClassKeys {
  /** What `pred` holds: `'score'` (default, thresholded) or `'class'` (class labels). */
  readonly predType?: 'score' | 'class';
  /** Binary score threshold; positive when strictly above. Default 0.5. */
  readonly threshold?: number;
  /** Multi-class decision rule. Default `'argmax'`. */
  readonly operationPoint?: OperationPoint;
  /** Column of sample weights. Default none (every row counts 1). */
  readonly weight?: string;
}

/** The state: counts[t * k + p]. */
export interface ClassCountState {
  readonly k: number;
  readonly counts: Float64Array;
  /** Exact weight sums per cell (only with `weight`). */
  readonly weighted: ExactSum[] | undefined;
  /** Rows (per true class) for which no class was predicted. */
  readonly unassigned: Float64Array;
  skipped: number;
}

/** A validated class-count configuration. */
export interface ClassCountConfig {
  readonly metric: string;
  readonly k: number;
  readonly classNames: readonly string[];
  readonly weighted: boolean;
  init(): ClassCountState;
  update(state: ClassCountState, batch: EvalBatch): ClassCountState;
}

function argmax(
  batch: EvalBatch,
  cols: readonly ArrayLike<unknown>[],
  i: number,
  metric: string,
  keys: readonly string[],
  idKey: string | undefined,
  policy: NonFinitePolicy,
): number {
  let best = -1;
  let bestV = -Infinity;
  for (let c = 0; c < cols.length; c++) {
    const v = toScore((cols[c] as ArrayLike<unknown>)[i]);
    if (!Number.isFinite(v)) {
      if (policy === 'skip') return -2;
      badScore(metric, (cols[c] as ArrayLike<unknown>)[i], rowWhere(batch, i, keys[c] as string, idKey));
    }
    if (v > bestV) {
      bestV = v;
      best = c;
    }
  }
  return best;
}

/** Validates options and builds the state's update. */
export function classCountConfig(metric: string, o: ClassCountOptions): ClassCountConfig {
  if (o === null || typeof o !== 'object') throw new OptionsError(`${metric}: options must be an object`);
  checkKey(metric, 'target', o.target);
  const policy = checkNonFinite(metric, o.nonFinite);
  if ((o.pred === undefined) === (o.preds === undefined))
    throw new OptionsError(`${metric}: give exactly one of 'pred' (binary score or class column) and 'preds' (class probability columns)`);
  if (o.weight !== undefined) checkKey(metric, 'weight', o.weight);
  const idKey = o.idKey;
  const weightKey = o.weight;
  let k: number;
  let classNames: readonly string[];
  let decide: (batch: EvalBatch, n: number, truth: Int32Array, predicted: Int32Array) => number;
  if (o.preds !== undefined) {
    const keys = o.preds;
    if (keys.length < 2) throw new OptionsError(`${metric}: 'preds' needs one column per class (at least 2)`);
    keys.forEach((key, i) => checkKey(metric, `preds[${i}]`, key));
    const index = new ClassIndex(o.classNames ?? keys.map((_, i) => String(i)), metric);
    if (index.classNames.length !== keys.length) throw new OptionsError(`${metric}: ${keys.length} 'preds' columns but ${index.classNames.length} classNames`);
    k = keys.length;
    classNames = index.classNames;
    const op = o.operationPoint ?? 'argmax';
    if (typeof op === 'number' && k !== 2) throw new OptionsError(`${metric}: a numeric operationPoint needs exactly 2 classes`);
    if (Array.isArray(op)) {
      for (const e of op) {
        if (e !== 'argmax' && !(Array.isArray(e) && Number.isInteger(e[0]) && e[0] >= 0 && e[0] < k && Number.isFinite(e[1]))) {
          throw new OptionsError(`${metric}: operationPoint entries are [classIndex, threshold] or 'argmax', got ${JSON.stringify(e)}`);
        }
      }
    } else if (op !== 'argmax' && typeof op !== 'number') throw new OptionsError(`${metric}: bad operationPoint ${JSON.stringify(op)}`);
    decide = (batch, n, truth, predicted) => {
      const cols = keys.map((key) => column(batch, key, metric));
      const targets = column(batch, o.target, metric);
      let m = 0;
      for (let i = 0; i < n; i++) {
        const t = index.indexOf(targets[i]);
        if (t < 0) badTarget(metric, targets[i], classNames, rowWhere(batch, i, o.target, idKey));
        let p: number;
        if (op === 'argmax') p = argmax(batch, cols, i, metric, keys, idKey, policy);
        else {
          const first = argmax(batch, cols, i, metric, keys, idKey, policy);
          if (first === -2) p = -2;
          else if (typeof op === 'number') p = toScore((cols[1] as ArrayLike<unknown>)[i]) > op ? 1 : 0;
          else {
            p = -1;
            for (const e of op as readonly (readonly [number, number] | 'argmax')[]) {
              if (e === 'argmax') {
                p = first;
                break;
              }
              if (toScore((cols[e[0]] as ArrayLike<unknown>)[i]) > e[1]) {
                p = e[0];
                break;
              }
            }
          }
        }
        if (p === -2) continue;
        truth[m] = t;
        predicted[m] = p;
        m++;
      }
      return m;
    };
  } else {
    const predKey = checkKey(metric, 'pred', o.pred);
    if ((o.predType ?? 'score') === 'class') {
      const index = new ClassIndex(o.classNames, metric);
      k = index.classNames.length;
      classNames = index.classNames;
      decide = (batch, n, truth, predicted) => {
        const preds = column(batch, predKey, metric);
        const targets = column(batch, o.target, metric);
        for (let i = 0; i < n; i++) {
          const t = index.indexOf(targets[i]);
          if (t < 0) badTarget(metric, targets[i], classNames, rowWhere(batch, i, o.target, idKey));
          const p = index.indexOf(preds[i]);
          if (p < 0)
            throw new MetricInputError(
              metric,
              `predicted class ${JSON.stringify(preds[i])} is outside the class set [${classNames.join(', ')}]`,
              rowWhere(batch, i, predKey, idKey),
            );
          truth[i] = t;
          predicted[i] = p;
        }
        return n;
      };
    } else {
      if (o.predType !== undefined && o.predType !== 'score') throw new OptionsError(`${metric}: predType must be 'score' or 'class'`);
      const bt = new BinaryTarget(
        { pred: predKey, target: o.target, ...(o.positive === undefined ? {} : { positive: o.positive }), ...(o.classNames === undefined ? {} : { classNames: o.classNames }) },
        metric,
      );
      if (o.classNames !== undefined && o.classNames.length !== 2) throw new OptionsError(`${metric}: a binary score needs exactly 2 classNames (use 'preds' for more)`);
      const threshold = o.threshold ?? 0.5;
      if (!Number.isFinite(threshold)) throw new OptionsError(`${metric}: threshold must be finite`);
      k = 2;
      classNames = bt.classNames;
      decide = (batch, n, truth, predicted) => {
        const preds = column(batch, predKey, metric);
        const targets = column(batch, o.target, metric);
        let m = 0;
        for (let i = 0; i < n; i++) {
          const t = bt.label(targets[i]);
          if (t < 0) badTarget(metric, targets[i], classNames, rowWhere(batch, i, o.target, idKey));
          const v = toScore(preds[i]);
          if (!Number.isFinite(v)) {
            if (policy === 'skip') continue;
            badScore(metric, preds[i], rowWhere(batch, i, predKey, idKey));
          }
          truth[m] = t;
          predicted[m] = v > threshold ? 1 : 0;
          m++;
        }
        return m;
      };
    }
  }
  const kk = k;
  // What decide depends on besides the batch: metrics with the same key share one batch's decisions.
  const decisionKey = memoKey('class-counts', {
    target: o.target,
    pred: o.pred,
    preds: o.preds,
    predType: o.predType,
    threshold: o.threshold,
    operationPoint: o.operationPoint,
    classNames: o.classNames,
    positive: o.positive,
    nonFinite: o.nonFinite,
    idKey: o.idKey,
  });
  const keysRead = [o.target, ...(o.preds ?? [o.pred as string]), ...(weightKey === undefined ? [] : [weightKey])];
  return {
    metric,
    k: kk,
    classNames,
    weighted: weightKey !== undefined,
    init: () => ({
      k: kk,
      counts: new Float64Array(kk * kk),
      weighted: weightKey === undefined ? undefined : Array.from({ length: kk * kk + kk }, () => new ExactSum()),
      unassigned: new Float64Array(kk),
      skipped: 0,
    }),
    update(state, batch) {
      const n = rowCount(batch, keysRead, metric);
      const { truth, predicted, m } = batchMemo(batch, decisionKey, () => {
        const t = new Int32Array(n);
        const p = new Int32Array(n);
        return { truth: t, predicted: p, m: decide(batch, n, t, p) };
      });
      state.skipped += n - m;
      const w = weightKey === undefined ? undefined : column(batch, weightKey, metric);
      if (m !== n && w !== undefined) throw new MetricInputError(metric, `nonFinite: 'skip' cannot be combined with weights`);
      for (let i = 0; i < m; i++) {
        const t = truth[i] as number;
        const p = predicted[i] as number;
        const cell = p < 0 ? kk * kk + t : t * kk + p;
        if (w !== undefined && state.weighted !== undefined) {
          const wi = toScore(w[i]);
          if (!Number.isFinite(wi) || wi < 0)
            throw new MetricInputError(metric, `weight ${String(w[i])} is not a finite non-negative number`, rowWhere(batch, i, weightKey as string, idKey));
          (state.weighted[cell] as ExactSum).add(wi);
        } else if (p < 0) state.unassigned[t] = (state.unassigned[t] as number) + 1;
        else state.counts[cell] = (state.counts[cell] as number) + 1;
      }
      return state;
    },
  };
}

/** Merges two states into a new one. */
export function mergeCounts(a: ClassCountState, b: ClassCountState): ClassCountState {
  const counts = new Float64Array(a.counts.length);
  for (let i = 0; i < counts.length; i++) counts[i] = (a.counts[i] as number) + (b.counts[i] as number);
  const unassigned = new Float64Array(a.k);
  for (let i = 0; i < a.k; i++) unassigned[i] = (a.unassigned[i] as number) + (b.unassigned[i] as number);
  const weighted = a.weighted === undefined || b.weighted === undefined ? undefined : a.weighted.map((s, i) => s.clone().addSum(b.weighted?.[i] as ExactSum));
  return { k: a.k, counts, weighted, unassigned, skipped: a.skipped + b.skipped };
}

/** The k×k matrix (weighted sums where weights were given) and the unassigned row counts. */
export function matrixOf(state: ClassCountState): { m: number[][]; unassigned: number[] } {
  const k = state.k;
  const m: number[][] = [];
  for (let t = 0; t < k; t++) {
    const row: number[] = [];
    for (let p = 0; p < k; p++) row.push(state.weighted === undefined ? (state.counts[t * k + p] as number) : (state.weighted[t * k + p] as ExactSum).value());
    m.push(row);
  }
  const unassigned = Array.from({ length: k }, (_, t) => (state.weighted === undefined ? (state.unassigned[t] as number) : (state.weighted[k * k + t] as ExactSum).value()));
  return { m, unassigned };
}

/**
 * A stratified bootstrap replicate of the counts (unweighted states only): each true class's
 * row (its cells plus its unassigned rows) is resampled as a multinomial of the row's total, as
 * resampling rows with replacement within each target class does.
 */
export function resampleCounts(state: ClassCountState, rng: Rng): ClassCountState {
  if (state.weighted !== undefined) throw new Error('count resampling needs an unweighted state');
  const k = state.k;
  const counts = new Float64Array(k * k);
  const unassigned = new Float64Array(k);
  const row = new Float64Array(k + 1);
  const out = new Float64Array(k + 1);
  for (let t = 0; t < k; t++) {
    for (let p = 0; p < k; p++) row[p] = state.counts[t * k + p] as number;
    row[k] = state.unassigned[t] as number;
    multinomialResample(rng, row, out);
    for (let p = 0; p < k; p++) counts[t * k + p] = out[p] as number;
    unassigned[t] = out[k] as number;
  }
  return { k, counts, weighted: undefined, unassigned, skipped: state.skipped };
}

/** Throws when the state holds no rows. */
export function requireRows(metric: string, m: number[][], unassigned: readonly number[]): number {
  let total = 0;
  for (const row of m) for (const v of row) total += v;
  for (const v of unassigned) total += v;
  if (total === 0) throw new MetricInputError(metric, 'no rows to evaluate (empty input, or every row skipped)');
  return total;
}
