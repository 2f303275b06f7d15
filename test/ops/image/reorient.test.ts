import { describe, expect, it } from 'vitest';
import { OptionsError } from '../../../src/core/errors.js';
import { getKey } from '../../../src/core/sample.js';
import type { Image } from '../../../src/core/image.js';
import { reorient } from '../../../src/ops/image/reorient.js';
import { readImageLocal } from '../../../src/ops/image/io/read-image-local.js';
import { worldOf } from '../../../src/ops/image/internal/image-access.js';
import { fixture, imageFrom, runOne, sampleWith, voxel } from './image-helpers.js';

// index x → world −y, index y → world +z, index z → world −x (column j = direction of index axis j)
const oblique = [0, 0, -1, -1, 0, 0, 0, 1, 0];
const size = [4, 3, 5];
const img = imageFrom('int32', size, (x, y, z) => x + 10 * y + 100 * z, { spacing: [1.5, 2, 3], origin: [10, 20, 30], direction: oblique });

/** Every output voxel holds the input voxel found at the same world position. */
function expectWorldKept(out: Image): void {
  const [nx, ny, nz] = [...out.shape].reverse() as [number, number, number];
  for (let z = 0; z < nz; z++) {
    for (let y = 0; y < ny; y++) {
      for (let x = 0; x < nx; x++) {
        const v = voxel(out, x, y, z);
        const src = [v % 10, Math.floor(v / 10) % 10, Math.floor(v / 100)];
        const a = worldOf(out, [x, y, z]),
          b = worldOf(img, src);
        a.forEach((w, i) => expect(w).toBeCloseTo(b[i] as number, 9));
      }
    }
  }
}

describe('image.reorient', () => {
  it('brings a permuted, flipped image to LPS with world positions kept', async () => {
    const out = getKey<Image>(await runOne(reorient({ keys: ['img'], orientation: 'LPS' }), sampleWith('a', { img })), 'img');
    expect(out.direction).toEqual([1, 0, 0, 0, 1, 0, 0, 0, 1]);
    expect([...out.shape].reverse()).toEqual([5, 4, 3]); // world x ← index z, world y ← index x, world z ← index y
    expect(out.spacing).toEqual([3, 1.5, 2]);
    expect(out.dtype).toBe('int32');
    expectWorldKept(out);
  });

  it('brings it to RAS (direction diag(−1, −1, 1) in LPS terms)', async () => {
    const out = getKey<Image>(await runOne(reorient({ keys: ['img'] }), sampleWith('a', { img })), 'img');
    expect(out.direction.map((v) => v + 0)).toEqual([-1, 0, 0, 0, -1, 0, 0, 0, 1]);
    expectWorldKept(out);
  });

  it('reverse restores the original axes, values and geometry exactly', async () => {
    const op = reorient({ keys: ['img'], orientation: 'RAS' });
    const out = await runOne(op, sampleWith('a', { img }));
    const back = getKey<Image>(op.reverse!({ ...out, pred: getKey(out, 'img') }, { keyToReverse: 'pred', keyToFollow: 'img', opId: 'test.0.image.reorient' }), 'pred');
    expect(back.shape).toEqual(img.shape);
    expect(Array.from(back.data)).toEqual(Array.from(img.data));
    back.origin.forEach((o, i) => expect(o).toBeCloseTo(img.origin[i] as number, 9));
    expect(back.direction.map((v) => v + 0)).toEqual(img.direction);
  });

  it('handles 2D images and leaves an image already in orientation untouched', async () => {
    const flat = imageFrom('uint8', [3, 2], (x, y) => x + 3 * y, { direction: [-1, 0, 0, 1] });
    const out = getKey<Image>(await runOne(reorient({ keys: ['flat'], orientation: 'LPS' }), sampleWith('a', { flat })), 'flat');
    expect(out.direction.map((v) => v + 0)).toEqual([1, 0, 0, 1]);
    expect(Array.from(out.data)).toEqual([2, 1, 0, 5, 4, 3]);
    expect(out.origin).toEqual([-2, 0]);
    const lps = imageFrom('uint8', [3, 2], (x, y) => x + 3 * y);
    expect(getKey(await runOne(reorient({ keys: ['lps'], orientation: 'LPS' }), sampleWith('a', { lps })), 'lps')).toBe(lps);
  });

  it('rejects an unknown orientation when built', () => {
    expect(() => reorient({ keys: ['img'], orientation: 'RAI' as never })).toThrow(OptionsError);
  });

  it('real file: KmeansTest T1 + label map (negative step, permuted axes) to RAS together', async () => {
    const t1 = await readImageLocal(fixture('volumes/KmeansTest_T1UCharRaw.nii.gz'));
    const seg = await readImageLocal(fixture('volumes/KmeansTest_T1KmeansPrelimSegmentation.nii.gz'));
    const out = await runOne(reorient({ keys: ['t1', 'seg'], orientation: 'RAS' }), sampleWith('k', { t1, seg }));
    const rt1 = getKey<Image>(out, 't1'),
      rseg = getKey<Image>(out, 'seg');
    // RAS: columns point to −x, −y, +z (LPS world) as closely as the file's direction allows
    const d = rt1.direction;
    expect(d[0]! < 0 && d[4]! < 0 && d[8]! > 0).toBe(true);
    expect(Math.abs(d[0]!)).toBeGreaterThan(0.9);
    expect(rseg.shape).toEqual(rt1.shape);
    expect(rseg.direction).toEqual(rt1.direction);
    // the same world point holds the same value before and after
    const probe = [37, 51, 20];
    const w = worldOf(t1, probe);
    const inv = (img: Image, world: readonly number[]): number[] => {
      // find the voxel of img whose centre is at `world` (axes are a signed permutation, so solve per axis)
      const out: number[] = [0, 0, 0];
      for (let j = 0; j < 3; j++) {
        let best = 0;
        for (let r = 1; r < 3; r++) if (Math.abs(img.direction[r * 3 + j]!) > Math.abs(img.direction[best * 3 + j]!)) best = r;
        out[j] = Math.round((world[best]! - img.origin[best]!) / (img.direction[best * 3 + j]! * img.spacing[j]!));
      }
      return out;
    };
    const q = inv(rt1, w);
    expect(voxel(rt1, q[0]!, q[1]!, q[2])).toBe(voxel(t1, probe[0]!, probe[1]!, probe[2]));
    expect(voxel(rseg, q[0]!, q[1]!, q[2])).toBe(voxel(seg, probe[0]!, probe[1]!, probe[2]));
  });
});
