/**
 * Demo: 3D brain-mask segmentation on the KmeansTest T1 head MRI (a real volume; the mask is
 * the ITK example's skull strip, made by an algorithm, so this checks the pipeline, not medical
 * accuracy), through fuseflow's whole flow:
 *
 * 1. **Static pipeline, cached.** Load T1 and skull strip → resample to 4×4×6 mm → min-max
 *    intensity → float32 → threshold the strip into a 0/1 mask → cut into 16×16×8 patches. The
 *    outputs go to the LMDB static cache under `<outDir>/cache` (keyed by the ops' specs and the
 *    input files' digest): a second run reads them back instead of recomputing ("cache hit").
 * 2. **Dynamic pipeline on worker threads.** Random flips and a light intensity scaling, seeded
 *    per (seed, epoch, patch, op), run in a piscina pool of `threads` workers that rebuild the
 *    pipeline from its spec.
 * 3. **Training.** A small 3D U-Net with a dense segmentation head trains with `fit` on a seeded
 *    3/4 of the patches (Dice + cross-entropy), validated on the rest each epoch; best checkpoint kept.
 * 4. **Inference and evaluation.** The best checkpoint predicts the validation patches: voxel
 *    probabilities stream to an Arrow file (`inferToArrow`), and the evaluator computes the
 *    per-patch Dice and IoU (its segmentation metrics) with bootstrap CIs over patches, plus
 *    voxel-level AUC and the pooled Dice (= F1 of the voxel confusion) from the Arrow file, then
 *    writes an HTML report.
 *
 * The volume's 64 patches (≈0.5 MB) come from one cache entry and are held in memory while
 * training; the split is by patch within one head (the only volume with a mask here), so the
 * validation Dice measures fitting this head's mask, not generalization to new subjects.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Rng } from '../../core/rng.js';
import { createSample, getKey, sampleIdOf, setKeys, type Sample } from '../../core/sample.js';
import type { Tensor } from '../../core/tensor.js';
import { openSampleCache } from '../../cache/open-cache.js';
import { toTensor } from '../../ops/cast/to-tensor.js';
import { extractPatches } from '../../ops/image/extract-patches.js';
import { closeIoPool } from '../../ops/image/io/io-pool.js';
import { loadImage } from '../../ops/image/load-image.js';
import { minMaxIntensity } from '../../ops/image/min-max-intensity.js';
import { randFlip } from '../../ops/image/rand-flip.js';
import { randScaleIntensity } from '../../ops/image/rand-scale-intensity.js';
import { resample } from '../../ops/image/resample.js';
import { threshold } from '../../ops/image/threshold.js';
import { pipeline, pipelineSpec } from '../../ops/pipeline.js';
import { batch } from '../../streams/batch.js';
import { dataset } from '../../streams/dataset.js';
import { createWorkerRunner, type WorkerRunner } from '../../workers/worker-runner.js';
import { useBackend } from '../../trainer/backend.js';
import { loadModel } from '../../trainer/checkpoint.js';
import { fit } from '../../trainer/fit.js';
import { segmentationHead } from '../../trainer/heads/segmentation-head.js';
import { crossEntropy } from '../../trainer/losses/cross-entropy.js';
import { dice } from '../../trainer/losses/dice.js';
import type { DictModel } from '../../trainer/models/dict-model.js';
import { multiHeadModel } from '../../trainer/models/multi-head-model.js';
import { unet3d } from '../../trainer/models/unet3d.js';
import type { MetricResults } from '../../eval/metric.js';
import { evaluateSegmentation, pooledDice } from './evaluate-segmentation.js';

/** Default location of the volumes (test fixtures, resolved from this module for src/ and dist/). */
export const KMEANS_DIR: string = fileURLToPath(new URL('../../../test/fixtures/volumes/', import.meta.url));

const T1 = 'KmeansTest_T1UCharRaw.nii.gz';
const STRIP = 'KmeansTest_T1RawSkullStrip.nii.gz';
const VOLUME_ID = 'kmeans-t1';

/** Options of {@link runTrainVolume}. */
export interface TrainVolumeOptions {
  /** Folder for the cache, checkpoints, predictions and the report. Required. */
  readonly outDir: string;
  /** Folder holding `KmeansTest_T1UCharRaw.nii.gz` and `KmeansTest_T1RawSkullStrip.nii.gz`. Default {@link KMEANS_DIR}. */
  readonly dir?: string;
  /** Run seed (split, augmentation, initial weights, bootstrap). Default 0. */
  readonly seed?: number;
  /** Epochs. Default 20 (validation Dice ≈ 0.88). */
  readonly epochs?: number;
  /** Patches per batch. Default 8. */
  readonly batchSize?: number;
  /** Augmentation worker threads; 0 runs the dynamic pipeline in this thread. Default 2. */
  readonly threads?: number;
  /** Bootstrap replicates of the CIs. Default 1000. */
  readonly replicates?: number;
  /** Print which tfjs backend was chosen and why. Default true. */
  readonly logBackend?: boolean;
}

