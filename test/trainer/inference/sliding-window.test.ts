import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OptionsError, TypeMismatchError } from '../../../src/core/errors.js';
import { createImage, type Image } from '../../../src/core/image.js';
import type { Tensor } from '../../../src/core/tensor.js';
import { importanceMap } from '../../../src/trainer/inference/importance-map.js';
import { slidingWindow, type WindowPredictor } from '../../../src/trainer/inference/sliding-window.js';
import { windowStarts } from '../../../src/trainer/inference/window-grid.js';
import { fuzzParams } from '../../fuzz/fuzz-kit.js';

interface RefCase {
  readonly name: string;
  readonly size: number[];
  readonly roi: number[];
  readonly overlap: number;
  readonly blend: 'constant' | 'gaussian';
  readonly windows: number;
  readonly output: number[];
}
interface Ref {
  readonly cases: RefCase[];
  readonly gaussian: { roi: number[]; probes: { index: number[]; value: number }[]; min: number; sum: number }[];
}
const REF = JSON.parse(readFileSync(new URL('../../fixtures/inference/sliding-window-reference.json', import.meta.url), 'utf8')) as Ref;

/** The reference script's volume: sin(0.3x + 0.7y + 1.1z), float32, geometry off the defaults. */
function formulaVolume(size: readonly number[]): Image<'float32'> {
  const [nx, ny, nz] = [size[0] as number, size[1] as number, size[2] ?? 1];
  const data = new Float32Array(nx * ny * nz);
  let p = 0;
  for (let z = 0; z < nz; z++) for (let y = 0; y < ny; y++) for (let x = 0; x < nx; x++) data[p++] = Math.sin(0.3 * x + 0.7 * y + 1.1 * z);
  const d = size.length;
  return createImage('float32', size, data, { spacing: d === 3 ? [0.5, 2, 3] : [0.5, 2], origin: d === 3 ? [10, -4, 7] : [10, -4] });
}

/** The reference script's model: channel 0 = v² + 0.01(lx + 2ly + 3lz), channel 1 = −v + 0.1 lx. */
const formulaModel: WindowPredictor = (w: Tensor<'float32'>) => {
  const d = w.shape.length - 2;
  const dim = (i: number): number => w.shape[i] as number;
  const [n, mz, my, mx] = d === 3 ? [dim(0), dim(1), dim(2), dim(3)] : [dim(0), 1, dim(1), dim(2)];
  const out = new Float32Array(w.data.length * 2);
  let p = 0;
  for (let b = 0; b < n; b++)
    for (let z = 0; z < mz; z++)
      for (let y = 0; y < my; y++)
        for (let x = 0; x < mx; x++, p++) {
          const v = w.data[p] as number;
          out[2 * p] = v * v + 0.01 * (x + 2 * y + 3 * z);
          out[2 * p + 1] = -v + 0.1 * x;
        }
  return { dtype: 'float32', shape: [...w.shape.slice(0, -1), 2], data: out };
};

const identity: WindowPredictor = (w) => w;

describe('slidingWindow against the numpy reference of MONAI sliding_window_inference', () => {
  for (const c of REF.cases) {
    it(`${c.name}: same windows and same blended output (≤ 2e-6)`, async () => {
      const img = formulaVolume(c.size);
      let windows = 0;
      const out = await slidingWindow(img, formulaModel, { roi: c.roi, overlap: c.overlap, blend: c.blend, batchSize: 3, onProgress: (p) => (windows = p.total) });
      expect(windows).toBe(c.windows);
      expect(out.components).toBe(2);
      expect(out.shape).toEqual([...[...c.size].reverse(), 2]);
      expect(out.data.length).toBe(c.output.length);
      let worst = 0;
      out.data.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - (c.output[i] as number)))));
      expect(worst).toBeLessThan(2e-6);
      expect(out.spacing).toEqual(img.spacing);
      expect(out.origin).toEqual(img.origin);
      expect(out.direction).toEqual(img.direction);
    });
  }
});

describe('importanceMap', () => {
  for (const g of REF.gaussian) {
    it(`gaussian ${g.roi.join('×')} equals exp(−t²/2σ²), σ = 0.125·roi, clamped at max(min, 1e-3)`, () => {
      const m = importanceMap(g.roi, 'gaussian');
      const [nx, ny] = [g.roi[0] as number, g.roi[1] as number];
      for (const p of g.probes) {
        const i = ((p.index[2] ?? 0) * ny + (p.index[1] as number)) * nx + (p.index[0] as number);
        expect(m[i]).toBeCloseTo(p.value, 6);
      }
      expect(Math.min(...m.subarray(0, 100000))).toBeGreaterThanOrEqual(Math.fround(g.min) * (1 - 1e-6));
    });
  }
  it('hand values: a 3-voxel axis has σ = 0.375, edge weight exp(−1/(2·0.140625)) = 0.02856…', () => {
    const m = importanceMap([3], 'gaussian');
    expect(m[1]).toBe(1);
    expect(m[0]).toBeCloseTo(Math.exp(-1 / (2 * 0.375 * 0.375)), 7);
    expect([...importanceMap([2, 2], 'constant')]).toEqual([1, 1, 1, 1]);
  });
  it('refuses an unknown mode and a non-positive sigma', () => {
    expect(() => importanceMap([4], 'box' as 'constant')).toThrow(OptionsError);
    expect(() => importanceMap([4], 'gaussian', 0)).toThrow(OptionsError);
  });
});

