/**
 * `fuseflow eval --ensemble mean|vote [--ensemble-weights …]`: several models' files joined by
 * --id, combined and evaluated like one model — equal to the metrics of a hand-combined single
 * model written to one file.
 */
import { fuseflowEval } from './run-cli.js';
import { describe, expect, it } from 'vitest';
import { tempFolder } from '../temp-folder.js';

const folder = tempFolder('fuseflow-eval-ensemble-');
/** Writes `lines` (one a line) to `name` in the test folder. */
const write = (name: string, lines: string[]): string => folder.write(name, `${lines.join('\n')}\n`);

const ids = ['s1', 's2', 's3', 's4', 's5', 's6', 's7', 's8'];
const y = [1, 0, 1, 0, 1, 0, 1, 0];
// Three models (binary scores), rows in differing orders; targets in their own file.
const p = [
  [0.8, 0.3, 0.4, 0.6, 0.9, 0.1, 0.55, 0.45],
  [0.6, 0.5, 0.7, 0.2, 0.3, 0.4, 0.35, 0.65],
  [0.7, 0.6, 0.1, 0.1, 0.8, 0.3, 0.6, 0.2],
];
const models = p.map((col, m) =>
  write(`m${m}.csv`, [
    'id,p',
    ...ids
      .map((id, i) => `${id},${col[i]}`)
      .slice(m)
      .concat(ids.map((id, i) => `${id},${col[i]}`).slice(0, m)),
  ]),
);
const targets = write('targets.csv', ['id,y', ...ids.map((id, i) => `${id},${y[i]}`)]);
const METRICS = 'auc,accuracy,brier,confusion';
/** The three models' files, each after --input. */
const MODEL_INPUTS = models.flatMap((m) => ['--input', m]);
/** The models and the targets joined by id, scores in p, targets in y. */
const ENSEMBLE_INPUTS = [...MODEL_INPUTS, '--input', targets, '--id', 'id', '--pred', 'p', '--target', 'y'];

describe('fuseflow eval --ensemble', () => {
  it('mean with weights 2,1,1 equals the metrics of the hand-averaged scores in one file', async () => {
    const hand = ids.map((id, i) => `${id},${(2 * (p[0]?.[i] as number) + (p[1]?.[i] as number) + (p[2]?.[i] as number)) / 4},${y[i]}`);
    const single = write('hand-mean.csv', ['id,p,y', ...hand]);
    const ens = await fuseflowEval(...ENSEMBLE_INPUTS, '--metrics', METRICS, '--ensemble', 'mean', '--ensemble-weights', '2,1,1', '--json');
    const one = await fuseflowEval('--input', single, '--pred', 'p', '--target', 'y', '--metrics', METRICS, '--json');
    expect(ens.code, ens.err).toBe(0);
    expect(one.code, one.err).toBe(0);
    const e = JSON.parse(ens.out) as { metrics: Record<string, unknown> };
    expect(e.metrics).toEqual((JSON.parse(one.out) as { metrics: Record<string, unknown> }).metrics);
    // By hand: averaged 0.725 0.425 0.4 0.375 0.725 0.225 0.5125 0.4375 (no ties); positives {0.725, 0.4, 0.725, 0.5125}
    // over negatives {0.425, 0.375, 0.225, 0.4375}: 4 + 2 + 4 + 4 = 14 of 16 pairs.
    expect(e.metrics['auc']).toBeCloseTo(14 / 16, 15);
  });

  it('vote: the weighted majority (threshold per model 0.5), a tie going to the negative class', async () => {
    // Votes (score > 0.5): m0 1 0 0 1 1 0 1 0; m1 1 0 1 0 0 0 0 1; m2 1 1 0 0 1 0 1 0.
    const shares = [3, 1, 1, 1, 2, 0, 2, 1].map((v) => v / 3);
    const single = write('hand-vote.csv', ['id,p,y', ...ids.map((id, i) => `${id},${shares[i]},${y[i]}`)]);
    const ens = await fuseflowEval(...ENSEMBLE_INPUTS, '--metrics', 'auc,accuracy', '--ensemble', 'vote', '--json');
    const one = await fuseflowEval('--input', single, '--pred', 'p', '--target', 'y', '--metrics', 'auc,accuracy', '--json');
    expect(ens.code, ens.err).toBe(0);
    expect(JSON.parse(ens.out)).toEqual(JSON.parse(one.out));
    // Majority 1 0 0 0 1 0 1 0 against 1 0 1 0 1 0 1 0 → 7/8.
    expect((JSON.parse(ens.out) as { metrics: { accuracy: number } }).metrics.accuracy).toBe(7 / 8);
    // Weights 1,1,2 turn a 1-of-3 vote by m2 into a tie (2 of 4 = 0.5): still negative; m2 with m0 wins.
    const weighted = await fuseflowEval(...ENSEMBLE_INPUTS, '--metrics', 'accuracy', '--ensemble', 'vote', '--ensemble-weights', '1,1,2', '--json');
    expect(weighted.code, weighted.err).toBe(0);
    // Shares: 4/4 2/4 1/4 1/4 3/4 0 3/4 1/4 → majority 1 0 0 0 1 0 1 0 → 7/8.
    expect((JSON.parse(weighted.out) as { metrics: { accuracy: number } }).metrics.accuracy).toBe(7 / 8);
  });

  it('refuses bad ensemble options with a clear message', async () => {
    const base = ['--id', 'id', '--pred', 'p', '--target', 'y', '--metrics', 'accuracy'];
    const one = await fuseflowEval('--input', models[0] as string, ...base, '--ensemble', 'mean');
    expect(one.code).toBe(2);
    expect(one.err).toMatch(/--ensemble combines several models/);
    const method = await fuseflowEval(...MODEL_INPUTS, ...base, '--ensemble', 'median');
    expect(method.code).toBe(2);
    expect(method.err).toMatch(/--ensemble must be mean or vote, got 'median'/);
    const noEnsemble = await fuseflowEval(...MODEL_INPUTS, ...base, '--ensemble-weights', '1,2');
    expect(noEnsemble.code).toBe(2);
    expect(noEnsemble.err).toMatch(/--ensemble-weights applies to --ensemble/);
    const badWeight = await fuseflowEval(...MODEL_INPUTS, ...base, '--ensemble', 'mean', '--ensemble-weights', '1,0,1');
    expect(badWeight.code).toBe(2);
    expect(badWeight.err).toMatch(/--ensemble-weights must be positive numbers/);
    const count = await fuseflowEval(...ENSEMBLE_INPUTS, '--metrics', 'accuracy', '--ensemble', 'mean', '--ensemble-weights', '1,2');
    expect(count.code).toBe(1);
    expect(count.err).toMatch(/2 weights for 3 models/);
  });
});
