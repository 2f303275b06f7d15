import { describe, expect, it } from 'vitest';
import { batchMemo, memoKey, withBatchMemo } from '../../src/eval/batch-memo.js';
import { accuracy } from '../../src/eval/metrics/accuracy.js';
import { brier } from '../../src/eval/metrics/brier.js';
import { logLoss } from '../../src/eval/metrics/log-loss.js';
import { mcc } from '../../src/eval/metrics/mcc.js';
import { SegmentFold, metricFolders } from '../../src/eval/parallel/segment-fold.js';
import type { EvalBatch, Metric } from '../../src/eval/metric.js';

describe('batchMemo', () => {
  it('computes once per batch and key inside a scope, and every time outside one', () => {
    const batch: EvalBatch = { y: [1] };
    const other: EvalBatch = { y: [1] };
    let calls = 0;
    const f = (): number => ++calls;
    withBatchMemo(batch, () => {
      expect(batchMemo(batch, 'a', f)).toBe(1);
      expect(batchMemo(batch, 'a', f)).toBe(1);
      expect(batchMemo(batch, 'b', f)).toBe(2);
      expect(batchMemo(other, 'a', f)).toBe(3); // another batch object: not shared
    });
    expect(batchMemo(batch, 'a', f)).toBe(4); // the scope has ended
    expect(batchMemo(batch, 'a', f)).toBe(5);
  });

  it('stores nothing for a computation that throws', () => {
    const batch: EvalBatch = { y: [1] };
    let calls = 0;
    const failing = (): never => {
      calls++;
      throw new Error('bad row');
    };
    withBatchMemo(batch, () => {
      expect(() => batchMemo(batch, 'a', failing)).toThrow('bad row');
      expect(() => batchMemo(batch, 'a', failing)).toThrow('bad row'); // computed again, not answered from the memo
    });
    expect(calls).toBe(2);
  });

  it('keeps bigint labels apart from strings in keys', () => {
    expect(memoKey('k', { positive: 1n })).not.toBe(memoKey('k', { positive: '1n' }));
    expect(memoKey('k', { positive: 1n })).toBe(memoKey('k', { positive: 1n }));
  });
});

describe('metrics sharing per-batch work in a segment fold', () => {
  const build = (): { name: string; metric: Metric<unknown, unknown> }[] =>
    [
      accuracy({ pred: 'p', target: 'y' }),
      mcc({ pred: 'p', target: 'y' }),
      accuracy({ pred: 'p', target: 'y', threshold: 0.3, name: 'accuracy@0.3' }),
      brier({ pred: 'p', target: 'y' }),
      logLoss({ pred: 'p', target: 'y' }),
    ].map((m) => ({ name: m.name, metric: m }));

  it('gives what each metric gives alone, even when a reader refills the batch arrays in place', () => {
    // One batch object whose arrays are overwritten between updates, as a reader reusing its buffers would.
    const p = new Float32Array([0.9, 0.2, 0.4, 0.7, 0.35, 0.1]);
    const y = new Int8Array([1, 0, 1, 1, 0, 0]);
    const batch: EvalBatch = { p, y };
    const second = { p: [0.1, 0.8, 0.6, 0.2, 0.55, 0.45], y: [1, 1, 0, 0, 1, 0] };
    const fold = new SegmentFold(metricFolders(build()));
    const guard = <T>(_: string, f: () => T): T => f();
    fold.update(batch, guard);
    p.set(second.p);
    y.set(second.y);
    fold.update(batch, guard);
    const { states } = fold.end();
    // Reference: each metric alone, on two distinct batches, no fold and no memo.
    const alone = build().map(({ metric }) => {
      let s = metric.init();
      s = metric.update(s, { p: new Float32Array([0.9, 0.2, 0.4, 0.7, 0.35, 0.1]), y: new Int8Array([1, 0, 1, 1, 0, 0]) });
      s = metric.update(s, { p: new Float32Array(second.p), y: new Int8Array(second.y) });
      return metric.compute(s, {});
    });
    const shared = build().map(({ metric }, k) => metric.compute(states[k], {}));
    expect(shared).toEqual(alone);
    // Hand-derived: above 0.5, 5 + 4 of the 12 rows are right; above 0.3, 5 + 3.
    expect(shared[0]).toBe(9 / 12);
    expect(shared[2]).toBe(8 / 12);
  });
});
