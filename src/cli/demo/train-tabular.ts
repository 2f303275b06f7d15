/**
 * Demo: the breast-cancer table end to end through the trainer — 5-fold cross-validation with
 * `crossValidate` (folds balanced by label, seeded, kept in a fold file that later runs reload),
 * per fold an MLP trained on the keyed stream with validation AUC each epoch and the best epoch
 * kept, its predictions streamed to Arrow, the out-of-fold predictions joined by id, evaluated
 * per fold and pooled (AUC and accuracy with bootstrap CIs, confusion) and an HTML report written.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Sample } from '../../core/sample.js';
import type { Op } from '../../ops/op.js';
import type { MetricResults } from '../../eval/metric.js';
import { accuracy } from '../../eval/metrics/accuracy.js';
import { confusion } from '../../eval/metrics/confusion.js';
import { auc } from '../../eval/metrics/auc.js';
import { concat } from '../../ops/keys/concat.js';
import { zScore } from '../../ops/keys/z-score.js';
import { repeat } from '../../ops/meta/repeat.js';
import { readRows } from '../../ops/tabular/read-rows.js';
import { batch } from '../../streams/batch.js';
import { dataset } from '../../streams/dataset.js';
import { useBackend } from '../../trainer/backend.js';
import { crossValidate, type FoldSplit } from '../../trainer/cross-validate/cross-validate.js';
import { foldPlanFile } from '../../trainer/cross-validate/fold-file.js';
import { foldIds } from '../../trainer/cross-validate/fold-plan.js';
import { classificationHead } from '../../trainer/heads/classification-head.js';
import { crossEntropy } from '../../trainer/losses/cross-entropy.js';
import { mlp } from '../../trainer/models/mlp.js';
import { multiHeadModel } from '../../trainer/models/multi-head-model.js';
import { BREAST_CANCER_CSV, BREAST_CANCER_FEATURES, BREAST_CANCER_READ, loadBreastCancer } from './breast-cancer.js';

/** Options of {@link runTrainTabular}. */
export interface TrainTabularOptions {
  /** Folder for checkpoints, logs and predictions. Required. */
  readonly outDir: string;
  /** Run seed (folds, order, initial weights). Default 0. */
  readonly seed?: number;
  /** Folds. Default 5. */
  readonly folds?: number;
  /** Epochs per fold. Default 15. */
  readonly epochs?: number;
  /** Batch size. Default 32. */
  readonly batchSize?: number;
}

/** What the demo measured. */
export interface TrainTabularSummary {
  /** Arrow files of out-of-fold predictions (columns id, target, pred_0, pred_1), one per fold. */
  readonly predictionFiles: readonly string[];
  /** Metrics over all out-of-fold predictions (AUC and accuracy with 95% bootstrap CIs, confusion). */
  readonly metrics: MetricResults;
  /** The HTML report (ROC, PR, reliability, confusion). */
  readonly reportPath: string;
  /** Validation AUC of each fold's best epoch. */
  readonly foldAuc: readonly number[];
  readonly seconds: number;
}

/**
 * Runs the cross-validation; `log` receives readable lines.
 * @example const s = await runTrainTabular(console.log, { outDir: 'runs/breast-cancer' }); s.metrics['auc'];
 */
