/**
 * The resampling kernel every geometric op shares: each output voxel `o` (x, y, z) reads the
 * input at the continuous index `A·o + t` (plus an optional per-voxel displacement), with
 * trilinear or nearest interpolation. When `A` is diagonal (resampling, scaling, translation)
 * the per-axis indices and weights are tabulated once and the inner loop is eight reads and
 * seven multiply-adds per voxel; other maps take the general per-voxel path.
 */
import type { Image } from '../../../core/image.js';
import { allocate, type TypedArray } from '../../../core/tensor.js';
import { floatDtype, invert, indexToWorldMatrix, matMul, matVec, size3, withData, type GridRecord } from './image-access.js';
import type { Interpolation } from './options.js';

/**
 * How points outside the input read: the nearest edge voxel (`border`, SciPy's `nearest`), or a
 * constant (`constant`: outside voxels count as the constant, so it blends in linearly within one
 * voxel of the edge, as SciPy's `grid-constant` and PyTorch `grid_sample`'s zeros padding).
 */
export type Padding = 'border' | 'constant';

/** Options of {@link sampleImage}. */
export interface SamplerOptions {
  readonly interpolation: Interpolation;
  readonly padding: Padding;
  /** Value read outside the input when `padding` is `'constant'`. */
  readonly padValue: number;
  /** Extra offset in input voxels per output voxel, (x, y, z) triples in output order. */
  readonly displacement?: Float32Array;
}

/** An index map in 3D form: input index = `a · output index + t` (a row-major 3×3). */
export interface IndexMap {
  readonly a: readonly number[];
  readonly t: readonly number[];
}

/** A `d`-dimensional map (d×d matrix and d vector) padded to 3D with the identity. */
export function indexMap3(a: readonly number[], t: readonly number[], d: number): IndexMap {
  if (d === 3) return { a: [...a], t: [...t] };
  return { a: [a[0] as number, a[1] as number, 0, a[2] as number, a[3] as number, 0, 0, 0, 1], t: [t[0] as number, t[1] as number, 0] };
}

/** The map from `target` grid indices to indices of `source`, through world coordinates. */
export function mapBetween(source: GridRecord, target: GridRecord): IndexMap {
  const d = source.spacing.length;
  const inv = invert(indexToWorldMatrix(source.direction, source.spacing), d);
  const a = matMul(inv, indexToWorldMatrix(target.direction, target.spacing), d);
  const t = matVec(
    inv,
    target.origin.map((o, i) => o - (source.origin[i] as number)),
  );
  // Snap round-off so that grids which line up exactly take the exact tabulated path.
  const snap = (v: number): number => (Math.abs(v - Math.round(v)) < 1e-9 ? Math.round(v) : v);
  return indexMap3(a.map(snap), t.map(snap), d);
}

/**
 * Samples `img` onto an output grid of `outSize` (x, y, z; 3 entries, 1 for a 2D image's z).
 * Linear output is float32 (float64 stays float64); nearest output keeps the input dtype.
 */
export function sampleImage(img: Image, outSize: readonly [number, number, number], map: IndexMap, options: SamplerOptions): TypedArray {
  const linear = options.interpolation === 'linear';
  const out = allocate(linear ? floatDtype(img.dtype) : img.dtype, outSize[0] * outSize[1] * outSize[2] * img.components);
  const a = map.a;
  const [nx, ny, nz] = size3(img);
  const identity = a.every((v, i) => v === (i % 4 === 0 ? 1 : 0)) && map.t.every((v) => v === 0);
  if (identity && options.displacement === undefined && outSize[0] === nx && outSize[1] === ny && outSize[2] === nz) {
    // The same grid: copy (converting the dtype for linear output), bit for bit.
    out.set(img.data);
    return out;
  }
  const diagonal = a[1] === 0 && a[2] === 0 && a[3] === 0 && a[5] === 0 && a[6] === 0 && a[7] === 0;
  if (diagonal && options.displacement === undefined) {
    if (linear) separableLinear(img, out, outSize, map, options);
    else separableNearest(img, out, outSize, map, options);
  } else {
    general(img, out, outSize, map, options, linear);
  }
  return out;
}

