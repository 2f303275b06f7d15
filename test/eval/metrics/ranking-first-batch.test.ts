/**
 * A fresh ranking state's first batch larger than the small-input rows switches to the histogram
 * before its rows are checked (unless bad scores are skipped): a bad row still fails with the
 * message and row of the general path (checked here against the literal messages), and skipped rows give the result without them.
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '../../../src/core/rng.js';
import { auc } from '../../../src/eval/metrics/auc.js';
import { runMetric } from '../../../src/eval/metrics/run-metric.js';
import type { EvalBatch } from '../../../src/eval/metric.js';

function rows(n: number): { pred: Float32Array; target: Int8Array } {
  const rng = Rng.fromParts([4, 'ranking-first-batch']);
  const pred = new Float32Array(n);
  const target = new Int8Array(n);
  for (let i = 0; i < n; i++) {
    target[i] = rng.bool(0.3) ? 1 : 0;
    pred[i] = Math.fround(rng.next() * 0.6 + (target[i] === 1 ? 0.3 : 0));
  }
  return { pred, target };
}

/** The error message of `f`, or 'no error'. */
function failure(f: () => unknown): string {
  try {
    f();
    return 'no error';
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

describe('ranking metrics: a large first batch', () => {
  const n = 40000;
  const one =
    (pred: Float32Array, target: Int8Array): (() => EvalBatch[]) =>
    () => [{ pred, target }];
  const small =
    (pred: Float32Array, target: Int8Array): (() => EvalBatch[]) =>
    () => {
      const out: EvalBatch[] = [];
      for (let s = 0; s < n; s += 100) out.push({ pred: pred.subarray(s, s + 100), target: target.subarray(s, s + 100) });
      return out;
    };
  it('a non-finite score fails naming the row', () => {
    const { pred, target } = rows(n);
    pred[30123] = Number.NaN;
    const m = auc({ pred: 'pred', target: 'target' });
    expect(failure(() => runMetric(m, one(pred, target)))).toBe(
      "metric 'auc', key 'pred', row 30123: score NaN is not a finite number (policy nonFinite: 'error'; use 'skip' to drop and count such rows)",
    );
    // Small batches name the row within its batch (evaluate adds the batch's place in the input).
    expect(failure(() => runMetric(m, small(pred, target)))).toBe(
      "metric 'auc', key 'pred', row 23: score NaN is not a finite number (policy nonFinite: 'error'; use 'skip' to drop and count such rows)",
    );
  });
  it('a target outside 0/1 fails naming the row', () => {
    const { pred, target } = rows(n);
    target[20001] = 2;
    const m = auc({ pred: 'pred', target: 'target' });
    expect(failure(() => runMetric(m, one(pred, target)))).toBe("metric 'auc', key 'target', row 20001: target 2 is outside the class set [0, 1]");
  });
  it("under nonFinite: 'skip', a first batch of mostly non-finite scores gives the AUC of the finite rows", () => {
    const { pred, target } = rows(n);
    const keep: number[] = [];
    for (let i = 0; i < n; i++) if (i % 10 !== 3) pred[i] = Number.POSITIVE_INFINITY;
    for (let i = 3; i < n; i += 10) keep.push(i);
    const r = runMetric(auc({ pred: 'pred', target: 'target', nonFinite: 'skip' }), one(pred, target));
    const kept = runMetric(auc({ pred: 'pred', target: 'target' }), () => [
      { pred: Float32Array.from(keep, (i) => pred[i] as number), target: Int8Array.from(keep, (i) => target[i] as number) },
    ]);
    expect(r.result).toBe(kept.result);
    expect(r.status.skipped).toBe(n - keep.length);
  });
});
