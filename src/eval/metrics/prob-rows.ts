/**
 * Reads probabilistic predictions: a binary positive-class probability (`pred`) or one
 * probability column per class (`preds`), with the target as a class index. A finite score
 * outside [0, 1] is an error naming the metric, column, row and value: these metrics need
 * probabilities.
 */
import { OptionsError } from '../../core/errors.js';
import { batchMemo, memoKey } from '../batch-memo.js';
import { MetricInputError } from '../metric-input-error.js';
import type { EvalBatch } from '../metric.js';
import { BinaryTarget } from './binary-rows.js';
import type { ClassKeys } from './class-keys.js';
import { ClassIndex, badScore, badTarget, checkKey, checkNonFinite, column, rowCount, rowWhere, toScore } from './columns.js';

/** Keys of a probabilistic metric: the shared class keys (`pred` a probability, `nonFinite` for probabilities). */
export type ProbKeys = ClassKeys;

/** Rows: `probs[i * k + c]`, binary k = 1 (the positive probability) with truth 0/1. */
export interface ProbRows {
  readonly k: number;
  readonly probs: Float64Array;
  readonly truth: Int32Array;
  readonly n: number;
  readonly skipped: number;
}

/** A validated reader. */
export interface ProbReader {
  readonly binary: boolean;
  /** Classes (2 for binary). */
  readonly classes: number;
  readonly classNames: readonly string[];
  read(batch: EvalBatch): ProbRows;
}

/** A probability metric met a score outside [0, 1]. */
function badProbability(metric: string, value: number, where: { key: string; row: number; sampleId?: string }): never {
  throw new MetricInputError(
    metric,
    `score ${value} is not a probability in [0, 1]; this metric needs probabilities (turn logits into probabilities first, e.g. evaluate's option scores: { kind: 'logits' })`,
    where,
  );
}

/**
 * Validates keys and returns the reader. Metrics with the same keys (Brier and log loss on one
 * column) share one batch's rows while the segment fold updates them (batch-memo.ts); the rows
 * are read-only to them.
 */
export function probReader(metric: string, o: ProbKeys): ProbReader {
  const reader = unsharedProbReader(metric, o);
  const key = memoKey('prob-rows', { target: o.target, pred: o.pred, preds: o.preds, classNames: o.classNames, positive: o.positive, nonFinite: o.nonFinite, idKey: o.idKey });
  return { ...reader, read: (batch) => batchMemo(batch, key, () => reader.read(batch)) };
}

function unsharedProbReader(metric: string, o: ProbKeys): ProbReader {
  if (o === null || typeof o !== 'object') throw new OptionsError(`${metric}: options must be an object`);
  checkKey(metric, 'target', o.target);
  const policy = checkNonFinite(metric, o.nonFinite);
  if ((o.pred === undefined) === (o.preds === undefined)) throw new OptionsError(`${metric}: give exactly one of 'pred' and 'preds'`);
  if (o.pred !== undefined) {
    const predKey = checkKey(metric, 'pred', o.pred);
    const bt = new BinaryTarget(
      { pred: predKey, target: o.target, ...(o.positive === undefined ? {} : { positive: o.positive }), ...(o.classNames === undefined ? {} : { classNames: o.classNames }) },
      metric,
    );
    return {
      binary: true,
      classes: 2,
      classNames: bt.classNames,
      read(batch) {
        const n = rowCount(batch, [predKey, o.target], metric);
        const p = column(batch, predKey, metric);
        const t = column(batch, o.target, metric);
        const probs = new Float64Array(n);
        const truth = new Int32Array(n);
        let m = 0;
        for (let i = 0; i < n; i++) {
          const y = bt.label(t[i]);
          if (y < 0) badTarget(metric, t[i], bt.classNames, rowWhere(batch, i, o.target, o.idKey));
          const v = toScore(p[i]);
          if (!Number.isFinite(v)) {
            if (policy === 'skip') continue;
            badScore(metric, p[i], rowWhere(batch, i, predKey, o.idKey));
          }
          if (v < 0 || v > 1) badProbability(metric, v, rowWhere(batch, i, predKey, o.idKey));
          probs[m] = v;
          truth[m] = y;
          m++;
        }
        return { k: 1, probs, truth, n: m, skipped: n - m };
      },
    };
  }
  const keys = o.preds as readonly string[];
  keys.forEach((k, i) => checkKey(metric, `preds[${i}]`, k));
  const index = new ClassIndex(o.classNames ?? keys.map((_, i) => String(i)), metric);
  if (index.classNames.length !== keys.length) throw new OptionsError(`${metric}: ${keys.length} preds columns but ${index.classNames.length} classNames`);
  const k = keys.length;
  return {
    binary: false,
    classes: k,
    classNames: index.classNames,
    read(batch) {
      const n = rowCount(batch, [o.target, ...keys], metric);
      const cols = keys.map((key) => column(batch, key, metric));
      const t = column(batch, o.target, metric);
      const probs = new Float64Array(n * k);
      const truth = new Int32Array(n);
      let m = 0;
      rows: for (let i = 0; i < n; i++) {
        const y = index.indexOf(t[i]);
        if (y < 0) badTarget(metric, t[i], index.classNames, rowWhere(batch, i, o.target, o.idKey));
        for (let c = 0; c < k; c++) {
          const v = toScore((cols[c] as ArrayLike<unknown>)[i]);
          if (!Number.isFinite(v)) {
            if (policy === 'skip') continue rows;
            badScore(metric, (cols[c] as ArrayLike<unknown>)[i], rowWhere(batch, i, keys[c] as string, o.idKey));
          }
          if (v < 0 || v > 1) badProbability(metric, v, rowWhere(batch, i, keys[c] as string, o.idKey));
          probs[m * k + c] = v;
        }
        truth[m] = y;
        m++;
      }
      return { k, probs, truth, n: m, skipped: n - m };
    },
  };
}
