import { describe, expect, it } from 'vitest';
import { OptionsError } from '../../src/core/errors.js';
import { createImage, type Image } from '../../src/core/image.js';
import { createSample, getKey, setKey, type Sample } from '../../src/core/sample.js';
import { antialias } from '../../src/datasets/common/antialias.js';
import { runPipeline, pipeline } from '../../src/ops/pipeline.js';

// scipy.ndimage.gaussian_filter1d(row, 1.0, mode='nearest', truncate=3.0) (scipy 1.x), rounded to 6 decimals
const ROW = [0, 10, 0, 10, 0, 10, 0, 10, 50, 60, 70, 80];
const SCIPY = [2.464693, 4.530559, 4.885055, 5.070614, 4.929386, 5.292267, 7.851317, 20.183018, 41.074415, 58.202511, 69.238292, 76.366535];

async function run(img: Image, size: number[], by: 'size' | 'spacing' = 'size'): Promise<Image> {
  const [out] = await runPipeline(pipeline([antialias({ keys: ['data.img'], [by]: size })]), setKey(createSample('a'), 'data.img', img), { seed: 0, epoch: 0 });
  return getKey<Image>(out as Sample, 'data.img');
}

describe('antialias (smoothing before a resize, as scikit-image anti_aliasing)', () => {
  it('smooths a shrinking axis with σ = (n / size − 1) / 2 (scipy reference), leaves a kept axis alone', async () => {
    // 12 × 2 image, rows equal; shrinking x 12 → 4 gives σ = 1, y keeps its 2 voxels
    const img = createImage('uint8', [12, 2], Uint8Array.from([...ROW, ...ROW]));
    const out = await run(img, [4, 2]);
    expect(out.dtype).toBe('float32');
    expect(out.shape).toEqual([2, 12]);
    for (const y of [0, 1]) SCIPY.forEach((v, x) => expect(out.data[y * 12 + x]).toBeCloseTo(v, 4));
    // the same by spacing: 0.5 mm voxels resampled to 1.5 mm, y's 2 mm voxels kept
    const bySpacing = await run(createImage('uint8', [12, 2], Uint8Array.from([...ROW, ...ROW]), { spacing: [0.5, 2] }), [1.5, 2], 'spacing');
    expect(Array.from(bySpacing.data)).toEqual(Array.from(out.data));
  });

  it('returns an image that is not shrunk unchanged, keeps RGB channels apart, and refuses a bad size', async () => {
    const img = createImage('uint8', [12, 2], Uint8Array.from([...ROW, ...ROW]));
    expect(await run(img, [12, 4])).toBe(img);
    const rgb = new Uint8Array(12 * 3);
    ROW.forEach((v, x) => {
      rgb[x * 3] = v;
      rgb[x * 3 + 2] = 255 - v;
    });
    const out = await run(createImage('uint8', [12, 1], rgb, { components: 3 }), [4, 1]);
    SCIPY.forEach((v, x) => {
      expect(out.data[x * 3]).toBeCloseTo(v, 4);
      expect(out.data[x * 3 + 1]).toBe(0);
      expect(out.data[x * 3 + 2]).toBeCloseTo(255 - v, 4);
    });
    expect(() => antialias({ keys: ['data.img'], size: [0, 3] })).toThrow(OptionsError);
    expect(() => antialias({ keys: ['data.img'] })).toThrow(/exactly one of 'size' and 'spacing'/);
    expect(() => antialias({ keys: ['data.img'], size: 4, spacing: 1 })).toThrow(/exactly one/);
  });
});
