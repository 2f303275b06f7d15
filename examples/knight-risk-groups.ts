/**
 * Example: KNIGHT task 2 (five AUA risk groups: benign, low, intermediate, high, very high) from
 * kidney CT + clinical data, ending in the challenge's submission files and its evaluation.
 *
 * 1. **Builder.** `knight({ root, task: 2 })` reads `knight.json` and the case folders: ids, both
 *    tasks' labels, the static pipeline (clinical JSON → 11 features; CT → RAS → resample →
 *    HU clip/z-score → crop/pad), the augmentation and folds balanced by risk group.
 * 2. **Static pipeline, cached** in LMDB under `<out>/cache` (keyed by the ops' specs, the JSON's
 *    bytes and each CT file); a second run reads it back.
 * 3. **Augmentation on worker threads** (3D rotation, in-plane affine and flip, noise; seeded).
 * 4. **Training.** A small 3D ResNet whose pooled features are concatenated with the clinical
 *    vector in a 5-class head (FuseMedML's KNIGHT baseline, task 2); fold 0 held out; best
 *    checkpoint by validation accuracy.
 * 5. **Submission files and evaluation.** The best checkpoint's validation predictions are written
 *    in the challenge's formats: `validation_task2_predictions.csv`
 *    (case_id,B-score,LR-score,IR-score,HR-score,VHR-score), `validation_task1_predictions.csv`
 *    (NoAT-score = B + LR + IR, CanAT-score = HR + VHR) and `validation_targets.csv`
 *    (case_id,Task1-target,Task2-target). The evaluator joins them by case id, as the challenge's
 *    `eval.py` does, and gives task 1 AUC and task 2 macro one-vs-rest AUC with 95% bootstrap CIs
 *    stratified by the target (FuseMedML's resampling), and task 2 accuracy.
 *
 * Run on the data (github.com/neheller/KNIGHT `knight/data/` after `knight/scripts/get_imaging.py`;
 * fuseflow never downloads it):
 *   npx tsx examples/knight-risk-groups.ts --root /data/KNIGHT/knight/data [--out DIR] [--epochs N] [--size 64,64,16] [--spacing 3.2,3.2,10]
 * Without `--root` it writes a small synthetic replica in the published layout and runs on that.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tableFromIPC } from 'apache-arrow';
import { writeFileAtomic } from '../src/core/safe-fs.js';
import { getKey, type Sample } from '../src/core/sample.js';
import type { Tensor } from '../src/core/tensor.js';
import { knight } from '../src/datasets/knight/knight.js';
import { readBuildSamples } from '../src/datasets/common/build-cache.js';
import { bootstrapCi } from '../src/eval/ci/bootstrap-ci.js';
import { evaluate } from '../src/eval/evaluate.js';
import { accuracy } from '../src/eval/metrics/accuracy.js';
import { auc } from '../src/eval/metrics/auc.js';
import { oneVsRest } from '../src/eval/metrics/one-vs-rest.js';
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
import { syntheticKnightCases, writeKnightReplica } from './knight-replica.js';

/** Options of {@link runKnightRiskGroups}. */
export interface KnightRiskGroupsOptions {
  /** Output folder (replica, cache, run, predictions, submission files). Required. */
  readonly outDir: string;
  /** The KNIGHT data folder. Default: a synthetic replica of `replicaCases` cases in `<outDir>/replica`. */
  readonly root?: string;
  /** Cases in the replica when `root` is not given. Default 40. */
  readonly replicaCases?: number;
  /** Voxel size in mm (x, y, z). Default [1.6, 1.6, 5] (the replica's CTs become 6×5×3 voxels). */
  readonly spacing?: readonly [number, number, number];
  /** Box in voxels (x, y, z). Default [8, 8, 4] (FuseMedML's baseline: [256, 256, 80]). */
  readonly size?: readonly [number, number, number];
  /** Epochs. Default 15. */
  readonly epochs?: number;
  /** Batch size. Default 4. */
  readonly batchSize?: number;
  /** Folds; fold 0 is held out. Default 4. */
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
export interface KnightRiskGroupsSummary {
  readonly cases: { readonly train: number; readonly validation: number; readonly shape: readonly number[] };
  readonly cacheHit: boolean;
  /** Task 1 (CanAT vs NoAT) AUC from the summed task 2 scores. */
  readonly task1Auc: Ci;
  /** Task 2 macro one-vs-rest AUC over the risk groups present in the validation fold. */
  readonly task2MacroAuc: Ci;
  /** Task 2 accuracy (argmax). */
  readonly task2Accuracy: Ci;
  /** The submission-format files. */
  readonly files: { readonly task1: string; readonly task2: string; readonly targets: string };
  readonly seconds: number;
}

const GROUPS = ['B', 'LR', 'IR', 'HR', 'VHR'] as const;
const fmt = (c: Ci): string => `${c.org.toFixed(3)} [95% CI ${c.conf_lower.toFixed(3)}–${c.conf_upper.toFixed(3)}]`;
const csvNumber = (x: number): string => x.toPrecision(6);

/**
 * Runs the example; `log` receives readable lines.
 * @example const s = await runKnightRiskGroups(console.log, { outDir: 'runs/knight-task2' }); s.task2MacroAuc.org;
 * @throws {InputError} naming the file, case and key for a missing or malformed part of the layout.
 */
export async function runKnightRiskGroups(log: (line: string) => void, options: KnightRiskGroupsOptions): Promise<KnightRiskGroupsSummary> {
  const t0 = performance.now();
  const seed = options.seed ?? 0;
  const epochs = options.epochs ?? 15;
  const size = options.batchSize ?? 4;
  const threads = options.threads ?? 2;
  const replicates = options.replicates ?? 1000;
  await useBackend(undefined, { log });
  mkdirSync(options.outDir, { recursive: true });
  let root = options.root;
  if (root === undefined) {
    root = join(options.outDir, 'replica');
    const n = options.replicaCases ?? 40;
    await writeKnightReplica(root, syntheticKnightCases(n, seed));
    log(`no --root: wrote a synthetic KNIGHT replica (${n} cases, HU and tumour size rising with the risk group) to ${root}`);
  }

  // 1–2. builder, static stage through the LMDB cache
  const build = knight({ root, task: 2, spacing: options.spacing ?? [1.6, 1.6, 5], size: options.size ?? [8, 8, 4], folds: options.folds ?? 4, seed });
  const { samples: byId, cacheHit } = await readBuildSamples(build, { dir: join(options.outDir, 'cache'), name: 'knight-static' });
  const validIds = [...(build.folds[0] ?? [])];
  const held = new Set(validIds);
  const trainIds = build.ids.filter((id) => !held.has(id));
  const shape = getKey<Tensor>(byId.get(build.ids[0] as string) as Sample, 'data.input.img').shape;
  log(
    `KNIGHT task 2: ${build.ids.length} cases, CT → [${shape.join(',')}] (z,y,x) + 11 clinical features; cache ${cacheHit ? 'hit' : 'filled'}; ${trainIds.length} train / ${validIds.length} validation (fold 0)`,
  );

  // 3. augmentation on worker threads
  const img = 'data.input.img';
  const clinical = 'data.input.clinical.all';
  const target = build.labelKey;
  const collate = { keepKeys: ['data.sampleId', img, clinical, target, 'data.gt.gt_global.task_1_label'] };
  const source = (id: string): Sample => byId.get(id) as Sample;
  const spec = pipelineSpec(dataset({ ids: trainIds, dynamicPipeline: build.dynamicPipeline }).dynamicPipeline);
  const classes = GROUPS.map((_, k) => k);
  let runner: WorkerRunner | undefined;
  let model: DictModel | undefined;
  let best: DictModel | undefined;
  try {
    if (threads > 0) runner = createWorkerRunner({ pipeline: spec, threads, samplesPerTask: 4 });
    const train = dataset({ ids: trainIds, source, dynamicPipeline: build.dynamicPipeline, ...(runner === undefined ? {} : { runner }) });
    const valid = dataset({ ids: validIds, source });
    const validBatches = (): AsyncIterable<Sample> => batch({ size: 8, collate })(valid.stream({ shuffle: false, window: 16 }));

    // 4. training: CT features + clinical vector in one 5-class head
    model = multiHeadModel({
      inputs: [{ key: img, shape: [...shape, 1] }],
      backbone: resnet({ dims: 3, filters: [4, 8], stemStride: 1 }),
      heads: [classificationHead({ name: 'risk', numClasses: 5, layers: [16], tabular: [{ key: clinical, shape: [build.clinicalFeatures] }] })],
      seed,
    });
    const runDir = join(options.outDir, 'run');
    const result = await fit({
      model,
      losses: [crossEntropy({ pred: 'model.logits.risk', target })],
      train: (at) => batch({ size, collate })(train.stream({ epoch: at.epoch, seed: at.seed, resume: at, window: 2 * size })),
      validation: validBatches,
      metrics: [accuracy({ preds: classes.map((k) => `model.output.risk_${k}`), target, classNames: classes })],
      metricKeys: ['model.output.risk', target],
      monitor: { key: 'validation.metrics.accuracy', mode: 'max' },
      epochs,
      seed,
      dir: runDir,
      // the example's own run folder: a re-run replaces its run
      overwrite: true,
      optimizer: { type: 'adam' },
      schedule: { type: 'constant', lr: 1e-2 },
      backend: 'current',
      progress: false,
      onEpoch: (e) =>
        log(
          `  epoch ${e.epoch + 1}/${epochs}: train loss ${e.train.losses['total']?.toFixed(4)}, validation accuracy ${(e.validation?.metrics['accuracy'] as number).toFixed(3)}${e.best ? ' best' : ''}, ${e.train.samplesPerSecond.toFixed(1)} cases/s, data-wait ${(e.train.dataWait * 100).toFixed(1)}%`,
        ),
    });

    // 5. predictions → the challenge's submission files → evaluation joined by case id
    best = await loadModel(join(runDir, 'best.ckpt'));
    const arrow = join(options.outDir, 'validation-predictions.arrow');
    await inferToArrow({
      model: best,
      batches: validBatches(),
      path: arrow,
      columns: { id: 'data.sampleId', target, task1: 'data.gt.gt_global.task_1_label', pred: 'model.output.risk' },
    });
    const files = writeSubmission(arrow, options.outDir);
    const stratified = (metric: Parameters<typeof bootstrapCi>[0]['metric'], stratum: string): ReturnType<typeof bootstrapCi> =>
      bootstrapCi({ metric, method: 'fusemedml', stratum, seed, replicates });
    const e = await evaluate({
      data: { task1_pred: files.task1, task2_pred: files.task2, target: files.targets },
      id: 'case_id',
      metrics: {
        task1_auc: stratified(auc({ pred: 'task1_pred.CanAT-score', target: 'target.Task1-target' }), 'target.Task1-target'),
        task2_auc: stratified(
          oneVsRest({ preds: GROUPS.map((g) => `task2_pred.${g}-score`), target: 'target.Task2-target', classNames: classes, metric: auc, onClassError: 'nan' }),
          'target.Task2-target',
        ),
        task2_accuracy: stratified(accuracy({ preds: GROUPS.map((g) => `task2_pred.${g}-score`), target: 'target.Task2-target', classNames: classes }), 'target.Task2-target'),
      },
    });
    const task1Auc = e.metrics['task1_auc'] as Ci;
    const task2MacroAuc = (e.metrics['task2_auc'] as Record<string, Ci>)['macro_avg'] as Ci;
    const task2Accuracy = e.metrics['task2_accuracy'] as Ci;
    const seconds = (performance.now() - t0) / 1000;
    log(
      `validation (best epoch ${(result.bestEpoch ?? 0) + 1}): task 1 AUC ${fmt(task1Auc)}; task 2 macro AUC ${fmt(task2MacroAuc)}, accuracy ${fmt(task2Accuracy)}; submission files ${files.task1}, ${files.task2} (${seconds.toFixed(1)} s)`,
    );
    return { cases: { train: trainIds.length, validation: validIds.length, shape }, cacheHit, task1Auc, task2MacroAuc, task2Accuracy, files, seconds };
  } finally {
    best?.net.dispose();
    model?.net.dispose();
    await runner?.close();
  }
}

/** Writes the challenge's three CSVs from the prediction Arrow file (case ids as `00012`, as the challenge's files). */
function writeSubmission(arrow: string, outDir: string): { task1: string; task2: string; targets: string } {
  const t = tableFromIPC(readFileSync(arrow));
  const column = (name: string): unknown[] => Array.from(t.getChild(name)?.toArray() as ArrayLike<unknown>);
  const ids = column('id').map((id) => String(id).replace(/^case_/, ''));
  const scores = GROUPS.map((_, k) => column(`pred_${k}`) as number[]);
  const at = (k: number, r: number): number => scores[k]?.[r] as number;
  const task2 = ids.map((id, r) => [id, ...GROUPS.map((_, k) => csvNumber(at(k, r)))].join(','));
  const task1 = ids.map((id, r) => [id, csvNumber(at(0, r) + at(1, r) + at(2, r)), csvNumber(at(3, r) + at(4, r))].join(','));
  const targets = ids.map((id, r) => [id, String(column('task1')[r]), String(column('target')[r])].join(','));
  const files = {
    task1: join(outDir, 'validation_task1_predictions.csv'),
    task2: join(outDir, 'validation_task2_predictions.csv'),
    targets: join(outDir, 'validation_targets.csv'),
  };
  // the example's own output files: a re-run replaces them
  writeFileAtomic(files.task1, `case_id,NoAT-score,CanAT-score\n${task1.join('\n')}\n`, { overwrite: true });
  writeFileAtomic(files.task2, `case_id,${GROUPS.map((g) => `${g}-score`).join(',')}\n${task2.join('\n')}\n`, { overwrite: true });
  writeFileAtomic(files.targets, `case_id,Task1-target,Task2-target\n${targets.join('\n')}\n`, { overwrite: true });
  return files;
}

function flag(args: readonly string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i < 0 ? undefined : args[i + 1];
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  const triple = (name: string): [number, number, number] | undefined => {
    const v = flag(args, name);
    return v === undefined ? undefined : (v.split(',').map(Number) as [number, number, number]);
  };
  const root = flag(args, '--root');
  const epochs = flag(args, '--epochs');
  const boxSize = triple('--size');
  const spacing = triple('--spacing');
  await runKnightRiskGroups(console.log, {
    outDir: flag(args, '--out') ?? join(tmpdir(), 'fuseflow-knight-risk-groups'),
    ...(root === undefined ? {} : { root }),
    ...(epochs === undefined ? {} : { epochs: Number(epochs) }),
    ...(boxSize === undefined ? {} : { size: boxSize }),
    ...(spacing === undefined ? {} : { spacing }),
  });
}
