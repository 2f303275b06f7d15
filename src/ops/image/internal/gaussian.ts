/**
 * Separable Gaussian smoothing in voxel units, with the edge voxel repeated past the border.
 * Kernels are truncated at 3σ and normalised to sum 1, so a constant image stays constant.
 */
import type { Image } from '../../../core/image.js';
import { size3 } from './image-access.js';
import type { FloatData } from './intensity.js';

function kernel(sigma: number): Float64Array {
  const radius = Math.max(1, Math.ceil(3 * sigma));
  const k = new Float64Array(2 * radius + 1);
  let sum = 0;
  for (let i = -radius; i <= radius; i++) {
    const v = Math.exp(-(i * i) / (2 * sigma * sigma));
    k[i + radius] = v;
    sum += v;
  }
  for (let i = 0; i < k.length; i++) k[i] = (k[i] as number) / sum;
  return k;
}

/**
 * Smooths `values` (laid out like `img`) in place along each spatial axis with its σ (voxels,
 * x, y, z order; σ ≤ 0 leaves that axis alone).
 */
export function gaussianSmooth(img: Image, values: FloatData, sigmas: readonly number[]): void {
  const n = size3(img);
  const C = img.components;
  const strides = [C, n[0] * C, n[0] * n[1] * C];
  const line = new Float64Array(Math.max(n[0], n[1], n[2]));
  for (let axis = 0; axis < img.dimension; axis++) {
    const sigma = sigmas[axis] as number;
    const len = n[axis] as number;
    if (sigma <= 0 || len < 2) continue;
    const k = kernel(sigma);
    const r = (k.length - 1) / 2;
    const stride = strides[axis] as number;
    // Every line along `axis` starts at a voxel whose index on `axis` is 0.
    const others = [0, 1, 2].filter((a) => a !== axis);
    const [a, b] = [others[0] as number, others[1] as number];
    for (let j = 0; j < (n[b] as number); j++) {
      for (let i = 0; i < (n[a] as number); i++) {
        for (let c = 0; c < C; c++) {
          const base = i * (strides[a] as number) + j * (strides[b] as number) + c;
          for (let t = 0; t < len; t++) line[t] = values[base + t * stride] as number;
          for (let t = 0; t < len; t++) {
            let s = 0;
            if (t >= r && t + r < len) {
              // Interior: no edge clamping needed.
              for (let q = 0; q < k.length; q++) s += (k[q] as number) * (line[t - r + q] as number);
            } else {
              for (let q = -r; q <= r; q++) {
                const u = t + q;
                s += (k[q + r] as number) * (line[u < 0 ? 0 : u >= len ? len - 1 : u] as number);
              }
            }
            values[base + t * stride] = s;
          }
        }
      }
    }
  }
}
