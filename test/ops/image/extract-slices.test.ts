import { describe, expect, it } from 'vitest';
import { getKey } from '../../../src/core/sample.js';
import type { Image } from '../../../src/core/image.js';
import { extractSlices, type SliceRecord } from '../../../src/ops/image/extract-slices.js';
import { imageFrom, run, sampleWith, voxel } from './image-helpers.js';

describe('image.extractSlices', () => {
  const img = imageFrom('int16', [4, 3, 5], (x, y, z) => x + 10 * y + 100 * z, { spacing: [0.5, 0.6, 7], origin: [1, 2, 3] });
  const seg = imageFrom('uint8', [4, 3, 5], (_x, _y, z) => z);

  it('turns a volume into axial 2D samples with ids and geometry', async () => {
    const out = await run(extractSlices({ keys: ['img', 'seg'] }), sampleWith('vol', { img, seg }));
    expect(out).toHaveLength(5);
    const s3 = out[3]!;
    expect(getKey(s3, 'data.sampleId')).toBe('vol/slice-3');
    expect(getKey(s3, 'data.initialSampleId')).toBe('vol');
    const slice = getKey<Image>(s3, 'img');
    expect(slice.dimension).toBe(2);
    expect(slice.shape).toEqual([3, 4]);
    expect(slice.spacing).toEqual([0.5, 0.6]);
    expect(voxel(slice, 2, 1)).toBe(2 + 10 + 300);
    expect(Array.from(new Set(getKey<Image>(s3, 'seg').data))).toEqual([3]);
    expect(getKey<SliceRecord>(s3, 'test.0.image.extractSlices')).toMatchObject({ axis: 'z', index: 3, count: 5, origin3: [1, 2, 24] });
  });

  it('slices across x', async () => {
    const out = await run(extractSlices({ keys: ['img'], axis: 'x' }), sampleWith('vol', { img }));
    expect(out).toHaveLength(4);
    const slice = getKey<Image>(out[1]!, 'img');
    expect(slice.shape).toEqual([5, 3]); // in-plane axes y (fast), z
    expect(voxel(slice, 2, 4)).toBe(1 + 20 + 400);
    expect(slice.spacing).toEqual([0.6, 7]);
  });

  it('rejects a 2D image', async () => {
    const flat = imageFrom('uint8', [2, 2], () => 0);
    await expect(run(extractSlices({ keys: ['flat'] }), sampleWith('f', { flat }))).rejects.toThrow(/slices need 3D/);
  });
});
