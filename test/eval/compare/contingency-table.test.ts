/**
 * `contingencyTable` against hand counts (FuseMedML's ModelComparison.contingency_table layout:
 * [[TT, TF], [FT, FF]]), merge = one pass, and the correctness table equal to McNemar's.
 */
import { describe, expect, it } from 'vitest';
import { contingencyTable } from '../../../src/eval/compare/contingency-table.js';
import { mcnemarTest } from '../../../src/eval/compare/mcnemar.js';
import { runMetric } from '../../../src/eval/metrics/run-metric.js';

describe('contingencyTable', () => {
  it('counts [[both, only var1], [only var2, neither]] of two binary variables', () => {
    // var1: 1 1 0 0 1 0 true false; var2: 1 0 1 0 1 0 false false → TT 2, TF 2, FT 1, FF 3.
    const batch = { a: [1, 1, 0, 0, 1, 0, true, false], b: ['1', '0', '1', '0', 'true', 'false', false, 0] };
    expect(runMetric(contingencyTable({ var1: 'a', var2: 'b' }), () => [batch]).result).toEqual([
      [2, 2],
      [1, 3],
    ]);
  });
  it('with a target: correctness of two models; equal to the table McNemar reads; shards merge', () => {
    const y = ['A', 'B', 'C', 'A', 'B', 'C', 'A'];
    const p1 = ['A', 'B', 'A', 'A', 'C', 'C', 'B'];
    const p2 = ['A', 'C', 'C', 'B', 'B', 'C', 'B'];
    // correct1: 1 1 0 1 0 1 0; correct2: 1 0 1 0 1 1 0 → TT 2 (rows 0, 5), TF 2 (1, 3), FT 2 (2, 4), FF 1 (6).
    const whole = runMetric(contingencyTable({ var1: 'p1', var2: 'p2', target: 'y' }), () => [{ p1, p2, y }]).result;
    expect(whole).toEqual([
      [2, 2],
      [2, 1],
    ]);
    const split = runMetric(contingencyTable({ var1: 'p1', var2: 'p2', target: 'y' }), () => [
      { p1: p1.slice(0, 3), p2: p2.slice(0, 3), y: y.slice(0, 3) },
      { p1: p1.slice(3), p2: p2.slice(3), y: y.slice(3) },
    ]).result;
    expect(split).toEqual(whole);
    expect(runMetric(mcnemarTest({ pred1: 'p1', pred2: 'p2', target: 'y' }), () => [{ p1, p2, y }]).result.table).toEqual(whole);
  });
  it('refuses a non-boolean without a target, naming the row', () => {
    expect(() => runMetric(contingencyTable({ var1: 'a', var2: 'b' }), () => [{ a: [1, 2], b: [0, 1] }])).toThrow(/row 1: '2' is not a boolean/);
  });
});
