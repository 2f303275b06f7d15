/**
 * The volume demo's inference and evaluation: a two-class segmentation model's validation
 * predictions streamed to an Arrow file (one row per voxel), per-patch Dice / IoU with bootstrap
 * CIs over patches through the evaluator's segmentation metrics, voxel-level AUC and confusion
 * (whose F1 is the pooled Dice) from the Arrow file, and an HTML report.
 */
import { join } from 'node:path';
import { getKey, setKey, type Sample } from '../../core/sample.js';
import type { Tensor } from '../../core/tensor.js';
import { bootstrapCi } from '../../eval/ci/bootstrap-ci.js';
import { evaluate } from '../../eval/evaluate.js';
import type { EvalBatch, MetricResults } from '../../eval/metric.js';
import { auc } from '../../eval/metrics/auc.js';
import { confusion } from '../../eval/metrics/confusion.js';
import { REPORT_PREFIX, reportInput, reportMetrics } from '../../eval/report/report-from-results.js';
import { writeReport } from '../../eval/report/render-report.js';
import { dice } from '../../eval/segmentation/dice.js';
import { iou } from '../../eval/segmentation/iou.js';
import { arrowSource } from '../../eval/sources/arrow-source.js';
import { iterableSource } from '../../eval/sources/iterable-source.js';
import { inferToArrow } from '../../trainer/infer.js';
import type { DictModel } from '../../trainer/models/dict-model.js';

/** Options of {@link evaluateSegmentation}. */
export interface EvaluateSegmentationOptions {
  /** A model writing two-class softmax scores `[N, …patch, 2]` at `output`. Required. */
  readonly model: DictModel;
  /** Fresh validation batches per call (collated; `data.sampleId` and `target` read). Required. */
  readonly batches: () => AsyncIterable<Sample>;
  /** Model output key. Required. */
  readonly output: string;
  /** Batch key of the 0/1 target label volumes `[N, …patch]`. Required. */
  readonly target: string;
  /** Folder for `validation-voxels.arrow` and `report.html`. Required. */
  readonly outDir: string;
  /** Bootstrap and ROC seed. Default 0. */
  readonly seed?: number;
  /** Bootstrap replicates of the per-patch CIs. Default 1000. */
  readonly replicates?: number;
  /** Report title and lines describing the data. */
  readonly title: string;
  readonly about: readonly string[];
}

/** What {@link evaluateSegmentation} measured and wrote. */
export interface SegmentationEvaluation {
  /**
   * `dice` and `iou` (mean over patches whose target holds label 1; `{ '1': ci, average: ci }` with
   * 95% bootstrap CIs over patches), `voxel_auc`, `voxel_confusion` (pooled voxels, no CI).
   */
  readonly metrics: MetricResults;
  /** Dice over all voxels pooled: F1 of the voxel confusion at probability 0.5 (argmax of two classes). */
  readonly pooledDice: number;
  /** Arrow file: one row per voxel (id = patch id, target, pred_0, pred_1). */
  readonly predictionFile: string;
  readonly voxels: number;
  readonly reportPath: string;
}

/**
 * Infers, evaluates and writes the report.
 * @example const e = await evaluateSegmentation({ model, batches, output: 'model.output.brain', target: 'data.gt.mask', outDir, title, about: [] });
 * @throws {MetricInputError} when no validation patch holds label 1, or predictions and targets differ in shape.
 */