/**
 * `img` resampled onto `grid` (its size is the output size) through `map`: linear output is
 * float32 (float64 stays float64), nearest keeps the dtype; components and dimension are kept.
 */
export function resampleImage(img: Image, grid: GridRecord, map: IndexMap, options: SamplerOptions): Image {
  const out3 = [grid.size[0] as number, grid.size[1] as number, grid.size[2] ?? 1] as const;
  const data = sampleImage(img, out3, map, options);
  const dtype = options.interpolation === 'linear' ? (data instanceof Float64Array ? 'float64' : 'float32') : img.dtype;
  return withData(img, dtype, data, grid);
}

interface AxisTable {
  readonly i0: Int32Array;
  readonly i1: Int32Array;
  readonly w0: Float64Array;
  readonly w1: Float64Array;
  /** Sum of the valid weights (1 inside; less where the constant padding shows through). */
  readonly sum: Float64Array;
}

function linearTable(m: number, n: number, scale: number, shift: number, stride: number, padding: Padding): AxisTable {
  const table: AxisTable = { i0: new Int32Array(m), i1: new Int32Array(m), w0: new Float64Array(m), w1: new Float64Array(m), sum: new Float64Array(m) };
  for (let o = 0; o < m; o++) {
    const x = scale * o + shift;
    let i0 = Math.floor(x);
    let w1 = x - i0;
    let w0 = 1 - w1;
    let i1 = i0 + 1;
    if (padding === 'border') {
      if (x <= 0) [i0, i1, w0, w1] = [0, 0, 1, 0];
      else if (x >= n - 1) [i0, i1, w0, w1] = [n - 1, n - 1, 1, 0];
    } else {
      if (i0 < 0 || i0 > n - 1) [i0, w0] = [0, 0];
      if (i1 < 0 || i1 > n - 1) [i1, w1] = [0, 0];
    }
    table.i0[o] = i0 * stride;
    table.i1[o] = i1 * stride;
    table.w0[o] = w0;
    table.w1[o] = w1;
    table.sum[o] = w0 + w1;
  }
  return table;
}

/** The x, y and z tables of a diagonal map, each axis with its stride in the input (C, nx·C, nx·ny·C). */
function axisTables<T>(
  img: Image,
  outSize: readonly number[],
  map: IndexMap,
  padding: Padding,
  table: (m: number, n: number, scale: number, shift: number, stride: number, padding: Padding) => T,
): [T, T, T] {
  const [nx, ny, nz] = size3(img);
  const C = img.components;
  return [
    table(outSize[0] as number, nx, map.a[0] as number, map.t[0] as number, C, padding),
    table(outSize[1] as number, ny, map.a[4] as number, map.t[1] as number, nx * C, padding),
    table(outSize[2] as number, nz, map.a[8] as number, map.t[2] as number, nx * ny * C, padding),
  ];
}

