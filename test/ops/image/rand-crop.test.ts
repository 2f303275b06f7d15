import { describe, expect, it } from 'vitest';
import { getKey } from '../../../src/core/sample.js';
import type { Image } from '../../../src/core/image.js';
import { randCrop } from '../../../src/ops/image/rand-crop.js';
import { imageFrom, runOne, sampleWith, voxel } from './image-helpers.js';

const img = imageFrom('int32', [12, 9, 7], (x, y, z) => x + 100 * y + 10000 * z);
const seg = imageFrom('int32', [12, 9, 7], (x, y, z) => x + 100 * y + 10000 * z);

describe('image.randCrop', () => {
  it('cuts the same in-bounds box from every key, at positions covering the whole range', async () => {
    const op = randCrop({ keys: ['img', 'seg'], size: [4, 9, 3] });
    const startsX = new Set<number>();
    for (let seed = 0; seed < 60; seed++) {
      const out = await runOne(op, sampleWith('a', { img, seg }), { seed });
      const a = getKey<Image>(out, 'img');
      expect(a.shape).toEqual([3, 9, 4]);
      expect(Array.from(getKey<Image>(out, 'seg').data)).toEqual(Array.from(a.data));
      const x0 = voxel(a, 0, 0, 0) % 100,
        z0 = Math.floor(voxel(a, 0, 0, 0) / 10000);
      expect(x0).toBeGreaterThanOrEqual(0);
      expect(x0).toBeLessThanOrEqual(8);
      expect(z0).toBeLessThanOrEqual(4);
      expect(a.origin).toEqual([x0, 0, z0]);
      startsX.add(x0);
    }
    expect(startsX.size).toBe(9); // every start 0..8 drawn
  });

  it('reverse puts a prediction back into the full grid', async () => {
    const op = randCrop({ keys: ['img'], size: 3 });
    const out = await runOne(op, sampleWith('a', { img }), { seed: 4 });
    const back = getKey<Image>(op.reverse!({ ...out, pred: getKey(out, 'img') }, { keyToReverse: 'pred', keyToFollow: 'img', opId: 'test.0.image.randCrop' }), 'pred');
    expect(back.shape).toEqual(img.shape);
    const kept = Array.from(back.data).filter((v, i) => v !== 0 && v === img.data[i]).length;
    expect(kept).toBe(27 - (Array.from(getKey<Image>(out, 'img').data).includes(0) ? 1 : 0));
  });
});