/** What the demo measured. */
export interface TrainVolumeSummary {
  readonly patches: { readonly train: number; readonly validation: number; readonly shape: readonly number[] };
  /** The static stage: whether the cache already held the volume's patches, its folder and the stage's seconds. */
  readonly cache: { readonly hit: boolean; readonly folder: string; readonly seconds: number };
  /**
   * Dice of the predicted brain mask over all validation voxels (best checkpoint), from the
   * evaluator (F1 of the voxel confusion at probability 0.5, i.e. argmax of two classes).
   */
  readonly dice: number;
  /** The same pooled Dice of the untrained model, for scale. */
  readonly diceBeforeTraining: number;
  /**
   * The evaluator's results shown in the report: `dice` and `iou` (per-patch mean, label 1, with
   * 95% bootstrap CIs over validation patches: `{ '1': ci, average: ci }`), `voxel_auc`, `voxel_confusion`.
   */
  readonly metrics: MetricResults;
  /** Arrow file of validation voxel predictions (id = patch id, target, pred_0, pred_1). */
  readonly predictionFile: string;
  /** The HTML report. */
  readonly reportPath: string;
  readonly epochs: number;
  readonly samplesPerSecond: number;
  readonly dataWait: number;
  readonly seconds: number;
}

/**
 * Runs the demo; `log` receives readable lines.
 * @example const s = await runTrainVolume(console.log, { outDir: 'runs/demo/volume' }); s.dice;
 * @throws {OpError} when a pipeline op fails (e.g. a volume file is missing), naming op and sample.
 */
