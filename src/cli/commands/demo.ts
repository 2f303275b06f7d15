/**
 * `fuseflow demo` (what `npm start` runs): the end-to-end example on the in-repo data — the
 * breast-cancer table streamed into balanced batches, a cross-validated MLP on it evaluated with
 * CIs, and a 3D U-Net on the KmeansTest volume through the cache, worker augmentation, training,
 * inference to Arrow and evaluation with CIs. Writes under `--out` (default `runs/demo`): the
 * static cache, checkpoints, prediction files, one HTML report per case and `summary.json`.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { writeFileAtomic } from '../../core/safe-fs.js';
import { runTabularStream } from '../demo/tabular-stream.js';
import { runTrainTabular } from '../demo/train-tabular.js';
import { runTrainVolume } from '../demo/train-volume.js';

const HELP = `usage: fuseflow demo [--out DIR] [--seed N] [--folds N] [--tabular-epochs N] [--volume-epochs N] [--threads N] [--replicates N]

Runs fuseflow end to end on the data shipped in the repository:
  1. the Wisconsin breast-cancer table streamed as keyed samples (read rows by id, z-score,
     one-hot) into class-balanced batches;
  2. a 5-fold cross-validated MLP on it: out-of-fold predictions to Arrow, AUC and accuracy
     with bootstrap CIs, HTML report;
  3. brain-mask segmentation on the KmeansTest T1 volume: static pipeline (load, resample,
     intensity, patches) through the LMDB cache (a second run reads it back), random flips and
     intensity scaling on worker threads, a 3D U-Net trained on patches, validation voxel
     predictions to Arrow, Dice / IoU with bootstrap CIs over patches, HTML report.

options:
  --out DIR            output folder (cache, checkpoints, predictions, reports); default runs/demo
  --seed N             run seed; default 0
  --folds N            cross-validation folds of step 2; default 5
  --tabular-epochs N   epochs per fold in step 2; default 15
  --volume-epochs N    epochs of the U-Net in step 3; default 20
  --threads N          augmentation worker threads in step 3 (0: in this thread); default 2
  --replicates N       bootstrap replicates of the volume CIs; default 1000`;

interface DemoArgs {
  readonly out: string;
  readonly seed: number;
  readonly folds: number;
  readonly tabularEpochs: number;
  readonly volumeEpochs: number;
  readonly threads: number;
  readonly replicates: number;
}

const INTEGER_FLAGS = {
  '--seed': 'seed',
  '--folds': 'folds',
  '--tabular-epochs': 'tabularEpochs',
  '--volume-epochs': 'volumeEpochs',
  '--threads': 'threads',
  '--replicates': 'replicates',
} as const;
const MINIMUM: Readonly<Record<keyof typeof INTEGER_FLAGS, number>> = {
  '--seed': 0,
  '--folds': 2,
  '--tabular-epochs': 1,
  '--volume-epochs': 1,
  '--threads': 0,
  '--replicates': 10,
};

/** Parses the options; a string is the usage error. */
function parseArgs(args: readonly string[]): DemoArgs | string {
  const out: { -readonly [K in keyof DemoArgs]: DemoArgs[K] } = { out: 'runs/demo', seed: 0, folds: 5, tabularEpochs: 15, volumeEpochs: 20, threads: 2, replicates: 1000 };
  for (let i = 0; i < args.length; i += 2) {
    const flag = args[i] as string;
    const value = args[i + 1];
    if (value === undefined) return `${flag} needs a value`;
    if (flag === '--out') {
      out.out = value;
      continue;
    }
    if (!(flag in INTEGER_FLAGS)) return `unknown option '${flag}'`;
    const name = flag as keyof typeof INTEGER_FLAGS;
    const n = Number(value);
    if (!Number.isInteger(n) || n < MINIMUM[name]) return `${flag} needs an integer ≥ ${MINIMUM[name]}, got '${value}'`;
    out[INTEGER_FLAGS[name]] = n;
  }
  return out;
}

interface Ci {
  readonly org: number;
  readonly conf_lower: number;
  readonly conf_upper: number;
}

const ci = (v: unknown): string => {
  const r = v as Ci | undefined;
  return r === undefined ? 'n/a' : `${r.org.toFixed(4)} [95% CI ${r.conf_lower.toFixed(4)}–${r.conf_upper.toFixed(4)}]`;
};

