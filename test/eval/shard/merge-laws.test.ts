/**
 * The law map/merge evaluation rests on: for every metric family the CLI offers (ranking, class
 * counts, probability sums, calibration, regression, multi-class one-vs-rest, bootstrap CIs by
 * state and by row id, per-group), merging shard states is associative and commutative — the
 * results of (a ⊕ b) ⊕ c, a ⊕ (b ⊕ c), (c ⊕ a) ⊕ b and b ⊕ (c ⊕ a) are the same JSON, equal to one
 * state over all rows — and survives the state file's encoding. Property-tested on random rows
 * split at random points; one fixed case crosses the ranking state's switch from kept rows to
 * the histogram (16,384 rows) inside the merge.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cliMetricSet, type CliMetricSpec } from '../../../src/cli/commands/eval-metrics.js';
import { Rng } from '../../../src/core/rng.js';
import type { EvalBatch } from '../../../src/eval/metric.js';
import { orderMetrics, type NamedMetric } from '../../../src/eval/evaluate-order.js';
import { resultsOf } from '../../../src/eval/evaluate.js';
import { decodeStateFile, encodeStateFile } from '../../../src/eval/shard/state-file.js';

const CI = { replicates: 4, seed: 77, ciMethod: 'percentile' as const, rowKey: 'id' };

/** Metric families and the columns their rows need. */
const FAMILIES: readonly { readonly name: string; readonly spec: CliMetricSpec }[] = [
  {
    name: 'binary: ranking, counts, probabilities, calibration (CIs by state and by row id, per group)',
    spec: {
      requested: ['auc', 'aucpr', 'roc', 'accuracy', 'balanced-accuracy', 'confusion', 'confusion-matrix', 'mcc', 'brier', 'bss', 'logloss', 'ece', 'reliability'],
      keys: { pred: 'p', target: 'y', idKey: 'id' },
      ci: CI,
      groupBy: 'g',
      report: false,
    },
  },
  { name: 'regression', spec: { requested: ['mae', 'mse', 'rmse', 'r2', 'pearson', 'spearman'], keys: { pred: 'p', target: 't', idKey: 'id' }, ci: CI, report: false } },
  {
    name: 'multi-class one-vs-rest',
    spec: {
      requested: ['auc', 'aucpr', 'accuracy', 'balanced-accuracy', 'confusion-matrix', 'mcc', 'brier', 'logloss'],
      keys: { preds: ['pa', 'pb', 'pc'], classNames: ['A', 'B', 'C'], target: 'c', idKey: 'id' },
      ci: CI,
      report: false,
    },
  },
];

/** `n` rows of every column the families read, from `seed`. */
function rows(n: number, seed: number, start = 0): EvalBatch {
  const rng = Rng.fromParts([seed, 'merge-laws']);
  const id: string[] = [];
  const g = new Int32Array(n);
  const y = new Int8Array(n);
  const p = new Float64Array(n);
  const t = new Float64Array(n);
  const c: string[] = [];
  const pa = new Float64Array(n);
  const pb = new Float64Array(n);
  const pc = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    id.push(`r${start + i}`);
    g[i] = i % 3;
    y[i] = rng.next() < 0.4 ? 1 : 0;
    const raw = Math.min(1, Math.max(0, 0.3 + 0.3 * (y[i] as number) + 0.4 * (rng.next() - 0.5)));
    p[i] = i % 4 === 0 ? Math.round(raw * 10) / 10 : raw; // ties
    t[i] = (p[i] as number) * 3 + rng.next();
    const k = Math.floor(rng.next() * 3);
    c.push(['A', 'B', 'C'][k] as string);
    const w = [rng.next() + (k === 0 ? 0.5 : 0), rng.next() + (k === 1 ? 0.5 : 0), rng.next() + (k === 2 ? 0.5 : 0)];
    const sum = (w[0] as number) + (w[1] as number) + (w[2] as number);
    pa[i] = (w[0] as number) / sum;
    pb[i] = (w[1] as number) / sum;
    pc[i] = 1 - (pa[i] as number) - (pb[i] as number);
    if ((pc[i] as number) < 0) pc[i] = 0;
  }
  return { id, g, y, p, t, c, pa, pb, pc };
}