export async function runTrainTabular(log: (line: string) => void, options: TrainTabularOptions): Promise<TrainTabularSummary> {
  const t0 = performance.now();
  const seed = options.seed ?? 0;
  const k = options.folds ?? 5;
  const epochs = options.epochs ?? 15;
  const size = options.batchSize ?? 32;
  await useBackend(undefined, { log });
  const table = loadBreastCancer();
  const labels = table.ids.map((id) => table.row(id)?.['target'] as number);
  mkdirSync(options.outDir, { recursive: true });
  // The split is kept in a fold file: a re-run with the same folds and seed reloads it (and would
  // refuse it, naming the rows, if the table had changed).
  const foldFile = join(options.outDir, `folds-${k}-seed-${seed}.json`);
  const { plan, created } = foldPlanFile({ path: foldFile, ids: table.ids, balance: { label: labels }, folds: k, seed });
  const sizes = foldIds(plan).map((f) => f.length);
  log(`breast cancer: ${table.ids.length} rows, ${k} folds of ${sizes.join('/')} (balanced by label, seed ${seed}; ${created ? 'written to' : 'reloaded from'} ${foldFile})`);

  const collate = { keepKeys: ['data.sampleId', 'data.features', 'data.target'] };
  /** The static pipeline of a fold: z-score with the training fold's statistics only (no leakage into validation). */
  const staticPipelineOf = (trainIds: readonly string[]): Op<object>[] => {
    const stats = BREAST_CANCER_FEATURES.map((name) => {
      const xs = trainIds.map((id) => table.row(id)?.[name] as number);
      const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
      const std = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length);
      return { key: `data.${name}`, mean, std };
    });
    return [
      readRows({ file: BREAST_CANCER_CSV, ...BREAST_CANCER_READ }),
      repeat({ op: zScore({ key: 'data.x', mean: 0, std: 1 }), steps: stats }),
      concat({ keys: BREAST_CANCER_FEATURES.map((name) => `data.${name}`), outKey: 'data.features' }),
    ];
  };
  const validBatches = (split: FoldSplit): AsyncIterable<Sample> =>
    batch({ size: 128, collate })(dataset({ ids: split.validIds, staticPipeline: staticPipelineOf(split.trainIds) }).stream({ shuffle: false, window: 256 }));
  const keys = { pred: 'pred_1', target: 'target' };
  const cv = await crossValidate({
    folds: plan,
    outDir: options.outDir,
    buildModel: ({ fold }) =>
      multiHeadModel({
        inputs: [{ key: 'data.features', shape: [BREAST_CANCER_FEATURES.length] }],
        backbone: mlp({ layers: [32, 16] }),
        heads: [classificationHead({ name: 'malignancy', numClasses: 2 })],
        seed: seed * 100 + fold,
      }),
    fit: (split) => {
      const train = dataset({ ids: split.trainIds, staticPipeline: staticPipelineOf(split.trainIds) });
      const stepsPerEpoch = Math.ceil(split.trainIds.length / size);
      return {
        losses: [crossEntropy({ pred: 'model.logits.malignancy', target: 'data.target' })],
        train: (at) => batch({ size, collate })(train.stream({ epoch: at.epoch, seed: at.seed, resume: at, window: 2 * size })),
        validation: () => validBatches(split),
        metrics: [auc({ pred: 'model.output.malignancy_1', target: 'data.target' })],
        metricKeys: ['model.output.malignancy', 'data.target'],
        monitor: { key: 'validation.metrics.auc', mode: 'max' },
        epochs,
        seed,
        optimizer: { type: 'adam', weightDecay: 1e-4 },
        schedule: { type: 'cosine', lr: 3e-3, totalSteps: epochs * stepsPerEpoch, warmupSteps: stepsPerEpoch },
        clipNorm: 5,
        backend: 'current',
        progress: false,
      };
    },
    predict: { batches: validBatches, columns: { target: 'data.target', pred: 'model.output.malignancy' } },
    metrics: { auc: auc(keys), accuracy: accuracy(keys) },
    plainMetrics: { sensitivity_specificity: confusion(keys) },
    ci: { seed },
    report: {
      keys,
      title: `fuseflow: breast cancer, ${k}-fold cross-validated MLP`,
      about: [
        `Wisconsin Diagnostic Breast Cancer (569 rows, 30 features), ${k}-fold CV balanced by label, out-of-fold predictions of each fold's best epoch`,
        'positive class: benign (1); 95% CIs by bootstrap (1000 replicates)',
      ],
    },
    // the demo's own output folder: a re-run replaces its fold runs, predictions and report
    overwrite: true,
    onFold: (o) => {
      const last = o.fit.history[o.fit.history.length - 1];
      log(
        `  fold ${o.fold + 1}/${k}: ${o.trainIds} train / ${o.validIds} validation, ${o.fit.history.length} epochs, best epoch ${(o.fit.bestEpoch ?? 0) + 1} AUC ${(o.fit.bestValue ?? Number.NaN).toFixed(4)}, ${last?.train.samplesPerSecond.toFixed(0)} samples/s; ${o.rows} predictions → ${o.predictions}`,
      );
    },
  });
  const foldAuc = cv.folds.map((o) => o.fit.bestValue ?? Number.NaN);
  const predictionFiles = cv.folds.map((o) => o.predictions);
  const reportPath = cv.reportPath as string;
  const seconds = (performance.now() - t0) / 1000;
  const ci = (v: unknown): string => {
    const r = v as { org: number; conf_lower: number; conf_upper: number };
    return `${r.org.toFixed(4)} [95% CI ${r.conf_lower.toFixed(4)}–${r.conf_upper.toFixed(4)}]`;
  };
  log(`out-of-fold (${table.ids.length} rows): AUC ${ci(cv.pooled['auc'])}, accuracy ${ci(cv.pooled['accuracy'])}; per fold AUC ${foldAuc.map((a) => a.toFixed(3)).join(', ')}`);
  log(`out-of-fold predictions → ${cv.outOfFold}; report → ${reportPath} (${seconds.toFixed(1)} s)`);
  return { predictionFiles, metrics: cv.pooled, foldAuc, reportPath, seconds };
}
