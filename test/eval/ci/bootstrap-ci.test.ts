import { describe, expect, it } from 'vitest';
import { bootstrapCi } from '../../../src/eval/ci/bootstrap-ci.js';
import { auc } from '../../../src/eval/metrics/auc.js';
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
