import { describe, expect, it } from 'vitest';
import { OptionsError } from '../../../src/core/errors.js';
import { getKey } from '../../../src/core/sample.js';
import type { Image } from '../../../src/core/image.js';
import { threshold } from '../../../src/ops/image/threshold.js';
import { imageFrom, runOne, sampleWith, voxel } from './image-helpers.js';

describe('image.threshold', () => {
  const geometry = { spacing: [2, 3, 4], origin: [10, -5, 1], direction: [0, 1, 0, 1, 0, 0, 0, 0, 1] };
  const img = imageFrom('uint8', [3, 2, 2], (x, y, z) => x + 2 * y + 3 * z, geometry);

  it('writes 1 above the threshold and 0 elsewhere, as int32, keeping the geometry', async () => {
    const out = getKey<Image>(await runOne(threshold({ keys: ['data.mask'] }), sampleWith('s', { data: { sampleId: 's', mask: img } })), 'data.mask');
    expect(out.dtype).toBe('int32');
    expect(out.shape).toEqual(img.shape);
    expect({ spacing: out.spacing, origin: out.origin, direction: out.direction }).toEqual(geometry);
    // hand check: value(x, y, z) = x + 2y + 3z > 0 everywhere except the first voxel
    expect(voxel(out, 0, 0, 0)).toBe(0);
    expect(Array.from(out.data as Int32Array).reduce((a, b) => a + b, 0)).toBe(11);
  });

  it('honours above, label and uint8; treats NaN as background; leaves the input alone', async () => {
    const f = imageFrom('float32', [4, 1, 1], (x) => [0.2, 0.5, 0.7, Number.NaN][x] as number);
    const before = Array.from(f.data);
    const out = getKey<Image>(await runOne(threshold({ keys: ['p'], above: 0.5, label: 3, dtype: 'uint8' }), sampleWith('s', { p: f })), 'p');
    expect(out.dtype).toBe('uint8');
    expect(Array.from(out.data as Uint8Array)).toEqual([0, 0, 3, 0]);
    expect(Array.from(f.data)).toEqual(before);
  });

  it('rejects bad options when built', () => {
    expect(() => threshold({ keys: [] })).toThrow(OptionsError);
    expect(() => threshold({ keys: ['a'], above: Number.NaN })).toThrow(OptionsError);
    expect(() => threshold({ keys: ['a'], label: 0 })).toThrow(OptionsError);
    expect(() => threshold({ keys: ['a'], label: 300, dtype: 'uint8' })).toThrow(OptionsError);
  });
});
