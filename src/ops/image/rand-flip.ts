import { OptionsError, TypeMismatchError } from '../../core/errors.js';
import { defineOp } from '../registry.js';
import { applyAxes, identityAxes, invertAxes, type AxisMap } from './internal/axes.js';
import { updateImages } from './internal/image-access.js';
import { checkRandomKeys, DEFAULT_PROB } from './internal/options.js';
import { recordReverse, reverseWith } from './internal/reverse-info.js';

/** Options of {@link randFlip}. */
export interface RandFlipOptions {
  /** Image keys, flipped together (an image and its label map). */
  readonly keys: readonly string[];
  /** Probability of flipping. Default 0.1 (as MONAI's `RandFlip`). */
  readonly prob?: number;
  /** Spatial axes flipped when the draw says so: 0 = x, 1 = y, 2 = z. Default: every axis of the image. */
  readonly axes?: readonly number[];
}

const NAME = 'image.randFlip';

/** The axis map that reverses `axes` of a `d`-dimensional image. */
export function flipMap(d: number, axes: readonly number[] | undefined): AxisMap {
  const m = identityAxes(d);
  return { perm: m.perm, flip: m.flip.map((_, i) => axes === undefined || axes.includes(i)) };
}

/**
 * Flips images along the given axes with probability `prob` (MONAI's `RandFlip`: one draw, all
 * listed axes; for independent per-axis flips use one op per axis). Voxels are moved exactly;
 * the geometry is updated so each voxel keeps its world position (as MONAI's MetaTensor does),
 * so the array the model sees is mirrored. Reads and writes `keys`; records the flip (or `null`
 * when not applied) under the op id for `reverse`. Random: draws only from `ctx.rng`.
 * @example
 * randFlip({ keys: ['data.img', 'data.seg'], prob: 0.5, axes: [0] })
 * @throws {OptionsError} for a bad probability or axis.
 * @throws {TypeMismatchError} (as an OpError) when an axis is beyond the image's dimension.
 */
export const randFlip = defineOp<RandFlipOptions>({
  name: NAME,
  version: 1,
  kind: 'random',
  validate: (o) => {
    checkRandomKeys(NAME, o);
    if (o.axes !== undefined && (!Array.isArray(o.axes) || o.axes.length === 0 || o.axes.some((a) => a !== 0 && a !== 1 && a !== 2))) {
      throw new OptionsError(`op '${NAME}': option 'axes' must be a non-empty list of 0, 1, 2 (x, y, z), got ${JSON.stringify(o.axes)}`);
    }
  },
  apply: (sample, ctx, o) => {
    const applied = ctx.rng.bool(o.prob ?? DEFAULT_PROB);
    const entries: (AxisMap | null)[] = [];
    const out = updateImages(sample, o.keys, (img) => {
      if (!applied) {
        entries.push(null);
        return img;
      }
      if (o.axes !== undefined && o.axes.some((a) => a >= img.dimension))
        throw new TypeMismatchError(`op '${NAME}': axis ${Math.max(...o.axes)} is beyond a ${img.dimension}D image`);
      const map = flipMap(img.dimension, o.axes);
      entries.push(map);
      return applyAxes(img, map);
    });
    return recordReverse(out, ctx.opId, { op: NAME, keys: o.keys, entries });
  },
  reverse: (sample, info) => reverseWith<AxisMap>(sample, info, NAME, (img, map) => applyAxes(img, invertAxes(map))),
});
