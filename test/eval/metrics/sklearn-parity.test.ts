import { describe, expect, it } from 'vitest';
import { accuracy, auc, aucPr, balancedAccuracy, brier, confusionMatrix, logLoss, mcc, oneVsRest, rocCurve } from '../../../src/eval/metrics/index.js';
import type { Metric } from '../../../src/eval/metric.js';
import { runMetric } from '../../../src/eval/metrics/run-metric.js';
import type { EvalBatch } from '../../../src/eval/metric.js';
import { refs, type BinaryCase } from './fixtures.js';

const TOL = 1e-9;

function run<S, R>(m: Metric<S, R>, batch: EvalBatch): R {
  return runMetric(m, () => [batch]).result;
}

describe.each(['ties_grid', 'ties_float32', 'continuous'] as const)('binary metrics equal scikit-learn on %s', (name) => {
  const c: BinaryCase = refs.cases[name];
  const batch = { pred: c.pred, target: c.target, ...(c.weight === undefined ? {} : { w: c.weight }) };
  const keys = { pred: 'pred', target: 'target' };
  it('AUC-ROC, partial AUC and AP', () => {
    expect(Math.abs(run(auc(keys), batch) - c.auc)).toBeLessThan(TOL);
    expect(Math.abs(run(auc({ ...keys, maxFpr: 0.1 }), batch) - c['auc_maxfpr_0.1'])).toBeLessThan(TOL);
    expect(Math.abs(run(auc({ ...keys, maxFpr: 0.37 }), batch) - c['auc_maxfpr_0.37'])).toBeLessThan(TOL);
    expect(Math.abs(run(aucPr(keys), batch) - c.ap)).toBeLessThan(TOL);
  });
  it('accuracy, balanced accuracy, MCC, confusion matrix at 0.5', () => {
    expect(Math.abs(run(accuracy(keys), batch) - c.accuracy)).toBeLessThan(TOL);
    expect(Math.abs(run(balancedAccuracy(keys), batch) - c.balanced_accuracy)).toBeLessThan(TOL);
    expect(Math.abs(run(mcc(keys), batch) - c.mcc)).toBeLessThan(TOL);
    expect(run(confusionMatrix(keys), batch).count).toEqual(c.confusion);
  });
  it('log loss and Brier', () => {
    expect(Math.abs(run(logLoss(keys), batch) - c.log_loss)).toBeLessThan(TOL);
    expect(Math.abs(run(brier(keys), batch) - c.brier)).toBeLessThan(TOL);
  });
  it('ROC curve points at every distinct score', () => {
    // Every case (the 1,500 distinct scores of 'continuous' included) fits the exact row store, so
    // the curve is sklearn's roc_curve(drop_intermediate=False) point for point.
    const roc = run(rocCurve(keys), batch);
    expect(roc.exact).toBe(true);
    expect(roc.fpr).toHaveLength(c.roc_fpr.length + 1);
    expect([roc.fpr[0], roc.tpr[0], roc.thresholds[0]]).toEqual([0, 0, Infinity]);
    expect(roc.fpr.slice(1)).toEqual(c.roc_fpr);
    expect(roc.tpr.slice(1)).toEqual(c.roc_tpr);
    expect(roc.thresholds.slice(1)).toEqual(c.roc_thresholds);
  });
  if (c.weight !== undefined) {
    it('weighted accuracy', () => {
      expect(Math.abs(run(accuracy({ ...keys, weight: 'w' }), batch) - (c.accuracy_weighted as number))).toBeLessThan(TOL);
    });
  }
});

