/**
 * Demo step 1: the breast-cancer table as a keyed stream — rows read by id, features z-scored
 * with statistics from the table, the label one-hot encoded, class-balanced batches — and a
 * printed summary of what came out.
 */
import { getKey, type Sample } from '../../core/sample.js';
import type { Tensor } from '../../core/tensor.js';
import { concat } from '../../ops/keys/concat.js';
import { oneHot } from '../../ops/keys/one-hot.js';
import { zScore } from '../../ops/keys/z-score.js';
import { repeat } from '../../ops/meta/repeat.js';
import { readRows } from '../../ops/tabular/read-rows.js';
import { balancedBatchSampler } from '../../streams/balanced-batch-sampler.js';
import { balancedBatches } from '../../streams/balanced-batches.js';
import { dataset } from '../../streams/dataset.js';
import { BREAST_CANCER_CSV, BREAST_CANCER_FEATURES, BREAST_CANCER_READ, loadBreastCancer } from './breast-cancer.js';

/** What the tabular stream produced. */
export interface TabularStreamSummary {
  readonly rows: number;
  readonly batches: number;
  readonly batchSize: number;
  /** Samples per class over the epoch, by label. */
  readonly classCounts: Readonly<Record<string, number>>;
  /** Mean and std of the z-scored features over every sample streamed (≈ 0 and ≈ 1). */
  readonly featureMean: number;
  readonly featureStd: number;
  readonly samplesPerSecond: number;
}

/** Runs the stream for one epoch and returns its summary; `log` receives readable lines. */
export async function runTabularStream(log: (line: string) => void, options: { seed?: number; batchSize?: number } = {}): Promise<TabularStreamSummary> {
  const table = loadBreastCancer();
  const stats = BREAST_CANCER_FEATURES.map((f) => {
    const xs = table.ids.map((id) => table.row(id)?.[f] as number);
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    const std = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length);
    return { key: `data.${f}`, mean, std };
  });
  const ds = dataset({
    ids: table.ids,
    staticPipeline: [
      readRows({ file: BREAST_CANCER_CSV, ...BREAST_CANCER_READ }),
      repeat({ op: zScore({ key: 'data.x', mean: 0, std: 1 }), steps: stats }),
      concat({ keys: BREAST_CANCER_FEATURES.map((f) => `data.${f}`), outKey: 'data.features' }),
      oneHot({ inKey: 'data.target', outKey: 'data.targetOneHot', numClasses: 2 }),
    ],
  });
  const labels = table.ids.map((id) => table.row(id)?.['target'] as number);
  const batchSize = options.batchSize ?? 32;
  const sampler = balancedBatchSampler({ ids: table.ids, labels, batchSize, seed: options.seed ?? 0 });
  log(`breast cancer table: ${table.ids.length} rows × ${BREAST_CANCER_FEATURES.length} features (${BREAST_CANCER_CSV})`);
  log(`pipeline: readRows → zScore ×${stats.length} → concat → oneHot; balanced batches of ${batchSize}, ${sampler.numBatches} per epoch`);

  const classCounts: Record<string, number> = {};
  let batches = 0;
  let n = 0;
  let sum = 0;
  let sq = 0;
  const t0 = performance.now();
  for await (const b of balancedBatches(ds, {
    sampler,
    epoch: 0,
    seed: options.seed ?? 0,
    collate: { keepKeys: ['data.sampleId', 'data.features', 'data.target', 'data.targetOneHot'] },
  })) {
    batches++;
    const target = getKey<Tensor>(b, 'data.target');
    for (const y of target.data) classCounts[String(y)] = (classCounts[String(y)] ?? 0) + 1;
    const features = getKey<Tensor>(b, 'data.features');
    for (const x of features.data) {
      sum += x;
      sq += x * x;
      n++;
    }
    if (batches <= 2) log(`  batch ${batches}: ${describeBatch(b)}`);
  }
  const seconds = (performance.now() - t0) / 1000;
  const featureMean = sum / n;
  const featureStd = Math.sqrt(sq / n - featureMean ** 2);
  const samples = n / BREAST_CANCER_FEATURES.length;
  log(
    `  … ${batches} batches, ${samples} samples; per class ${Object.entries(classCounts)
      .map(([k, v]) => `${k === '0' ? 'malignant' : 'benign'}=${v}`)
      .join(', ')}`,
  );
  log(`  z-scored features over the epoch: mean ${featureMean.toFixed(3)}, std ${featureStd.toFixed(3)}; ${(samples / seconds).toFixed(0)} samples/s`);
  return { rows: table.ids.length, batches, batchSize, classCounts, featureMean, featureStd, samplesPerSecond: samples / seconds };
}

function describeBatch(b: Sample): string {
  const f = getKey<Tensor>(b, 'data.features');
  const y = getKey<Tensor>(b, 'data.target');
  const ones = [...y.data].filter((v) => v === 1).length;
  return `features ${f.dtype}[${f.shape.join(',')}], target ${y.dtype}[${y.shape.join(',')}] (${y.data.length - ones} malignant / ${ones} benign), ids ${getKey<string[]>(b, 'data.sampleId').slice(0, 3).join(',')}…`;
}
