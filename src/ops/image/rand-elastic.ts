import { TypeMismatchError } from '../../core/errors.js';
import type { Image } from '../../core/image.js';
import type { Rng } from '../../core/rng.js';
import { defineOp } from '../registry.js';
import { gridOf, imageAt, size3, updateImages } from './internal/image-access.js';
import {
  checkInterpolation,
  checkPadding,
  checkPerAxis,
  checkRandomKeys,
  checkRangePair,
  DEFAULT_PROB,
  firstKey,
  interpolationAt,
  perAxis,
  type Interpolation,
  type PerAxis,
} from './internal/options.js';
import { resampleImage, type Padding } from './internal/sampler.js';

/** Options of {@link randElastic}. */
export interface RandElasticOptions {
  /** Image keys on one grid, deformed with one field (an image and its label map). */
  readonly keys: readonly string[];
  /** Probability of deforming. Default 0.1 (as MONAI's `Rand2DElastic` / `Rand3DElastic`). */
  readonly prob?: number;
  /** Distance between control points in voxels (x, y, z). Default 16. */
  readonly controlSpacing?: PerAxis;
  /** Range of the displacement's standard deviation at the control points, in voxels. Default `[0, 4]`. */
  readonly magnitudeRange?: readonly [number, number];
  /** `'linear'` (default) or `'nearest'` (label maps), one for all keys or one per key. */
  readonly interpolation?: Interpolation | readonly Interpolation[];
  /** Points displaced outside read the edge voxel (`'border'`, default) or `padValue` (`'constant'`). */
  readonly padding?: Padding;
  /** Value outside the image with constant padding. Default 0. */
  readonly padValue?: number;
}

const NAME = 'image.randElastic';

/**
 * A smooth random displacement field for a grid of `size` (x, y, z) voxels: Gaussian offsets
 * (σ = `magnitude` voxels, per spatial axis) on a coarse control grid every `spacing` voxels,
 * interpolated trilinearly to every voxel. Returns (x, y, z) triples in voxel order.
 */
export function displacementField(size: readonly [number, number, number], dimension: number, spacing: readonly number[], magnitude: number, rng: Rng): Float32Array {
  const counts = size.map((n, a) => (a < dimension ? Math.ceil((n - 1) / (spacing[a] as number)) + 1 : 1)) as [number, number, number];
  const controls = new Float64Array(counts[0] * counts[1] * counts[2] * 3);
  for (let i = 0; i < controls.length; i += 3) {
    for (let a = 0; a < dimension; a++) controls[i + a] = rng.normal(0, magnitude);
  }
  // Per axis: for each voxel, the control point below it and the weight of the one above.
  const table = (a: 0 | 1 | 2): { i0: Int32Array; w: Float64Array } => {
    const n = size[a];
    const i0 = new Int32Array(n),
      w = new Float64Array(n);
    const g = a < dimension ? (spacing[a] as number) : 1;
    const last = counts[a] - 1;
    for (let o = 0; o < n; o++) {
      const x = o / g;
      const k = Math.min(Math.floor(x), Math.max(0, last - 1));
      i0[o] = k;
      w[o] = last === 0 ? 0 : x - k;
    }
    return { i0, w };
  };
  const [tx, ty, tz] = [table(0), table(1), table(2)];
  const [cx, cy] = [counts[0], counts[1]];
  const at = (i: number, j: number, k: number, c: number): number => controls[((k * cy + j) * cx + i) * 3 + c] ?? 0;
  const field = new Float32Array(size[0] * size[1] * size[2] * 3);
  let p = 0;
  for (let z = 0; z < size[2]; z++) {
    const k = tz.i0[z] as number,
      fz = tz.w[z] as number;
    const k1 = Math.min(k + 1, counts[2] - 1);
    for (let y = 0; y < size[1]; y++) {
      const j = ty.i0[y] as number,
        fy = ty.w[y] as number;
      const j1 = Math.min(j + 1, cy - 1);
      for (let x = 0; x < size[0]; x++) {
        const i = tx.i0[x] as number,
          fx = tx.w[x] as number;
        const i1 = Math.min(i + 1, cx - 1);
        for (let c = 0; c < 3; c++) {
          const lower = (at(i, j, k, c) * (1 - fx) + at(i1, j, k, c) * fx) * (1 - fy) + (at(i, j1, k, c) * (1 - fx) + at(i1, j1, k, c) * fx) * fy;
          const upper = (at(i, j, k1, c) * (1 - fx) + at(i1, j, k1, c) * fx) * (1 - fy) + (at(i, j1, k1, c) * (1 - fx) + at(i1, j1, k1, c) * fx) * fy;
          field[p++] = lower * (1 - fz) + upper * fz;
        }
      }
    }
  }
  return field;
}

