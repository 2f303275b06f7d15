import { describe, expect, it } from 'vitest';
import { bootstrapCi } from '../../../src/eval/ci/bootstrap-ci.js';
import { auc } from '../../../src/eval/metrics/auc.js';
import { aucPr } from '../../../src/eval/metrics/aucpr.js';
import { accuracy } from '../../../src/eval/metrics/accuracy.js';
import { oneVsRest } from '../../../src/eval/metrics/one-vs-rest.js';
import { Rng } from '../../../src/core/rng.js';
import type { EvalBatch, Metric } from '../../../src/eval/metric.js';
import { runMetric } from '../../../src/eval/metrics/run-metric.js';
import { knightColumns } from '../metrics/fixtures.js';

describe('bootstrapCi, FuseMedML method', () => {
  it('reproduces test_eval_example_4 (KNIGHT task 1, seed 1234, 10000 replicates, stratified)', () => {
    const cols = knightColumns();
    const m = bootstrapCi({ metric: auc({ pred: 'CanAT', target: 'task1' }), method: 'fusemedml', stratum: 'task1', replicates: 10000, seed: 1234 });
    const r = runMetric(m, () => [cols]).result as Record<string, number>;
    expect(r['org']).toBe(0.845);
    expect(r['mean']).toBeCloseTo(0.845606875, 12);
    expect(r['std']).toBeCloseTo(0.06216615072919004, 12);
    expect(r['conf_lower']).toBe(0.7125);
    expect(r['conf_upper']).toBe(0.95375);
  });
});

describe('bootstrapCi, KNIGHT reference results (FuseMedML section C)', () => {
  it('C.1 task 2: one-vs-rest AUC CIs per class and macro (10000 replicates, stratified by class)', () => {
    const cols = knightColumns();
    const classNames = ['B', 'LR', 'IR', 'HR', 'VHR'];
    const m = bootstrapCi({
      metric: oneVsRest({ preds: classNames, target: 'task2', classNames: [0, 1, 2, 3, 4], metric: auc }),
      method: 'fusemedml',
      stratum: 'task2',
      replicates: 10000,
      seed: 1234,
    });
    const r = runMetric(m, () => [cols]).result as Record<string, Record<string, number>>;
    const want: Record<string, [number, number, number]> = {
      macro_avg: [0.8078, 0.7263, 0.8807],
      '0': [0.8772, 0.7251, 0.9825],
      '1': [0.8575, 0.7542, 0.9439],
      '2': [0.6696, 0.4732, 0.875],
      '3': [0.9111, 0.8194, 0.9811],
      '4': [0.7234, 0.5123, 0.9002],
    };
    for (const [k, [org, lo, hi]] of Object.entries(want)) {
      expect(Math.abs((r[k]?.['org'] as number) - org)).toBeLessThan(5e-5);
      expect(Math.abs((r[k]?.['conf_lower'] as number) - lo)).toBeLessThan(5e-5);
      expect(Math.abs((r[k]?.['conf_upper'] as number) - hi)).toBeLessThan(5e-5);
    }
  });
});

