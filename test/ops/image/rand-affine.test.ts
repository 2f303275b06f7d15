import { describe, expect, it } from 'vitest';
import { OptionsError } from '../../../src/core/errors.js';
import { getKey } from '../../../src/core/sample.js';
import type { Image } from '../../../src/core/image.js';
import { applyIndexMap, randAffine, type AffineEntry } from '../../../src/ops/image/rand-affine.js';
import { affineIndexMap } from '../../../src/ops/image/internal/affine.js';
import { rotate90Map } from '../../../src/ops/image/rand-rotate90.js';
import { applyAxes } from '../../../src/ops/image/internal/axes.js';
import { readImageLocal } from '../../../src/ops/image/io/read-image-local.js';
import { distinct, fixture, imageFrom, runOne, sampleWith, voxel } from './image-helpers.js';

const img3 = imageFrom('int16', [9, 7, 5], (x, y, z) => 1 + x + 10 * y + 100 * z, { spacing: [0.8, 1, 2.5], origin: [1, 2, 3] });
const seg3 = imageFrom('uint8', [9, 7, 5], (x, y, z) => (x + y + z) % 4);

describe('image.randAffine', () => {
  it('with zero parameters is exactly the identity (2D and 3D, linear and nearest)', async () => {
    const img2 = imageFrom('float32', [6, 5], (x, y) => Math.sin(x + 2 * y));
    const out = await runOne(randAffine({ keys: ['img3', 'seg3', 'img2'], prob: 1, interpolation: ['linear', 'nearest', 'linear'] }), sampleWith('a', { img3, seg3, img2 }));
    expect(Array.from(getKey<Image>(out, 'img3').data)).toEqual(Array.from(img3.data));
    expect(getKey<Image>(out, 'seg3')).toEqual(seg3);
    expect(Array.from(getKey<Image>(out, 'img2').data)).toEqual(Array.from(img2.data));
  });

  it('a 90° rotation with nearest interpolation equals the exact quarter turn (square, isotropic)', () => {
    const sq = imageFrom('int16', [5, 5], (x, y) => x + 10 * y);
    const { a, t } = affineIndexMap([5, 5], [1, 1], { rotate: [Math.PI / 2], scale: [1, 1], shear: [0], translate: [0, 0] });
    const rotated = applyIndexMap(sq, a, t, 'nearest', 'constant', -1);
    const turns = [1, 3].map((k) => Array.from(applyAxes(sq, rotate90Map(2, k, 0, 1)).data));
    expect(turns).toContainEqual(Array.from(rotated.data));
  });

  it('moves an image and its label map with one draw; labels keep their values', async () => {
    // seg is a function of img, so after the same nearest transform it must still be that function
    const segOf = (v: number): number => (v % 7) % 4;
    const seg = imageFrom('uint8', [9, 7, 5], (x, y, z) => segOf(1 + x + 10 * y + 100 * z), { spacing: img3.spacing, origin: img3.origin });
    const op = randAffine({ keys: ['img', 'seg'], prob: 1, rotateRange: 0.4, scaleRange: 0.2, shearRange: 0.1, translateRange: 2, interpolation: 'nearest', padValue: 0 });
    for (let seed = 0; seed < 4; seed++) {
      const out = await runOne(op, sampleWith('a', { img: img3, seg }), { seed });
      const a = getKey<Image>(out, 'img'),
        b = getKey<Image>(out, 'seg');
      expect(a.dtype).toBe('int16');
      a.data.forEach((v, i) => expect(b.data[i]).toBe(v === 0 ? 0 : segOf(v)));
      for (const v of distinct(b)) expect([0, 1, 2, 3]).toContain(v);
      expect(a.spacing).toEqual(img3.spacing);
    }
  });

  it('reverse maps a linear prediction back: a linear ramp comes back exactly inside', async () => {
    const ramp = imageFrom('float64', [21, 19, 17], (x, y, z) => 2 * x - 3 * y + 0.5 * z, { spacing: [1, 1.2, 1.5] });
    const op = randAffine({ keys: ['ramp'], prob: 1, rotateRange: 0.15, scaleRange: 0.1, translateRange: 1.5 });
    const out = await runOne(op, sampleWith('a', { ramp }), { seed: 3 });
    const entry = getKey<{ entries: AffineEntry[] }>(out, 'test.0.image.randAffine').entries[0]!;
    expect(entry.a).toHaveLength(9);
    const back = getKey<Image>(op.reverse!({ ...out, pred: getKey(out, 'ramp') }, { keyToReverse: 'pred', keyToFollow: 'ramp', opId: 'test.0.image.randAffine' }), 'pred');
    for (let z = 6; z < 11; z++) for (let y = 7; y < 12; y++) for (let x = 8; x < 13; x++) expect(voxel(back, x, y, z)).toBeCloseTo(voxel(ramp, x, y, z), 6);
  });

  it('is the same for the same seed and differs across seeds', async () => {
    const op = randAffine({ keys: ['img'], prob: 1, rotateRange: 0.3, translateRange: 1 });
    const a = getKey<Image>(await runOne(op, sampleWith('s', { img: img3 }), { seed: 7 }), 'img');
    const b = getKey<Image>(await runOne(op, sampleWith('s', { img: img3 }), { seed: 7 }), 'img');
    const c = getKey<Image>(await runOne(op, sampleWith('s', { img: img3 }), { seed: 8 }), 'img');
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
    expect(Array.from(a.data)).not.toEqual(Array.from(c.data));
  });

  it('real file: KmeansTest label map keeps its label set under a random affine', async () => {
    const t1 = await readImageLocal(fixture('volumes/KmeansTest_T1UCharRaw.nii.gz'));
    const seg = await readImageLocal(fixture('volumes/KmeansTest_T1KmeansPrelimSegmentation.nii.gz'));
    const out = await runOne(randAffine({ keys: ['t1', 'seg'], prob: 1, rotateRange: 0.2, scaleRange: 0.1, interpolation: ['linear', 'nearest'] }), sampleWith('k', { t1, seg }));
    for (const v of distinct(getKey<Image>(out, 'seg'))) expect(distinct(seg)).toContain(v);
    expect(getKey<Image>(out, 't1').dtype).toBe('float32');
  });

  it('validates ranges when built', () => {
    expect(() => randAffine({ keys: ['img'], rotateRange: -1 })).toThrow(OptionsError);
    expect(() => randAffine({ keys: ['img'], scaleRange: 1 })).toThrow(/scaleRange/);
    expect(() => randAffine({ keys: ['img'], padding: 'mirror' as never })).toThrow(/padding/);
  });
});