function separableLinear(img: Image, out: TypedArray, outSize: readonly number[], map: IndexMap, options: SamplerOptions): void {
  const C = img.components;
  const src = img.data;
  const [tx, ty, tz] = axisTables(img, outSize, map, options.padding, linearTable);
  const constant = options.padding === 'constant';
  const pad = options.padValue;
  const mx = outSize[0] as number;
  let p = 0;
  for (let z = 0; z < (outSize[2] as number); z++) {
    const z0 = tz.i0[z] as number,
      z1 = tz.i1[z] as number,
      wz0 = tz.w0[z] as number,
      wz1 = tz.w1[z] as number;
    for (let y = 0; y < (outSize[1] as number); y++) {
      const y0 = ty.i0[y] as number,
        y1 = ty.i1[y] as number,
        wy0 = ty.w0[y] as number,
        wy1 = ty.w1[y] as number;
      const b00 = z0 + y0,
        b01 = z0 + y1,
        b10 = z1 + y0,
        b11 = z1 + y1;
      const w00 = wz0 * wy0,
        w01 = wz0 * wy1,
        w10 = wz1 * wy0,
        w11 = wz1 * wy1;
      const zySum = (tz.sum[z] as number) * (ty.sum[y] as number);
      for (let x = 0; x < mx; x++) {
        const x0 = tx.i0[x] as number,
          x1 = tx.i1[x] as number,
          wx0 = tx.w0[x] as number,
          wx1 = tx.w1[x] as number;
        for (let c = 0; c < C; c++) {
          const v =
            w00 * (wx0 * (src[b00 + x0 + c] as number) + wx1 * (src[b00 + x1 + c] as number)) +
            w01 * (wx0 * (src[b01 + x0 + c] as number) + wx1 * (src[b01 + x1 + c] as number)) +
            w10 * (wx0 * (src[b10 + x0 + c] as number) + wx1 * (src[b10 + x1 + c] as number)) +
            w11 * (wx0 * (src[b11 + x0 + c] as number) + wx1 * (src[b11 + x1 + c] as number));
          out[p++] = constant ? v + (1 - zySum * (tx.sum[x] as number)) * pad : v;
        }
      }
    }
  }
}

function nearestTable(m: number, n: number, scale: number, shift: number, stride: number, padding: Padding): Int32Array {
  const table = new Int32Array(m);
  for (let o = 0; o < m; o++) {
    let i = Math.floor(scale * o + shift + 0.5);
    if (i < 0 || i > n - 1) {
      if (padding === 'constant') {
        table[o] = -1;
        continue;
      }
      i = i < 0 ? 0 : n - 1;
    }
    table[o] = i * stride;
  }
  return table;
}

function separableNearest(img: Image, out: TypedArray, outSize: readonly number[], map: IndexMap, options: SamplerOptions): void {
  const C = img.components;
  const src = img.data;
  const [tx, ty, tz] = axisTables(img, outSize, map, options.padding, nearestTable);
  const pad = options.padValue;
  let p = 0;
  for (let z = 0; z < (outSize[2] as number); z++) {
    const oz = tz[z] as number;
    for (let y = 0; y < (outSize[1] as number); y++) {
      const oy = ty[y] as number;
      const inside = oz >= 0 && oy >= 0;
      for (let x = 0; x < (outSize[0] as number); x++) {
        const ox = tx[x] as number;
        for (let c = 0; c < C; c++) out[p++] = inside && ox >= 0 ? (src[oz + oy + ox + c] as number) : pad;
      }
    }
  }
}