export async function run(args: readonly string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    console.log(HELP);
    return 0;
  }
  const o = parseArgs(args);
  if (typeof o === 'string') {
    console.error(`fuseflow demo: ${o}\n\n${HELP}`);
    return 2;
  }
  const out = resolve(o.out);
  mkdirSync(out, { recursive: true });
  const log = (line: string): void => console.log(line);
  const t0 = performance.now();
  const seconds = (): number => (performance.now() - t0) / 1000;

  log('== 1. tabular stream: breast cancer → keyed ops → balanced batches');
  await runTabularStream(log, { seed: o.seed });
  const t1 = seconds();

  log(`\n== 2. breast cancer: ${o.folds}-fold cross-validated MLP → out-of-fold predictions (Arrow) → AUC / accuracy with bootstrap CIs → HTML report`);
  const tab = await runTrainTabular(log, { outDir: join(out, 'breast-cancer'), seed: o.seed, folds: o.folds, epochs: o.tabularEpochs });

  log('\n== 3. KmeansTest brain mask: cached static pipeline → worker augmentation → 3D U-Net → voxel predictions (Arrow) → Dice with bootstrap CIs → HTML report');
  const vol = await runTrainVolume(log, {
    outDir: join(out, 'kmeans-brain'),
    seed: o.seed,
    epochs: o.volumeEpochs,
    threads: o.threads,
    replicates: o.replicates,
    logBackend: false,
  });

  const total = seconds();
  const volDice = (vol.metrics['dice'] as Readonly<Record<string, Ci>> | undefined)?.['1'];
  const volIou = (vol.metrics['iou'] as Readonly<Record<string, Ci>> | undefined)?.['1'];
  const summary = {
    seconds: { total, tabularStream: t1, breastCancer: tab.seconds, kmeansBrain: vol.seconds },
    breastCancer: { auc: tab.metrics['auc'], accuracy: tab.metrics['accuracy'], foldAuc: tab.foldAuc, predictionFiles: tab.predictionFiles, report: tab.reportPath },
    kmeansBrain: {
      cache: vol.cache,
      patches: vol.patches,
      dicePerPatch: volDice,
      iouPerPatch: volIou,
      dicePooled: vol.dice,
      dicePooledUntrained: vol.diceBeforeTraining,
      voxelAuc: vol.metrics['voxel_auc'],
      epochs: vol.epochs,
      samplesPerSecond: vol.samplesPerSecond,
      dataWait: vol.dataWait,
      predictionFile: vol.predictionFile,
      report: vol.reportPath,
    },
  };
  const summaryPath = writeDemoSummary(out, summary);

  log('\n== summary');
  log(`breast cancer (${o.folds}-fold CV, out-of-fold, ${tab.predictionFiles.length} Arrow files):`);
  log(`  AUC       ${ci(tab.metrics['auc'])}`);
  log(`  accuracy  ${ci(tab.metrics['accuracy'])}`);
  log(`  report    ${tab.reportPath}`);
  log(`KmeansTest brain mask (${vol.patches.validation} validation patches; static cache ${vol.cache.hit ? 'hit' : 'fill'} in ${(vol.cache.seconds * 1000).toFixed(0)} ms):`);
  log(`  Dice per patch  ${ci(volDice)}`);
  log(`  IoU per patch   ${ci(volIou)}`);
  log(`  Dice pooled over voxels ${vol.dice.toFixed(4)} (untrained ${vol.diceBeforeTraining.toFixed(4)}), voxel AUC ${(vol.metrics['voxel_auc'] as number).toFixed(4)}`);
  log(`  report    ${vol.reportPath}`);
  log(`summary → ${summaryPath}`);
  log(`\ndemo finished in ${total.toFixed(1)} s (stream ${t1.toFixed(1)} s, breast cancer ${tab.seconds.toFixed(1)} s, brain mask ${vol.seconds.toFixed(1)} s)`);
  return 0;
}

/**
 * Writes `summary.json` under `out` atomically (safe-fs: a temporary named by its writer, replacing
 * the summary of an earlier demo in that folder); returns its path.
 * @throws {OutputError} naming the file.
 */
export function writeDemoSummary(out: string, summary: unknown): string {
  const summaryPath = join(out, 'summary.json');
  writeFileAtomic(summaryPath, `${JSON.stringify(summary, null, 2)}\n`, { overwrite: true });
  return summaryPath;
}