function slice(batch: EvalBatch, from: number, to: number): EvalBatch {
  const out: Record<string, ArrayLike<unknown>> = {};
  for (const [k, col] of Object.entries(batch)) out[k] = Array.isArray(col) ? col.slice(from, to) : (col as Float64Array).subarray(from, to);
  return out;
}

/** Fresh states of `metrics` over `batch` (folded in two batches, so batch boundaries differ from the parts'). */
function statesOf(metrics: readonly NamedMetric[], batch: EvalBatch, n: number): unknown[] {
  const half = n >> 1;
  return metrics.map(({ metric }) => {
    let s = metric.init();
    if (half > 0) s = metric.update(s, slice(batch, 0, half));
    if (n - half > 0) s = metric.update(s, slice(batch, half, n));
    return s;
  });
}

function mergeAll(metrics: readonly NamedMetric[], a: unknown[], b: unknown[]): unknown[] {
  return metrics.map(({ metric }, m) => metric.merge(a[m], b[m]));
}

function resultJson(metrics: readonly NamedMetric[], states: readonly unknown[]): string {
  return JSON.stringify(resultsOf(metrics, states).metrics, (_k, v: unknown) => (ArrayBuffer.isView(v) ? Array.from(v as unknown as ArrayLike<number>) : v));
}

/** Checks the laws on `all` cut at `cut1 <= cut2`. */
function checkLaws(spec: CliMetricSpec, all: EvalBatch, n: number, cut1: number, cut2: number): void {
  const metrics = orderMetrics(cliMetricSet(spec));
  const parts = [slice(all, 0, cut1), slice(all, cut1, cut2), slice(all, cut2, n)];
  const sizes = [cut1, cut2 - cut1, n - cut2];
  // States are folded afresh for every combination: merge may reuse its arguments.
  const fresh = (k: number): unknown[] => statesOf(metrics, parts[k] as EvalBatch, sizes[k] as number);
  const one = resultJson(metrics, statesOf(metrics, all, n));
  const left = resultJson(metrics, mergeAll(metrics, mergeAll(metrics, fresh(0), fresh(1)), fresh(2)));
  const right = resultJson(metrics, mergeAll(metrics, fresh(0), mergeAll(metrics, fresh(1), fresh(2))));
  const swapped = resultJson(metrics, mergeAll(metrics, mergeAll(metrics, fresh(2), fresh(0)), fresh(1)));
  const swappedRight = resultJson(metrics, mergeAll(metrics, fresh(1), mergeAll(metrics, fresh(2), fresh(0))));
  expect(left).toBe(one);
  expect(right).toBe(one);
  expect(swapped).toBe(one);
  expect(swappedRight).toBe(one);
  // Through the state file: encoded, decoded, merged.
  const header = { run: {}, metrics: metrics.map((m) => m.name), shard: { index: 0, count: 1 }, rows: 0, share: [], writer: 'test' };
  const decoded = [0, 1, 2].map((k) => decodeStateFile(encodeStateFile(header, fresh(k)), `part${k}`).states);
  expect(resultJson(metrics, mergeAll(metrics, mergeAll(metrics, decoded[2] as unknown[], decoded[0] as unknown[]), decoded[1] as unknown[]))).toBe(one);
}

describe('merge laws for every metric family', () => {
  for (const family of FAMILIES) {
    it(`${family.name}: associative, commutative, = one state, through the state file (property)`, () => {
      fc.assert(
        fc.property(fc.integer({ min: 6, max: 90 }), fc.nat(), fc.nat(), fc.nat(), (n, seed, x, z) => {
          const all = rows(n, seed);
          const a = x % (n + 1);
          const b = z % (n + 1);
          checkLaws(family.spec, all, n, Math.min(a, b), Math.max(a, b));
        }),
        { numRuns: 6, seed: 20261203 },
      );
    });
  }

  it('ranking and counts across the switch from kept rows to the histogram (3 × 7,000 rows)', () => {
    const spec: CliMetricSpec = { requested: ['auc', 'aucpr', 'roc', 'accuracy', 'brier', 'ece'], keys: { pred: 'p', target: 'y' }, ci: CI, report: false };
    checkLaws({ ...spec, keys: { pred: 'p', target: 'y', idKey: 'id' } }, rows(21_000, 4), 21_000, 7_000, 14_000);
  });
});
