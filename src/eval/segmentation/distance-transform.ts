/**
 * Exact Euclidean distance transform with anisotropic spacing (Felzenszwalb & Huttenlocher
 * 2012: one lower-envelope pass per axis). Returns, for every voxel, the squared distance in
 * physical units to the nearest feature voxel (Infinity when there is none).
 */

/** 1D squared-distance transform of `f` (stride `stride`, `n` samples, step `h`) in place. */
function pass1d(f: Float64Array, offset: number, stride: number, n: number, h: number, v: Int32Array, z: Float64Array, tmp: Float64Array): void {
  let k = -1;
  for (let q = 0; q < n; q++) {
    const fq = f[offset + q * stride] as number;
    if (fq === Infinity) continue;
    const xq = q * h;
    if (k < 0) {
      k = 0;
      v[0] = q;
      z[0] = -Infinity;
      z[1] = Infinity;
      continue;
    }
    for (;;) {
      const p = v[k] as number;
      const xp = p * h;
      const s = (fq + xq * xq - ((f[offset + p * stride] as number) + xp * xp)) / (2 * (xq - xp));
      if (s <= (z[k] as number)) {
        k--;
        if (k < 0) {
          k = 0;
          v[0] = q;
          z[0] = -Infinity;
          z[1] = Infinity;
          break;
        }
        continue;
      }
      k++;
      v[k] = q;
      z[k] = s;
      z[k + 1] = Infinity;
      break;
    }
  }
  if (k < 0) return;
  let j = 0;
  for (let q = 0; q < n; q++) {
    const xq = q * h;
    while ((z[j + 1] as number) < xq) j++;
    const p = v[j] as number;
    const d = xq - p * h;
    tmp[q] = d * d + (f[offset + p * stride] as number);
  }
  for (let q = 0; q < n; q++) f[offset + q * stride] = tmp[q] as number;
}

/**
 * Squared distance to the nearest voxel where `feature` is true.
 *
 * @param feature one flag per voxel, shape slowest-first
 * @param shape sizes slowest-first (any number of axes)
 * @param spacing voxel size per shape axis
 */
export function squaredDistanceTransform(feature: Uint8Array, shape: readonly number[], spacing: readonly number[]): Float64Array {
  const size = feature.length;
  const f = new Float64Array(size);
  for (let i = 0; i < size; i++) f[i] = feature[i] ? 0 : Infinity;
  const maxN = Math.max(...shape);
  const v = new Int32Array(maxN);
  const z = new Float64Array(maxN + 1);
  const tmp = new Float64Array(maxN);
  let stride = 1;
  for (let axis = shape.length - 1; axis >= 0; axis--) {
    const n = shape[axis] as number;
    const h = spacing[axis] as number;
    const block = stride * n;
    for (let base = 0; base < size; base += block) {
      for (let inner = 0; inner < stride; inner++) pass1d(f, base + inner, stride, n, h, v, z, tmp);
    }
    stride = block;
  }
  return f;
}

/** Surface voxels of a mask: in the mask with a face neighbour outside it or on the border (mask XOR erosion). */
export function surface(mask: Uint8Array, shape: readonly number[]): Uint8Array {
  const out = new Uint8Array(mask.length);
  const strides: number[] = [];
  let s = 1;
  for (let a = shape.length - 1; a >= 0; a--) {
    strides[a] = s;
    s *= shape[a] as number;
  }
  for (let i = 0; i < mask.length; i++) {
    if (!mask[i]) continue;
    let edge = false;
    for (let a = 0; a < shape.length && !edge; a++) {
      const st = strides[a] as number;
      const c = Math.floor(i / st) % (shape[a] as number);
      if (c === 0 || c === (shape[a] as number) - 1 || !mask[i - st] || !mask[i + st]) edge = true;
    }
    if (edge) out[i] = 1;
  }
  return out;
}
