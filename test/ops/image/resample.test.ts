import { describe, expect, it } from 'vitest';
import { OpError, OptionsError } from '../../../src/core/errors.js';
import { getKey } from '../../../src/core/sample.js';
import type { Image } from '../../../src/core/image.js';
import { resample } from '../../../src/ops/image/resample.js';
import { readImageLocal } from '../../../src/ops/image/io/read-image-local.js';
import { distinct, fixture, imageFrom, runOne, sampleWith, voxel } from './image-helpers.js';

const dir3 = [0, -1, 0, 1, 0, 0, 0, 0, 1]; // a rotated direction (index x runs along world y)

describe('image.resample', () => {
  it('is exact at the same spacing (3D linear, 2D, nearest keeps the dtype)', async () => {
    const img = imageFrom('int16', [5, 4, 3], (x, y, z) => x * 100 - y * 7 + z * 1000 - 50, { spacing: [0.8, 1.2, 2.5], origin: [3, -4, 5], direction: dir3 });
    const seg = imageFrom('uint8', [5, 4, 3], (x, y) => (x + y) % 3);
    const img2 = imageFrom('float32', [6, 7], (x, y) => Math.sin(x) * Math.cos(y), { spacing: [0.5, 0.7] });
    const a = await runOne(resample({ keys: ['img'], spacing: [0.8, 1.2, 2.5] }), sampleWith('a', { img }));
    const b = await runOne(resample({ keys: ['seg'], spacing: 1, interpolation: 'nearest' }), sampleWith('a', { seg }));
    const c = await runOne(resample({ keys: ['img2'], spacing: [0.5, 0.7] }), sampleWith('a', { img2 }));
    const ra = getKey<Image>(a, 'img'),
      rb = getKey<Image>(b, 'seg'),
      rc = getKey<Image>(c, 'img2');
    expect(ra.dtype).toBe('float32');
    expect(Array.from(ra.data)).toEqual(Array.from(img.data));
    expect(ra.origin).toEqual(img.origin);
    expect(ra.direction).toEqual(img.direction);
    expect(rb.dtype).toBe('uint8');
    expect(Array.from(rb.data)).toEqual(Array.from(seg.data));
    expect(Array.from(rc.data)).toEqual(Array.from(img2.data));
  });

  it('computes the ITK-style grid: 181 voxels of 1 mm become 121 of 1.5 mm, origin kept', async () => {
    const img = imageFrom('uint8', [181, 4, 3], () => 1, { origin: [-90, 1, 2] });
    const out = getKey<Image>(await runOne(resample({ keys: ['img'], spacing: [1.5, 1, 1] }), sampleWith('a', { img })), 'img');
    expect(out.shape).toEqual([3, 4, 121]);
    expect(out.spacing).toEqual([1.5, 1, 1]);
    expect(out.origin).toEqual([-90, 1, 2]);
  });

  it('reproduces a linear ramp exactly (hand-derived trilinear values)', async () => {
    // v = 2x + 3y + 5z is linear, so trilinear interpolation returns it exactly at any point inside.
    const img = imageFrom('float64', [9, 7, 5], (x, y, z) => 2 * x + 3 * y + 5 * z, { spacing: [1, 2, 3], origin: [10, 20, 30] });
    const out = getKey<Image>(await runOne(resample({ keys: ['img'], spacing: [1.5, 2.5, 4] }), sampleWith('a', { img })), 'img');
    expect(out.dtype).toBe('float64');
    expect(out.shape).toEqual([4, 6, 6]); // round(5*3/4)=4, round(7*2/2.5)=6, round(9/1.5)=6
    for (let z = 0; z < 4; z++) {
      for (let y = 0; y < 6; y++) {
        for (let x = 0; x < 6; x++) {
          // input index of output voxel, clamped to the last voxel centre past the end
          const ix = Math.min(8, x * 1.5),
            iy = Math.min(6, (y * 2.5) / 2),
            iz = Math.min(4, (z * 4) / 3);
          expect(voxel(out, x, y, z)).toBeCloseTo(2 * ix + 3 * iy + 5 * iz, 9);
        }
      }
    }
  });

  it('size mode keeps the outer edges (voxel centres at half-voxel offsets)', async () => {
    const img = imageFrom('float32', [4, 2], (x) => x, { spacing: [1, 1], origin: [0, 0] });
    const out = getKey<Image>(await runOne(resample({ keys: ['img'], size: [2, 2] }), sampleWith('a', { img })), 'img');
    expect(out.spacing).toEqual([2, 1]);
    expect(out.origin).toEqual([0.5, 0]);
    expect(voxel(out, 0, 0)).toBeCloseTo(0.5, 6);
    expect(voxel(out, 1, 0)).toBeCloseTo(2.5, 6);
  });

  it('keeps only the original label values with nearest interpolation', async () => {
    const seg = imageFrom('int16', [17, 13, 11], (x, y, z) => [0, 3, 7, 250][(x * 3 + y * 5 + z * 7) % 4] as number, { spacing: [0.9, 1.1, 1.3] });
    const out = getKey<Image>(await runOne(resample({ keys: ['seg'], spacing: [0.7, 1.7, 0.6], interpolation: 'nearest' }), sampleWith('a', { seg })), 'seg');
    expect(out.dtype).toBe('int16');
    expect(distinct(out)).toEqual([0, 3, 7, 250]);
  });

  it('reverse maps a prediction back to the original grid (size, spacing, origin, direction)', async () => {
    const img = imageFrom('float32', [20, 16, 9], (x, y, z) => x + y + z, { spacing: [1, 1.25, 2], origin: [5, -3, 7], direction: dir3 });
    const seg = imageFrom('uint8', [20, 16, 9], (x) => (x < 10 ? 1 : 2), { spacing: [1, 1.25, 2], origin: [5, -3, 7], direction: dir3 });
    const op = resample({ keys: ['img', 'seg'], spacing: 0.5, interpolation: ['linear', 'nearest'] });
    const out = await runOne(op, sampleWith('a', { img, seg }));
    expect(getKey<Image>(out, 'img').shape).toEqual([36, 40, 40]);
    // a "prediction" on the resampled grid: the resampled label map itself
    const withPred = { ...out, pred: getKey<Image>(out, 'seg') };
    const back = op.reverse!(withPred, { keyToReverse: 'pred', keyToFollow: 'seg', opId: 'test.0.image.resample' });
    const pred = getKey<Image>(back, 'pred');
    expect(pred.shape).toEqual(seg.shape);
    expect(pred.spacing).toEqual(seg.spacing);
    expect(pred.origin).toEqual(seg.origin);
    expect(pred.direction).toEqual(seg.direction);
    expect(Array.from(pred.data)).toEqual(Array.from(seg.data)); // upsample then nearest back is exact
  });

  it('validates options when built and names the key at run time', async () => {
    expect(() => resample({ keys: ['img'] })).toThrow(OptionsError);
    expect(() => resample({ keys: ['img'], spacing: 1, size: 3 })).toThrow(OptionsError);
    expect(() => resample({ keys: ['img'], spacing: -1 })).toThrow(/spacing/);
    expect(() => resample({ keys: ['img'], size: 2.5 })).toThrow(/size/);
    expect(() => resample({ keys: ['a', 'b'], spacing: 1, interpolation: ['linear'] })).toThrow(/interpolation/);
    expect(() => resample({ keys: [], spacing: 1 })).toThrow(/keys/);
    await expect(runOne(resample({ keys: ['img'], spacing: 1 }), sampleWith('s7', { img: 3 }))).rejects.toThrow(OpError);
    await expect(runOne(resample({ keys: ['img'], spacing: 1 }), sampleWith('s7', { img: 3 }))).rejects.toThrow(/'img'.*s7|s7.*'img'/);
    const img3 = imageFrom('uint8', [2, 2, 2], () => 0);
    await expect(runOne(resample({ keys: ['img'], spacing: [1, 1] }), sampleWith('s8', { img: img3 }))).rejects.toThrow(/2 entries.*3 spatial axes/);
  });

  it('real file: KmeansTest T1 and its label map to 3 mm keep grid extent and label values', async () => {
    const t1 = await readImageLocal(fixture('volumes/KmeansTest_T1UCharRaw.nii.gz'));
    const seg = await readImageLocal(fixture('volumes/KmeansTest_T1KmeansPrelimSegmentation.nii.gz'));
    const out = await runOne(resample({ keys: ['t1', 'seg'], spacing: 3, interpolation: ['linear', 'nearest'] }), sampleWith('kmeans', { t1, seg }));
    const rt1 = getKey<Image>(out, 't1'),
      rseg = getKey<Image>(out, 'seg');
    const size = (i: Image): number[] => [...i.shape].reverse();
    const expected = size(t1).map((n, a) => Math.round((n * (t1.spacing[a] as number)) / 3));
    expect(size(rt1)).toEqual(expected);
    expect(size(rseg)).toEqual(expected);
    expect(rt1.direction).toEqual(t1.direction);
    expect(new Set(distinct(rseg)).size).toBeGreaterThan(1);
    for (const v of distinct(rseg)) expect(distinct(seg)).toContain(v);
    const [lo, hi] = [Math.min(...distinct(t1)), Math.max(...distinct(t1))];
    for (const v of rt1.data) expect(v >= lo && v <= hi).toBe(true);
  });
});
