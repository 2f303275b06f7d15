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
 * x, y, z order; σ ≤ 0 leaves that axis alone). Each pass views the data as
 * [outer][axis][inner] and accumulates whole contiguous `inner` rows, so the y and z passes
 * stream through memory instead of striding across it.
 */
export function gaussianSmooth(img: Image, values: FloatData, sigmas: readonly number[]): void {
  const n = size3(img);
  const C = img.components;
  for (let axis = 0; axis < img.dimension; axis++) {
    const sigma = sigmas[axis] as number;
    const len = n[axis] as number;
    if (sigma <= 0 || len < 2) continue;
    const k = kernel(sigma);
    const r = (k.length - 1) / 2;
    let inner = C;
    for (let a = 0; a < axis; a++) inner *= n[a] as number;
    const outer = values.length / (inner * len);
    if (inner === 1) {
      smoothLines(values, len, outer, k);
      continue;
    }
    const src = values.slice();
    for (let o = 0; o < outer; o++) {
      const block = o * len * inner;
      for (let t = 0; t < len; t++) {
        const dst = block + t * inner;
        values.fill(0, dst, dst + inner);
        for (let q = -r; q <= r; q++) {
          const u = t + q < 0 ? 0 : t + q >= len ? len - 1 : t + q;
          const w = k[q + r] as number;
          const from = block + u * inner;
          for (let i = 0; i < inner; i++) values[dst + i] = (values[dst + i] as number) + w * (src[from + i] as number);
        }
      }
    }
  }
}

/** The x pass of a scalar image: contiguous lines of `len` values, convolved one by one. */
function smoothLines(values: FloatData, len: number, lines: number, k: Float64Array): void {
  const r = (k.length - 1) / 2;
  const line = new Float64Array(len);
  for (let l = 0; l < lines; l++) {
    const base = l * len;
    for (let t = 0; t < len; t++) line[t] = values[base + t] as number;
    for (let t = 0; t < len; t++) {
      let s = 0;
      if (t >= r && t + r < len) {
        for (let q = 0; q < k.length; q++) s += (k[q] as number) * (line[t - r + q] as number);
      } else {
        for (let q = -r; q <= r; q++) {
          const u = t + q < 0 ? 0 : t + q >= len ? len - 1 : t + q;
          s += (k[q + r] as number) * (line[u] as number);
        }
      }
      values[base + t] = s;
    }
  }
}
