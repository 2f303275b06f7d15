/** Tests of the deterministic intensity ops, against hand-derived values. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { OptionsError } from '../../../src/core/errors.js';
import { getKey } from '../../../src/core/sample.js';
import { createImage, type Image } from '../../../src/core/image.js';
import { clipIntensity } from '../../../src/ops/image/clip-intensity.js';
import { windowIntensity } from '../../../src/ops/image/window-intensity.js';
import { zScoreIntensity } from '../../../src/ops/image/z-score-intensity.js';
import { minMaxIntensity } from '../../../src/ops/image/min-max-intensity.js';
import { normalizeIntensityPerMask } from '../../../src/ops/image/normalize-intensity-per-mask.js';
import { readImageLocal } from '../../../src/ops/image/io/read-image-local.js';
import { fixture, runOne, sampleWith, voxel } from './image-helpers.js';

const ct = createImage('int16', [3, 2], Int16Array.from([-1200, -1000, -160, 40, 240, 3000]), { spacing: [0.7, 0.7], origin: [1, 2] });
const values = async (op: Parameters<typeof runOne>[0], sample: Record<string, unknown>, key = 'img'): Promise<number[]> =>
  Array.from(getKey<Image>(await runOne(op, sampleWith('s', sample)), key).data as ArrayLike<number>);

describe('image intensity ops', () => {
  it('clipIntensity clips, keeps an integer dtype for whole bounds, and leaves the input alone', async () => {
    const out = getKey<Image>(await runOne(clipIntensity({ keys: ['img'], min: -1000, max: 400 }), sampleWith('s', { img: ct })), 'img');
    expect(out.dtype).toBe('int16');
    expect(Array.from(out.data)).toEqual([-1000, -1000, -160, 40, 240, 400]);
    expect(out.spacing).toEqual(ct.spacing);
    expect(Array.from(ct.data)).toEqual([-1200, -1000, -160, 40, 240, 3000]);
    const half = getKey<Image>(await runOne(clipIntensity({ keys: ['img'], max: 0.5 }), sampleWith('s', { img: ct })), 'img');
    expect(half.dtype).toBe('float32');
    expect(Array.from(half.data)).toEqual([-1200, -1000, -160, 0.5, 0.5, 0.5]);
    expect(() => clipIntensity({ keys: ['img'] })).toThrow(OptionsError);
    expect(() => clipIntensity({ keys: ['img'], min: 2, max: 1 })).toThrow(/above/);
  });

  it('windowIntensity maps the soft-tissue window (40/400) to 0..1', async () => {
    expect(await values(windowIntensity({ keys: ['img'], level: 40, width: 400 }), { img: ct })).toEqual([0, 0, 0, 0.5, 1, 1]);
    const v = await values(windowIntensity({ keys: ['img'], level: -600, width: 1500, outMin: -1, outMax: 1 }), { img: ct });
    // lung window: -1350..150; -1200 → -1 + 2·150/1500 = -0.8
    expect(v[0]).toBeCloseTo(-0.8, 6);
    expect(v[5]).toBe(1);
    expect(() => windowIntensity({ keys: ['img'], level: 0, width: 0 })).toThrow(OptionsError);
  });

  it('zScoreIntensity uses population statistics, optionally over a mask', async () => {
    const img = createImage('float64', [4, 1], Float64Array.from([1, 2, 3, 4]));
    // mean 2.5, population std sqrt(1.25)
    const s = Math.sqrt(1.25);
    expect(await values(zScoreIntensity({ keys: ['img'] }), { img })).toEqual([1, 2, 3, 4].map((v) => (v - 2.5) / s));
    const img2 = createImage('float32', [2, 2], Float32Array.from([1, 3, 100, -7]));
    const mask = createImage('uint8', [2, 2], Uint8Array.from([1, 1, 0, 0]));
    // mask statistics: mean 2, std 1
    expect(await values(zScoreIntensity({ keys: ['img'], maskKey: 'mask' }), { img: img2, mask })).toEqual([-1, 1, 98, -9]);
    expect(await values(zScoreIntensity({ keys: ['img'], maskKey: 'mask', zeroOutsideMask: true }), { img: img2, mask })).toEqual([-1, 1, 0, 0]);
    const flat = createImage('uint8', [3, 1], Uint8Array.from([5, 5, 5]));
    expect(await values(zScoreIntensity({ keys: ['img'] }), { img: flat })).toEqual([0, 0, 0]);
  });

  it('minMaxIntensity scales to [outMin, outMax]', async () => {
    expect(await values(minMaxIntensity({ keys: ['img'] }), { img: createImage('int16', [3, 1], Int16Array.from([-10, 0, 10])) })).toEqual([0, 0.5, 1]);
    expect(await values(minMaxIntensity({ keys: ['img'], outMin: -1, outMax: 1 }), { img: createImage('uint8', [2, 1], Uint8Array.from([3, 7])) })).toEqual([-1, 1]);
    expect(await values(minMaxIntensity({ keys: ['img'] }), { img: createImage('uint8', [2, 1], Uint8Array.from([3, 3])) })).toEqual([0, 0]);
  });

  it('normalizeIntensityPerMask z-scores each label with its own statistics', async () => {
    const img = createImage('float32', [6, 1], Float32Array.from([1, 3, 10, 20, 30, 99]));
    const labels = createImage('uint8', [6, 1], Uint8Array.from([1, 1, 2, 2, 2, 0]));
    const s2 = Math.sqrt(200 / 3); // label 2: mean 20, population std sqrt(200/3)
    const v = await values(normalizeIntensityPerMask({ keys: ['img'], maskKey: 'labels' }), { img, labels });
    expect(v.slice(0, 2)).toEqual([-1, 1]);
    expect(v[2]).toBeCloseTo(-10 / s2, 6);
    expect(v[4]).toBeCloseTo(10 / s2, 6);
    expect(v[5]).toBe(99);
    const z = await values(normalizeIntensityPerMask({ keys: ['img'], maskKey: 'labels', labels: [2], outside: 'zero' }), { img, labels });
    expect(z.slice(0, 2)).toEqual([0, 0]);
    expect(z[5]).toBe(0);
  });

  it('real file: CT_small.dcm (HU after rescale) through the soft-tissue window, at pydicom-derived probes', async () => {
    const ref = JSON.parse(readFileSync(fixture('imaging-reference.json'), 'utf8')) as { dicom: Record<string, { probes: { index: number[]; value: number }[] }> };
    const ctImage = await readImageLocal(fixture('dicom/single/CT_small.dcm'));
    const out = getKey<Image>(await runOne(windowIntensity({ keys: ['ct'], level: 40, width: 400 }), sampleWith('ct', { ct: ctImage })), 'ct');
    const probes = ref.dicom['CT_small.dcm']!.probes;
    expect(probes.length).toBeGreaterThan(2);
    for (const { index, value } of probes) {
      const expected = Math.min(1, Math.max(0, (value - (40 - 200)) / 400));
      expect(voxel(out, index[0]!, index[1]!, index[2] ?? 0)).toBeCloseTo(expected, 6);
    }
  });

  it('real file: z-score of the KmeansTest T1 inside its brain mask has mean 0 and std 1 there', async () => {
    const t1 = await readImageLocal(fixture('volumes/KmeansTest_T1UCharRaw.nii.gz'));
    const brain = await readImageLocal(fixture('volumes/KmeansTest_T1RawSkullStrip.nii.gz'));
    const out = getKey<Image>(await runOne(zScoreIntensity({ keys: ['t1'], maskKey: 'brain' }), sampleWith('k', { t1, brain })), 't1');
    let n = 0,
      sum = 0,
      ss = 0;
    out.data.forEach((v, i) => {
      if (brain.data[i] === 0) return;
      n += 1;
      sum += v;
      ss += v * v;
    });
    expect(sum / n).toBeCloseTo(0, 4);
    expect(Math.sqrt(ss / n - (sum / n) ** 2)).toBeCloseTo(1, 4);
  });
});
