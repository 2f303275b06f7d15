import type { Image } from '../../core/image.js';
import { setKey } from '../../core/sample.js';
import { OptionsError } from '../../core/errors.js';
import { defineOp } from '../registry.js';
import { applyAxes, invertAxes, type AxisMap } from './internal/axes.js';
import { imageAt } from './internal/image-access.js';
import { checkKeyList } from './internal/options.js';
import { recordReverse, reverseWith } from './internal/reverse-info.js';

/** Canonical orientations: where increasing x, y, z indices point (RAS: right, anterior, superior). */
export type Orientation = 'RAS' | 'LPS';

/** Options of {@link reorient}. */
export interface ReorientOptions {
  /** Image keys (an image and its label map move together). */
  readonly keys: readonly string[];
  /** Target orientation. Default `'RAS'` (nibabel's canonical); `'LPS'` is ITK's and DICOM's. */
  readonly orientation?: Orientation;
}

const NAME = 'image.reorient';

/**
 * The axis permutation and flips that bring `img` closest to `orientation`: each index axis is
 * assigned the world axis its direction column points along most (largest cosine first).
 */
export function orientationMap(img: Image, orientation: Orientation): AxisMap {
  const d = img.dimension;
  const cells: { w: number; j: number; v: number }[] = [];
  for (let w = 0; w < d; w++) for (let j = 0; j < d; j++) cells.push({ w, j, v: img.direction[w * d + j] as number });
  cells.sort((a, b) => Math.abs(b.v) - Math.abs(a.v) || a.w - b.w || a.j - b.j);
  const perm = new Array<number>(d).fill(-1);
  const flip = new Array<boolean>(d).fill(false);
  const usedIndexAxis = new Set<number>();
  for (const { w, j, v } of cells) {
    if (perm[w] !== -1 || usedIndexAxis.has(j)) continue;
    perm[w] = j;
    usedIndexAxis.add(j);
    // LPS world axes: RAS wants x and y indices to run towards -x (right) and -y (anterior).
    const wantPositive = orientation === 'LPS' || w === 2;
    flip[w] = wantPositive ? v < 0 : v > 0;
  }
  return { perm, flip };
}

/**
 * Reorients images to a canonical orientation (RAS or LPS) by permuting and flipping axes:
 * voxel values are moved, never interpolated; spacing, origin and direction are updated exactly
 * so that every voxel keeps its world position (an oblique image stays oblique, only its axes
 * are renamed). Reads and writes `keys`; records the axis map under the op id so `reverse`
 * brings a prediction back to the original axis order. Static.
 * @example
 * reorient({ keys: ['data.img', 'data.seg'], orientation: 'RAS' })
 * @throws {OptionsError} for an unknown orientation.
 * @throws {TypeMismatchError} (as an OpError) when a key holds no image.
 */
export const reorient = defineOp<ReorientOptions>({
  name: NAME,
  version: 1,
  kind: 'static',
  validate: (o) => {
    checkKeyList(NAME, 'keys', o.keys);
    if (o.orientation !== undefined && o.orientation !== 'RAS' && o.orientation !== 'LPS') {
      throw new OptionsError(`op '${NAME}': option 'orientation' must be 'RAS' or 'LPS', got ${JSON.stringify(o.orientation)}`);
    }
  },
  apply: (sample, ctx, o) => {
    let out = sample;
    const entries: AxisMap[] = [];
    for (const key of o.keys) {
      const img = imageAt(out, key);
      const map = orientationMap(img, o.orientation ?? 'RAS');
      entries.push(map);
      out = setKey(out, key, applyAxes(img, map));
    }
    return recordReverse(out, ctx.opId, { op: NAME, keys: o.keys, entries });
  },
  reverse: (sample, info) => reverseWith<AxisMap>(sample, info, NAME, (img, map) => applyAxes(img, invertAxes(map))),
});