describe('windowStarts (hand-derived)', () => {
  it('interval floor(roi·(1−overlap)), last window flush with the end', () => {
    expect(windowStarts(10, 4, 0.5)).toEqual([0, 2, 4, 6]);
    expect(windowStarts(11, 4, 0.5)).toEqual([0, 2, 4, 6, 7]);
    expect(windowStarts(4, 4, 0.5)).toEqual([0]);
    expect(windowStarts(181, 64, 0.5)).toEqual([0, 32, 64, 96, 117]);
    expect(windowStarts(5, 4, 0.9)).toEqual([0, 1]);
  });
});

describe('slidingWindow: hand-derived cases', () => {
  const img3 = formulaVolume([21, 14, 9]);
  for (const blend of ['constant', 'gaussian'] as const) {
    it(`an identity model gives back the input bit for bit (${blend}, overlap 0.6, padding on z)`, async () => {
      const out = await slidingWindow(img3, identity, { roi: [8, 6, 12], overlap: 0.6, blend, batchSize: 5 });
      expect(out.components).toBe(1);
      expect(out.shape).toEqual(img3.shape);
      expect(Buffer.from(out.data.buffer).equals(Buffer.from(img3.data.buffer))).toBe(true);
    });
  }
  it('a model that outputs a constant 1 gives 1 everywhere; an int16 input reaches the model as float32 values', async () => {
    const img = createImage(
      'int16',
      [7, 5, 4],
      Int16Array.from({ length: 140 }, (_, i) => i - 70),
    );
    const seen: number[] = [];
    const ones: WindowPredictor = (w) => {
      seen.push(...w.data);
      return { dtype: 'float32', shape: w.shape, data: new Float32Array(w.data.length).fill(1) };
    };
    const out = await slidingWindow(img, ones, { roi: [4, 4, 4], overlap: 0.5, blend: 'gaussian' });
    expect(new Set(out.data)).toEqual(new Set([1]));
    expect(Math.min(...seen)).toBe(-70);
    const back = await slidingWindow(img, identity, { roi: [4, 4, 4], overlap: 0.5 });
    expect([...back.data]).toEqual([...img.data]);
  });
  it('keeps at most batchSize windows in flight, one call at a time, and reports progress per batch', async () => {
    let inFlight = 0;
    let most = 0;
    const sizes: number[] = [];
    const slow: WindowPredictor = async (w) => {
      inFlight++;
      most = Math.max(most, inFlight);
      sizes.push(w.shape[0] as number);
      await new Promise((r) => setTimeout(r, 1));
      inFlight--;
      return w;
    };
    const progress: number[] = [];
    await slidingWindow(img3, slow, { roi: [8, 6, 4], overlap: 0.5, batchSize: 4, onProgress: (p) => progress.push(p.windows) });
    const total = 5 * 4 * 4; // windowStarts(21, 8, .5) = [0,4,8,12,13], (14, 6, .5) = [0,3,6,8], (9, 4, .5) = [0,2,4,5]
    expect(most).toBe(1);
    expect(Math.max(...sizes)).toBe(4);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(total);
    expect(progress[progress.length - 1]).toBe(total);
    expect(progress.length).toBe(Math.ceil(total / 4));
  });
  it('refuses a predictor that changes the window shape, and bad options', async () => {
    const bad: WindowPredictor = (w) => ({ dtype: 'float32', shape: [w.shape[0] as number, 2, 2, 2], data: new Float32Array((w.shape[0] as number) * 8) });
    await expect(slidingWindow(img3, bad, { roi: [4, 4, 4] })).rejects.toThrow(TypeMismatchError);
    await expect(slidingWindow(img3, identity, { roi: [4, 4] })).rejects.toThrow(OptionsError);
    await expect(slidingWindow(img3, identity, { roi: [4, 4, 4], overlap: 1 })).rejects.toThrow(OptionsError);
    await expect(slidingWindow(img3, identity, { roi: [4, 4, 4], batchSize: 0 })).rejects.toThrow(OptionsError);
  });
});

describe('slidingWindow: random sizes, windows and overlaps (fast-check, fixed seed)', () => {
  it('an identity model gives the input back exactly and every voxel is covered, 2D and 3D, both blends', async () => {
    const tally = { cases: 0, padded: 0 };
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 2, max: 3 }).chain((d) =>
          fc.record({
            size: fc.array(fc.integer({ min: 1, max: 13 }), { minLength: d, maxLength: d }),
            roi: fc.array(fc.integer({ min: 1, max: 9 }), { minLength: d, maxLength: d }),
            overlap: fc.double({ min: 0, max: 0.95, noNaN: true }),
            blend: fc.constantFrom('constant' as const, 'gaussian' as const),
            batchSize: fc.integer({ min: 1, max: 5 }),
          }),
        ),
        async ({ size, roi, overlap, blend, batchSize }) => {
          const img = formulaVolume(size);
          const out = await slidingWindow(img, identity, { roi, overlap, blend, batchSize });
          tally.cases++;
          if (roi.some((r, a) => r > (size[a] as number))) tally.padded++;
          expect([...out.data]).toEqual([...img.data]);
        },
      ),
      fuzzParams(60),
    );
    console.log(`sliding window property: ${tally.cases} cases, ${tally.padded} with a window larger than the volume`);
    expect(tally.padded).toBeGreaterThan(0);
  });
});