function general(img: Image, out: TypedArray, outSize: readonly number[], map: IndexMap, options: SamplerOptions, linear: boolean): void {
  const [nx, ny, nz] = size3(img);
  const C = img.components;
  const src = img.data;
  const a = map.a.map(Number);
  const t = map.t.map(Number);
  const disp = options.displacement;
  const border = options.padding === 'border';
  const pad = options.padValue;
  const sy = nx * C,
    sz = nx * ny * C;
  // Reads one voxel (i, j, k) component c with the padding rule; used only near the edges.
  const at = (i: number, j: number, k: number, c: number): number => {
    if (i < 0 || j < 0 || k < 0 || i >= nx || j >= ny || k >= nz) {
      if (!border) return pad;
      i = i < 0 ? 0 : i >= nx ? nx - 1 : i;
      j = j < 0 ? 0 : j >= ny ? ny - 1 : j;
      k = k < 0 ? 0 : k >= nz ? nz - 1 : k;
    }
    return src[k * sz + j * sy + i * C + c] as number;
  };
  let p = 0;
  let v = 0;
  for (let z = 0; z < (outSize[2] as number); z++) {
    for (let y = 0; y < (outSize[1] as number); y++) {
      for (let x = 0; x < (outSize[0] as number); x++, v++) {
        let px = (a[0] as number) * x + (a[1] as number) * y + (a[2] as number) * z + (t[0] as number);
        let py = (a[3] as number) * x + (a[4] as number) * y + (a[5] as number) * z + (t[1] as number);
        let pz = (a[6] as number) * x + (a[7] as number) * y + (a[8] as number) * z + (t[2] as number);
        if (disp !== undefined) {
          px += disp[3 * v] as number;
          py += disp[3 * v + 1] as number;
          pz += disp[3 * v + 2] as number;
        }
        if (nz === 1) pz = 0; // a 2D image has no z extent to interpolate over
        if (!linear) {
          const i = Math.floor(px + 0.5),
            j = Math.floor(py + 0.5),
            k = Math.floor(pz + 0.5);
          if (i >= 0 && j >= 0 && k >= 0 && i < nx && j < ny && k < nz) {
            const base = k * sz + j * sy + i * C;
            for (let c = 0; c < C; c++) out[p++] = src[base + c] as number;
          } else {
            for (let c = 0; c < C; c++) out[p++] = at(i, j, k, c);
          }
          continue;
        }
        if (border) {
          px = px < 0 ? 0 : px > nx - 1 ? nx - 1 : px;
          py = py < 0 ? 0 : py > ny - 1 ? ny - 1 : py;
          pz = pz < 0 ? 0 : pz > nz - 1 ? nz - 1 : pz;
        }
        const i = Math.floor(px),
          j = Math.floor(py),
          k = Math.floor(pz);
        const fx = px - i,
          fy = py - j,
          fz = pz - k;
        // Neighbours past the last voxel carry zero weight (f = 0 there), so they may be clamped.
        if (i >= 0 && j >= 0 && k >= 0 && i < nx && j < ny && k < nz) {
          const dx = i + 1 < nx ? C : 0,
            dy = j + 1 < ny ? sy : 0,
            dz = k + 1 < nz ? sz : 0;
          const ok = (dx !== 0 || fx === 0) && (dy !== 0 || fy === 0) && (dz !== 0 || fz === 0);
          if (ok) {
            const b = k * sz + j * sy + i * C;
            for (let c = 0; c < C; c++) {
              const q = b + c;
              const lower =
                ((src[q] as number) * (1 - fx) + (src[q + dx] as number) * fx) * (1 - fy) + ((src[q + dy] as number) * (1 - fx) + (src[q + dy + dx] as number) * fx) * fy;
              const upper =
                ((src[q + dz] as number) * (1 - fx) + (src[q + dz + dx] as number) * fx) * (1 - fy) +
                ((src[q + dz + dy] as number) * (1 - fx) + (src[q + dz + dy + dx] as number) * fx) * fy;
              out[p++] = lower * (1 - fz) + upper * fz;
            }
            continue;
          }
        }
        for (let c = 0; c < C; c++) {
          const c00 = at(i, j, k, c) * (1 - fx) + (fx === 0 ? 0 : at(i + 1, j, k, c) * fx);
          const c10 = fy === 0 ? 0 : at(i, j + 1, k, c) * (1 - fx) + (fx === 0 ? 0 : at(i + 1, j + 1, k, c) * fx);
          const lower = c00 * (1 - fy) + c10 * fy;
          let upper = 0;
          if (fz !== 0) {
            const c01 = at(i, j, k + 1, c) * (1 - fx) + (fx === 0 ? 0 : at(i + 1, j, k + 1, c) * fx);
            const c11 = fy === 0 ? 0 : at(i, j + 1, k + 1, c) * (1 - fx) + (fx === 0 ? 0 : at(i + 1, j + 1, k + 1, c) * fx);
            upper = c01 * (1 - fy) + c11 * fy;
          }
          out[p++] = lower * (1 - fz) + upper * fz;
        }
      }
    }
  }
}
