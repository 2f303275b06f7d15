/**
 * KiTS21 end to end: the builder's static pipeline through the LMDB cache, its augmentation on
 * worker threads, a small 3D U-Net trained for a few epochs on the training folds, and the
 * held-out fold scored from label files with `fuseflow eval seg`'s machinery (Dice, IoU, HD95,
 * ASSD per label, 95% bootstrap CIs over cases).
 *
 * Without `--root` it runs on a synthetic replica written in the published layout (the real data
 * set comes from github.com/neheller/kits21 under its licence; fuseflow never downloads it):
 *
 * ```sh
 * npx tsx examples/kits21-segmentation.ts --out runs/kits21                      # replica, under a minute
 * npx tsx examples/kits21-segmentation.ts --root /data/kits21/kits21/data --out runs/kits21 --epochs 50 --spacing 2,2,3 --size 128,128,64
 * ```
 * (on the real data, give `--spacing`/`--size` an abdomen's box: the replica's default 2.5 mm
 * voxels in a 16³ box cover 40 mm, a kidney's size.)
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createImage, type Image } from '../src/core/image.js';
import { getKey, type Sample } from '../src/core/sample.js';
import type { Tensor } from '../src/core/tensor.js';
import { openBuildCache } from '../src/datasets/common/build-cache.js';
import { kits21 } from '../src/datasets/kits21/index.js';
import { evaluateLabelFiles } from '../src/eval/segmentation/evaluate-label-files.js';
import { toTensor } from '../src/ops/cast/to-tensor.js';
import { closeIoPool } from '../src/ops/image/io/io-pool.js';
import { writeImageLocal } from '../src/ops/image/io/write-image-local.js';
import { pipelineSpec } from '../src/ops/pipeline.js';
import { batch } from '../src/streams/batch.js';
import { dataset } from '../src/streams/dataset.js';
import { useBackend } from '../src/trainer/backend.js';
import { loadModel } from '../src/trainer/checkpoint.js';
import { fit } from '../src/trainer/fit.js';
import { segmentationHead } from '../src/trainer/heads/segmentation-head.js';
import { crossEntropy } from '../src/trainer/losses/cross-entropy.js';
import { dice } from '../src/trainer/losses/dice.js';
import type { DictModel } from '../src/trainer/models/dict-model.js';
import { multiHeadModel } from '../src/trainer/models/multi-head-model.js';
import { unet3d } from '../src/trainer/models/unet3d.js';
import { createWorkerRunner, type WorkerRunner } from '../src/workers/worker-runner.js';
import { kits21ReplicaCases, writeKits21Replica } from './kits21-replica.js';

/** Options of {@link kits21Example}. */
export interface Kits21ExampleOptions {
  /** Folder for the replica (when `root` is not given), cache, run, predictions. Required. */
  readonly outDir: string;
  /** The KiTS21 data folder (`kits21/data`). Default: a 12-case replica written under `outDir/replica`. */
  readonly root?: string;
  /** Voxel size (mm) and box (voxels), x, y, z. Default 2.5 mm and 16³ (the replica's extent). */
  readonly spacing?: readonly [number, number, number];
  readonly size?: readonly [number, number, number];
  /** Seed of folds, augmentation, weights and bootstrap. Default 0. */
  readonly seed?: number;
  /** Epochs. Default 12. */
  readonly epochs?: number;
  /** Augmentation worker threads (0: this thread). Default 2. */
  readonly threads?: number;
  /** Bootstrap replicates. Default 1000. */
  readonly replicates?: number;
  /** Receives readable lines. Default console.log. */
  readonly log?: (line: string) => void;
}

/** A label's mean over held-out cases with its 95% CI. */
export interface LabelScore {
  readonly org: number;
  readonly conf_lower: number;
  readonly conf_upper: number;
}

/** What {@link kits21Example} measured. */
export interface Kits21ExampleResult {
  readonly train: readonly string[];
  readonly validation: readonly string[];
  /** Dice per label name (`kidney`, `tumor`, `cyst` when present) over the held-out cases, best checkpoint. */
  readonly dice: Readonly<Record<string, LabelScore>>;
  /** The same for the untrained network (for scale). */
  readonly diceUntrained: Readonly<Record<string, LabelScore>>;
  /** Whether the cache held the static samples already. */
  readonly cacheHit: boolean;
  readonly epochs: number;
  readonly seconds: number;
}

const IMG = 'data.input.img';
const SEG = 'data.gt.seg';

