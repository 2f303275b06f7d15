import { describe, expect, it } from 'vitest';
import { getKey } from '../../../src/core/sample.js';
import type { Image } from '../../../src/core/image.js';
import { randRotate90, rotate90Map } from '../../../src/ops/image/rand-rotate90.js';
import { applyAxes } from '../../../src/ops/image/internal/axes.js';
import { worldOf } from '../../../src/ops/image/internal/image-access.js';
import { imageFrom, runOne, sampleWith, voxel } from './image-helpers.js';

const img = imageFrom('int16', [3, 2], (x, y) => x + 10 * y, { spacing: [1, 2], origin: [5, 6] });

describe('image.randRotate90', () => {
  it('a quarter turn moves voxels exactly, swaps the sizes and keeps world positions', () => {
    const r = applyAxes(img, rotate90Map(2, 1, 0, 1));
    expect(r.shape).toEqual([3, 2]); // (x, y) sizes 3×2 become 2×3
    // out (x, y) reads in (x = y, y = 1 - x): the last input row becomes the first output column
    expect([voxel(r, 0, 0), voxel(r, 0, 1), voxel(r, 0, 2)]).toEqual([10, 11, 12]);
    expect([voxel(r, 1, 0), voxel(r, 1, 1), voxel(r, 1, 2)]).toEqual([0, 1, 2]);
    expect(r.spacing).toEqual([2, 1]);
    expect(worldOf(r, [1, 2])).toEqual(worldOf(img, [2, 0]));
  });

  it('four quarter turns are the identity; reverse undoes any k', async () => {
    const four = applyAxes(img, rotate90Map(2, 4, 0, 1));
    expect(four).toEqual(img);
    const cube = imageFrom('float32', [3, 4, 5], (x, y, z) => x + 10 * y + 100 * z);
    for (let seed = 0; seed < 6; seed++) {
      const op = randRotate90({ keys: ['cube'], prob: 1, axes: [0, 2] });
      const out = await runOne(op, sampleWith('a', { cube }), { seed });
      const back = getKey<Image>(op.reverse!({ ...out, pred: getKey(out, 'cube') }, { keyToReverse: 'pred', keyToFollow: 'cube', opId: 'test.0.image.randRotate90' }), 'pred');
      expect(Array.from(back.data)).toEqual(Array.from(cube.data));
      expect(back.shape).toEqual(cube.shape);
    }
  });

  it('rotates an image and its label map with the same k', async () => {
    const seg = imageFrom('uint8', [3, 2], (x, y) => x + 3 * y);
    for (let seed = 0; seed < 5; seed++) {
      const out = await runOne(randRotate90({ keys: ['img', 'seg'], prob: 1 }), sampleWith('a', { img, seg }), { seed });
      const a = getKey<Image>(out, 'img'),
        b = getKey<Image>(out, 'seg');
      // seg encodes the voxel index, img encodes it as x + 10y: they must still agree voxel by voxel
      a.data.forEach((v, i) => expect(v).toBe((b.data[i]! % 3) + 10 * Math.floor(b.data[i]! / 3)));
    }
  });

  it('rejects a plane beyond a 2D image at run time', async () => {
    await expect(runOne(randRotate90({ keys: ['img'], prob: 1, axes: [0, 2] }), sampleWith('a', { img }))).rejects.toThrow(/beyond a 2D image/);
  });
});
