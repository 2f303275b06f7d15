/**
 * Example: multimodal fusion on KNIGHT (kidney CT + clinical data → CanAT vs NoAT, task 1 of the
 * ISBI 2022 KNIGHT challenge), cross-validated, as FuseMedML's KNIGHT baseline does it.
 *
 * What it shows, end to end:
 * 1. The KNIGHT builder (`knight({ root })`): case ids, labels, the static pipeline (clinical JSON →
 *    11-feature vector, CT load → reorient → resample → HU clip/z-score → crop/pad) and the
 *    augmentation. The static output goes through the LMDB cache (`<out>/cache`; a second run reads it).
 * 2. Folds made by the builder (`balance: ['label', 'sex']`, grouped by case), kept in a fold file
 *    (`foldFile: <out>/folds.json`) that later runs reload (a changed data set is refused, naming the cases).
 * 3. Two fusion models, each cross-validated with `crossValidate` (augmentation on worker threads):
 *    - **early fusion**: a 3D ResNet whose pooled features are concatenated with the clinical vector
 *      in the classification head (FuseMedML's BackboneResnet3D + Head3D with `append_features`);
 *    - **late fusion**: the same backbone with an image classifier and a clinical classifier side by
 *      side (`lateFusionHead`), their cross-entropies weighted, the prediction their mean probability.
 * 4. Per fold and pooled out-of-fold AUC and accuracy with bootstrap CIs, an HTML report per model,
 *    and a short table.
 *
 * Run on the data (the layout of github.com/neheller/KNIGHT `knight/data/`; fuseflow never downloads it):
 *   npx tsx examples/knight-multimodal.ts /path/to/KNIGHT/knight/data [--out DIR] [--epochs N] [--folds K] [--seed S]
 * or on a synthetic replica in the same layout (24 cases with a signal in both modalities, written once to OUT/replica):
 *   npx tsx examples/knight-multimodal.ts --replica [--out DIR]
 * The defaults here are sized for a quick run (small boxes, few epochs); for a real baseline use
 * FuseMedML's sizes (`size: [256, 256, 80]`, ~150 epochs) on a GPU backend.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Sample } from '../src/core/sample.js';
import { knight } from '../src/datasets/knight/knight.js';
import { readBuildSamples } from '../src/datasets/common/build-cache.js';
import { accuracy } from '../src/eval/metrics/accuracy.js';
import { auc } from '../src/eval/metrics/auc.js';
import { pipelineSpec } from '../src/ops/pipeline.js';
import { batch } from '../src/streams/batch.js';
import { dataset } from '../src/streams/dataset.js';
import { Rng } from '../src/core/rng.js';
import { useBackend } from '../src/trainer/backend.js';
import { crossValidate, type CrossValidateResult, type FoldSplit } from '../src/trainer/cross-validate/cross-validate.js';
import type { FoldPlan } from '../src/trainer/cross-validate/fold-plan.js';
import { classificationHead } from '../src/trainer/heads/classification-head.js';
import { lateFusionHead } from '../src/trainer/heads/late-fusion-head.js';
import { crossEntropy } from '../src/trainer/losses/cross-entropy.js';
import type { Loss } from '../src/trainer/losses/loss.js';
import type { Head } from '../src/trainer/models/backbone.js';
import { multiHeadModel } from '../src/trainer/models/multi-head-model.js';
import { resnet } from '../src/trainer/models/resnet.js';
import { createWorkerRunner, type WorkerRunner } from '../src/workers/worker-runner.js';
import { REPLICA_CASES, writeKnightReplica, type ReplicaCase } from './knight-replica.js';

/** Options of {@link runKnightMultimodal}. */
export interface KnightMultimodalOptions {
  /** The KNIGHT data folder (`knight.json` + `case_XXXXX/imaging.nii.gz`). Required. */
  readonly root: string;
  /** Output folder (cache, fold file, runs, predictions, reports). Required. */
  readonly outDir: string;
  /** Voxel size in mm (x, y, z). Default [1.6, 1.6, 4]. */
  readonly spacing?: readonly [number, number, number];
  /** Box in voxels (x, y, z) after crop/pad. Default [32, 32, 8] (a quick run; FuseMedML: [256, 256, 80]). */
  readonly size?: readonly [number, number, number];
  /** Folds. Default 3. */
  readonly folds?: number;
  /** Epochs per fold. Default 8. */
  readonly epochs?: number;
  /** Batch size. Default 4. */
  readonly batchSize?: number;
  /** Seed of the split, the weights, the order and the augmentation. Default 0. */
  readonly seed?: number;
  /** Augmentation worker threads (0: this thread). Default 2. */
  readonly threads?: number;
  /** Bootstrap replicates of the CIs. Default 1000. */
  readonly replicates?: number;
}

