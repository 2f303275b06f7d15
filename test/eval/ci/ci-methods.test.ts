/**
 * The three interval methods of FuseMedML's `CI(ci_method=…)`: hand cases for each formula, and
 * equality to 1e-9 with FuseMedML's own output (its eval package run by
 * test/fixtures/eval/make-fusemedml-ci-refs.py on the KNIGHT fixture) under `method: 'fusemedml'`.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { bootstrapCi } from '../../../src/eval/ci/bootstrap-ci.js';
import { ciOf, type CiMethod } from '../../../src/eval/ci/ci-summary.js';
import { DEFAULT_SEED } from '../../../src/eval/ci/default-seed.js';
import { auc } from '../../../src/eval/metrics/auc.js';
import { oneVsRest } from '../../../src/eval/metrics/one-vs-rest.js';
import { runMetric } from '../../../src/eval/metrics/run-metric.js';
import type { Metric } from '../../../src/eval/metric.js';
import { knightColumns } from '../metrics/fixtures.js';

interface RefCase {
  readonly stratum: string;
  readonly num_of_bootstraps: number;
  readonly rnd_seed: number;
  readonly conf_interval: number;
  readonly results: Readonly<Record<CiMethod, Readonly<Record<string, number>>>>;
}

const refs = JSON.parse(readFileSync(new URL('../../fixtures/eval/fusemedml-ci-refs.json', import.meta.url), 'utf8')) as { cases: Record<string, RefCase> };
const METHODS: readonly CiMethod[] = ['percentile', 'normal', 'pivotal'];
const FIELDS = ['org', 'mean', 'std', 'conf_lower', 'conf_upper'] as const;
const CLASSES = ['B', 'LR', 'IR', 'HR', 'VHR'];

describe('ciOf interval methods (hand-derived)', () => {
  // 20 replicates 0.60, 0.62, …, 0.98 (shuffled). 90 %: r = (1 − 0.9)/2 is 0.04999999999999999 in
  // float64 (in numpy too), so lo = sorted[floor(r·20) = 0] = 0.60 and hi = sorted[floor(19.0000…) = 19] = 0.98.
  const reps = Array.from({ length: 20 }, (_, i) => 0.6 + 0.02 * ((i * 7) % 20));
  it('percentile: the sorted replicates at floor(r·n) and floor((1 − r)·n)', () => {
    const r = ciOf(0.8, reps, 90, 'percentile');
    expect(r.conf_lower).toBeCloseTo(0.6, 15);
    expect(r.conf_upper).toBeCloseTo(0.98, 15);
  });
  it('pivotal: 2·org − hi, 2·org − lo', () => {
    const r = ciOf(0.8, reps, 90, 'pivotal');
    expect(r.conf_lower).toBeCloseTo(1.6 - 0.98, 15);
    expect(r.conf_upper).toBeCloseTo(1.6 - 0.6, 15);
  });
  it('normal: org ∓ z·(population std), z = 1.6448536269514722 for 90 % (scipy.stats.norm.isf(0.05))', () => {
    // Population std of 0.60..0.98 step 0.02: 0.02·sqrt((20² − 1)/12).
    const std = 0.02 * Math.sqrt(399 / 12);
    const r = ciOf(0.8, reps, 90, 'normal');
    expect(r.std).toBeCloseTo(std, 14);
    expect(r.conf_lower).toBeCloseTo(0.8 - 1.6448536269514722 * std, 14);
    expect(r.conf_upper).toBeCloseTo(0.8 + 1.6448536269514722 * std, 14);
  });
  it('the default is percentile; an unknown method is refused', () => {
    expect(ciOf(0.8, reps, 90)).toEqual(ciOf(0.8, reps, 90, 'percentile'));
    expect(() => bootstrapCi({ metric: auc({ pred: 'p', target: 'y' }), ciMethod: 'bca' as CiMethod })).toThrow(/ciMethod must be percentile, normal, pivotal, got 'bca'/);
  });
});

describe("bootstrapCi({ method: 'fusemedml', ciMethod }) equals FuseMedML's CI output (1e-9)", () => {
  const cols = knightColumns();
  const cases: [string, () => Metric, (key: string) => string][] = [
    ['task1_auc', () => auc({ pred: 'CanAT', target: 'task1' }), () => ''],
    ['task1_auc_conf90_seed7', () => auc({ pred: 'CanAT', target: 'task1' }), () => ''],
    ['task2_auc', () => oneVsRest({ preds: CLASSES, target: 'task2', classNames: [0, 1, 2, 3, 4], metric: auc }), (k) => (k === 'macro_avg' ? k : String(CLASSES.indexOf(k)))],
  ];
  for (const [name, make, ourKey] of cases) {
    const ref = refs.cases[name] as RefCase;
    for (const ciMethod of METHODS) {
      it(`${name}, ${ciMethod} (${ref.num_of_bootstraps} replicates, seed ${ref.rnd_seed}, ${ref.conf_interval} %)`, () => {
        const m = bootstrapCi({
          metric: make(),
          method: 'fusemedml',
          ciMethod,
          stratum: ref.stratum === 'task1_target' ? 'task1' : 'task2',
          replicates: ref.num_of_bootstraps,
          seed: ref.rnd_seed,
          confInterval: ref.conf_interval,
        });
        const got = runMetric(m, () => [cols]).result as Record<string, unknown>;
        const want = ref.results[ciMethod];
        let compared = 0;
        for (const [flat, value] of Object.entries(want)) {
          const dot = flat.lastIndexOf('.');
          const field = dot < 0 ? flat : flat.slice(dot + 1);
          if (!(FIELDS as readonly string[]).includes(field)) continue;
          const leaf = (dot < 0 ? got : got[ourKey(flat.slice(0, dot))]) as Record<string, number>;
          expect(Math.abs((leaf[field] as number) - value), `${flat}: ${leaf[field]} vs ${value}`).toBeLessThan(1e-9);
          compared++;
        }
        expect(compared).toBeGreaterThanOrEqual(5);
      });
    }
  }
});

describe('one default seed', () => {
  it("bootstrapCi's default seed is DEFAULT_SEED = 1234 (FuseMedML's)", () => {
    const cols = knightColumns();
    const make = (seed?: number) =>
      runMetric(
        bootstrapCi({ metric: auc({ pred: 'CanAT', target: 'task1' }), method: 'fusemedml', stratum: 'task1', replicates: 200, ...(seed === undefined ? {} : { seed }) }),
        () => [cols],
      ).result;
    expect(DEFAULT_SEED).toBe(1234);
    expect(make()).toEqual(make(1234));
    expect(make()).not.toEqual(make(0));
  });
});
