/**
 * Sliding-window inference over a whole 2D or 3D image (MONAI's `sliding_window_inference`):
 * windows of `roi` voxels placed by {@link windowGrid} (interval `roi · (1 − overlap)`, the last
 * window flush with the end, an image smaller than the window padded with `padValue`), sent to
 * the predictor `batchSize` at a time, each output weighted by the {@link importanceMap} and
 * added into an accumulator; the result is the weighted sum divided by the summed weights, on the
 * image's own grid (same size, spacing, origin, direction).
 *
 * Memory is bounded by one volume, never by the number of windows: for an image of `N` voxels,
 * a window of `R` voxels, `Cin` input and `Cout` output channels and batch `B`, the arrays held
 * are the float64 accumulators `8·N·(Cout + 1)` bytes (weighted outputs and summed weights), the
 * float32 result `4·N·Cout`, the importance map `4·R`, and the windows in flight
 * `4·B·R·(Cin + Cout)` (one batch in, one batch out; the next batch is cut only after the
 * previous output is added) — plus whatever the model itself allocates for `B` windows. The
 * accumulators are float64 so that an identity model gives back its input bit for bit.
 */
import { OptionsError, TypeMismatchError } from '../../core/errors.js';
import type { Image } from '../../core/image.js';
import type { Tensor, TypedArray } from '../../core/tensor.js';
import { importanceMap, type BlendMode } from './importance-map.js';
import { windowGrid } from './window-grid.js';

/**
 * A model over a batch of windows: input `[n, ...window, Cin]` (window axes slowest first:
 * `[z, y, x]` in 3D, `[y, x]` in 2D; channels last), output `[n, ...window, Cout]` or
 * `[n, ...window]` (one channel) on the same window grid.
 */
export type WindowPredictor = (windows: Tensor<'float32'>) => Tensor<'float32'> | Promise<Tensor<'float32'>>;

/** Progress of one sliding-window pass. */
export interface SlidingWindowProgress {
  /** Windows predicted so far, and in all. */
  readonly windows: number;
  readonly total: number;
}

/** Options of {@link slidingWindow}. */
export interface SlidingWindowOptions {
  /** Window size in voxels, (x, y, z) order (2 numbers for a 2D image). Required. */
  readonly roi: readonly number[];
  /** Fraction of a window shared with its neighbour, in [0, 1). Default 0.25 (MONAI's). */
  readonly overlap?: number;
  /** `'constant'` (plain average of overlaps) or `'gaussian'` (window centres weigh more). Default `'constant'`. */
  readonly blend?: BlendMode;
  /** σ of the Gaussian blend as a fraction of the window size. Default 0.125. */
  readonly sigmaScale?: number;
  /** Windows per predictor call (the windows in flight). Default 1. */
  readonly batchSize?: number;
  /** Value of voxels padded around an image smaller than the window. Default 0. */
  readonly padValue?: number;
  /** Called after each batch of windows. */
  readonly onProgress?: (progress: SlidingWindowProgress) => void;
}

/**
 * Runs `predict` over `image` window by window and blends the outputs into one float32 image on
 * the input's grid (`components` = output channels).
 * @example const probs = await slidingWindow(img, dictModelPredictor(model, { output: 'model.output.seg' }), { roi: [64, 64, 64], overlap: 0.5, blend: 'gaussian', batchSize: 4 });
 * @throws {OptionsError} for a bad roi, overlap, blend or batch size.
 * @throws {TypeMismatchError} when the predictor returns a shape other than its windows' or a channel count that changes between calls.
 */
export async function slidingWindow(image: Image, predict: WindowPredictor, options: SlidingWindowOptions): Promise<Image<'float32'>> {
  const d = image.dimension;
  if (d !== 2 && d !== 3) throw new TypeMismatchError(`sliding window: needs a 2D or 3D image, got ${d}D`);
  const batchSize = options.batchSize ?? 1;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new OptionsError(`sliding window: batchSize must be a positive integer, got ${batchSize}`);
  const padValue = options.padValue ?? 0;
  if (!Number.isFinite(padValue)) throw new OptionsError(`sliding window: padValue must be a finite number, got ${padValue}`);
  const size = spatialSize(image);
  const roi = [...options.roi];
  const grid = windowGrid(size, roi, options.overlap ?? 0.25);
  const weights = importanceMap(roi, options.blend ?? 'constant', options.sigmaScale ?? 0.125);
  const cin = image.components;
  const R = weights.length;
  const N = size.reduce((a, b) => a * b, 1);
  const total = grid.starts.length;
  const windowShape = [...roi].reverse();
  const weightSum = new Float64Array(N);
  let acc: Float64Array | undefined;
  let cout = 0;
  for (let first = 0; first < total; first += batchSize) {
    const starts = grid.starts.slice(first, first + batchSize);
    const input = new Float32Array(starts.length * R * cin);
    starts.forEach((s, b) => cutWindow(image.data, size, cin, s, grid.padBefore, roi, padValue, input, b * R * cin));
    const out = await predict({ dtype: 'float32', shape: [starts.length, ...windowShape, cin], data: input });
    const c = outputChannels(out, starts.length, windowShape);
    if (acc === undefined) {
      cout = c;
      acc = new Float64Array(N * cout);
    } else if (c !== cout) {
      throw new TypeMismatchError(`sliding window: the predictor returned ${c} channels for windows ${first}…, ${cout} before`);
    }
    starts.forEach((s, b) => addWindow(acc as Float64Array, weightSum, size, cout, s, grid.padBefore, roi, weights, out.data, b * R * cout));
    options.onProgress?.({ windows: first + starts.length, total });
  }
  const result = new Float32Array(N * cout);
  const sums = acc as Float64Array;
  for (let v = 0; v < N; v++) {
    const w = weightSum[v] as number;
    for (let c = 0; c < cout; c++) result[v * cout + c] = (sums[v * cout + c] as number) / w;
  }
  const shape = [...size].reverse();
  if (cout > 1) shape.push(cout);
  return { dtype: 'float32', shape, data: result, dimension: d, components: cout, spacing: [...image.spacing], origin: [...image.origin], direction: [...image.direction] };
}

