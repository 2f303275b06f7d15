/**
 * Example: ISIC 2019 dermoscopy classification with image + metadata (age, sex, site), through
 * fuseflow's whole flow, as FuseMedML's ISIC example and its image + clinical variant do it.
 *
 * 1. **Builder.** `isic({ root })` reads the published layout (images folder, ground-truth and
 *    metadata CSVs): ids, 9-class labels, the metadata encodings, lesion-grouped folds.
 * 2. **Static pipeline, cached.** Load JPEG → resize → scale to [0, 1] → label and metadata
 *    vectors, into the LMDB cache under `<out>/cache` (keyed by the ops' specs, the CSVs' bytes
 *    and each image file); a second run reads it back.
 * 3. **Augmentation on worker threads.** The builder's seeded 2D augmentation (affine, flips,
 *    gamma, brightness/contrast, noise) in a piscina pool that rebuilds it from its spec.
 * 4. **Training.** A small 2D ResNet whose pooled features are concatenated with the 19
 *    metadata values in the classification head (9 classes), fold 0 held out for validation,
 *    best checkpoint by validation accuracy.
 * 5. **Evaluation.** The best checkpoint's validation predictions go to an Arrow file; the
 *    evaluator computes melanoma-vs-rest AUC and 9-class accuracy with 95% bootstrap CIs.
 *
 * Run on the data (fuseflow never downloads it; get it from challenge.isic-archive.com under its
 * CC-BY-NC licence):
 *   npx tsx examples/isic-classification.ts --root /data/isic2019 [--out DIR] [--epochs N] [--size PX]
 * Without `--root` it writes a small synthetic replica in the published layout and runs on that.
 * The defaults are sized for a quick CPU run; FuseMedML trains at 300×300 for many epochs on a GPU.
 */
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getKey, type Sample } from '../src/core/sample.js';
import type { Tensor } from '../src/core/tensor.js';
import { isic } from '../src/datasets/isic/isic.js';
import { readBuildSamples } from '../src/datasets/common/build-cache.js';
import { bootstrapCi } from '../src/eval/ci/bootstrap-ci.js';
import { evaluate } from '../src/eval/evaluate.js';
import { accuracy } from '../src/eval/metrics/accuracy.js';
import { auc } from '../src/eval/metrics/auc.js';
import { arrowSource } from '../src/eval/sources/arrow-source.js';
import { pipelineSpec } from '../src/ops/pipeline.js';
import { batch } from '../src/streams/batch.js';
import { dataset } from '../src/streams/dataset.js';
import { useBackend } from '../src/trainer/backend.js';
import { loadModel } from '../src/trainer/checkpoint.js';
import { fit } from '../src/trainer/fit.js';
import { classificationHead } from '../src/trainer/heads/classification-head.js';
import { inferToArrow } from '../src/trainer/infer.js';
import { crossEntropy } from '../src/trainer/losses/cross-entropy.js';
import type { DictModel } from '../src/trainer/models/dict-model.js';
import { multiHeadModel } from '../src/trainer/models/multi-head-model.js';
import { resnet } from '../src/trainer/models/resnet.js';
import { createWorkerRunner, type WorkerRunner } from '../src/workers/worker-runner.js';
import { syntheticIsicImages, writeIsicReplica } from './isic-replica.js';

/** Options of {@link runIsicClassification}. */
export interface IsicClassificationOptions {
  /** Output folder (replica, cache, run, predictions). Required. */
  readonly outDir: string;
  /** The ISIC 2019 folder. Default: a synthetic replica of `replicaImages` images written to `<outDir>/replica`. */
  readonly root?: string;
  /** Images in the replica when `root` is not given. Default 64. */
  readonly replicaImages?: number;
  /** Image size (width = height) in pixels. Default 32. */
  readonly size?: number;
  /** Epochs. Default 6. */
  readonly epochs?: number;
  /** Batch size. Default 8. */
  readonly batchSize?: number;
  /** Folds of the lesion-grouped split; fold 0 is held out. Default 4. */
  readonly folds?: number;
  /** Seed of the split, weights, order, augmentation and bootstrap. Default 0. */
  readonly seed?: number;
  /** Augmentation worker threads (0: this thread). Default 2. */
  readonly threads?: number;
  /** Bootstrap replicates. Default 1000. */
  readonly replicates?: number;
}

