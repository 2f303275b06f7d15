import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { TypeMismatchError } from '../../../src/core/errors.js';
import type { Image } from '../../../src/core/image.js';
import { createSample, setKey } from '../../../src/core/sample.js';
import { cropOrPad } from '../../../src/ops/image/crop-or-pad.js';
import { extractPatches } from '../../../src/ops/image/extract-patches.js';
import { closeIoPool } from '../../../src/ops/image/io/io-pool.js';
import { readImage } from '../../../src/ops/image/io/read-image.js';
import { loadImage } from '../../../src/ops/image/load-image.js';
import { reorient } from '../../../src/ops/image/reorient.js';
import { resample } from '../../../src/ops/image/resample.js';
import { pipeline } from '../../../src/ops/pipeline.js';
import { predictVolume } from '../../../src/trainer/inference/predict-volume.js';
import type { WindowPredictor } from '../../../src/trainer/inference/sliding-window.js';

const DIR = fileURLToPath(new URL('../../fixtures/volumes/', import.meta.url));
// 128×128×62, 2×2×3 mm, permuted axes and a negative x step in its affine (see test/fixtures/README.md)
const T1 = 'KmeansTest_T1UCharRaw.nii.gz';
const KEY = 'data.input.img';
afterAll(() => closeIoPool());

// In RAS the file's 3 mm axis is y: resampling it to 1.5 mm doubles it, and the reverse of a
// doubling reads every original voxel at an exact resampled voxel (weights 1 and 0), so an
// identity model must come back bit for bit through reorient + resample + pad.
const staticPipeline = pipeline(
  [
    loadImage({ key: KEY, dir: DIR }),
    reorient({ keys: [KEY], orientation: 'RAS' }),
    resample({ keys: [KEY], spacing: [2, 1.5, 2] }),
    cropOrPad({ keys: [KEY], size: [136, 128, 128] }),
  ],
  { name: 'static' },
);
const sample = setKey(createSample('t1'), KEY, T1);
const identity: WindowPredictor = (w) => w;
/** Two class scores from the intensity: [1 − v/255, v/255]. */
const twoClass: WindowPredictor = (w) => {
  const out = new Float32Array(w.data.length * 2);
  w.data.forEach((v, i) => {
    out[2 * i] = 1 - v / 255;
    out[2 * i + 1] = v / 255;
  });
  return { dtype: 'float32', shape: [...w.shape.slice(0, -1), 2], data: out };
};

function sameGrid(a: Image, b: Image): void {
  expect(a.shape.slice(0, b.dimension)).toEqual(b.shape.slice(0, b.dimension));
  expect(a.spacing).toEqual(b.spacing);
  a.origin.forEach((v, i) => expect(v).toBeCloseTo(b.origin[i] as number, 9));
  expect(a.direction).toEqual(b.direction);
}

describe('predictVolume: static pipeline → sliding window → reverse onto the input grid', () => {
  it('an identity model reproduces the input file exactly (voxels and geometry) through reorient + resample + pad', async () => {
    const input = await readImage(`${DIR}${T1}`);
    const windows: number[] = [];
    const { prediction, processed } = await predictVolume(sample, {
      pipeline: staticPipeline,
      imageKey: KEY,
      predictor: identity,
      window: { roi: [64, 64, 64], overlap: 0.25, blend: 'gaussian', batchSize: 2, onProgress: (p) => windows.push(p.windows) },
      output: 'probabilities',
    });
    expect(processed.shape).toEqual([128, 128, 136]);
    expect(processed.direction).not.toEqual(input.direction); // the model saw the reoriented volume
    expect(windows.length).toBeGreaterThan(1);
    expect(prediction.dtype).toBe('float32');
    sameGrid(prediction, input);
    let differ = 0;
    input.data.forEach((v, i) => (differ += v === prediction.data[i] ? 0 : 1));
    expect(differ).toBe(0);
  });
  it('labels are the argmax of the scores after they are mapped back (hand reference: v > 127.5)', async () => {
    const input = await readImage(`${DIR}${T1}`);
    const { prediction } = await predictVolume(sample, { pipeline: staticPipeline, imageKey: KEY, predictor: twoClass, window: { roi: [64, 64, 64], overlap: 0.5, batchSize: 4 } });
    expect(prediction.dtype).toBe('uint8');
    expect(prediction.components).toBe(1);
    sameGrid(prediction, input);
    let wrong = 0;
    let ones = 0;
    input.data.forEach((v, i) => {
      const want = v > 127.5 ? 1 : 0;
      ones += want;
      wrong += prediction.data[i] === want ? 0 : 1;
    });
    expect(ones).toBeGreaterThan(1000);
    expect(wrong).toBe(0);
  });
  it('refuses a pipeline that splits the volume into patches, naming the sample and stitchPatches', async () => {
    const patched = pipeline([loadImage({ key: KEY, dir: DIR }), extractPatches({ keys: [KEY], patchSize: [64, 64, 31] })]);
    await expect(predictVolume(sample, { pipeline: patched, imageKey: KEY, predictor: identity, window: { roi: [32, 32, 32] } })).rejects.toThrow(TypeMismatchError);
    await expect(predictVolume(sample, { pipeline: patched, imageKey: KEY, predictor: identity, window: { roi: [32, 32, 32] } })).rejects.toThrow(
      /gave 8 samples for 't1'.*stitchPatches/,
    );
  });
});