/** One model's cross-validated result. */
export interface FusionRow {
  readonly model: 'early fusion' | 'late fusion';
  readonly cv: CrossValidateResult;
}

/** What the example measured. */
export interface KnightMultimodalSummary {
  readonly cases: number;
  readonly foldFile: string;
  /** Whether the static stage was read from the cache (a second run). */
  readonly cacheHit: boolean;
  readonly rows: readonly FusionRow[];
  /** The short table printed at the end. */
  readonly table: string;
  readonly seconds: number;
}

interface Ci {
  readonly org: number;
  readonly conf_lower: number;
  readonly conf_upper: number;
}

const ci = (v: unknown): string => {
  const r = v as Ci;
  return `${r.org.toFixed(3)} [${r.conf_lower.toFixed(3)}, ${r.conf_upper.toFixed(3)}]`;
};

/**
 * Runs the example; `log` receives readable lines.
 * @example const s = await runKnightMultimodal(console.log, { root: 'KNIGHT/knight/data', outDir: 'runs/knight' }); console.log(s.table);
 */
export async function runKnightMultimodal(log: (line: string) => void, options: KnightMultimodalOptions): Promise<KnightMultimodalSummary> {
  const t0 = performance.now();
  const seed = options.seed ?? 0;
  const k = options.folds ?? 3;
  const epochs = options.epochs ?? 8;
  const size = options.batchSize ?? 4;
  const threads = options.threads ?? 2;
  await useBackend(undefined, { log });
  mkdirSync(options.outDir, { recursive: true });

  // 1. the builder, with folds balanced on the label and on sex (a missing sex is its own value), one case per patient,
  // kept in a fold file (written on the first run, reloaded and checked against the data set on the next)
  const foldFile = join(options.outDir, 'folds.json');
  const build = knight({ root: options.root, spacing: options.spacing ?? [1.6, 1.6, 4], size: options.size ?? [32, 32, 8], folds: k, seed, balance: ['label', 'sex'], foldFile });
  const plan = build.foldPlan as FoldPlan;
  // and its static stage through the LMDB cache
  const { samples: byId, cacheHit } = await readBuildSamples(build, { dir: join(options.outDir, 'cache'), name: 'knight-static' });
  const first = byId.get(build.ids[0] as string) as Sample;
  const imgShape = [...((first['data'] as Record<string, Record<string, { shape: number[] }>>)['input']?.['img']?.shape ?? [])];
  log(
    `KNIGHT: ${build.ids.length} cases (${build.labels.filter((l) => l === 1).length} CanAT), CT → [${imgShape.join(',')}] (z,y,x) + 11 clinical features; cache ${cacheHit ? 'hit' : 'filled'}`,
  );

  // 2. the folds
  log(
    `${k} folds balanced by label and sex, grouped by case: ${build.foldSource === 'written' ? 'written to' : build.foldSource === 'given' ? 'as listed in' : 'reloaded from'} ${foldFile}`,
  );

  // 3. two fusion models, cross-validated, augmentation on worker threads
  const img = 'data.input.img';
  const clinical = { key: 'data.input.clinical.all', shape: [build.clinicalFeatures] };
  const target = build.labelKey;
  const collate = { keepKeys: ['data.sampleId', img, clinical.key, target] };
  const source = (id: string): Sample => byId.get(id) as Sample;
  const spec = pipelineSpec(dataset({ ids: build.ids, dynamicPipeline: build.dynamicPipeline }).dynamicPipeline);
  const validBatches = (split: FoldSplit): AsyncIterable<Sample> => batch({ size: 8, collate })(dataset({ ids: split.validIds, source }).stream({ shuffle: false, window: 16 }));
  const keys = { pred: 'pred_1', target: 'target' };
  const variants: { model: FusionRow['model']; dir: string; head: () => Head; losses: Loss[] }[] = [
    {
      model: 'early fusion',
      dir: 'early-fusion',
      head: () => classificationHead({ name: 'risk', numClasses: 2, layers: [16], tabular: [clinical] }),
      losses: [crossEntropy({ pred: 'model.logits.risk', target })],
    },
    {
      model: 'late fusion',
      dir: 'late-fusion',
      head: () => lateFusionHead({ name: 'risk', numClasses: 2, tabular: [clinical], tabularLayers: [16] }),
      losses: [
        crossEntropy({ pred: 'model.logits.risk_image', target, weight: 0.5 }),
        crossEntropy({ pred: 'model.logits.risk_tabular', target, weight: 0.5, name: 'ce_tabular' }),
      ],
    },
  ];
  const rows: FusionRow[] = [];
  let runner: WorkerRunner | undefined;
  try {
    if (threads > 0) runner = createWorkerRunner({ pipeline: spec, threads, samplesPerTask: 4 });
    for (const v of variants) {
      log(`== ${v.model}`);
      const cv = await crossValidate({
        folds: plan,
        outDir: join(options.outDir, v.dir),
        buildModel: ({ fold }) =>
          multiHeadModel({
            inputs: [{ key: img, shape: [...imgShape, 1] }],
            backbone: resnet({ dims: 3, filters: [4, 8], stemStride: 2 }),
            heads: [v.head()],
            seed: seed * 100 + fold,
          }),
        fit: (split) => {
          const train = dataset({ ids: split.trainIds, source, dynamicPipeline: build.dynamicPipeline, ...(runner === undefined ? {} : { runner }) });
          return {
            losses: v.losses,
            train: (at) => batch({ size, collate })(train.stream({ epoch: at.epoch, seed: at.seed, resume: at, window: 2 * size })),
            validation: () => validBatches(split),
            metrics: [auc({ pred: 'model.output.risk_1', target })],
            metricKeys: ['model.output.risk', target],
            monitor: { key: 'validation.metrics.auc', mode: 'max' },
            epochs,
            seed,
            optimizer: { type: 'adam' },
            schedule: { type: 'constant', lr: 3e-3 },
            backend: 'current',
            progress: false,
          };
        },
        predict: { batches: validBatches, columns: { target, pred: 'model.output.risk' } },
        metrics: { auc: auc(keys), accuracy: accuracy(keys) },
        ci: { seed, ...(options.replicates === undefined ? {} : { replicates: options.replicates }) },
        report: {
          keys,
          title: `fuseflow: KNIGHT ${v.model} (CT + clinical), ${k}-fold cross-validation`,
          about: [`${build.ids.length} cases, CanAT (1) vs NoAT (0); out-of-fold predictions of each fold's best epoch; 95% bootstrap CIs`],
        },
        // the example's own output folder: a re-run replaces its runs
        overwrite: true,
        onFold: (o) =>
          log(
            `  fold ${o.fold + 1}/${k}: ${o.trainIds} train / ${o.validIds} validation, best epoch ${(o.fit.bestEpoch ?? 0) + 1} AUC ${(o.fit.bestValue ?? Number.NaN).toFixed(3)}`,
          ),
      });
      rows.push({ model: v.model, cv });
    }
  } finally {
    await runner?.close();
  }

  // 4. the table
  const lines = [
    '| model | out-of-fold AUC [95% CI] | accuracy [95% CI] | AUC per fold (mean ± std) |',
    '| --- | --- | --- | --- |',
    ...rows.map((r) => {
      const f = r.cv.overFolds['auc'];
      return `| ${r.model} | ${ci(r.cv.pooled['auc'])} | ${ci(r.cv.pooled['accuracy'])} | ${f === undefined ? 'n/a' : `${f.mean.toFixed(3)} ± ${f.std.toFixed(3)}`} |`;
    }),
  ];
  const table = lines.join('\n');
  log(table);
  const seconds = (performance.now() - t0) / 1000;
  log(`reports: ${rows.map((r) => r.cv.reportPath ?? '').join(', ')} (${seconds.toFixed(1)} s)`);
  return { cases: build.ids.length, foldFile, cacheHit, rows, table, seconds };
}

