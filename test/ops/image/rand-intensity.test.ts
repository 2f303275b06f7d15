/** Tests of the random intensity ops: noise, blur, gamma, scale and shift. */
import { describe, expect, it } from 'vitest';
import { OptionsError } from '../../../src/core/errors.js';
import { getKey } from '../../../src/core/sample.js';
import type { Image } from '../../../src/core/image.js';
import { randGaussianNoise } from '../../../src/ops/image/rand-gaussian-noise.js';
import { randGaussianBlur } from '../../../src/ops/image/rand-gaussian-blur.js';
import { randGamma } from '../../../src/ops/image/rand-gamma.js';
import { randScaleIntensity } from '../../../src/ops/image/rand-scale-intensity.js';
import { randShiftIntensity } from '../../../src/ops/image/rand-shift-intensity.js';
import { imageFrom, runOne, sampleWith, voxel } from './image-helpers.js';

const out = async (op: Parameters<typeof runOne>[0], img: Image, seed = 1): Promise<Image> => getKey<Image>(await runOne(op, sampleWith('s', { img }), { seed }), 'img');

describe('random intensity ops', () => {
  it('randGaussianNoise adds noise with the given std, reproducibly', async () => {
    const flat = imageFrom('float32', [200, 200], () => 10);
    const op = randGaussianNoise({ keys: ['img'], prob: 1, mean: 1, std: 0.5, sampleStd: false });
    const a = await out(op, flat),
      b = await out(op, flat);
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
    let sum = 0,
      ss = 0;
    for (const v of a.data) {
      sum += v;
      ss += v * v;
    }
    const n = a.data.length,
      mean = sum / n;
    expect(mean).toBeCloseTo(11, 1);
    expect(Math.sqrt(ss / n - mean * mean)).toBeCloseTo(0.5, 1);
    expect(Array.from(flat.data).every((v) => v === 10)).toBe(true); // input untouched
    expect(await out(randGaussianNoise({ keys: ['img'], prob: 0 }), flat)).toBe(flat);
    expect(() => randGaussianNoise({ keys: ['img'], std: -1 })).toThrow(OptionsError);
  });

  it('randGaussianBlur spreads an impulse by the normalised Gaussian kernel (hand-derived)', async () => {
    const impulse = imageFrom('float64', [15, 1], (x) => (x === 7 ? 1 : 0));
    const r = await out(randGaussianBlur({ keys: ['img'], prob: 1, sigmaRange: [1, 1] }), impulse);
    const w = [0, 1, 2, 3].map((i) => Math.exp(-(i * i) / 2));
    const total = w[0]! + 2 * (w[1]! + w[2]! + w[3]!);
    for (let i = 0; i <= 3; i++) {
      expect(voxel(r, 7 + i, 0)).toBeCloseTo(w[i]! / total, 12);
      expect(voxel(r, 7 - i, 0)).toBeCloseTo(w[i]! / total, 12);
    }
    expect(voxel(r, 11, 0)).toBe(0); // truncated at 3σ
    // the same along y (the row-wise pass); the x pass leaves values that are constant in x unchanged
    const column = imageFrom('float64', [2, 15], (_x, y) => (y === 7 ? 1 : 0));
    const c2 = await out(randGaussianBlur({ keys: ['img'], prob: 1, sigmaRange: [1, 1] }), column);
    for (let i = 0; i <= 3; i++) expect(voxel(c2, 1, 7 + i)).toBeCloseTo(w[i]! / total, 12);
    const constant = imageFrom('float32', [6, 5, 4], () => 3);
    const c = await out(randGaussianBlur({ keys: ['img'], prob: 1 }), constant);
    for (const v of c.data) expect(v).toBeCloseTo(3, 5);
  });

  it('randGamma keeps the range and bends mid-tones (γ drawn from the range)', async () => {
    const ramp = imageFrom('float64', [3, 1], (x) => 5 * x); // 0, 5, 10
    const g1 = await out(randGamma({ keys: ['img'], prob: 1, gammaRange: [1, 1] }), ramp);
    Array.from(g1.data).forEach((v, i) => expect(v).toBeCloseTo(5 * i, 5));
    const g2 = await out(randGamma({ keys: ['img'], prob: 1, gammaRange: [2, 2] }), ramp);
    expect(voxel(g2, 0, 0)).toBe(0);
    expect(voxel(g2, 1, 0)).toBeCloseTo(2.5, 5);
    expect(voxel(g2, 2, 0)).toBeCloseTo(10, 5);
    expect(() => randGamma({ keys: ['img'], gammaRange: [0, 1] })).toThrow(OptionsError);
  });

  it('randScaleIntensity and randShiftIntensity apply one factor / offset per sample', async () => {
    const img = imageFrom('int16', [3, 1], (x) => x + 1);
    expect(Array.from((await out(randScaleIntensity({ keys: ['img'], prob: 1, factors: [0.5, 0.5] }), img)).data)).toEqual([1.5, 3, 4.5]);
    expect(Array.from((await out(randShiftIntensity({ keys: ['img'], prob: 1, offsets: [2, 2] }), img)).data)).toEqual([3, 4, 5]);
    const s = await out(randScaleIntensity({ keys: ['img'], prob: 1, factors: 0.2 }), img, 9);
    const f = voxel(s, 0, 0);
    expect(f).toBeGreaterThanOrEqual(0.8);
    expect(f).toBeLessThan(1.2);
    expect(voxel(s, 2, 0)).toBeCloseTo(3 * f, 5);
    expect(() => randShiftIntensity({ keys: ['img'], offsets: [1, 0] })).toThrow(OptionsError);
  });
});
