/**
 * The weight each voxel of a window gets when overlapping windows are blended (MONAI's
 * `compute_importance_map`): `'constant'` weighs every voxel 1; `'gaussian'` is the separable
 * product of `exp(−t² / (2σ²))` over the axes, with `t` running from `−(n−1)/2` to `(n−1)/2` and
 * `σ = n · sigmaScale`, so window centres count more than their edges. Weights below
 * `max(min, 1e-3)` are raised to it, so no voxel of a window has zero weight.
 */
import { OptionsError } from '../../core/errors.js';

/** How overlapping windows are blended. */
export type BlendMode = 'constant' | 'gaussian';

/**
 * The importance map of a window of `roi` voxels ((x, y, z) order), laid out x fastest.
 * @example importanceMap([64, 64, 64], 'gaussian') // 262,144 weights, 1 at the centre
 * @throws {OptionsError} for a bad roi, an unknown mode or a sigma scale that is not positive.
 */
export function importanceMap(roi: readonly number[], mode: BlendMode, sigmaScale = 0.125): Float32Array {
  if (roi.length < 1 || roi.length > 3 || !roi.every((m) => Number.isInteger(m) && m >= 1))
    throw new OptionsError(`sliding window: roi must be 1 to 3 positive integers, got [${roi.join(', ')}]`);
  const n = roi.reduce((a, b) => a * b, 1);
  if (mode === 'constant') return new Float32Array(n).fill(1);
  if (mode !== 'gaussian') throw new OptionsError(`sliding window: blend must be 'constant' or 'gaussian', got ${JSON.stringify(mode)}`);
  if (!(sigmaScale > 0)) throw new OptionsError(`sliding window: sigmaScale must be > 0, got ${sigmaScale}`);
  const axes = roi.map((m) => {
    const sigma = m * sigmaScale;
    const g = new Float64Array(m);
    for (let i = 0; i < m; i++) {
      const t = i - (m - 1) / 2;
      g[i] = Math.exp((t * t) / (-2 * sigma * sigma));
    }
    return g;
  });
  const map = new Float32Array(n);
  const one = Float64Array.of(1);
  const [gx, gy, gz] = [axes[0] ?? one, axes[1] ?? one, axes[2] ?? one];
  let p = 0;
  for (let z = 0; z < gz.length; z++) for (let y = 0; y < gy.length; y++) for (let x = 0; x < gx.length; x++) map[p++] = (gz[z] as number) * (gy[y] as number) * (gx[x] as number);
  let min = Infinity;
  for (const w of map) if (w < min) min = w;
  const floor = Math.fround(Math.max(min, 1e-3));
  for (let i = 0; i < n; i++) if ((map[i] as number) < floor) map[i] = floor;
  return map;
}