export async function evaluateSegmentation(options: EvaluateSegmentationOptions): Promise<SegmentationEvaluation> {
  const { model, output, target } = options;
  const seed = options.seed ?? 0;
  const replicates = options.replicates ?? 1000;
  const predictionFile = join(options.outDir, 'validation-voxels.arrow');
  const voxelModel: DictModel = { ...model, predict: async (b, ctx) => voxelBatch(await model.predict(b, ctx), output, target) };
  const written = await inferToArrow({
    model: voxelModel,
    batches: options.batches(),
    path: predictionFile,
    columns: { id: 'voxel.patch', target: 'voxel.target', pred: 'voxel.prob' },
  });
  const segKeys = { pred: 'pred', target: 'target', labels: [1], idKey: 'id' };
  const perPatch = await evaluate({
    data: iterableSource(() => patchRows(model, options.batches(), output, target)),
    metrics: {
      dice: bootstrapCi({ metric: dice(segKeys), method: 'rows', rowKey: 'id', seed, replicates }),
      iou: bootstrapCi({ metric: iou(segKeys), method: 'rows', rowKey: 'id', seed, replicates }),
    },
  });
  const keys = { pred: 'pred_1', target: 'target' };
  const voxels = await evaluate({ data: arrowSource(predictionFile), metrics: { voxel_auc: auc(keys), voxel_confusion: confusion(keys), ...reportMetrics(keys) } });
  const metrics: MetricResults = { ...perPatch.metrics, ...Object.fromEntries(Object.entries(voxels.metrics).filter(([k]) => !k.startsWith(REPORT_PREFIX))) };
  const reportPath = join(options.outDir, 'report.html');
  const about = [
    ...options.about,
    `dice / iou: mean over validation patches containing label 1, 95% CIs by a Poisson bootstrap over patches (${replicates} replicates)`,
    `voxel_*: all ${written.rows} validation voxels pooled, without CIs and the ROC without its bootstrap band: neighbouring voxels are not independent, so a voxel bootstrap would be far too narrow; the curves below are voxel-level`,
  ];
  await writeReport(reportPath, reportInput(voxels.metrics, metrics, keys, { title: options.title, about, seed, bandReplicates: 0 }), { overwrite: true });
  return { metrics, pooledDice: (voxels.metrics['voxel_confusion'] as { f1: number }).f1, predictionFile, voxels: written.rows, reportPath };
}

/**
 * Pooled voxel Dice of `model` (F1 of the voxel confusion at 0.5) through the evaluator, without
 * writing anything (e.g. for the untrained model).
 */
export async function pooledDice(model: DictModel, batches: () => AsyncIterable<Sample>, output: string, target: string): Promise<number> {
  const r = await evaluate({ data: iterableSource(() => voxelRows(model, batches(), output, target)), metrics: { c: confusion({ pred: 'pred_1', target: 'target' }) } });
  return (r.metrics['c'] as { f1: number }).f1;
}

/** Voxel rows of a predicted batch: `voxel.patch` (patch id per voxel), `voxel.target` [V], `voxel.prob` [V, 2]. */
function voxelBatch(out: Sample, output: string, target: string): Sample {
  const ids = getKey<readonly string[]>(out, 'data.sampleId');
  const prob = getKey<Tensor>(out, output);
  const mask = getKey<Tensor>(out, target);
  const perPatch = mask.data.length / ids.length;
  const patch = Array.from({ length: mask.data.length }, (_, i) => ids[Math.floor(i / perPatch)] as string);
  return setKey(out, 'voxel', {
    patch,
    target: { dtype: 'int32', shape: [mask.data.length], data: Int32Array.from(mask.data as ArrayLike<number>) },
    prob: { dtype: 'float32', shape: [mask.data.length, 2], data: Float32Array.from(prob.data as ArrayLike<number>) },
  });
}

/** One evaluator row per patch: its id and predicted (argmax) and target label volumes. */
async function* patchRows(model: DictModel, batches: AsyncIterable<Sample>, output: string, target: string): AsyncIterable<EvalBatch> {
  for await (const b of batches) {
    const out = await model.predict(b, { phase: 'inference' });
    const ids = getKey<readonly string[]>(out, 'data.sampleId');
    const prob = getKey<Tensor>(out, output).data as ArrayLike<number>;
    const mask = getKey<Tensor>(b, target);
    const patchShape = mask.shape.slice(1);
    const n = mask.data.length / ids.length;
    const pred: Tensor[] = [];
    const truth: Tensor[] = [];
    ids.forEach((_, k) => {
      const p = new Int32Array(n);
      for (let i = 0; i < n; i++) p[i] = (prob[2 * (k * n + i) + 1] as number) > (prob[2 * (k * n + i)] as number) ? 1 : 0;
      pred.push({ dtype: 'int32', shape: patchShape, data: p });
      truth.push({ dtype: 'int32', shape: patchShape, data: Int32Array.from({ length: n }, (_, i) => mask.data[k * n + i] as number) });
    });
    yield { id: [...ids], pred, target: truth };
  }
}

/** Voxel rows (target, pred_1) of `model` on `batches`. */
async function* voxelRows(model: DictModel, batches: AsyncIterable<Sample>, output: string, target: string): AsyncIterable<EvalBatch> {
  for await (const b of batches) {
    const v = voxelBatch(await model.predict(b, { phase: 'inference' }), output, target);
    const t = getKey<Tensor>(v, 'voxel.target').data;
    const p = getKey<Tensor>(v, 'voxel.prob').data;
    const pred1 = new Float32Array(t.length);
    for (let i = 0; i < t.length; i++) pred1[i] = p[2 * i + 1] as number;
    yield { target: t, pred_1: pred1 };
  }
}
