import { describe, expect, it } from 'vitest';
import { getKey } from '../../../src/core/sample.js';
import type { Image } from '../../../src/core/image.js';
import { extractPatches, patchStarts, type PatchRecord } from '../../../src/ops/image/extract-patches.js';
import { imageFrom, run, sampleWith, voxel } from './image-helpers.js';

describe('image.extractPatches', () => {
  it('places patch starts every stride plus one flush with the end', () => {
    expect(patchStarts(10, 4, 4)).toEqual([0, 4, 6]);
    expect(patchStarts(8, 4, 4)).toEqual([0, 4]);
    expect(patchStarts(3, 4, 2)).toEqual([0]);
    expect(patchStarts(9, 3, 2)).toEqual([0, 2, 4, 6]);
  });

  it('splits one sample into patches with ids, the initial id, origin and record', async () => {
    const img = imageFrom('int16', [10, 8, 4], (x, y, z) => x + 10 * y + 100 * z, { spacing: [1, 2, 3] });
    const seg = imageFrom('uint8', [10, 8, 4], (x) => x % 2);
    const out = await run(extractPatches({ keys: ['img', 'seg'], patchSize: [4, 4, 4] }), sampleWith('case7', { img, seg }));
    expect(out).toHaveLength(3 * 2 * 1);
    expect(out.map((s) => getKey(s, 'data.sampleId'))).toEqual([0, 1, 2, 3, 4, 5].map((i) => `case7/patch-${i}`));
    for (const s of out) expect(getKey(s, 'data.initialSampleId')).toBe('case7');
    const last = out[5]!;
    const rec = getKey<PatchRecord>(last, 'test.0.image.extractPatches.patch');
    expect(rec).toMatchObject({ index: 5, count: 6, start: [6, 4, 0], worldOrigin: [6, 8, 0] });
    const p = getKey<Image>(last, 'img');
    expect(p.shape).toEqual([4, 4, 4]);
    expect(voxel(p, 0, 0, 0)).toBe(6 + 40);
    expect(p.origin).toEqual([6, 8, 0]);
    expect(getKey<Image>(last, 'seg').shape).toEqual([4, 4, 4]);
  });

  it('keeps an existing initial id, pads a small image and reverses a patch into the full grid', async () => {
    const img = imageFrom('float32', [3, 2], (x, y) => 1 + x + 3 * y);
    const sample = { ...sampleWith('c/slice-1', { img }), data: { sampleId: 'c/slice-1', initialSampleId: 'c' } };
    const op = extractPatches({ keys: ['img'], patchSize: [4, 4], padValue: -5 });
    const out = await run(op, sample);
    expect(out).toHaveLength(1);
    expect(getKey(out[0]!, 'data.initialSampleId')).toBe('c');
    const p = getKey<Image>(out[0]!, 'img');
    expect(Array.from(p.data)).toEqual([1, 2, 3, -5, 4, 5, 6, -5, -5, -5, -5, -5, -5, -5, -5, -5]);
    const back = getKey<Image>(op.reverse!({ ...out[0]!, pred: p }, { keyToReverse: 'pred', keyToFollow: 'img', opId: 'test.0.image.extractPatches' }), 'pred');
    expect(Array.from(back.data)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('rejects keys of different sizes', async () => {
    const a = imageFrom('uint8', [4, 4], () => 0),
      b = imageFrom('uint8', [4, 5], () => 0);
    await expect(run(extractPatches({ keys: ['a', 'b'], patchSize: 2 }), sampleWith('x', { a, b }))).rejects.toThrow(/'b' has size/);
  });
});
