/**
 * Test-time augmentation by flips: each batch of windows is predicted as it is and once per
 * flip (the windows mirrored along the flip's axes), every flipped output is mirrored back, and
 * the outputs are averaged (float64 sums, float32 result). The wrapped predictor still sees at
 * most one batch at a time, so the sliding window's memory bound holds; the calls are `1 +
 * flips.length` times as many.
 */
import { OptionsError } from '../../core/errors.js';
import type { Tensor } from '../../core/tensor.js';
import type { WindowPredictor } from './sliding-window.js';

/** Options of {@link flipTta}. */
export interface FlipTtaOptions {
  /**
   * The flips, each a list of spatial axes flipped together, numbered x = 0, y = 1, z = 2 (e.g.
   * `[[0], [1], [2]]`, or `[[0, 1, 2]]`). Required, at least one; axes must differ within a flip.
   */
  readonly flips: readonly (readonly number[])[];
  /** Also average the unflipped prediction. Default true. */
  readonly includeOriginal?: boolean;
}

/**
 * A predictor that averages `predict` over flipped copies of each batch, each output flipped back.
 * @example slidingWindow(img, flipTta(predictor, { flips: [[0], [1], [2]] }), { roi: [64, 64, 64] })
 * @throws {OptionsError} for no flips or a bad axis (checked here; an axis past the windows' dimension when called).
 */
export function flipTta(predict: WindowPredictor, options: FlipTtaOptions): WindowPredictor {
  const flips = options.flips.map((f) => [...f]);
  const includeOriginal = options.includeOriginal ?? true;
  if (flips.length === 0 && !includeOriginal) throw new OptionsError('flipTta: give at least one flip');
  for (const f of flips) {
    if (f.length === 0 || !f.every((a) => Number.isInteger(a) && a >= 0 && a <= 2) || new Set(f).size !== f.length) {
      throw new OptionsError(`flipTta: each flip is a list of distinct axes among 0 (x), 1 (y), 2 (z), got [${f.join(', ')}]`);
    }
  }
  return async (windows) => {
    const d = windows.shape.length - 2;
    for (const f of flips) if (f.some((a) => a >= d)) throw new OptionsError(`flipTta: flip [${f.join(', ')}] names an axis the ${d}D windows lack`);
    let sum: Float64Array | undefined;
    let shape: readonly number[] = [];
    let runs = 0;
    const add = (out: Tensor<'float32'>): void => {
      if (sum === undefined) {
        sum = new Float64Array(out.data.length);
        shape = out.shape;
      } else if (out.data.length !== sum.length || out.shape.join(',') !== shape.join(',')) {
        throw new OptionsError(`flipTta: the predictor returned [${out.shape.join(', ')}] for a flipped batch, [${shape.join(', ')}] unflipped`);
      }
      for (let i = 0; i < sum.length; i++) sum[i] = (sum[i] as number) + (out.data[i] as number);
      runs++;
    };
    if (includeOriginal) add(await predict(windows));
    for (const f of flips) {
      const out = await predict(flipWindows(windows, f, d));
      add(flipWindows(out, f, d));
    }
    const total = sum as Float64Array;
    const mean = new Float32Array(total.length);
    for (let i = 0; i < mean.length; i++) mean[i] = (total[i] as number) / runs;
    return { dtype: 'float32', shape: [...shape], data: mean };
  };
}

/**
 * A batch `[n, ...spatial(d axes, slowest first), C?]` mirrored along spatial `axes` (x = 0).
 */
export function flipWindows(t: Tensor<'float32'>, axes: readonly number[], d: number): Tensor<'float32'> {
  const shape = t.shape;
  const spatial = shape.slice(1, 1 + d);
  const C = shape.length > d + 1 ? (shape[d + 1] as number) : 1;
  const n = shape[0] as number;
  // spatial sizes in (x, y, z) order, padded to 3
  const [nx, ny, nz] = [spatial[d - 1] as number, spatial[d - 2] as number, d === 3 ? (spatial[0] as number) : 1];
  const [fx, fy, fz] = [axes.includes(0), axes.includes(1), axes.includes(2)];
  const out = new Float32Array(t.data.length);
  const per = nx * ny * nz * C;
  for (let b = 0; b < n; b++) {
    for (let z = 0; z < nz; z++) {
      const sz = fz ? nz - 1 - z : z;
      for (let y = 0; y < ny; y++) {
        const sy = fy ? ny - 1 - y : y;
        for (let x = 0; x < nx; x++) {
          const sx = fx ? nx - 1 - x : x;
          const to = b * per + ((z * ny + y) * nx + x) * C;
          const from = b * per + ((sz * ny + sy) * nx + sx) * C;
          for (let c = 0; c < C; c++) out[to + c] = t.data[from + c] as number;
        }
      }
    }
  }
  return { dtype: 'float32', shape: [...shape], data: out };
}