function deform(img: Image, field: Float32Array, interpolation: Interpolation, padding: Padding, padValue: number): Image {
  const identity = { a: [1, 0, 0, 0, 1, 0, 0, 0, 1], t: [0, 0, 0] };
  return resampleImage(img, gridOf(img), identity, { interpolation, padding, padValue, displacement: field });
}

/**
 * Random elastic deformation in 2D and 3D: a smooth displacement field (Gaussian offsets on a
 * control grid every `controlSpacing` voxels, σ drawn from `magnitudeRange`, interpolated
 * trilinearly) is drawn once per sample and every key is resampled through it (linear for
 * images, nearest for label maps, which so keep their label values). Grid and geometry are kept.
 * Reads and writes `keys`. Random. Not reversible (the field has no closed-form inverse).
 * @example
 * randElastic({ keys: ['data.img', 'data.seg'], prob: 0.3, controlSpacing: 24, magnitudeRange: [1, 3],
 *   interpolation: ['linear', 'nearest'] })
 * Not invertible: `reverse` along one of `keys` throws instead of letting `reversePipeline`
 * return an undeformed-looking but wrong prediction.
 * @throws {OptionsError} for a bad spacing, range or probability.
 * @throws {TypeMismatchError} (as an OpError) when the keys' images differ in size.
 */
export const randElastic = defineOp<RandElasticOptions>({
  name: NAME,
  version: 1,
  kind: 'random',
  validate: (o) => {
    checkRandomKeys(NAME, o);
    if (o.controlSpacing !== undefined) checkPerAxis(NAME, 'controlSpacing', o.controlSpacing, { min: 1 });
    if (o.magnitudeRange !== undefined) checkRangePair(NAME, 'magnitudeRange', o.magnitudeRange, { min: 0 });
    checkInterpolation(NAME, o.interpolation, o.keys.length);
    checkPadding(NAME, o.padding, o.padValue);
  },
  apply: (sample, ctx, o) => {
    if (!ctx.rng.bool(o.prob ?? DEFAULT_PROB)) return sample;
    const first = imageAt(sample, firstKey(NAME, o.keys));
    const size = size3(first);
    const [lo, hi] = o.magnitudeRange ?? [0, 4];
    const magnitude = ctx.rng.uniform(lo, hi);
    const field = displacementField(size, first.dimension, perAxis(o.controlSpacing ?? 16, first.dimension, 'controlSpacing'), magnitude, ctx.rng);
    return updateImages(sample, o.keys, (img, key, i) => {
      const s = size3(img);
      if (s.some((n, a) => n !== size[a])) throw new TypeMismatchError(`key '${key}' has size [${s.join(', ')}] but '${o.keys[0]}' has [${size.join(', ')}]`);
      return deform(img, field, interpolationAt(o.interpolation, i), o.padding ?? 'border', o.padValue ?? 0);
    });
  },
  // Not invertible: refuse rather than let reversePipeline skip a deformation silently.
  reverse: (sample, info, o) => {
    if (!o.keys.includes(info.keyToFollow)) return sample;
    throw new TypeMismatchError(
      `op '${NAME}' (id '${info.opId}') may have deformed '${info.keyToFollow}'; an elastic deformation cannot be undone, so '${info.keyToReverse}' cannot be mapped back — leave ${NAME} out of the pipeline you reverse`,
    );
  },
});
