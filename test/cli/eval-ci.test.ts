/**
 * `fuseflow eval --ci N --ci-method percentile|normal|pivotal --ci-resample state|rows|fusemedml`:
 * with `--ci-resample fusemedml` and the default seed, the three intervals equal FuseMedML's own
 * CI output on the KNIGHT fixture (test/fixtures/eval/fusemedml-ci-refs.json, made by running
 * FuseMedML's eval package; see make-fusemedml-ci-refs.py) to 1e-9; the old meaning of
 * `--ci-method` is refused with the new flag's name.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseEvalArgs } from '../../src/cli/commands/eval-args.js';
import { DEFAULT_SEED } from '../../src/eval/ci/default-seed.js';
import { KNIGHT_CSV, KNIGHT_TASK1_ARGS } from '../eval/knight-fixture.js';
import { fuseflowEval } from './run-cli.js';

type Flat = Readonly<Record<string, number>>;
const refs = JSON.parse(readFileSync(new URL('../fixtures/eval/fusemedml-ci-refs.json', import.meta.url), 'utf8')) as {
  cases: Record<string, { num_of_bootstraps: number; rnd_seed: number; results: Record<string, Flat> }>;
};
const FIELDS = ['org', 'mean', 'std', 'conf_lower', 'conf_upper'];

function expectEqualToFuseMedML(got: Record<string, unknown>, want: Flat, key: (group: string) => string): void {
  let compared = 0;
  for (const [flat, value] of Object.entries(want)) {
    const dot = flat.lastIndexOf('.');
    const field = dot < 0 ? flat : flat.slice(dot + 1);
    if (!FIELDS.includes(field)) continue;
    const leaf = (dot < 0 ? got : got[key(flat.slice(0, dot))]) as Record<string, number>;
    expect(Math.abs((leaf[field] as number) - value), `${flat}: ${leaf[field]} vs ${value}`).toBeLessThan(1e-9);
    compared++;
  }
  expect(compared).toBeGreaterThanOrEqual(5);
}

describe('fuseflow eval --ci-method / --ci-resample', () => {
  for (const method of ['percentile', 'normal', 'pivotal']) {
    it(`--ci-method ${method} --ci-resample fusemedml equals FuseMedML's CI(ci_method="${method.toUpperCase()}") with the default seed`, async () => {
      const t1 = refs.cases['task1_auc'];
      const t2 = refs.cases['task2_auc'];
      if (t1 === undefined || t2 === undefined) throw new Error('reference cases missing');
      expect(t1.rnd_seed).toBe(DEFAULT_SEED);
      expect(t2.rnd_seed).toBe(DEFAULT_SEED);
      const binary = await fuseflowEval(
        ...KNIGHT_TASK1_ARGS,
        '--metrics',
        'auc',
        '--ci',
        String(t1.num_of_bootstraps),
        '--ci-resample',
        'fusemedml',
        '--ci-method',
        method,
        '--json',
      );
      expect(binary.code, binary.err).toBe(0);
      expectEqualToFuseMedML((JSON.parse(binary.out) as { metrics: { auc: Record<string, unknown> } }).metrics.auc, t1.results[method] as Flat, () => '');
      const classes = ['B', 'LR', 'IR', 'HR', 'VHR'];
      const multi = await fuseflowEval(
        '--input',
        KNIGHT_CSV,
        '--pred',
        classes.map((c) => `${c}-score`).join(','),
        '--target',
        'task2_target',
        '--classes',
        '0,1,2,3,4',
        '--metrics',
        'auc',
        '--ci',
        String(t2.num_of_bootstraps),
        '--ci-resample',
        'fusemedml',
        '--ci-method',
        method,
        '--json',
      );
      expect(multi.code, multi.err).toBe(0);
      const auc = (JSON.parse(multi.out) as { metrics: { auc: Record<string, unknown> } }).metrics.auc;
      expectEqualToFuseMedML(auc, t2.results[method] as Flat, (k) => (k === 'macro_avg' ? k : String(classes.indexOf(k))));
    });
  }

  it("--seed defaults to the library's DEFAULT_SEED (1234), not 0", () => {
    expect(parseEvalArgs(['--input', 'a.csv', '--pred', 'p', '--target', 'y']).seed).toBe(DEFAULT_SEED);
  });

  it('refuses the old meaning of --ci-method, naming --ci-resample; checks both values', async () => {
    const base = [...KNIGHT_TASK1_ARGS, '--ci', '10'];
    const old = await fuseflowEval(...base, '--ci-method', 'fusemedml');
    expect(old.code).toBe(2);
    expect(old.err).toMatch(/--ci-method now names the interval \(percentile, normal, pivotal\); .*use --ci-resample fusemedml/);
    const bad = await fuseflowEval(...base, '--ci-method', 'bca');
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--ci-method must be percentile, normal, pivotal, got 'bca'/);
    const badResample = await fuseflowEval(...base, '--ci-resample', 'poisson');
    expect(badResample.code).toBe(2);
    expect(badResample.err).toMatch(/--ci-resample must be state, rows, fusemedml, got 'poisson'/);
    const noCi = await fuseflowEval(...KNIGHT_TASK1_ARGS, '--ci-method', 'normal');
    expect(noCi.code).toBe(2);
    expect(noCi.err).toMatch(/--ci-method needs --ci N/);
  });

  it('--ci-method normal with the default state resampling: org ∓ 1.959964·std of the replicates', async () => {
    const r = await fuseflowEval(...KNIGHT_TASK1_ARGS, '--metrics', 'accuracy', '--ci', '300', '--ci-method', 'normal', '--json');
    expect(r.code, r.err).toBe(0);
    const a = (JSON.parse(r.out) as { metrics: { accuracy: Record<string, number> } }).metrics.accuracy;
    const z = 1.959963984540054; // scipy.stats.norm.isf(0.025)
    expect(a['conf_lower']).toBeCloseTo((a['org'] as number) - z * (a['std'] as number), 12);
    expect(a['conf_upper']).toBeCloseTo((a['org'] as number) + z * (a['std'] as number), 12);
  });
});
