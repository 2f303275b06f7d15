/**
 * Image op micro-benchmarks: trilinear resampling of a 181×217×181 volume (the size of the MNI
 * ch2 template) from 1 mm to 1.5 mm, against the general per-voxel sampler on the same map, and
 * nearest resampling of a label map. The bar from issue 3: trilinear resample < 300 ms.
 */
import { createImage } from '../src/core/image.js';
import { createSample } from '../src/core/sample.js';
import { resample } from '../src/ops/image/resample.js';
import { gridOf } from '../src/ops/image/internal/image-access.js';
import { mapBetween, sampleImage } from '../src/ops/image/internal/sampler.js';
import { resampledGrid } from '../src/ops/image/resample.js';
import { runPipeline, pipeline } from '../src/ops/pipeline.js';
import { median, report, timeRuns } from './lib/report.js';

const size = [181, 217, 181];
const n = size[0]! * size[1]! * size[2]!;
const values = new Int16Array(n);
for (let i = 0; i < n; i++) values[i] = (i * 2654435761) % 4096;
const labels = new Uint8Array(n);
for (let i = 0; i < n; i++) labels[i] = (i >> 12) % 7;
const img = createImage('int16', size, values, { spacing: [1, 1, 1], origin: [-90, -126, -72] });
const seg = createImage('uint8', size, labels, { spacing: [1, 1, 1], origin: [-90, -126, -72] });
const sample = { ...createSample('ch2'), img, seg };

const repeats = 9;
const linear = pipeline([resample({ keys: ['img'], spacing: 1.5 })]);
const nearest = pipeline([resample({ keys: ['seg'], spacing: 1.5, interpolation: 'nearest' })]);
const tLinear = median(await timeRuns(repeats, () => runPipeline(linear, sample, { seed: 0, epoch: 0 })));
const tNearest = median(await timeRuns(repeats, () => runPipeline(nearest, sample, { seed: 0, epoch: 0 })));

// Baseline: the same map through the general per-voxel path (forced by a zero displacement field).
const grid = resampledGrid(img, { spacing: 1.5 });
const map = mapBetween(gridOf(img), grid);
const out3 = [grid.size[0]!, grid.size[1]!, grid.size[2]!] as const;
const zero = new Float32Array(out3[0] * out3[1] * out3[2] * 3);
const tGeneral = median(await timeRuns(3, () => sampleImage(img, out3, map, { interpolation: 'linear', padding: 'border', padValue: 0, displacement: zero })));

const outVoxels = out3[0] * out3[1] * out3[2];
report('image-ops', [
  { name: 'resample trilinear 181x217x181 -> 1.5 mm', value: tLinear, unit: 'ms', ratio: tGeneral / tLinear, ratioOf: 'x faster than per-voxel path', bar: '< 300', pass: tLinear < 300 },
  { name: 'resample nearest (label map) -> 1.5 mm', value: tNearest, unit: 'ms' },
  { name: 'per-voxel general sampler (baseline)', value: tGeneral, unit: 'ms' },
  { name: 'trilinear throughput', value: outVoxels / tLinear / 1000, unit: 'Mvox/s', note: `${out3.join('x')} output voxels` },
]);
