/**
 * Image op micro-benchmarks on the MNI ch2 template (181×217×181, 1 mm) and the AAL atlas label
 * map from ../shared/data/volumes (a synthetic volume of the same size when they are absent):
 * trilinear resampling to 1.5 mm (bar from issue 3: < 300 ms) against the general per-voxel
 * sampler on the same map, nearest resampling of the label map, reorientation, and the random
 * augmentations at full size. Files are read once, before timing.
 */
import { existsSync } from 'node:fs';
import { createImage, type Image } from '../src/core/image.js';
import { createSample, type Sample } from '../src/core/sample.js';
import { pipeline, runPipeline } from '../src/ops/pipeline.js';
import type { Op } from '../src/ops/op.js';
import { readImageLocal } from '../src/ops/image/io/read-image-local.js';
import { gridOf } from '../src/ops/image/internal/image-access.js';
import { mapBetween, sampleImage } from '../src/ops/image/internal/sampler.js';
import { randAffine, randElastic, randGaussianBlur, randGaussianNoise, reorient, resample, resampledGrid, zScoreIntensity } from '../src/ops/image/index.js';
import { median, report, timeRuns } from './lib/report.js';

const volumes = new URL('../../shared/data/volumes/', import.meta.url).pathname;

async function load(): Promise<{ img: Image; seg: Image; source: string }> {
  if (existsSync(`${volumes}ch2.nii.gz`) && existsSync(`${volumes}aal.nii.gz`)) {
    return { img: await readImageLocal(`${volumes}ch2.nii.gz`), seg: await readImageLocal(`${volumes}aal.nii.gz`), source: 'ch2.nii.gz + aal.nii.gz' };
  }
  const size = [181, 217, 181] as const;
  const n = size[0] * size[1] * size[2];
  const values = new Int16Array(n).map((_, i) => (i * 2654435761) % 4096);
  const labels = new Uint8Array(n).map((_, i) => (i >> 12) % 7);
  return { img: createImage('int16', size, values), seg: createImage('uint8', size, labels), source: 'synthetic 181x217x181' };
}

/** The (x, y, z) size of a 3D grid; throws when the grid has another number of axes. */
function size3Of(size: readonly number[]): readonly [number, number, number] {
  const [x, y, z] = size;
  if (size.length !== 3 || x === undefined || y === undefined || z === undefined) throw new Error(`expected a 3D grid, got size [${size.join(', ')}]`);
  return [x, y, z];
}

const { img, seg, source } = await load();
const sample: Sample = { ...createSample('ch2'), img, seg };
const time = async (ops: Op<object>[], repeats: number): Promise<number> => {
  const p = pipeline(ops);
  return median(await timeRuns(repeats, () => runPipeline(p, sample, { seed: 0, epoch: 0 })));
};

const tLinear = await time([resample({ keys: ['img'], spacing: 1.5 })], 9);
const tNearest = await time([resample({ keys: ['seg'], spacing: 1.5, interpolation: 'nearest' })], 9);
// Baseline: the same map through the general per-voxel path (forced by a zero displacement field).
const grid = resampledGrid(img, { spacing: 1.5 });
const out3 = size3Of(grid.size);
const zero = new Float32Array(out3[0] * out3[1] * out3[2] * 3);
const map = mapBetween(gridOf(img), grid);
const tGeneral = median(await timeRuns(3, () => sampleImage(img, out3, map, { interpolation: 'linear', padding: 'border', padValue: 0, displacement: zero })));
const tZ = await time([resample({ keys: ['img'], spacing: 1.5 }), zScoreIntensity({ keys: ['img'] })], 5);
const tReorient = await time([reorient({ keys: ['img'], orientation: 'LPS' })], 5);
const tAffine = await time([randAffine({ keys: ['img', 'seg'], prob: 1, rotateRange: 0.2, scaleRange: 0.1, interpolation: ['linear', 'nearest'] })], 3);
const tElastic = await time([randElastic({ keys: ['img', 'seg'], prob: 1, interpolation: ['linear', 'nearest'] })], 3);
const tNoise = await time([randGaussianNoise({ keys: ['img'], prob: 1 })], 3);
const tBlur = await time([randGaussianBlur({ keys: ['img'], prob: 1, sigmaRange: [1, 1] })], 3);

const outVoxels = out3[0] * out3[1] * out3[2];
report(
  'image-ops',
  [
    {
      name: 'resample trilinear -> 1.5 mm',
      value: tLinear,
      unit: 'ms',
      ratio: tGeneral / tLinear,
      ratioOf: 'x vs per-voxel sampler',
      bar: '< 300',
      pass: tLinear < 300,
      note: `${out3.join('x')} out`,
    },
    { name: 'resample nearest (label map) -> 1.5 mm', value: tNearest, unit: 'ms' },
    { name: 'per-voxel general sampler, same map', value: tGeneral, unit: 'ms', note: 'baseline' },
    { name: 'resample + z-score', value: tZ, unit: 'ms' },
    { name: 'trilinear throughput', value: outVoxels / tLinear / 1000, unit: 'Mvox/s' },
    { name: 'reorient to LPS (full volume)', value: tReorient, unit: 'ms' },
    { name: 'randAffine image + labels (full volume)', value: tAffine, unit: 'ms' },
    { name: 'randElastic image + labels (full volume)', value: tElastic, unit: 'ms' },
    { name: 'randGaussianNoise (full volume)', value: tNoise, unit: 'ms' },
    { name: 'randGaussianBlur sigma 1 (full volume)', value: tBlur, unit: 'ms' },
  ],
  { source, size: [...img.shape].reverse(), dtype: img.dtype },
);