/** Argmax of the `[N, z, y, x, C]` scores into one label map per case, written on the case's (static) grid. */
async function writePredictions(model: DictModel, batches: AsyncIterable<Sample>, grids: ReadonlyMap<string, Image>, dir: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  for await (const b of batches) {
    const out = await model.predict(b, { phase: 'inference' });
    const ids = getKey<readonly string[]>(out, 'data.sampleId');
    const scores = getKey<Tensor>(out, 'model.output.seg');
    const classes = scores.shape[scores.shape.length - 1] as number;
    const voxels = scores.data.length / classes / ids.length;
    for (const [n, id] of ids.entries()) {
      const grid = grids.get(id) as Image;
      const labels = new Uint8Array(voxels);
      for (let v = 0; v < voxels; v++) {
        const at = (n * voxels + v) * classes;
        let best = 0;
        for (let c = 1; c < classes; c++) if ((scores.data[at + c] as number) > (scores.data[at + best] as number)) best = c;
        labels[v] = best;
      }
      const size = [...grid.shape].reverse();
      await writeImageLocal(createImage('uint8', size, labels, { spacing: grid.spacing, origin: grid.origin, direction: grid.direction }), join(dir, `${id}.nii.gz`));
    }
  }
}

async function scoreFolder(predDir: string, truthDir: string, names: readonly string[], seed: number, replicates: number): Promise<Record<string, LabelScore>> {
  const r = await evaluateLabelFiles({ predDir, truthDir, ci: { replicates, seed } });
  const out: Record<string, LabelScore> = {};
  for (const [label, v] of Object.entries(r.metrics.dice)) {
    const name = label === 'average' ? 'average' : (names[Number(label)] ?? label);
    out[name] = v as LabelScore;
  }
  return out;
}

const fmt = (s: LabelScore | undefined): string => (s === undefined ? 'n/a' : `${s.org.toFixed(3)} [${s.conf_lower.toFixed(3)}, ${s.conf_upper.toFixed(3)}]`);

/**
 * Runs the example; see the file comment.
 * @example const r = await kits21Example({ outDir: 'runs/kits21' }); r.dice.kidney.org;
 */