describe('multi-class metrics equal scikit-learn', () => {
  const c = refs.cases.multiclass;
  const preds = c.classNames.map((n) => `p_${n}`);
  const batch: Record<string, unknown[]> = { target: c.target };
  c.classNames.forEach((n, k) => (batch[`p_${n}`] = c.probs.map((row) => row[k])));
  const keys = { preds, target: 'target', classNames: c.classNames };
  it('argmax accuracy, balanced accuracy, MCC, confusion matrix', () => {
    expect(Math.abs(run(accuracy(keys), batch) - c.accuracy)).toBeLessThan(TOL);
    expect(Math.abs(run(balancedAccuracy(keys), batch) - c.balanced_accuracy)).toBeLessThan(TOL);
    expect(Math.abs(run(mcc(keys), batch) - c.mcc)).toBeLessThan(TOL);
    expect(run(confusionMatrix(keys), batch).count).toEqual(c.confusion);
  });
  it('log loss and multi-class Brier', () => {
    expect(Math.abs(run(logLoss(keys), batch) - c.log_loss)).toBeLessThan(TOL);
    expect(Math.abs(run(brier(keys), batch) - c.brier_multi)).toBeLessThan(TOL);
  });
  it('one-vs-rest AUC and AP per class', () => {
    const a = run(oneVsRest({ preds, target: 'target', classNames: c.classNames, metric: (k) => auc(k) }), batch);
    const p = run(oneVsRest({ preds, target: 'target', classNames: c.classNames, metric: (k) => aucPr(k) }), batch);
    c.classNames.forEach((n, k) => {
      expect(Math.abs((a[n] as number) - (c.auc_ovr[k] as number))).toBeLessThan(TOL);
      expect(Math.abs((p[n] as number) - (c.ap_ovr[k] as number))).toBeLessThan(TOL);
    });
    const macro = c.auc_ovr.reduce((s, v) => s + v, 0) / c.auc_ovr.length;
    expect(Math.abs((a['macro_avg'] as number) - macro)).toBeLessThan(TOL);
  });
});

describe('the histogram path (more rows than the small exact store) equals scikit-learn', () => {
  // Repeating every row 12 times leaves AUC, partial AUC and AP unchanged and forces the
  // dense histogram with refinement passes (n > 16,384).
  it.each(['ties_grid', 'ties_float32', 'continuous'] as const)('%s ×12', (name) => {
    const c: BinaryCase = refs.cases[name];
    const pred = new Float64Array(c.pred.length * 12);
    const target = new Int8Array(c.pred.length * 12);
    for (let r = 0; r < 12; r++) {
      pred.set(c.pred, r * c.pred.length);
      target.set(c.target, r * c.pred.length);
    }
    const keys = { pred: 'pred', target: 'target' };
    for (const [m, want] of [
      [auc(keys), c.auc],
      [auc({ ...keys, maxFpr: 0.1 }), c['auc_maxfpr_0.1']],
      [auc({ ...keys, maxFpr: 0.37 }), c['auc_maxfpr_0.37']],
      [aucPr(keys), c.ap],
    ] as const) {
      const r = runMetric(m, () => [{ pred, target }]);
      expect(r.state.small).toBeNull();
      expect(r.status.exact).toBe(true);
      expect(Math.abs(r.result - want)).toBeLessThan(TOL);
      if (name === 'continuous') expect(r.status.passes).toBe(1);
    }
    // The ROC curve from the histogram: each point is one of sklearn's points (counts ×12 keep the
    // rates), in order from (0, 0) to (1, 1); all of them when every bin holds one distinct score.
    const roc = runMetric(rocCurve(keys), () => [{ pred, target }]).result;
    expect([roc.fpr[0], roc.tpr[0]]).toEqual([0, 0]);
    expect([roc.fpr.at(-1), roc.tpr.at(-1)]).toEqual([1, 1]);
    let j = 0;
    for (let i = 1; i < roc.fpr.length; i++) {
      while (j < c.roc_fpr.length && !(c.roc_fpr[j] === roc.fpr[i] && c.roc_tpr[j] === roc.tpr[i])) j++;
      expect(j, `point ${i} (${roc.fpr[i]}, ${roc.tpr[i]}) is on sklearn's curve after the previous one`).toBeLessThan(c.roc_fpr.length);
      j++;
    }
    if (roc.exact) expect(roc.fpr.length).toBe(c.roc_fpr.length + 1);
  });
});