export async function runTrainVolume(log: (line: string) => void, options: TrainVolumeOptions): Promise<TrainVolumeSummary> {
  const t0 = performance.now();
  const seed = options.seed ?? 0;
  const epochs = options.epochs ?? 20;
  const size = options.batchSize ?? 8;
  const threads = options.threads ?? 2;
  const replicates = options.replicates ?? 1000;
  const dir = options.dir ?? KMEANS_DIR;
  await useBackend(undefined, { log: options.logBackend === false ? () => undefined : log });
  mkdirSync(options.outDir, { recursive: true });

  // 1. static pipeline through the LMDB cache
  const staticPipeline = pipeline(
    [
      loadImage({ key: 'data.input.img', dir }),
      loadImage({ key: 'data.gt.mask', dir }),
      resample({ keys: ['data.input.img', 'data.gt.mask'], spacing: [4, 4, 6], interpolation: ['linear', 'nearest'] }),
      minMaxIntensity({ keys: ['data.input.img'] }),
      toTensor({ keys: 'data.input.img', dtype: 'float32' }),
      threshold({ keys: ['data.gt.mask'] }),
      extractPatches({ keys: ['data.input.img', 'data.gt.mask'], patchSize: [16, 16, 8] }),
    ],
    { name: 'static' },
  );
  // the inputs' bytes are part of the cache key, so changed files never read stale patches
  const digest = createHash('sha256');
  for (const f of [T1, STRIP]) digest.update(readFileSync(join(dir, f)));
  const cache = openSampleCache({ dir: join(options.outDir, 'cache'), pipeline: staticPipeline, salt: digest.digest('hex'), audit: false });
  const hit = cache.has(VOLUME_ID);
  const tStatic = performance.now();
  let patches: readonly Sample[];
  try {
    const volumes = dataset({ ids: [VOLUME_ID], source: (id) => setKeys(createSample(id), { 'data.input.img': T1, 'data.gt.mask': STRIP }), staticPipeline, store: cache });
    patches = await volumes.getAll(VOLUME_ID);
  } finally {
    await closeIoPool();
    await cache.close();
  }
  const staticSeconds = (performance.now() - tStatic) / 1000;
  const byId = new Map(patches.map((p) => [sampleIdOf(p), p]));
  const ids = [...byId.keys()];
  // a seeded quarter of the patches for validation (patches in grid order would put whole slabs of background aside)
  const order = Rng.fromParts(['fuseflow.demo.volume.split', seed]).permutation(ids.length);
  const isValid = new Set(Array.from(order.subarray(0, Math.round(ids.length / 4)), (i) => ids[i] as string));
  const validIds = ids.filter((id) => isValid.has(id));
  const trainIds = ids.filter((id) => !isValid.has(id));
  const shape = getKey<Tensor>(patches[0] as Sample, 'data.input.img').shape;
  log(
    `static stage (cache ${hit ? 'hit' : 'fill'}, ${(staticSeconds * 1000).toFixed(0)} ms): KmeansTest T1 + skull-strip mask → 4×4×6 mm → ${patches.length} patches of [${shape.join(',')}] (z,y,x) → ${cache.folder}`,
  );
  log(`${trainIds.length} train / ${validIds.length} validation patches; augmentation (flip, intensity scale) on ${threads === 0 ? 'this thread' : `${threads} worker threads`}`);

  // 2. dynamic pipeline on worker threads
  const collate = { keepKeys: ['data.sampleId', 'data.input.img', 'data.gt.mask'] };
  const source = (id: string): Sample => byId.get(id) as Sample;
  const augment = [randFlip({ keys: ['data.input.img', 'data.gt.mask'], prob: 0.5 }), randScaleIntensity({ keys: ['data.input.img'], prob: 0.5, factors: 0.1 })];
  const spec = pipelineSpec(dataset({ ids: trainIds, dynamicPipeline: augment }).dynamicPipeline);
  let runner: WorkerRunner | undefined;
  let model: DictModel | undefined;
  let best: DictModel | undefined;
  try {
    if (threads > 0) runner = createWorkerRunner({ pipeline: spec, threads, samplesPerTask: 4 });
    const train = dataset({ ids: trainIds, source, dynamicPipeline: augment, ...(runner === undefined ? {} : { runner }) });
    const valid = dataset({ ids: validIds, source });
    const validBatches = (): AsyncIterable<Sample> => batch({ size: 16, collate })(valid.stream({ shuffle: false, window: 32 }));

    // 3. training
    model = multiHeadModel({
      inputs: [{ key: 'data.input.img', shape: [...shape, 1] }],
      backbone: unet3d({ baseFilters: 4, levels: 3 }),
      heads: [segmentationHead({ name: 'brain', numClasses: 2 })],
      seed,
    });
    const diceBeforeTraining = await pooledDice(model, validBatches, 'model.output.brain', 'data.gt.mask');
    const stepsPerEpoch = Math.ceil(trainIds.length / size);
    const runDir = join(options.outDir, 'unet3d');
    const result = await fit({
      model,
      losses: [dice({ pred: 'model.output.brain', target: 'data.gt.mask' }), crossEntropy({ pred: 'model.logits.brain', target: 'data.gt.mask', weight: 0.5 })],
      train: (at) => batch({ size, collate })(train.stream({ epoch: at.epoch, seed: at.seed, resume: at, window: 2 * size })),
      validation: validBatches,
      epochs,
      seed,
      dir: runDir,
      // the demo's own run folder (unet3d under its output folder): a re-run replaces its run
      overwrite: true,
      schedule: { type: 'cosine', lr: 1e-2, totalSteps: epochs * stepsPerEpoch, warmupSteps: 2 },
      clipNorm: 5,
      backend: 'current',
      progress: false,
      onEpoch: (e) =>
        log(
          `  epoch ${e.epoch + 1}/${epochs}: train loss ${e.train.losses['total']?.toFixed(4)}, validation loss ${e.validation?.losses['total']?.toFixed(4)} (Dice ${e.validation?.losses['dice']?.toFixed(4)})${e.best ? ' best' : ''}, ${e.train.samplesPerSecond.toFixed(1)} patches/s, data-wait ${(e.train.dataWait * 100).toFixed(1)}%`,
        ),
    });

    // 4. inference to Arrow, evaluation with CIs, report
    best = await loadModel(join(runDir, 'best.ckpt'));
    const e = await evaluateSegmentation({
      model: best,
      batches: validBatches,
      output: 'model.output.brain',
      target: 'data.gt.mask',
      outDir: options.outDir,
      seed,
      replicates,
      title: 'fuseflow: KmeansTest brain mask, 3D U-Net on patches',
      about: [
        `KmeansTest T1 (ITK example) with its skull strip thresholded into a brain mask, 4×4×6 mm, ${ids.length} patches of 16×16×8 voxels; ${trainIds.length} train / ${validIds.length} validation patches (seeded split within one head); best epoch ${(result.bestEpoch ?? 0) + 1} of ${result.history.length}`,
      ],
    });
    const last = result.history[result.history.length - 1];
    const seconds = (performance.now() - t0) / 1000;
    const d = (e.metrics['dice'] as Record<string, { org: number; conf_lower: number; conf_upper: number }>)['1'];
    log(
      `per-patch Dice (validation, best epoch ${(result.bestEpoch ?? 0) + 1}): ${d === undefined ? 'n/a' : `${d.org.toFixed(4)} [95% CI ${d.conf_lower.toFixed(4)}–${d.conf_upper.toFixed(4)}]`}; pooled voxel Dice ${e.pooledDice.toFixed(4)} (untrained ${diceBeforeTraining.toFixed(4)}), voxel AUC ${(e.metrics['voxel_auc'] as number).toFixed(4)}`,
    );
    log(`${e.voxels} voxel predictions → ${e.predictionFile}; report → ${e.reportPath} (${seconds.toFixed(1)} s)`);
    return {
      patches: { train: trainIds.length, validation: validIds.length, shape },
      cache: { hit, folder: cache.folder, seconds: staticSeconds },
      dice: e.pooledDice,
      diceBeforeTraining,
      metrics: e.metrics,
      predictionFile: e.predictionFile,
      reportPath: e.reportPath,
      epochs: result.history.length,
      samplesPerSecond: last?.train.samplesPerSecond ?? 0,
      dataWait: last?.train.dataWait ?? 0,
      seconds,
    };
  } finally {
    best?.net.dispose();
    model?.net.dispose();
    await runner?.close();
  }
}