/** A CI in FuseMedML's shape. */
export interface Ci {
  readonly org: number;
  readonly conf_lower: number;
  readonly conf_upper: number;
}

/** What the example measured. */
export interface IsicClassificationSummary {
  readonly images: { readonly train: number; readonly validation: number; readonly shape: readonly number[] };
  readonly cacheHit: boolean;
  /** Melanoma (class 0) vs rest AUC on the validation fold, with its 95% CI. */
  readonly melanomaAuc: Ci;
  /** 9-class accuracy on the validation fold, with its 95% CI. */
  readonly accuracy: Ci;
  readonly bestEpoch: number;
  readonly predictionFile: string;
  readonly seconds: number;
}

const fmt = (c: Ci): string => `${c.org.toFixed(3)} [95% CI ${c.conf_lower.toFixed(3)}–${c.conf_upper.toFixed(3)}]`;

/**
 * Runs the example; `log` receives readable lines.
 * @example const s = await runIsicClassification(console.log, { outDir: 'runs/isic' }); s.melanomaAuc.org;
 * @throws {InputError} naming the file for a missing or malformed part of the layout.
 */
export async function runIsicClassification(log: (line: string) => void, options: IsicClassificationOptions): Promise<IsicClassificationSummary> {
  const t0 = performance.now();
  const seed = options.seed ?? 0;
  const px = options.size ?? 32;
  const epochs = options.epochs ?? 6;
  const size = options.batchSize ?? 8;
  const threads = options.threads ?? 2;
  const replicates = options.replicates ?? 1000;
  await useBackend(undefined, { log });
  mkdirSync(options.outDir, { recursive: true });
  let root = options.root;
  if (root === undefined) {
    root = join(options.outDir, 'replica');
    await writeIsicReplica(root, syntheticIsicImages(options.replicaImages ?? 64, seed));
    log(`no --root: wrote a synthetic ISIC 2019 replica (${options.replicaImages ?? 64} images, MEL vs NV by colour) to ${root}`);
  }

  // 1–2. the builder and its static stage through the LMDB cache
  const build = isic({ root, size: [px, px], folds: options.folds ?? 4, seed });
  const { samples: byId, cacheHit } = await readBuildSamples(build, { dir: join(options.outDir, 'cache'), name: 'isic-static' });
  const validIds = [...(build.folds[0] ?? [])];
  const held = new Set(validIds);
  const trainIds = build.ids.filter((id) => !held.has(id));
  const shape = getKey<Tensor>(byId.get(build.ids[0] as string) as Sample, 'data.input.img').shape;
  log(
    `ISIC 2019: ${build.ids.length} images → [${shape.join(',')}] + 19 metadata values; cache ${cacheHit ? 'hit' : 'filled'}; ${trainIds.length} train / ${validIds.length} validation (fold 0, grouped by lesion)`,
  );

  // 3. augmentation on worker threads
  const img = 'data.input.img';
  const clinical = 'data.input.clinical.all';
  const collate = { keepKeys: ['data.sampleId', img, clinical, 'data.label'] };
  const source = (id: string): Sample => byId.get(id) as Sample;
  const spec = pipelineSpec(dataset({ ids: trainIds, dynamicPipeline: build.dynamicPipeline }).dynamicPipeline);
  const classes = build.classNames.map((_, k) => k);
  let runner: WorkerRunner | undefined;
  let model: DictModel | undefined;
  let best: DictModel | undefined;
  try {
    if (threads > 0) runner = createWorkerRunner({ pipeline: spec, threads, samplesPerTask: 4 });
    const train = dataset({ ids: trainIds, source, dynamicPipeline: build.dynamicPipeline, ...(runner === undefined ? {} : { runner }) });
    const valid = dataset({ ids: validIds, source });
    const validBatches = (): AsyncIterable<Sample> => batch({ size: 16, collate })(valid.stream({ shuffle: false, window: 32 }));

    // 4. training: image features + metadata in one head
    model = multiHeadModel({
      inputs: [{ key: img, shape: [...shape] }],
      backbone: resnet({ dims: 2, filters: [8, 16], stemStride: 1 }),
      heads: [classificationHead({ name: 'diagnosis', numClasses: classes.length, layers: [16], tabular: [{ key: clinical, shape: [build.clinicalFeatures] }] })],
      seed,
    });
    const runDir = join(options.outDir, 'run');
    const result = await fit({
      model,
      losses: [crossEntropy({ pred: 'model.logits.diagnosis', target: 'data.label' })],
      train: (at) => batch({ size, collate })(train.stream({ epoch: at.epoch, seed: at.seed, resume: at, window: 2 * size })),
      validation: validBatches,
      metrics: [accuracy({ preds: classes.map((k) => `model.output.diagnosis_${k}`), target: 'data.label', classNames: classes })],
      metricKeys: ['model.output.diagnosis', 'data.label'],
      monitor: { key: 'validation.metrics.accuracy', mode: 'max' },
      epochs,
      seed,
      dir: runDir,
      // the example's own run folder: a re-run replaces its run
      overwrite: true,
      optimizer: { type: 'adam' },
      schedule: { type: 'constant', lr: 3e-3 },
      backend: 'current',
      progress: false,
      onEpoch: (e) =>
        log(
          `  epoch ${e.epoch + 1}/${epochs}: train loss ${e.train.losses['total']?.toFixed(4)}, validation accuracy ${(e.validation?.metrics['accuracy'] as number).toFixed(3)}${e.best ? ' best' : ''}, ${e.train.samplesPerSecond.toFixed(1)} images/s, data-wait ${(e.train.dataWait * 100).toFixed(1)}%`,
        ),
    });

    // 5. predictions to Arrow, metrics with bootstrap CIs
    best = await loadModel(join(runDir, 'best.ckpt'));
    const predictionFile = join(options.outDir, 'validation-predictions.arrow');
    await inferToArrow({ model: best, batches: validBatches(), path: predictionFile, columns: { id: 'data.sampleId', target: 'data.label', pred: 'model.output.diagnosis' } });
    const preds = classes.map((k) => `pred_${k}`);
    const e = await evaluate({
      data: arrowSource(predictionFile),
      metrics: {
        melanoma_auc: bootstrapCi({ metric: auc({ pred: 'pred_0', target: 'target', positive: 0, classNames: classes }), seed, replicates }),
        accuracy: bootstrapCi({ metric: accuracy({ preds, target: 'target', classNames: classes }), seed, replicates }),
      },
    });
    const melanomaAuc = e.metrics['melanoma_auc'] as Ci;
    const acc = e.metrics['accuracy'] as Ci;
    const seconds = (performance.now() - t0) / 1000;
    log(
      `validation (best epoch ${(result.bestEpoch ?? 0) + 1}): melanoma-vs-rest AUC ${fmt(melanomaAuc)}, accuracy ${fmt(acc)}; predictions → ${predictionFile} (${seconds.toFixed(1)} s)`,
    );
    return {
      images: { train: trainIds.length, validation: validIds.length, shape },
      cacheHit,
      melanomaAuc,
      accuracy: acc,
      bestEpoch: result.bestEpoch ?? 0,
      predictionFile,
      seconds,
    };
  } finally {
    best?.net.dispose();
    model?.net.dispose();
    await runner?.close();
  }
}

function flag(args: readonly string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i < 0 ? undefined : args[i + 1];
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  const num = (name: string): number | undefined => (flag(args, name) === undefined ? undefined : Number(flag(args, name)));
  const root = flag(args, '--root');
  const epochs = num('--epochs');
  const px = num('--size');
  await runIsicClassification(console.log, {
    outDir: flag(args, '--out') ?? join(tmpdir(), 'fuseflow-isic-classification'),
    ...(root === undefined ? {} : { root }),
    ...(epochs === undefined ? {} : { epochs }),
    ...(px === undefined ? {} : { size: px }),
  });
}
