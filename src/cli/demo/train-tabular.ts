/**
 * Demo: the breast-cancer table end to end through the trainer — 5-fold cross-validation
 * (folds balanced by label, seeded), per fold an MLP trained on the keyed stream with validation
 * AUC each epoch and the best epoch kept, out-of-fold predictions streamed to Arrow, then all
 * folds evaluated together from the Arrow files (AUC and accuracy with bootstrap CIs, confusion)
 * and an HTML report written.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Sample } from '../../core/sample.js';
import { evaluate } from '../../eval/evaluate.js';
import { arrowSource } from '../../eval/sources/arrow-source.js';
import type { EvalSource } from '../../eval/sources/eval-source.js';
import type { MetricResults } from '../../eval/metric.js';
import { bootstrapCi } from '../../eval/ci/bootstrap-ci.js';
import { accuracy } from '../../eval/metrics/accuracy.js';
import { confusion } from '../../eval/metrics/confusion.js';
import { REPORT_PREFIX, reportInput, reportMetrics } from '../../eval/report/report-from-results.js';
import { writeReport } from '../../eval/report/render-report.js';
import { auc } from '../../eval/metrics/auc.js';
import { concat } from '../../ops/keys/concat.js';
import { zScore } from '../../ops/keys/z-score.js';
import { repeat } from '../../ops/meta/repeat.js';
import { readRows } from '../../ops/tabular/read-rows.js';
import { batch } from '../../streams/batch.js';
import { dataset } from '../../streams/dataset.js';
import { splitFolds } from '../../streams/split-folds.js';
import { useBackend } from '../../trainer/backend.js';
import { loadModel } from '../../trainer/checkpoint.js';
import { fit } from '../../trainer/fit.js';
import { classificationHead } from '../../trainer/heads/classification-head.js';
import { inferToArrow } from '../../trainer/infer.js';
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
  const folds = splitFolds({ ids: table.ids, labels, folds: k, seed });
  log(`breast cancer: ${table.ids.length} rows, ${k} folds of ${folds.map((f) => f.length).join('/')} (balanced by label, seed ${seed})`);
  mkdirSync(options.outDir, { recursive: true });

  const predictionFiles: string[] = [];
  const foldAuc: number[] = [];
  for (let f = 0; f < k; f++) {
    const validIds = folds[f] as string[];
    const trainIds = folds.flatMap((ids, j) => (j === f ? [] : ids));
    // z-score with the training fold's statistics only (no leakage into validation)
    const stats = BREAST_CANCER_FEATURES.map((name) => {
      const xs = trainIds.map((id) => table.row(id)?.[name] as number);
      const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
      const std = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length);
      return { key: `data.${name}`, mean, std };
    });
    const staticPipeline = [
      readRows({ file: BREAST_CANCER_CSV, ...BREAST_CANCER_READ }),
      repeat({ op: zScore({ key: 'data.x', mean: 0, std: 1 }), steps: stats }),
      concat({ keys: BREAST_CANCER_FEATURES.map((name) => `data.${name}`), outKey: 'data.features' }),
    ];
    const collate = { keepKeys: ['data.sampleId', 'data.features', 'data.target'] };
    const train = dataset({ ids: trainIds, staticPipeline });
    const valid = dataset({ ids: validIds, staticPipeline });
    const validBatches = (): AsyncIterable<Sample> => batch({ size: 128, collate })(valid.stream({ shuffle: false, window: 256 }));
    const model = multiHeadModel({
      inputs: [{ key: 'data.features', shape: [BREAST_CANCER_FEATURES.length] }],
      backbone: mlp({ layers: [32, 16] }),
      heads: [classificationHead({ name: 'malignancy', numClasses: 2 })],
      seed: seed * 100 + f,
    });
    const dir = join(options.outDir, `fold-${f}`);
    const stepsPerEpoch = Math.ceil(trainIds.length / size);
    const result = await fit({
      model,
      losses: [crossEntropy({ pred: 'model.logits.malignancy', target: 'data.target' })],
      train: (at) => batch({ size, collate })(train.stream({ epoch: at.epoch, seed: at.seed, resume: at, window: 2 * size })),
      validation: validBatches,
      metrics: [auc({ pred: 'model.output.malignancy_1', target: 'data.target' })],
      metricKeys: ['model.output.malignancy', 'data.target'],
      monitor: { key: 'validation.metrics.auc', mode: 'max' },
      epochs,
      seed,
      dir,
      optimizer: { type: 'adam', weightDecay: 1e-4 },
      schedule: { type: 'cosine', lr: 3e-3, totalSteps: epochs * stepsPerEpoch, warmupSteps: stepsPerEpoch },
      clipNorm: 5,
      backend: 'current',
      progress: false,
      // the demo's own run folder (fold-<f> under its output folder): a re-run replaces that fold's run
      overwrite: true,
    });
    const best = await loadModel(join(dir, 'best.ckpt'));
    const path = join(options.outDir, `fold-${f}.arrow`);
    const written = await inferToArrow({ model: best, batches: validBatches(), path, columns: { target: 'data.target', pred: 'model.output.malignancy' } });
    best.net.dispose();
    model.net.dispose();
    predictionFiles.push(path);
    foldAuc.push(result.bestValue ?? Number.NaN);
    const last = result.history[result.history.length - 1];
    log(
      `  fold ${f + 1}/${k}: ${trainIds.length} train / ${validIds.length} validation, ${result.history.length} epochs, best epoch ${(result.bestEpoch ?? 0) + 1} AUC ${(result.bestValue ?? Number.NaN).toFixed(4)}, ${last?.train.samplesPerSecond.toFixed(0)} samples/s; ${written.rows} predictions → ${path}`,
    );
  }

  const keys = { pred: 'pred_1', target: 'target' };
  const metrics = {
    auc: bootstrapCi({ metric: auc(keys), seed }),
    accuracy: bootstrapCi({ metric: accuracy(keys), seed }),
    sensitivity_specificity: confusion(keys),
    ...reportMetrics(keys),
  };
  const sources = predictionFiles.map((p) => arrowSource(p));
  const allFolds: EvalSource = {
    name: `${predictionFiles.length} fold prediction files`,
    reReadable: true,
    async scan(batchSize, onBatch) {
      for (const s of sources) await s.scan(batchSize, onBatch);
    },
  };
  const all = await evaluate({ data: allFolds, metrics, id: 'id' });
  const shown = Object.fromEntries(Object.entries(all.metrics).filter(([k]) => !k.startsWith(REPORT_PREFIX)));
  const reportPath = join(options.outDir, 'report.html');
  await writeReport(
    reportPath,
    reportInput(all.metrics, shown, keys, {
      title: 'fuseflow: breast cancer, 5-fold cross-validated MLP',
      about: [
        `Wisconsin Diagnostic Breast Cancer (569 rows, 30 features), ${k}-fold CV balanced by label, out-of-fold predictions of each fold's best epoch`,
        'positive class: benign (1); 95% CIs by bootstrap (1000 replicates)',
      ],
      seed,
    }),
    { overwrite: true }, // the demo's own output folder: a re-run replaces its report
  );
  const seconds = (performance.now() - t0) / 1000;
  const ci = (v: unknown): string => {
    const r = v as { org: number; conf_lower: number; conf_upper: number };
    return `${r.org.toFixed(4)} [95% CI ${r.conf_lower.toFixed(4)}–${r.conf_upper.toFixed(4)}]`;
  };
  log(`out-of-fold (${all.rows} rows): AUC ${ci(all.metrics['auc'])}, accuracy ${ci(all.metrics['accuracy'])}; per fold AUC ${foldAuc.map((a) => a.toFixed(3)).join(', ')}`);
  log(`report → ${reportPath} (${seconds.toFixed(1)} s)`);
  return { predictionFiles, metrics: shown, foldAuc, reportPath, seconds };
}
