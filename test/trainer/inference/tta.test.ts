import { describe, expect, it } from 'vitest';
import { OptionsError } from '../../../src/core/errors.js';
import { createImage } from '../../../src/core/image.js';
import type { Tensor } from '../../../src/core/tensor.js';
import { slidingWindow, type WindowPredictor } from '../../../src/trainer/inference/sliding-window.js';
import { flipTta, flipWindows } from '../../../src/trainer/inference/tta.js';

/** A model that is not flip-equivariant: each voxel gets its x index inside the window. */
const rampX: WindowPredictor = (w: Tensor<'float32'>) => {
  const mx = w.shape[w.shape.length - 2] as number;
  return { dtype: 'float32', shape: w.shape, data: Float32Array.from(w.data, (_, i) => i % mx) };
};

describe('flipTta', () => {
  it('averages the plain and the x-flipped prediction, each flipped back: a ramp 0…m−1 becomes (m−1)/2 everywhere', async () => {
    const w: Tensor<'float32'> = { dtype: 'float32', shape: [2, 3, 4, 5, 1], data: new Float32Array(120) };
    const out = await flipTta(rampX, { flips: [[0]] })(w);
    expect(new Set(out.data)).toEqual(new Set([2]));
    // a flip along y leaves the x ramp alone
    const y = await flipTta(rampX, { flips: [[1]] })(w);
    expect([...y.data]).toEqual([...(rampX(w) as Tensor<'float32'>).data]);
  });
  it('an identity model under flips along x, y, z and all three gives back the input exactly through the sliding window', async () => {
    const img = createImage(
      'float32',
      [9, 7, 6],
      Float32Array.from({ length: 378 }, (_, i) => Math.sin(i * 0.37)),
    );
    const tta = flipTta((w) => w, { flips: [[0], [1], [2], [0, 1, 2]] });
    const out = await slidingWindow(img, tta, { roi: [4, 4, 4], overlap: 0.5, blend: 'gaussian', batchSize: 2 });
    expect([...out.data]).toEqual([...img.data]);
  });
  it('flipWindows mirrors the named axes of each window and keeps channels together (hand case, 2D)', () => {
    // one 2×3 window (y, x) with 2 channels: value = 10·index + channel
    const t: Tensor<'float32'> = { dtype: 'float32', shape: [1, 2, 3, 2], data: Float32Array.from({ length: 12 }, (_, i) => 10 * (i >> 1) + (i & 1)) };
    expect([...flipWindows(t, [0], 2).data]).toEqual([20, 21, 10, 11, 0, 1, 50, 51, 40, 41, 30, 31]);
    expect([...flipWindows(t, [1], 2).data]).toEqual([30, 31, 40, 41, 50, 51, 0, 1, 10, 11, 20, 21]);
  });
  it('refuses an empty flip, a repeated axis, an axis past z, and a z flip on 2D windows', async () => {
    expect(() => flipTta(rampX, { flips: [[]] })).toThrow(OptionsError);
    expect(() => flipTta(rampX, { flips: [[0, 0]] })).toThrow(OptionsError);
    expect(() => flipTta(rampX, { flips: [[3]] })).toThrow(OptionsError);
    const w2: Tensor<'float32'> = { dtype: 'float32', shape: [1, 2, 2, 1], data: new Float32Array(4) };
    await expect(Promise.resolve(flipTta(rampX, { flips: [[2]] })(w2))).rejects.toThrow(OptionsError);
  });
});
