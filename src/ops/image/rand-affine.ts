import type { Image } from '../../core/image.js';
import { OptionsError } from '../../core/errors.js';
import { defineOp } from '../registry.js';
import { affineIndexMap, type AffineParams } from './internal/affine.js';
import { imageAt, invert, isIntegral, matVec, sizeOf, updateImages, gridOf } from './internal/image-access.js';
import {
  checkInterpolation,
  checkPadding,
  checkPerAxis,
  checkRandomKeys,
  DEFAULT_PROB,
  firstKey,
  interpolationAt,
  perAxis,
  type Interpolation,
  type PerAxis,
} from './internal/options.js';
import { recordReverse, reverseWith } from './internal/reverse-info.js';
import { indexMap3, resampleImage, type Padding } from './internal/sampler.js';

/** Options of {@link randAffine}. Each range `r` draws uniformly from `[-r, r]`; 0 (the default) leaves that part out. */
export interface RandAffineOptions {
  /** Image keys, transformed with one draw (an image and its label map). */
  readonly keys: readonly string[];
  /** Probability of transforming. Default 0.1 (as MONAI's `RandAffine`). */
  readonly prob?: number;
  /** Rotation range in radians: 2D one angle; 3D about x, y, z (one number for all three). Default 0. */
  readonly rotateRange?: PerAxis;
  /** Scale range: the sampling grid is scaled by `1 + u`, u ∈ [-r, r] per axis (> 1 zooms out). Default 0. */
  readonly scaleRange?: PerAxis;
  /** Shear range: 2D one factor; 3D factors x·y, x·z, y·z. Default 0. */
  readonly shearRange?: PerAxis;
  /** Translation range in voxels per axis. Default 0. */
  readonly translateRange?: PerAxis;
  /** `'linear'` (default) or `'nearest'` (label maps), one for all keys or one per key. */
  readonly interpolation?: Interpolation | readonly Interpolation[];
  /**
   * Points mapped outside the image read `padValue` (`'constant'`, default; within one voxel of
   * the edge it blends in linearly, as SciPy's `grid-constant` and PyTorch's zeros padding) or the
   * edge voxel (`'border'`).
   */
  readonly padding?: Padding;
  /** Value outside the image with constant padding. Default 0. */
  readonly padValue?: number;
}

/** What the op records per key: the index map and the grid size. */
export interface AffineEntry {
  readonly a: readonly number[];
  readonly t: readonly number[];
}

const NAME = 'image.randAffine';

function draw(range: PerAxis | undefined, n: number, rng: { uniform(lo: number, hi: number): number }): number[] {
  const r = perAxis(range ?? 0, n, 'range');
  return r.map((x) => (x === 0 ? 0 : rng.uniform(-x, x)));
}

/** `img` sampled through the 3D index map. */
export function applyIndexMap(img: Image, a: readonly number[], t: readonly number[], interpolation: Interpolation, padding: Padding, padValue: number): Image {
  return resampleImage(img, gridOf(img), indexMap3(a, t, img.dimension), { interpolation, padding, padValue });
}

/**
 * Random affine augmentation in 2D and 3D (MONAI's `RandAffine`, FuseMedML's `OpAugAffine2D`):
 * rotation, scaling, shear and translation drawn once per sample and applied to every key on
 * the same grid, about the image centre and in physical space (anisotropic voxels rotate without
 * distortion). Images use (bi/tri)linear interpolation, label maps nearest. The grid and geometry
 * are kept: the content moves. With all ranges 0 the output equals the input exactly. Reads and
 * writes `keys`; records the index map (or `null`) under the op id so `reverse` maps a prediction
 * back (nearest for integer dtypes, linear otherwise; points from outside become 0). Random.
 * @example
 * randAffine({ keys: ['data.img', 'data.seg'], prob: 0.5, rotateRange: Math.PI / 12,
 *   scaleRange: 0.1, interpolation: ['linear', 'nearest'] })
 * @throws {OptionsError} for a negative range or a bad probability.
 * @throws {TypeMismatchError} (as an OpError) when a per-axis list does not fit the dimension.
 */
export const randAffine = defineOp<RandAffineOptions>({
  name: NAME,
  version: 1,
  kind: 'random',
  validate: (o) => {
    checkRandomKeys(NAME, o);
    for (const f of ['rotateRange', 'scaleRange', 'shearRange', 'translateRange'] as const) {
      if (o[f] !== undefined) checkPerAxis(NAME, f, o[f], { min: 0 });
    }
    // A scale of 1 + u must stay positive.
    if (o.scaleRange !== undefined && (typeof o.scaleRange === 'number' ? [o.scaleRange] : o.scaleRange).some((r) => r >= 1)) {
      throw new OptionsError(`op '${NAME}': 'scaleRange' entries must be below 1`);
    }
    checkInterpolation(NAME, o.interpolation, o.keys.length);
    checkPadding(NAME, o.padding, o.padValue);
  },
  apply: (sample, ctx, o) => {
    const applied = ctx.rng.bool(o.prob ?? DEFAULT_PROB);
    const entries: (AffineEntry | null)[] = o.keys.map(() => null);
    if (!applied) return recordReverse(sample, ctx.opId, { op: NAME, keys: o.keys, entries });
    const first = imageAt(sample, firstKey(NAME, o.keys));
    const d = first.dimension;
    const rng = ctx.rng;
    const p: AffineParams = {
      rotate: draw(o.rotateRange, d === 2 ? 1 : 3, rng),
      scale: draw(o.scaleRange, d, rng).map((u) => 1 + u),
      shear: draw(o.shearRange, d === 2 ? 1 : 3, rng),
      translate: draw(o.translateRange, d, rng),
    };
    const out = updateImages(sample, o.keys, (img, _key, i) => {
      const { a, t } = affineIndexMap(sizeOf(img), img.spacing, p);
      entries[i] = { a, t };
      return applyIndexMap(img, a, t, interpolationAt(o.interpolation, i), o.padding ?? 'constant', o.padValue ?? 0);
    });
    return recordReverse(out, ctx.opId, { op: NAME, keys: o.keys, entries });
  },
  reverse: (sample, info) =>
    reverseWith<AffineEntry>(sample, info, NAME, (img, e) => {
      const inv = invert(e.a, img.dimension);
      const t = matVec(inv, e.t).map((v) => -v);
      return applyIndexMap(img, inv, t, isIntegral(img.dtype) ? 'nearest' : 'linear', 'constant', 0);
    }),
});