/** Spatial size (x, y, z order) of an image. */
function spatialSize(image: Image): number[] {
  const spatial = image.components > 1 ? image.shape.slice(0, -1) : image.shape.slice();
  return spatial.reverse();
}

function outputChannels(out: Tensor<'float32'>, n: number, windowShape: readonly number[]): number {
  const s = out.shape;
  const sameWindow = s[0] === n && windowShape.every((m, i) => s[i + 1] === m);
  if (!(out.data instanceof Float32Array) || !sameWindow || (s.length !== windowShape.length + 1 && s.length !== windowShape.length + 2)) {
    throw new TypeMismatchError(`sliding window: the predictor must return a float32 [${[n, ...windowShape, 'C'].join(', ')}] tensor, got ${String(out.dtype)} [${s.join(', ')}]`);
  }
  const c = s.length === windowShape.length + 2 ? (s[s.length - 1] as number) : 1;
  if (c < 1 || out.data.length !== n * windowShape.reduce((a, b) => a * b, 1) * c)
    throw new TypeMismatchError(`sliding window: the predictor's output holds ${out.data.length} values for shape [${s.join(', ')}]`);
  return c;
}

/** The overlap of a window (padded coordinates `start`, `roi`) with the volume, per axis in window coordinates. */
function span(start: number, roi: number, pad: number, n: number): [number, number] {
  const from = Math.max(0, pad - start);
  const to = Math.min(roi, n + pad - start);
  return [from, Math.max(from, to)];
}

/** Where a window meets the volume: the sizes and the window's offset in the volume (x, y, z) and the overlap's bounds in window coordinates. */
interface WindowOverlap {
  readonly nx: number;
  readonly ny: number;
  readonly mx: number;
  readonly my: number;
  readonly mz: number;
  readonly sx: number;
  readonly sy: number;
  readonly sz: number;
  readonly x0: number;
  readonly x1: number;
  readonly y0: number;
  readonly y1: number;
  readonly z0: number;
  readonly z1: number;
}

/** The overlap of the window at padded coordinates `start` (size `roi`) with a volume of `size` padded by `pad` (2-D as z = 1). */
function windowOverlap(size: readonly number[], start: readonly number[], pad: readonly number[], roi: readonly number[]): WindowOverlap {
  const [nx, ny, nz] = [size[0] as number, size[1] as number, size[2] ?? 1];
  const [mx, my, mz] = [roi[0] as number, roi[1] as number, roi[2] ?? 1];
  const [sx, sy, sz] = [(start[0] as number) - (pad[0] as number), (start[1] as number) - (pad[1] as number), (start[2] ?? 0) - (pad[2] ?? 0)];
  const [x0, x1] = span(start[0] as number, mx, pad[0] as number, nx);
  const [y0, y1] = span(start[1] as number, my, pad[1] as number, ny);
  const [z0, z1] = span(start[2] ?? 0, mz, pad[2] ?? 0, nz);
  return { nx, ny, mx, my, mz, sx, sy, sz, x0, x1, y0, y1, z0, z1 };
}

/** Copies one window (x fastest, channels interleaved) into `into` at `offset`, padding outside the volume. */
function cutWindow(
  src: TypedArray,
  size: readonly number[],
  C: number,
  start: readonly number[],
  pad: readonly number[],
  roi: readonly number[],
  padValue: number,
  into: Float32Array,
  offset: number,
): void {
  const { nx, ny, mx, my, mz, sx, sy, sz, x0, x1, y0, y1, z0, z1 } = windowOverlap(size, start, pad, roi);
  if (padValue !== 0 || x0 > 0 || x1 < mx || y0 > 0 || y1 < my || z0 > 0 || z1 < mz) into.fill(padValue, offset, offset + mx * my * mz * C);
  for (let z = z0; z < z1; z++) {
    for (let y = y0; y < y1; y++) {
      const from = (((z + sz) * ny + (y + sy)) * nx + (x0 + sx)) * C;
      const to = offset + ((z * my + y) * mx + x0) * C;
      const row = src.subarray(from, from + (x1 - x0) * C);
      if (row instanceof Float32Array) into.set(row, to);
      else for (let i = 0; i < row.length; i++) into[to + i] = row[i] as number;
    }
  }
}

/** Adds one window's weighted output into the accumulators (voxels in the padding are dropped). */
function addWindow(
  acc: Float64Array,
  weightSum: Float64Array,
  size: readonly number[],
  C: number,
  start: readonly number[],
  pad: readonly number[],
  roi: readonly number[],
  w: Float32Array,
  out: Float32Array,
  offset: number,
): void {
  const { nx, ny, mx, my, sx, sy, sz, x0, x1, y0, y1, z0, z1 } = windowOverlap(size, start, pad, roi);
  for (let z = z0; z < z1; z++) {
    for (let y = y0; y < y1; y++) {
      let v = ((z + sz) * ny + (y + sy)) * nx + (x0 + sx);
      let r = (z * my + y) * mx + x0;
      for (let x = x0; x < x1; x++, v++, r++) {
        const wr = w[r] as number;
        weightSum[v] = (weightSum[v] as number) + wr;
        const o = offset + r * C;
        for (let c = 0; c < C; c++) acc[v * C + c] = (acc[v * C + c] as number) + wr * (out[o + c] as number);
      }
    }
  }
}
