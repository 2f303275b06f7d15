import { describe, expect, it } from 'vitest';
import { OptionsError } from '../../../src/core/errors.js';
import { Rng } from '../../../src/core/rng.js';
import { getKey } from '../../../src/core/sample.js';
import type { Image } from '../../../src/core/image.js';
import { displacementField, randElastic } from '../../../src/ops/image/rand-elastic.js';
import { distinct, imageFrom, runOne, sampleWith } from './image-helpers.js';

const img = imageFrom('int16', [24, 20, 6], (x, y, z) => 1 + x + 30 * y + 1000 * z);
const segOf = (v: number): number => (v % 5 === 0 ? 3 : v % 3);
const seg = imageFrom('uint8', [24, 20, 6], (x, y, z) => segOf(1 + x + 30 * y + 1000 * z));

describe('image.randElastic', () => {
  it('with zero magnitude leaves values unchanged', async () => {
    const out = await runOne(randElastic({ keys: ['img'], prob: 1, magnitudeRange: [0, 0] }), sampleWith('a', { img }));
    expect(Array.from(getKey<Image>(out, 'img').data)).toEqual(Array.from(img.data));
  });

  it('deforms an image and its label map with one field; labels keep their values', async () => {
    const op = randElastic({ keys: ['img', 'seg'], prob: 1, controlSpacing: 6, magnitudeRange: [1, 2], interpolation: 'nearest' });
    const out = await runOne(op, sampleWith('a', { img, seg }), { seed: 5 });
    const a = getKey<Image>(out, 'img'),
      b = getKey<Image>(out, 'seg');
    let moved = 0;
    a.data.forEach((v, i) => {
      expect(b.data[i]).toBe(segOf(v));
      if (v !== img.data[i]) moved++;
    });
    expect(moved).toBeGreaterThan(a.data.length / 4);
    expect(distinct(b).every((v) => [0, 1, 2, 3].includes(v))).toBe(true);
  });

  it('draws a smooth field: neighbouring voxels move by nearly the same amount', () => {
    const field = displacementField([32, 32, 1], 2, [8, 8], 3, Rng.fromParts([1]));
    let maxStep = 0,
      maxAbs = 0;
    for (let y = 0; y < 32; y++) {
      for (let x = 0; x < 31; x++) {
        const i = (y * 32 + x) * 3;
        maxStep = Math.max(maxStep, Math.abs(field[i + 3]! - field[i]!));
        maxAbs = Math.max(maxAbs, Math.abs(field[i]!));
        expect(field[i + 2]).toBe(0); // no z displacement in 2D
      }
    }
    expect(maxAbs).toBeGreaterThan(1);
    expect(maxStep).toBeLessThan(maxAbs / 2);
  });

  it('is reproducible for a seed and validates options', async () => {
    const op = randElastic({ keys: ['img'], prob: 1, controlSpacing: [5, 5, 3] });
    const a = await runOne(op, sampleWith('s', { img }), { seed: 2 });
    const b = await runOne(op, sampleWith('s', { img }), { seed: 2 });
    expect(Array.from(getKey<Image>(a, 'img').data)).toEqual(Array.from(getKey<Image>(b, 'img').data));
    expect(() => randElastic({ keys: ['img'], magnitudeRange: [2, 1] })).toThrow(OptionsError);
    expect(() => randElastic({ keys: ['img'], controlSpacing: 0 })).toThrow(/controlSpacing/);
  });
});