/**
 * Replica cases with a signal in both modalities: CanAT cases (high or very high AUA risk, every
 * other case) have brighter CTs and larger tumours on average, with overlap, so neither modality
 * alone separates them. Every other field takes the replica's first record's values.
 * @example await writeKnightReplica(root, signalReplicaCases(24));
 */
export function signalReplicaCases(n: number, seed = 1): ReplicaCase[] {
  const rng = Rng.fromParts(['knight-multimodal-replica', seed]);
  const base = REPLICA_CASES[0] as ReplicaCase;
  return Array.from({ length: n }, (_, i) => {
    const canAT = i % 2 === 1;
    return {
      ...base,
      id: `case_${String(i).padStart(5, '0')}`,
      age: 40 + Math.round(rng.uniform() * 35),
      gender: rng.uniform() < 0.5 ? 'male' : 'female',
      size: Math.round((canAT ? 4.5 : 3) * 10 + rng.uniform() * 25) / 10,
      risk: canAT ? (i % 4 === 1 ? 'high_risk' : 'very_high_risk') : (['low_risk', 'intermediate_risk', 'benign'][i % 3] as string),
      hu: Math.round((canAT ? 150 : 60) + (rng.uniform() - 0.5) * 100),
    };
  });
}

/** The replica run's settings (its CTs are 12×10×6 voxels of 0.8×0.8×2.5 mm). */
export const REPLICA_RUN = { spacing: [1, 1, 2.5], size: [8, 8, 4], folds: 3, epochs: 6 } as const;

