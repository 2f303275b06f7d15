import { describe, expect, it } from 'vitest';
import { OptionsError } from '../../../src/core/errors.js';
import { getKey } from '../../../src/core/sample.js';
import { createImage, type Image } from '../../../src/core/image.js';
import { randFlip } from '../../../src/ops/image/rand-flip.js';
import { worldOf } from '../../../src/ops/image/internal/image-access.js';
import { imageFrom, runOne, sampleWith, voxel } from './image-helpers.js';

const img = imageFrom('int16', [4, 3, 2], (x, y, z) => x + 10 * y + 100 * z, { spacing: [1, 2, 3], origin: [5, 6, 7] });
const seg = imageFrom('uint8', [4, 3, 2], (x) => (x < 2 ? 1 : 2), { spacing: [1, 2, 3], origin: [5, 6, 7] });

describe('image.randFlip', () => {
  it('flips the listed axes of every key with one draw, keeping world positions', async () => {
    const out = await runOne(randFlip({ keys: ['img', 'seg'], prob: 1, axes: [0] }), sampleWith('a', { img, seg }));
    const f = getKey<Image>(out, 'img');
    expect(voxel(f, 0, 1, 1)).toBe(3 + 10 + 100);
    expect(voxel(getKey<Image>(out, 'seg'), 0, 0, 0)).toBe(2);
    expect(f.direction).toEqual([-1, 0, 0, 0, 1, 0, 0, 0, 1]);
    expect(worldOf(f, [0, 1, 1])).toEqual(worldOf(img, [3, 1, 1]));
  });

  it('flipping twice is the identity, and reverse undoes a flip', async () => {
    const op1 = randFlip({ keys: ['img'], prob: 1 });
    const twice = getKey<Image>(await runOne([op1, randFlip({ keys: ['img'], prob: 1 })], sampleWith('a', { img })), 'img');
    expect(Array.from(twice.data)).toEqual(Array.from(img.data));
    expect(twice.origin).toEqual(img.origin);
    expect(twice.direction).toEqual(img.direction);
    const once = await runOne(op1, sampleWith('a', { img }));
    const back = getKey<Image>(op1.reverse!({ ...once, pred: getKey(once, 'img') }, { keyToReverse: 'pred', keyToFollow: 'img', opId: 'test.0.image.randFlip' }), 'pred');
    expect(back).toEqual(img);
  });

  it('with prob 0 leaves the images alone and records nothing to undo', async () => {
    const op = randFlip({ keys: ['img'], prob: 0 });
    const out = await runOne(op, sampleWith('a', { img }));
    expect(getKey(out, 'img')).toBe(img);
    expect(op.reverse!({ ...out, pred: img }, { keyToReverse: 'pred', keyToFollow: 'img', opId: 'test.0.image.randFlip' })).toEqual({ ...out, pred: img });
  });

  it('applies in about prob of the samples, decided by (seed, epoch, id, op index) only', async () => {
    const op = randFlip({ keys: ['img'], prob: 0.3, axes: [2] });
    let flipped = 0;
    for (let i = 0; i < 200; i++) {
      const out = await runOne(op, sampleWith(`s${i}`, { img }));
      if (getKey(out, 'img') !== img) flipped++;
    }
    expect(flipped).toBeGreaterThan(35);
    expect(flipped).toBeLessThan(85);
  });

  it('moves whole voxels of a multi-component (RGB) image', async () => {
    const rgb = createImage('uint8', [2, 1], Uint8Array.from([1, 2, 3, 4, 5, 6]), { components: 3 });
    const out = getKey<Image>(await runOne(randFlip({ keys: ['rgb'], prob: 1, axes: [0] }), sampleWith('a', { rgb })), 'rgb');
    expect(Array.from(out.data)).toEqual([4, 5, 6, 1, 2, 3]);
    expect(out.shape).toEqual([1, 2, 3]);
  });

  it('validates axes and probability', () => {
    expect(() => randFlip({ keys: ['img'], prob: 2 })).toThrow(OptionsError);
    expect(() => randFlip({ keys: ['img'], axes: [3] })).toThrow(/axes/);
  });
});
