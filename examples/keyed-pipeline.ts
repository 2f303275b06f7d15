// The README's example: a keyed pipeline over the breast-cancer table streaming into a consumer.
// Run: npx tsx examples/keyed-pipeline.ts
import { getKey, type Tensor } from '../src/core/index.js';
import { concat, oneHot, readRows, sample, set, uniform } from '../src/ops/index.js';
import { batch, dataset } from '../src/streams/index.js';

export async function keyedPipelineExample(csv = new URL('../data/breast_cancer.csv', import.meta.url).pathname): Promise<number[]> {
  const ds = dataset({
    ids: Array.from({ length: 569 }, (_, i) => String(i)), // row numbers are the sample ids
    staticPipeline: [
      readRows({ file: csv, idColumn: null, skipLines: 1, columnNames: [...Array.from({ length: 30 }, (_, i) => `f${i}`), 'label'] }),
      concat({ keys: ['data.f0', 'data.f1', 'data.f2', 'data.f3'], outKey: 'data.features' }),
      oneHot({ inKey: 'data.label', outKey: 'data.target', numClasses: 2 }),
    ],
    dynamicPipeline: [sample({ op: set({ key: 'data.jitter', value: uniform(-0.1, 0.1) }) })], // seeded per sample
  });
  const sizes: number[] = [];
  const stream = ds.stream({ epoch: 0, seed: 42, shuffle: true, window: 64 }); // ≤ 64 samples in flight
  for await (const b of batch({ size: 128 })(stream)) {
    sizes.push(getKey<Tensor>(b, 'data.features').shape[0] as number); // a trainer would step here
  }
  return sizes;
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(await keyedPipelineExample());