function flag(args: readonly string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i < 0 ? undefined : args[i + 1];
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  const replica = args.includes('--replica');
  const outDir = flag(args, '--out') ?? join(tmpdir(), 'fuseflow-knight-multimodal');
  let root = args[0];
  if (replica) {
    root = join(outDir, 'replica');
    // written once: a second run reads the same files (and the static stage from the cache)
    if (!existsSync(join(root, 'knight.json'))) await writeKnightReplica(root, signalReplicaCases(24));
  } else if (root === undefined || root.startsWith('--')) {
    console.error('usage: npx tsx examples/knight-multimodal.ts (KNIGHT_DATA_DIR | --replica) [--out DIR] [--epochs N] [--folds K] [--seed S]');
    process.exit(2);
  }
  const num = (name: string): number | undefined => {
    const v = flag(args, name);
    return v === undefined ? undefined : Number(v);
  };
  const epochs = num('--epochs');
  const folds = num('--folds');
  const seed = num('--seed');
  await runKnightMultimodal(console.log, {
    ...(replica
      ? {
          spacing: [...REPLICA_RUN.spacing] as [number, number, number],
          size: [...REPLICA_RUN.size] as [number, number, number],
          folds: REPLICA_RUN.folds,
          epochs: REPLICA_RUN.epochs,
        }
      : {}),
    root,
    outDir,
    ...(epochs === undefined ? {} : { epochs }),
    ...(folds === undefined ? {} : { folds }),
    ...(seed === undefined ? {} : { seed }),
  });
}
