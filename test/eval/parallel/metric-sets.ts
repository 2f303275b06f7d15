/**
 * Metric sets built from plain data, for evaluate's `metrics` recipes in the parallel tests:
 * worker threads import this module and call these functions (see metrics-recipe.ts).
 */
import type { Metric } from '../../../src/eval/metric.js';
import { METRICS_BY_CLI_NAME } from '../../../src/eval/metrics/index.js';
import { bootstrapCi } from '../../../src/eval/ci/bootstrap-ci.js';
import { groupBy } from '../../../src/eval/analysis/group-by.js';
import { aucRocPr } from '../../../src/eval/metrics/auc-roc-pr.js';
import { dice } from '../../../src/eval/segmentation/dice.js';
import { iou } from '../../../src/eval/segmentation/iou.js';

function cli(name: string, keys: Parameters<NonNullable<(typeof METRICS_BY_CLI_NAME)[string]>>[0]): Metric {
  const make = METRICS_BY_CLI_NAME[name];
  if (make === undefined) throw new Error(`no metric ${name}`);
  return make({ ...keys, name });
}

/** Binary classification, ranking, calibration, regression, multi-class and CI metrics over the columns of `familyData`. */
export function everyFamily(replicates: number): Record<string, Metric> {
  const binary = { pred: 'p', target: 'y' };
  const out: Record<string, Metric> = {};
  for (const name of ['auc', 'aucpr', 'roc', 'accuracy', 'balanced-accuracy', 'confusion', 'confusion-matrix', 'mcc', 'brier', 'bss', 'logloss', 'ece', 'reliability'])
    out[name] = cli(name, binary);
  for (const name of ['mae', 'mse', 'rmse', 'r2', 'pearson', 'spearman']) out[name] = cli(name, { pred: 'v', target: 'w' });
  const multi = { preds: ['a', 'b', 'c'], target: 'k', classNames: ['a', 'b', 'c'] };
  out['auc_multi'] = cli('auc', { ...multi, name: 'auc_multi' });
  out['accuracy_multi'] = cli('accuracy', { ...multi, name: 'accuracy_multi' });
  out['ranking'] = aucRocPr({ pred: 'p', target: 'y', name: 'ranking' });
  out['auc_ci'] = bootstrapCi({ metric: cli('auc', binary), replicates, seed: 7, name: 'auc_ci' });
  out['brier_ci'] = bootstrapCi({ metric: cli('brier', binary), replicates, seed: 8, name: 'brier_ci', rowKey: 'id' });
  out['accuracy_ci_rows'] = bootstrapCi({ metric: cli('accuracy', binary), replicates, seed: 9, name: 'accuracy_ci_rows', method: 'rows', rowKey: 'id' });
  out['auc_per_g'] = groupBy({ metric: cli('auc', binary), group: 'g', name: 'auc_per_g', onGroupError: 'skip' });
  return out;
}

/** Dice and IoU per label over columns `seg` and `truth` of label volumes. */
export function segmentation(): Record<string, Metric> {
  return { dice: dice({ pred: 'seg', target: 'truth' }), iou: iou({ pred: 'seg', target: 'truth' }) };
}

/** A metric set whose update throws on rows whose `p` is above `limit` (error placement tests). */
export function failingAbove(limit: number): Record<string, Metric> {
  const base = cli('accuracy', { pred: 'p', target: 'y' });
  return {
    picky: {
      ...base,
      name: 'picky',
      update(state: unknown, batch) {
        const p = batch['p'] as ArrayLike<number>;
        for (let i = 0; i < p.length; i++) if ((p[i] as number) > limit) throw Object.assign(new Error(`score ${p[i]} above ${limit}`), { row: i });
        return base.update(state, batch);
      },
    },
  };
}

/** A metric set whose update ends its thread (process.exit) once it sees more than `rows` rows. */
export function exitingAfter(rows: number): Record<string, Metric> {
  const base = cli('accuracy', { pred: 'p', target: 'y' });
  let seen = 0;
  return {
    quitter: {
      ...base,
      name: 'quitter',
      update(state: unknown, batch) {
        seen += (batch['p'] as ArrayLike<number>).length;
        if (seen > rows) process.exit(3);
        return base.update(state, batch);
      },
    },
  };
}

/**
 * Metrics whose states keep the batches' columns as they were handed over (not copies): FuseMedML's
 * row-keeping bootstrap CI, and `kept`, which holds every `p` column it sees and sums them at the end
 * (so a reader that overwrote a buffer a state still holds would change the result).
 */
export function keepsRows(replicates: number): Record<string, Metric> {
  const kept: Metric<ArrayLike<number>[], number> = {
    name: 'kept',
    init: () => [],
    update: (s, b) => [...s, b['p'] as ArrayLike<number>],
    merge: (a, b) => [...a, ...b],
    compute: (s) => s.reduce((acc, col) => Array.from(col).reduce((x, v, i) => x + v * ((i % 7) + 1), acc), 0),
  };
  return {
    kept,
    auc_ci_fusemedml: bootstrapCi({ metric: cli('auc', { pred: 'p', target: 'y' }), replicates, seed: 5, name: 'auc_ci_fusemedml', method: 'fusemedml', maxRows: 1e5 }),
    auc: cli('auc', { pred: 'p', target: 'y' }),
  };
}
