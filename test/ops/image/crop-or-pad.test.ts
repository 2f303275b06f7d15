import { describe, expect, it } from 'vitest';
import { OptionsError } from '../../../src/core/errors.js';
import { getKey } from '../../../src/core/sample.js';
import type { Image } from '../../../src/core/image.js';
import { cropOrPad } from '../../../src/ops/image/crop-or-pad.js';
import { worldOf } from '../../../src/ops/image/internal/image-access.js';
import { imageFrom, runOne, sampleWith, voxel } from './image-helpers.js';

const img = imageFrom('int16', [6, 5, 4], (x, y, z) => 1 + x + 10 * y + 100 * z, { spacing: [2, 3, 4], origin: [1, 2, 3] });

describe('image.cropOrPad', () => {
  it('crops the long axes and pads the short ones around the centre, moving the origin', async () => {
    const out = getKey<Image>(await runOne(cropOrPad({ keys: ['img'], size: [4, 7, 4], padValue: -1 }), sampleWith('a', { img })), 'img');
    expect(out.shape).toEqual([4, 7, 4]);
    // x: start floor((6-4)/2) = 1; y: start floor((5-7)/2) = -1 (one padded row at each end)
    expect(voxel(out, 0, 0, 0)).toBe(-1);
    expect(voxel(out, 0, 1, 0)).toBe(1 + 1 + 0);
    expect(voxel(out, 3, 5, 3)).toBe(1 + 4 + 40 + 300);
    expect(voxel(out, 3, 6, 3)).toBe(-1);
    expect(out.origin).toEqual(worldOf(img, [1, -1, 0]));
    expect(out.dtype).toBe('int16');
  });

  it('centres the box on a given voxel, padding past the edge', async () => {
    const out = getKey<Image>(await runOne(cropOrPad({ keys: ['img'], size: 3, center: [0, 4, 2] }), sampleWith('a', { img })), 'img');
    expect(voxel(out, 1, 1, 1)).toBe(1 + 0 + 40 + 200); // the centre voxel
    expect(voxel(out, 0, 1, 1)).toBe(0); // x = -1 is padding
    expect(voxel(out, 1, 2, 1)).toBe(0); // y = 5 is padding
  });

  it('reverse restores the original shape and geometry (values inside the box back in place)', async () => {
    const op = cropOrPad({ keys: ['img'], size: [4, 7, 2] });
    const out = await runOne(op, sampleWith('a', { img }));
    const back = getKey<Image>(op.reverse!({ ...out, pred: getKey(out, 'img') }, { keyToReverse: 'pred', keyToFollow: 'img', opId: 'test.0.image.cropOrPad' }), 'pred');
    expect(back.shape).toEqual(img.shape);
    expect(back.origin).toEqual(img.origin);
    for (let z = 0; z < 4; z++)
      for (let y = 0; y < 5; y++)
        for (let x = 0; x < 6; x++) {
          const inside = x >= 1 && x < 5 && z >= 1 && z < 3;
          expect(voxel(back, x, y, z)).toBe(inside ? voxel(img, x, y, z) : 0);
        }
  });

  it('works on 2D images and validates options', async () => {
    const flat = imageFrom('float32', [3, 3], (x, y) => x + 3 * y);
    const out = getKey<Image>(await runOne(cropOrPad({ keys: ['flat'], size: [1, 1] }), sampleWith('a', { flat })), 'flat');
    expect(Array.from(out.data)).toEqual([4]);
    expect(() => cropOrPad({ keys: ['flat'], size: 0 })).toThrow(OptionsError);
    expect(() => cropOrPad({ keys: ['flat'], size: 2, center: [1] })).toThrow(/center/);
    await expect(runOne(cropOrPad({ keys: ['flat'], size: [2, 2, 2] }), sampleWith('b', { flat }))).rejects.toThrow(/3 entries.*2 spatial axes/);
  });
});
