import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import { beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '../../src/core/errors.js';
import { OutputError } from '../../src/core/safe-fs.js';
import type { Sample } from '../../src/core/sample.js';
import { accuracy } from '../../src/eval/metrics/accuracy.js';
import { auc } from '../../src/eval/metrics/auc.js';
import { confusion } from '../../src/eval/metrics/confusion.js';
import { batch } from '../../src/streams/batch.js';
import { dataset } from '../../src/streams/dataset.js';
import { useBackend } from '../../src/trainer/backend.js';
import { crossValidate, type CrossValidateOptions, type CrossValidateResult, type FoldSplit } from '../../src/trainer/cross-validate/cross-validate.js';
import { foldIds, makeFoldPlan } from '../../src/trainer/cross-validate/fold-plan.js';
import { writeOutOfFold } from '../../src/trainer/cross-validate/out-of-fold.js';
import { crossEntropy } from '../../src/trainer/losses/cross-entropy.js';
import { tempFolder } from '../temp-folder.js';
import { table, tabularModel } from './helpers/tabular.js';

const { dir } = tempFolder('ff-cv-');
const N = 150;
const ids = table.ids.slice(0, N);
const labels = table.labels.slice(0, N);
const plan = makeFoldPlan({ ids, balance: { label: labels }, folds: 3, seed: 4 });
const keys = { pred: 'pred_1', target: 'target' };

const batchesOf = (list: readonly string[]): AsyncIterable<Sample> =>
  batch({ size: 32 })(dataset({ ids: list, source: (id) => table.samples.get(id) as Sample }).stream({ shuffle: false, window: 64 }));

function options(outDir: string): CrossValidateOptions {
  return {
    folds: plan,
    outDir,
    buildModel: ({ fold }) => tabularModel(10 + fold),
    fit: (split: FoldSplit) => {
      const train = dataset({ ids: split.trainIds, source: (id) => table.samples.get(id) as Sample });
      return {
        losses: [crossEntropy({ pred: 'model.logits.cls', target: 'data.label' })],
        train: (at) => batch({ size: 16 })(train.stream({ epoch: at.epoch, seed: at.seed, resume: at, window: 32 })),
        validation: () => batchesOf(split.validIds),
        epochs: 2,
        seed: 3,
        schedule: { type: 'constant', lr: 1e-2 },
        backend: 'current',
        progress: false,
      };
    },
    predict: { batches: ({ validIds }) => batchesOf(validIds), columns: { target: 'data.label', pred: 'model.output.cls' } },
    metrics: { auc: auc(keys), accuracy: accuracy(keys) },
    plainMetrics: { confusion: confusion(keys) },
    ci: { replicates: 200, seed: 7 },
    report: { keys, title: 'cv test' },
  };
}

interface Ci {
  org: number;
  conf_lower: number;
  conf_upper: number;
}

/** AUC and accuracy (score > 0.5) per fold and pooled, and mean/std (ddof 0) over folds, by scikit-learn. */
function sklearnReference(rows: { fold: number; target: number; score: number }[]): { pooled: number[]; perFold: number[][]; mean: number[]; std: number[] } {
  const csv = join(dir, 'oof.csv');
  writeFileSync(csv, `fold,target,score\n${rows.map((r) => `${r.fold},${r.target},${r.score}`).join('\n')}\n`);
  const script = `
import csv, json, sys
import numpy as np
from sklearn.metrics import roc_auc_score, accuracy_score
rows = list(csv.DictReader(open(sys.argv[1])))
f = np.array([int(r['fold']) for r in rows]); y = np.array([int(float(r['target'])) for r in rows]); s = np.array([float(r['score']) for r in rows])
m = lambda k: [roc_auc_score(y[k], s[k]), accuracy_score(y[k], s[k] > 0.5)]
per = [m(f == i) for i in range(f.max() + 1)]
print(json.dumps({'pooled': m(np.ones_like(y, dtype=bool)), 'perFold': per, 'mean': np.mean(per, axis=0).tolist(), 'std': np.std(per, axis=0).tolist()}))
`;
  return JSON.parse(execFileSync('/usr/bin/python3', ['-c', script, csv], { encoding: 'utf8' })) as ReturnType<typeof sklearnReference>;
}

describe('crossValidate', () => {
  let cv: CrossValidateResult;
  const outDir = join(dir, 'cv');
  beforeAll(async () => {
    await useBackend(undefined, { log: () => undefined });
    cv = await crossValidate(options(outDir));
  }, 120_000);

  it('writes a run folder and predictions per fold, and out-of-fold predictions with every id once and its fold', () => {
    expect(cv.folds.map((f) => f.validIds)).toEqual(foldIds(plan).map((f) => f.length));
    for (const f of cv.folds) {
      expect(existsSync(join(f.dir, 'best.ckpt')) && existsSync(join(f.dir, 'last.ckpt'))).toBe(true);
      expect(f.trainIds + f.validIds).toBe(N);
      expect(tableFromIPC(readFileSync(f.predictions)).numRows).toBe(f.validIds);
    }
    const oof = tableFromIPC(readFileSync(cv.outOfFold));
    expect(oof.schema.fields.map((f) => f.name)).toEqual(['id', 'target', 'pred_0', 'pred_1', 'fold']);
    const oofIds = oof.getChild('id')?.toArray() as string[];
    expect([...oofIds].sort()).toEqual([...ids].sort());
    const foldOf = new Map(plan.samples.map((s) => [s.id, s.fold]));
    const folds = oof.getChild('fold')?.toArray() as Int32Array;
    oofIds.forEach((id, i) => expect(folds[i]).toBe(foldOf.get(id)));
    expect(existsSync(cv.resultsPath) && existsSync(cv.reportPath as string)).toBe(true);
    expect(readFileSync(cv.reportPath as string, 'utf8')).toMatch(/<html/i);
  });

  it('per-fold and pooled AUC and accuracy equal scikit-learn on the out-of-fold predictions; mean/std over folds equal numpy', () => {
    const oof = tableFromIPC(readFileSync(cv.outOfFold));
    const col = (name: string): ArrayLike<number> => oof.getChild(name)?.toArray() as ArrayLike<number>;
    const rows = Array.from({ length: oof.numRows }, (_, i) => ({ fold: col('fold')[i] as number, target: col('target')[i] as number, score: col('pred_1')[i] as number }));
    const ref = sklearnReference(rows);
    const pooledAuc = cv.pooled['auc'] as Ci;
    const pooledAcc = cv.pooled['accuracy'] as Ci;
    expect(pooledAuc.org).toBeCloseTo(ref.pooled[0] as number, 10);
    expect(pooledAcc.org).toBeCloseTo(ref.pooled[1] as number, 10);
    cv.perFold.forEach((r, f) => {
      expect((r['auc'] as Ci).org).toBeCloseTo(ref.perFold[f]?.[0] as number, 10);
      expect((r['accuracy'] as Ci).org).toBeCloseTo(ref.perFold[f]?.[1] as number, 10);
    });
    expect(cv.overFolds['auc']?.mean).toBeCloseTo(ref.mean[0] as number, 10);
    expect(cv.overFolds['auc']?.std).toBeCloseTo(ref.std[0] as number, 10);
    expect(cv.overFolds['accuracy']?.mean).toBeCloseTo(ref.mean[1] as number, 10);
    expect(cv.overFolds['accuracy']?.std).toBeCloseTo(ref.std[1] as number, 10);
    for (const r of [cv.pooled, ...cv.perFold]) {
      const a = r['auc'] as Ci;
      expect(a.conf_lower).toBeLessThanOrEqual(a.org);
      expect(a.conf_upper).toBeGreaterThanOrEqual(a.org);
    }
    // the pooled CI is narrower than a single fold's (3× the rows)
    const width = (c: Ci): number => c.conf_upper - c.conf_lower;
    expect(width(pooledAcc)).toBeLessThan(Math.max(...cv.perFold.map((r) => width(r['accuracy'] as Ci))));
    // confusion counts (no CI) add up over folds
    const counts = (r: Record<string, unknown>): number[] => {
      const c = r['confusion'] as { tp: number; fn: number; fp: number; tn: number };
      return [c.tp, c.fn, c.fp, c.tn];
    };
    const summed = cv.perFold.map(counts).reduce((a, b) => a.map((x, i) => x + (b[i] as number)));
    expect(summed).toEqual(counts(cv.pooled));
    expect(summed.reduce((a, b) => a + b)).toBe(N);
    const recorded = JSON.parse(readFileSync(cv.resultsPath, 'utf8')) as { pooled: Record<string, Ci>; folds: { metrics: Record<string, Ci> }[] };
    expect(recorded.pooled['auc']?.org).toBe(pooledAuc.org);
    expect(recorded.folds.map((f) => f.metrics['auc']?.org)).toEqual(cv.perFold.map((r) => (r['auc'] as Ci).org));
  });

  it('refuses an output folder that holds a cross-validation (before training); resume re-predicts the finished folds to the same predictions', async () => {
    await expect(crossValidate(options(outDir))).rejects.toThrow(OutputError);
    const before = readFileSync(cv.outOfFold);
    const again = await crossValidate({ ...options(outDir), resume: true });
    expect(again.folds.every((f) => f.fit.history.length === 0 && f.fit.resumedFrom !== null)).toBe(true);
    expect(Buffer.compare(readFileSync(again.outOfFold), before)).toBe(0);
    expect((again.pooled['auc'] as Ci).org).toBe((cv.pooled['auc'] as Ci).org);
  }, 60_000);

  it('resume after a stop: folds with a last.ckpt continue, a fold never started trains from scratch', async () => {
    const out = join(dir, 'stopped');
    const first = await crossValidate({ ...options(out), folds: foldIds(plan).slice(0, 2) });
    expect(first.folds).toHaveLength(2);
    // resumed: both folds continue from last.ckpt (nothing left to train)
    const resumed = await crossValidate({ ...options(out), folds: foldIds(plan).slice(0, 2), resume: true });
    expect(resumed.folds.map((f) => f.fit.resumedFrom !== null)).toEqual([true, true]);
    // stopped before fold 1 began: its folder does not exist
    rmSync(join(out, 'fold-1'), { recursive: true });
    const partly = await crossValidate({ ...options(out), folds: foldIds(plan).slice(0, 2), resume: true });
    expect(partly.folds.map((f) => f.fit.resumedFrom !== null)).toEqual([true, false]);
    expect(partly.folds[1]?.fit.history).toHaveLength(2);
  }, 60_000);

  it('resuming with another split is refused (the split is in each fold run configuration)', async () => {
    const other = makeFoldPlan({ ids, balance: { label: labels }, folds: 3, seed: 5 });
    await expect(crossValidate({ ...options(outDir), folds: other, resume: true })).rejects.toThrow(/crossValidation\.split/);
  });

  it('out-of-fold join refuses a fold file that misses an id of its validation set or holds another', async () => {
    const f0 = cv.folds[0]?.predictions as string;
    const ids0 = foldIds(plan)[0] as string[];
    await expect(writeOutOfFold({ folds: [{ fold: 0, path: f0, ids: [...ids0, 'extra'] }], path: join(dir, 'x.arrow') })).rejects.toThrow(
      /1 id\(s\) of fold 0's validation set have no prediction \(extra\)/,
    );
    await expect(writeOutOfFold({ folds: [{ fold: 0, path: f0, ids: ids0.slice(1) }], path: join(dir, 'y.arrow') })).rejects.toThrow(InputError);
    expect(existsSync(join(dir, 'x.arrow')) || existsSync(join(dir, 'y.arrow'))).toBe(false);
  });
});
