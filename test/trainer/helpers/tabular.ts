/** Test helpers: the breast-cancer fixture as a dataset and batch streams, a small MLP. */
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { createSample, setKeys, type Sample } from '../../../src/core/sample.js';
import { tensor } from '../../../src/core/tensor.js';
import { batch } from '../../../src/streams/batch.js';
import { dataset } from '../../../src/streams/dataset.js';
import type { StreamPosition } from '../../../src/trainer/fit.js';
import { classificationHead } from '../../../src/trainer/heads/classification-head.js';
import { mlp } from '../../../src/trainer/models/mlp.js';
import { multiHeadModel } from '../../../src/trainer/models/multi-head-model.js';

export const CSV = fileURLToPath(new URL('../../fixtures/tabular/breast_cancer.csv', import.meta.url));

/** The fixture as samples: `data.features` (float32 [30], z-scored), `data.label` (0 malignant, 1 benign); ids `bc-<row>`. */
function readTable(path: string): { ids: string[]; labels: number[]; samples: Map<string, Sample> } {
  const lines = readFileSync(path, 'utf8').trim().split('\n').slice(1);
  const rows = lines.map((l) => l.split(',').map(Number));
  const cols = 30;
  const mean = Array.from({ length: cols }, (_, j) => rows.reduce((a, r) => a + r[j]!, 0) / rows.length);
  const sd = Array.from({ length: cols }, (_, j) => Math.sqrt(rows.reduce((a, r) => a + (r[j]! - mean[j]!) ** 2, 0) / rows.length));
  const ids: string[] = [];
  const labels: number[] = [];
  const samples = new Map<string, Sample>();
  rows.forEach((r, i) => {
    const id = `bc-${i}`;
    const f = Float32Array.from({ length: cols }, (_, j) => (r[j]! - mean[j]!) / sd[j]!);
    ids.push(id);
    labels.push(r[cols]!);
    samples.set(id, setKeys(createSample(id), { 'data.features': tensor('float32', [cols], f), 'data.label': r[cols]! }));
  });
  return { ids, labels, samples };
}

export const table = readTable(CSV);

/** Training batches of the first `n` ids, shuffled per epoch by the stream's seeded order, resumable. */
export function trainBatches(n: number, size: number): (at: StreamPosition) => AsyncIterable<Sample> {
  const ds = dataset({ ids: table.ids.slice(0, n), source: (id) => table.samples.get(id) as Sample });
  return (at) => batch({ size })(ds.stream({ epoch: at.epoch, seed: at.seed, window: 2 * size, resume: at }));
}

/** Validation batches (in order) of ids [from, to). */
export function validationBatches(from: number, to: number, size: number): () => AsyncIterable<Sample> {
  const ds = dataset({ ids: table.ids.slice(from, to), source: (id) => table.samples.get(id) as Sample });
  return () => batch({ size })(ds.stream({ shuffle: false, window: 2 * size }));
}

export function tabularModel(seed = 1, batchNorm = false, dropout = 0) {
  return multiHeadModel({
    inputs: [{ key: 'data.features', shape: [30] }],
    backbone: mlp({ layers: [16], batchNorm }),
    heads: [classificationHead({ name: 'cls', numClasses: 2, dropout })],
    seed,
  });
}