export async function kits21Example(options: Kits21ExampleOptions): Promise<Kits21ExampleResult> {
  const t0 = performance.now();
  const print = options.log ?? console.log;
  const log = (line: string): void => print(`[${((performance.now() - t0) / 1000).toFixed(1).padStart(5)} s] ${line}`);
  const seed = options.seed ?? 0;
  const epochs = options.epochs ?? 12;
  const threads = options.threads ?? 2;
  const replicates = options.replicates ?? 1000;
  await useBackend(undefined, { log });
  let root = options.root;
  if (root === undefined) {
    root = join(options.outDir, 'replica', 'kits21', 'data');
    await writeKits21Replica(root, { cases: kits21ReplicaCases(12, seed) });
    log(`wrote a 12-case KiTS21 replica (synthetic pixels, published layout) to ${root}`);
  }
  const k = kits21({ root, spacing: options.spacing ?? [2.5, 2.5, 2.5], size: options.size ?? [16, 16, 16], folds: 3, seed });
  const validation = k.folds[0] ?? [];
  const train = k.folds.slice(1).flat();
  log(
    `KiTS21 at ${root}: ${k.ids.length} cases (${k.segmentationFile}), ${train.length} train / ${validation.length} held out (fold 0 of 3, grouped by case, balanced by malignancy)`,
  );

  // 1. static pipeline through the cache; the dynamic pipeline (the builder's augmentation, then tensors) on worker threads
  // (salted with kits.json's bytes: its clinical fields are in the samples)
  const { staticPipeline, cache } = openBuildCache(k, { dir: join(options.outDir, 'cache'), name: 'static' });
  const cacheHit = k.ids.every((id) => cache.has(id));
  const dynamicOps = [...k.dynamicPipeline, toTensor({ keys: [IMG], dtype: 'float32' }), toTensor({ keys: [SEG], dtype: 'int32' })];
  const spec = pipelineSpec(dataset({ ids: train, dynamicPipeline: dynamicOps }).dynamicPipeline);
  let runner: WorkerRunner | undefined;
  let model: DictModel | undefined;
  let best: DictModel | undefined;
  try {
    const held = await Promise.all(validation.map((id) => dataset({ ids: validation, staticPipeline, store: cache }).get(id)));
    log(`static stage: cache ${cacheHit ? 'hit' : 'filling'} (${cache.folder}; held-out cases read, training cases fill during the first epoch)`);
    if (threads > 0) runner = createWorkerRunner({ pipeline: spec, threads, samplesPerTask: 2 });
    const trainSet = dataset({ ids: train, staticPipeline, store: cache, dynamicPipeline: dynamicOps, ...(runner === undefined ? {} : { runner }) });
    const validSet = dataset({
      ids: validation,
      staticPipeline,
      store: cache,
      dynamicPipeline: [toTensor({ keys: [IMG], dtype: 'float32' }), toTensor({ keys: [SEG], dtype: 'int32' })],
    });
    const collate = { keepKeys: ['data.sampleId', IMG, SEG] };
    const shape = [...(getKey<Image>(held[0] as Sample, IMG).shape as number[]), 1];

    // 2. a small 3D U-Net, Dice + cross-entropy over kidney, tumor and cyst
    model = multiHeadModel({ inputs: [{ key: IMG, shape }], backbone: unet3d({ baseFilters: 8, levels: 3 }), heads: [segmentationHead({ name: 'seg', numClasses: 4 })], seed });
    const truthDir = join(options.outDir, 'truth');
    mkdirSync(truthDir, { recursive: true });
    for (const s of held) await writeImageLocal(getKey<Image>(s, SEG), join(truthDir, `${String(getKey(s, 'data.sampleId'))}.nii.gz`));
    const grids = new Map(held.map((s) => [String(getKey(s, 'data.sampleId')), getKey<Image>(s, SEG)]));
    const validBatches = (): AsyncIterable<Sample> => batch({ size: 4, collate })(validSet.stream({ shuffle: false, window: 8 }));
    await writePredictions(model, validBatches(), grids, join(options.outDir, 'untrained'));
    const diceUntrained = await scoreFolder(join(options.outDir, 'untrained'), truthDir, k.segLabels, seed, replicates);
    const size = 4;
    const runDir = join(options.outDir, 'run');
    const result = await fit({
      model,
      losses: [dice({ pred: 'model.output.seg', target: SEG }), crossEntropy({ pred: 'model.logits.seg', target: SEG })],
      train: (at) => batch({ size, collate })(trainSet.stream({ epoch: at.epoch, seed: at.seed, resume: at, window: 2 * size })),
      validation: validBatches,
      epochs,
      seed,
      dir: runDir,
      overwrite: true, // the example's own run folder
      schedule: { type: 'cosine', lr: 1e-2, totalSteps: epochs * Math.ceil(train.length / size), warmupSteps: 2 },
      clipNorm: 5,
      backend: 'current',
      progress: false,
      onEpoch: (e) =>
        log(
          `  epoch ${e.epoch + 1}/${epochs}: train loss ${e.train.losses['total']?.toFixed(4)}, validation loss ${e.validation?.losses['total']?.toFixed(4)}${e.best ? ' (best)' : ''}`,
        ),
    });

    // 3. the best checkpoint on the held-out cases, scored from label files with CIs over cases
    best = await loadModel(join(runDir, 'best.ckpt'));
    const predDir = join(options.outDir, 'predictions');
    await writePredictions(best, validBatches(), grids, predDir);
    const diceScores = await scoreFolder(predDir, truthDir, k.segLabels, seed, replicates);
    for (const name of Object.keys(diceScores)) log(`Dice ${name.padEnd(7)} ${fmt(diceScores[name])}   (untrained ${fmt(diceUntrained[name])})`);
    const seconds = (performance.now() - t0) / 1000;
    log(`predictions → ${predDir}; ${seconds.toFixed(1)} s`);
    return { train, validation, dice: diceScores, diceUntrained, cacheHit, epochs: result.history.length, seconds };
  } finally {
    best?.net.dispose();
    model?.net.dispose();
    await runner?.close();
    await cache.close();
    await closeIoPool();
  }
}

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function triple(name: string): [number, number, number] | undefined {
  const v = flag(name);
  if (v === undefined) return undefined;
  const parts = v.split(',').map(Number);
  if (parts.length !== 3 || !parts.every((x) => Number.isFinite(x) && x > 0)) throw new Error(`${name} takes three positive numbers x,y,z, got '${v}'`);
  return parts as [number, number, number];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const root = flag('--root');
  const epochs = flag('--epochs');
  const spacing = triple('--spacing');
  const size = triple('--size');
  await kits21Example({
    outDir: flag('--out') ?? 'runs/kits21',
    ...(root === undefined ? {} : { root }),
    ...(epochs === undefined ? {} : { epochs: Number(epochs) }),
    ...(spacing === undefined ? {} : { spacing }),
    ...(size === undefined ? {} : { size }),
  });
}
