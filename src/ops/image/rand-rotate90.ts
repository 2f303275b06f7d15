import { OptionsError, TypeMismatchError } from '../../core/errors.js';
import { defineOp } from '../registry.js';
import { applyAxes, composeAxes, identityAxes, invertAxes, type AxisMap } from './internal/axes.js';
import { updateImages } from './internal/image-access.js';
import { checkNum, checkRandomKeys, DEFAULT_PROB } from './internal/options.js';
import { recordReverse, reverseWith } from './internal/reverse-info.js';

/** Options of {@link randRotate90}. */
export interface RandRotate90Options {
  /** Image keys, rotated together. */
  readonly keys: readonly string[];
  /** Probability of rotating. Default 0.1 (as MONAI's `RandRotate90`). */
  readonly prob?: number;
  /** Largest number of quarter turns; the count is drawn uniformly from 1..maxK. Default 3. */
  readonly maxK?: number;
  /** The plane of rotation as two spatial axes (0 = x, 1 = y, 2 = z). Default `[0, 1]`. */
  readonly axes?: readonly [number, number];
}

const NAME = 'image.randRotate90';

/**
 * The axis map of `k` quarter turns in the plane of axes `a`, `b` of a `d`-dimensional image: one
 * turn makes output voxel (i along a, j along b) read input (j along a, n_b − 1 − i along b).
 */
export function rotate90Map(d: number, k: number, a: number, b: number): AxisMap {
  const perm = identityAxes(d).perm.slice();
  const flip = new Array<boolean>(d).fill(false);
  perm[a] = b;
  perm[b] = a;
  flip[a] = true;
  const quarter: AxisMap = { perm, flip };
  let m = identityAxes(d);
  for (let i = 0; i < ((k % 4) + 4) % 4; i++) m = composeAxes(m, quarter);
  return m;
}

/**
 * Rotates images by k quarter turns (k uniform in 1..maxK) in one plane with probability `prob`
 * (MONAI's `RandRotate90`). Exact: voxels are moved, not interpolated; in a non-square plane the
 * two sizes swap. The geometry is updated so each voxel keeps its world position. Reads and
 * writes `keys`; records the rotation (or `null`) under the op id for `reverse`. Random.
 * @example
 * randRotate90({ keys: ['data.img', 'data.seg'], prob: 0.5, maxK: 3 })
 * @throws {OptionsError} for a bad probability, `maxK` or plane.
 */
export const randRotate90 = defineOp<RandRotate90Options>({
  name: NAME,
  version: 1,
  kind: 'random',
  validate: (o) => {
    checkRandomKeys(NAME, o);
    if (o.maxK !== undefined) checkNum(NAME, 'maxK', o.maxK, { min: 1, integer: true });
    if (o.axes !== undefined) {
      const [a, b] = o.axes;
      if (!Array.isArray(o.axes) || o.axes.length !== 2 || a === b || ![a, b].every((x) => x === 0 || x === 1 || x === 2)) {
        throw new OptionsError(`op '${NAME}': option 'axes' must be two different spatial axes among 0, 1, 2, got ${JSON.stringify(o.axes)}`);
      }
    }
  },
  apply: (sample, ctx, o) => {
    const applied = ctx.rng.bool(o.prob ?? DEFAULT_PROB);
    const k = applied ? ctx.rng.int(1, o.maxK ?? 3) : 0;
    const [a, b] = o.axes ?? [0, 1];
    const entries: (AxisMap | null)[] = [];
    const out = updateImages(sample, o.keys, (img) => {
      if (!applied) {
        entries.push(null);
        return img;
      }
      if (Math.max(a, b) >= img.dimension) throw new TypeMismatchError(`op '${NAME}': plane [${a}, ${b}] is beyond a ${img.dimension}D image`);
      const map = rotate90Map(img.dimension, k, a, b);
      entries.push(map);
      return applyAxes(img, map);
    });
    return recordReverse(out, ctx.opId, { op: NAME, keys: o.keys, entries });
  },
  reverse: (sample, info) => reverseWith<AxisMap>(sample, info, NAME, (img, map) => applyAxes(img, invertAxes(map))),
});
