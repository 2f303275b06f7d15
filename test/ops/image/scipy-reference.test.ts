/**
 * Image kernels against SciPy's ndimage (an independent implementation; numbers made by
 * test/fixtures/image-ops/make-reference.py): trilinear resampling, an affine transform with
 * constant padding, and a separable Gaussian filter.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { getKey } from '../../../src/core/sample.js';
import type { Image } from '../../../src/core/image.js';
import { resample } from '../../../src/ops/image/resample.js';
import { applyIndexMap } from '../../../src/ops/image/rand-affine.js';
import { affineIndexMap } from '../../../src/ops/image/internal/affine.js';
import { gaussianSmooth } from '../../../src/ops/image/internal/gaussian.js';
import { fixture, imageFrom, runOne, sampleWith } from './image-helpers.js';

interface Reference {
  size: number[];
  resample: { spacing: number[]; newSpacing: number[]; size: number[]; values: number[] };
  affine: { rotateZ: number; scaleX: number; translate: number[]; values: number[] };
  gaussian: { sigma: number[]; values: number[] };
}
const ref = JSON.parse(readFileSync(fixture('image-ops/scipy-reference.json'), 'utf8')) as Reference;
const volume = (spacing?: number[]): Image =>
  imageFrom('float64', ref.size, (x, y, z) => Math.sin(0.7 * x) + Math.cos(0.5 * y) * z + 0.1 * x * y, spacing === undefined ? {} : { spacing });

const expectClose = (got: ArrayLike<number>, want: readonly number[]): void => {
  expect(got.length).toBe(want.length);
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs((got[i] as number) - (want[i] as number)));
  expect(worst).toBeLessThan(1e-9);
};

describe('image kernels vs scipy.ndimage', () => {
  it('trilinear resampling to a new spacing equals map_coordinates(order=1, mode="nearest")', async () => {
    const img = volume(ref.resample.spacing);
    const out = getKey<Image>(await runOne(resample({ keys: ['img'], spacing: ref.resample.newSpacing }), sampleWith('a', { img })), 'img');
    expect([...out.shape].reverse()).toEqual(ref.resample.size);
    expectClose(out.data, ref.resample.values);
  });

  it('an affine map with constant padding equals affine_transform(order=1, mode="grid-constant")', () => {
    const img = volume();
    const { a, t } = affineIndexMap(ref.size, [1, 1, 1], {
      rotate: [0, 0, ref.affine.rotateZ],
      scale: [ref.affine.scaleX, 1, 1],
      shear: [0, 0, 0],
      translate: ref.affine.translate,
    });
    expectClose(applyIndexMap(img, a, t, 'linear', 'constant', 0).data, ref.affine.values);
  });

  it('the separable Gaussian equals gaussian_filter(mode="nearest", truncate=3)', () => {
    const img = volume();
    const values = Float64Array.from(img.data);
    gaussianSmooth(img, values, ref.gaussian.sigma);
    expectClose(values, ref.gaussian.values);
  });
});
