import { describe, expect, it } from 'vitest';
import { getKey } from '../../../src/core/sample.js';
import type { Image } from '../../../src/core/image.js';
import { cropToMask } from '../../../src/ops/image/crop-to-mask.js';
import { readImageLocal } from '../../../src/ops/image/io/read-image-local.js';
import { fixture, imageFrom, runOne, sampleWith, voxel } from './image-helpers.js';

describe('image.cropToMask', () => {
  const img = imageFrom('float32', [10, 8, 6], (x, y, z) => x + 10 * y + 100 * z);
  const mask = imageFrom('uint8', [10, 8, 6], (x, y, z) => (x >= 3 && x <= 5 && y === 4 && z >= 1 && z <= 2 ? 1 : 0));

  it('crops every key to the foreground box plus margin, clipped to the image', async () => {
    const out = await runOne(cropToMask({ keys: ['img', 'mask'], maskKey: 'mask', margin: [1, 2, 3] }), sampleWith('a', { img, mask }));
    const c = getKey<Image>(out, 'img');
    // x 2..6, y 2..6, z 0..5 (clipped)
    expect(c.shape).toEqual([6, 5, 5]);
    expect(voxel(c, 0, 0, 0)).toBe(2 + 20);
    expect(getKey<Image>(out, 'mask').shape).toEqual([6, 5, 5]);
    expect(c.origin).toEqual([2, 2, 0]);
  });

  it('leaves the images whole for an empty mask, and reverse restores the grid', async () => {
    const empty = imageFrom('uint8', [10, 8, 6], () => 0);
    const out = await runOne(cropToMask({ keys: ['img'], maskKey: 'empty' }), sampleWith('a', { img, empty }));
    expect(getKey<Image>(out, 'img').shape).toEqual(img.shape);
    const op = cropToMask({ keys: ['img'], maskKey: 'mask' });
    const cropped = await runOne(op, sampleWith('a', { img, mask }));
    const back = getKey<Image>(op.reverse!({ ...cropped, pred: getKey(cropped, 'img') }, { keyToReverse: 'pred', keyToFollow: 'img', opId: 'test.0.image.cropToMask' }), 'pred');
    expect(back.shape).toEqual(img.shape);
    expect(voxel(back, 4, 4, 2)).toBe(voxel(img, 4, 4, 2));
    expect(voxel(back, 0, 0, 0)).toBe(0);
  });

  it('rejects a mask on another grid', async () => {
    const small = imageFrom('uint8', [3, 3, 3], () => 1);
    await expect(runOne(cropToMask({ keys: ['img'], maskKey: 'small' }), sampleWith('a', { img, small }))).rejects.toThrow(/does not match image 'img'/);
  });

  it('real file: KmeansTest T1 cropped to its skull-strip mask', async () => {
    const t1 = await readImageLocal(fixture('volumes/KmeansTest_T1UCharRaw.nii.gz'));
    const brain = await readImageLocal(fixture('volumes/KmeansTest_T1RawSkullStrip.nii.gz'));
    const out = await runOne(cropToMask({ keys: ['t1', 'brain'], maskKey: 'brain', margin: 2 }), sampleWith('k', { t1, brain }));
    const c = getKey<Image>(out, 'brain');
    const count = (i: Image): number => Array.from(i.data as ArrayLike<number>).filter((v) => v !== 0).length;
    expect(count(c)).toBe(count(brain)); // every foreground voxel is kept
    expect(c.data.length).toBeLessThan(brain.data.length);
    expect(getKey<Image>(out, 't1').shape).toEqual(c.shape);
  });
});