describe('bootstrapCi is the same whatever the sharding and batch size', () => {
  // 40,000 float32 scores with ties: the dense histogram with one refinement pass.
  const n = 40000;
  const pred = new Float32Array(n);
  const target = new Int8Array(n);
  const id: string[] = [];
  const rng = Rng.fromParts([5, 'ci-invariance']);
  for (let i = 0; i < n; i++) {
    const y = rng.bool(0.3) ? 1 : 0;
    target[i] = y;
    pred[i] = Math.round((rng.normal(y ? 0.8 : 0, 1) + 5) * 4000) / 4000;
    id.push(`s${i}`);
  }
  const batches = (size: number): EvalBatch[] => {
    const out: EvalBatch[] = [];
    for (let s = 0; s < n; s += size) out.push({ pred: pred.subarray(s, s + size), target: target.subarray(s, s + size), id: id.slice(s, s + size) });
    return out;
  };
  it('state method (histogram resampling): AUC and AP CIs at batch sizes 1, 1000, all and 1 or 8 shards', () => {
    const m = (): Metric<unknown, unknown> => bootstrapCi({ metric: auc({ pred: 'pred', target: 'target' }), replicates: 200, seed: 11 });
    const p = (): Metric<unknown, unknown> => bootstrapCi({ metric: aucPr({ pred: 'pred', target: 'target' }), replicates: 200, seed: 11 });
    const ref = runMetric(m(), () => batches(n));
    const refAp = runMetric(p(), () => batches(n)).result;
    expect(ref.status.passes).toBe(1);
    expect(ref.status.exact).toBe(true);
    for (const [size, shards] of [
      [1, 1],
      [1000, 1],
      [1000, 8],
      [1, 8],
      [n, 1],
    ] as const) {
      expect(runMetric(m(), () => batches(size), { shards }).result).toEqual(ref.result);
      expect(runMetric(p(), () => batches(size), { shards }).result).toEqual(refAp);
    }
    const r = ref.result as Record<string, number>;
    expect(r['conf_lower']).toBeLessThan(r['org'] as number);
    expect(r['conf_upper']).toBeGreaterThan(r['org'] as number);
  });
  it('rows method (Poisson row weights keyed by id): accuracy CI at batch sizes 7, 1000, all and 1 or 8 shards', () => {
    const small = 3000;
    const data = (size: number): EvalBatch[] => {
      const all = { pred: pred.subarray(0, small), target: target.subarray(0, small), id: id.slice(0, small) };
      const out: EvalBatch[] = [];
      for (let s = 0; s < small; s += size) out.push({ pred: all.pred.subarray(s, s + size), target: all.target.subarray(s, s + size), id: all.id.slice(s, s + size) });
      return out;
    };
    const m = (): Metric<unknown, unknown> =>
      bootstrapCi({ metric: accuracy({ pred: 'pred', target: 'target', threshold: 5.4 }), method: 'rows', rowKey: 'id', replicates: 100, seed: 2 });
    const ref = runMetric(m(), () => data(small)).result;
    for (const [size, shards] of [
      [7, 1],
      [1000, 1],
      [1000, 8],
      [7, 8],
    ] as const)
      expect(runMetric(m(), () => data(size), { shards }).result).toEqual(ref);
  });
});

describe('bootstrapCi, KNIGHT dummy example (FuseMedML C.2, 20 cases)', () => {
  // case_id, Task1-target, Task2-target, NoAT, CanAT, B, LR, IR, HR, VHR (fusemedml-eval-test-values.md C.2).
  const rows: number[][] = [
    [0, 4, 0.1, 0.9, 0.7, 0.1, 0.1, 0.1, 0.0],
    [1, 0, 0.3, 0.7, 0.7, 0.1, 0.1, 0.1, 0.0],
    [0, 2, 0.7, 0.3, 0.6, 0.2, 0.1, 0.1, 0.0],
    [0, 2, 0.4, 0.6, 0.1, 0.7, 0.1, 0.1, 0.0],
    [1, 1, 0.3, 0.7, 0.7, 0.1, 0.1, 0.1, 0.0],
    [1, 1, 0.3, 0.7, 0.7, 0.1, 0.1, 0.1, 0.0],
    [0, 3, 0.3, 0.7, 0.7, 0.1, 0.1, 0.1, 0.0],
    [1, 4, 0.3, 0.7, 0.7, 0.1, 0.1, 0.1, 0.0],
    [1, 2, 0.3, 0.7, 0.7, 0.1, 0.1, 0.1, 0.0],
    [1, 2, 0.3, 0.7, 0.7, 0.1, 0.1, 0.1, 0.0],
    [0, 1, 0.3, 0.7, 0.7, 0.1, 0.1, 0.1, 0.0],
    [0, 0, 0.3, 0.7, 0.7, 0.1, 0.1, 0.1, 0.0],
    [0, 0, 0.3, 0.7, 0.7, 0.1, 0.1, 0.1, 0.0],
    [1, 0, 0.4, 0.6, 0.7, 0.1, 0.1, 0.1, 0.0],
    [0, 3, 0.6, 0.4, 0.7, 0.1, 0.1, 0.1, 0.0],
    [0, 2, 0.3, 0.7, 0.7, 0.1, 0.1, 0.1, 0.0],
    [0, 2, 0.3, 0.7, 0.7, 0.1, 0.1, 0.1, 0.0],
    [1, 4, 0.3, 0.7, 0.7, 0.1, 0.1, 0.1, 0.0],
    [1, 4, 0.3, 0.7, 0.7, 0.1, 0.1, 0.1, 0.0],
    [0, 1, 0.9, 0.1, 0.7, 0.1, 0.1, 0.1, 0.0],
  ];
  const col = (k: number): number[] => rows.map((r) => r[k] as number);
  const data = { t1: col(0), t2: col(1), CanAT: col(3), B: col(4), LR: col(5), IR: col(6), HR: col(7), VHR: col(8) };
  it('task 1 AUC 0.6010 [0.4091, 0.7929]; task 2 per class and macro', () => {
    const t1 = runMetric(bootstrapCi({ metric: auc({ pred: 'CanAT', target: 't1' }), method: 'fusemedml', stratum: 't1', replicates: 10000 }), () => [data]).result as Record<
      string,
      number
    >;
    expect(t1['org']).toBeCloseTo(0.6010101, 6);
    expect(Math.abs((t1['conf_lower'] as number) - 0.4091)).toBeLessThan(5e-5);
    expect(Math.abs((t1['conf_upper'] as number) - 0.7929)).toBeLessThan(5e-5);
    const classes = ['B', 'LR', 'IR', 'HR', 'VHR'];
    const t2 = runMetric(bootstrapCi({ metric: oneVsRest({ preds: classes, target: 't2', metric: auc }), method: 'fusemedml', stratum: 't2', replicates: 10000 }), () => [data])
      .result as Record<string, Record<string, number>>;
    const want: Record<string, [number, number, number]> = { '0': [0.5625, 0.5, 0.625], '1': [0.4375, 0.375, 0.5], '2': [0.5, 0.5, 0.5], macro_avg: [0.5, 0.5, 0.5] };
    for (const [k, [org, lo, hi]] of Object.entries(want)) {
      expect(t2[k]?.['org']).toBeCloseTo(org, 12);
      expect(t2[k]?.['conf_lower']).toBeCloseTo(lo, 12);
      expect(t2[k]?.['conf_upper']).toBeCloseTo(hi, 12);
    }
  });
});

