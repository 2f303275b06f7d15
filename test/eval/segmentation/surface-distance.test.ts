/**
 * Average symmetric surface distance (MONAI's compute_average_surface_distance(symmetric=True))
 * against the scipy reference of test/fixtures/eval/make-segmentation-refs.py, plus a hand case.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createImage } from '../../../src/core/image.js';
import { tensor } from '../../../src/core/tensor.js';
import { runMetric } from '../../../src/eval/metrics/run-metric.js';
import { averageSurfaceDistance, surfaceDistance } from '../../../src/eval/segmentation/surface-distance.js';

const refs = JSON.parse(readFileSync(new URL('../../fixtures/eval/segmentation-refs.json', import.meta.url), 'utf8')) as {
  '3d': { assd: number; assd_unit: number };
  '2d': { assd: number };
};

/** The formula masks of make-segmentation-refs.py. */
function masks(shape: readonly number[], fa: (p: number[]) => boolean, fb: (p: number[]) => boolean): [Uint8Array, Uint8Array] {
  const n = shape.reduce((x, y) => x * y, 1);
  const a = new Uint8Array(n);
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const p: number[] = [];
    let r = i;
    for (let d = shape.length - 1; d >= 0; d--) {
      p.unshift(r % (shape[d] as number));
      r = Math.floor(r / (shape[d] as number));
    }
    a[i] = fa(p) ? 1 : 0;
    b[i] = fb(p) ? 1 : 0;
  }
  return [a, b];
}

describe('surfaceDistance (ASSD)', () => {
  it('3D anisotropic Image and unit spacing equal the scipy reference', () => {
    const [a, b] = masks(
      [20, 24, 28],
      ([z, y, x]) => 4 * ((z as number) - 10) ** 2 + ((y as number) - 12) ** 2 + ((x as number) - 13) ** 2 <= 64,
      ([z, y, x]) =>
        4 * ((z as number) - 11) ** 2 + ((y as number) - 10) ** 2 + ((x as number) - 15) ** 2 <= 49 ||
        ((z as number) >= 2 && (z as number) <= 3 && (y as number) >= 20 && (x as number) >= 24),
    );
    const geo = { spacing: [0.8, 1.0, 2.5] };
    const batch = { pred: [createImage('uint8', [28, 24, 20], a, geo)], target: [createImage('uint8', [28, 24, 20], b, geo)] };
    expect(runMetric(surfaceDistance({ pred: 'pred', target: 'target' }), () => [batch]).result['1']).toBeCloseTo(refs['3d'].assd, 10);
    expect(runMetric(surfaceDistance({ pred: 'pred', target: 'target', spacing: [1, 1, 1] }), () => [batch]).result['1']).toBeCloseTo(refs['3d'].assd_unit, 10);
  });
  it('2D tensor with spacing (x, y) = (1.3, 0.7) equals the scipy reference', () => {
    const [a, b] = masks(
      [30, 40],
      ([y, x]) => ((y as number) - 14) ** 2 + 2 * ((x as number) - 18) ** 2 <= 90,
      ([y, x]) => ((y as number) - 16) ** 2 + ((x as number) - 21) ** 2 <= 70 || ((y as number) >= 27 && (x as number) <= 3),
    );
    const batch = { pred: [tensor('uint8', [30, 40], a)], target: [tensor('uint8', [30, 40], b)] };
    expect(runMetric(surfaceDistance({ pred: 'pred', target: 'target', spacing: [1.3, 0.7] }), () => [batch]).result['1']).toBeCloseTo(refs['2d'].assd, 10);
  });
  it('hand case: two 1-voxel-wide bars 3 voxels apart (spacing 2) are 6 apart everywhere', () => {
    // 1×5 rows at y = 0 and y = 3 in a 4×5 image: each bar is its own surface; every surface voxel is 3·2 = 6 from the other.
    const a = new Uint8Array(20);
    const b = new Uint8Array(20);
    for (let x = 0; x < 5; x++) {
      a[x] = 1;
      b[15 + x] = 1;
    }
    expect(averageSurfaceDistance(a, b, { data: a, shape: [4, 5], spacing: [2, 1] })).toBeCloseTo(6, 14);
  });
});
