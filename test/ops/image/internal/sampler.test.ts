import { describe, expect, it } from 'vitest';
import { createImage } from '../../../../src/core/image.js';
import { sampleImage, type IndexMap } from '../../../../src/ops/image/internal/sampler.js';
import { imageFrom } from '../image-helpers.js';

describe('image sampler', () => {
  const img = imageFrom('float32', [11, 9, 7], (x, y, z) => Math.sin(x) + Math.cos(2 * y) * z);
  const zero = (n: number): Float32Array => new Float32Array(n * 3);
  const maps: IndexMap[] = [
    { a: [0.7, 0, 0, 0, 1.3, 0, 0, 0, 0.45], t: [-1.2, 0.3, 0.9] }, // partly outside
    { a: [1, 0, 0, 0, 1, 0, 0, 0, 1], t: [2, -3, 1] }, // integer shift
    { a: [1.5, 0, 0, 0, 0.5, 0, 0, 0, 2], t: [0.25, 0.75, -0.5] },
  ];

  for (const [m, map] of maps.entries()) {
    for (const interpolation of ['linear', 'nearest'] as const) {
      for (const padding of ['border', 'constant'] as const) {
        it(`the tabulated path equals the per-voxel path (map ${m}, ${interpolation}, ${padding})`, () => {
          const size = [10, 8, 6] as const;
          const options = { interpolation, padding, padValue: -2 };
          const fast = sampleImage(img, size, map, options);
          const slow = sampleImage(img, size, map, { ...options, displacement: zero(size[0] * size[1] * size[2]) });
          Array.from(fast).forEach((v, i) => expect(v).toBeCloseTo(slow[i] as number, 5));
        });
      }
    }
  }

  it('interpolates multi-component images per component', () => {
    const rgb = createImage(
      'uint8',
      [4, 3],
      Uint8Array.from({ length: 36 }, (_, i) => (i * 37) % 251),
      { components: 3 },
    );
    const map: IndexMap = { a: [0.5, 0, 0, 0, 0.5, 0, 0, 0, 1], t: [0.25, 0.5, 0] };
    const out = sampleImage(rgb, [6, 4, 1], map, { interpolation: 'linear', padding: 'border', padValue: 0 });
    expect(out).toHaveLength(6 * 4 * 3);
    // output (1, 0) reads x = 0.75, y = 0.5 → bilinear of voxels (0,0), (1,0), (0,1), (1,1) per component
    for (let c = 0; c < 3; c++) {
      const v = (x: number, y: number): number => rgb.data[(y * 4 + x) * 3 + c]!;
      const expected = 0.5 * (0.25 * v(0, 0) + 0.75 * v(1, 0)) + 0.5 * (0.25 * v(0, 1) + 0.75 * v(1, 1));
      expect(out[(0 * 6 + 1) * 3 + c]).toBeCloseTo(expected, 4);
    }
    const general = sampleImage(rgb, [6, 4, 1], map, { interpolation: 'linear', padding: 'border', padValue: 0, displacement: zero(24) });
    Array.from(out).forEach((v, i) => expect(v).toBeCloseTo(general[i] as number, 4));
  });
});