describe('bootstrapCi rows method around a metric that needs an extra pass', () => {
  it('replicate states get their refinement pass too; batch size and shards do not change the interval', () => {
    const n = 20000;
    const rng = Rng.fromParts([8, 'rows-pass']);
    const pred = Float32Array.from({ length: n }, () => rng.next());
    const target = Int8Array.from(pred, (p) => (rng.next() < p ? 1 : 0));
    const id = Array.from({ length: n }, (_, i) => `id${i}`);
    const cut = (size: number): EvalBatch[] => {
      const out: EvalBatch[] = [];
      for (let s = 0; s < n; s += size) out.push({ pred: pred.subarray(s, s + size), target: target.subarray(s, s + size), id: id.slice(s, s + size) });
      return out;
    };
    const m = (rowKey?: string): Metric<unknown, unknown> =>
      bootstrapCi({ metric: auc({ pred: 'pred', target: 'target' }), method: 'rows', replicates: 4, seed: 5, ...(rowKey === undefined ? {} : { rowKey }) });
    const ref = runMetric(m(), () => cut(n));
    expect(ref.status).toMatchObject({ exact: true, passes: 1 });
    expect(runMetric(m(), () => cut(3000)).result).toEqual(ref.result);
    // Without ids the running row index depends on the sharding: refused, not silently different.
    expect(() => runMetric(m(), () => cut(3000), { shards: 3 })).toThrow(/needs rowKey/);
    const byId = runMetric(m('id'), () => cut(n)).result;
    expect(runMetric(m('id'), () => cut(3000), { shards: 3 }).result).toEqual(byId);
  });
});

describe('bootstrapCi picks its method from the metric', () => {
  it('a partial AUC (maxFpr) has no histogram replicate, so its CI resamples rows', () => {
    const rng = Rng.fromParts([12, 'pauc']);
    const p = Array.from({ length: 400 }, () => rng.next());
    const y = p.map((v) => (rng.next() < v ? 1 : 0));
    const r = runMetric(bootstrapCi({ metric: auc({ pred: 'p', target: 'y', maxFpr: 0.2 }), replicates: 50 }), () => [{ p, y }]).result as Record<string, number>;
    expect(r['failed_replicates']).toBeUndefined();
    expect(r['conf_lower']).toBeLessThan(r['org'] as number);
    expect(r['conf_upper']).toBeGreaterThan(r['org'] as number);
  });
});
