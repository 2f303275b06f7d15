import { setKey } from '../../core/sample.js';
import type { Image } from '../../core/image.js';
import { defineOp } from '../registry.js';
import { copyRegion, reverseRegion, type RegionEntry } from './internal/region.js';
import { imageAt, size3, sizeOf } from './internal/image-access.js';
import { checkMask } from './internal/intensity.js';
import { checkKeyList, checkKeyPath, checkPerAxis, perAxis, type PerAxis } from './internal/options.js';
import { recordReverse } from './internal/reverse-info.js';

/** Options of {@link cropToMask}. */
export interface CropToMaskOptions {
  /** Image keys cropped to the box (include `maskKey` to crop the mask too). */
  readonly keys: readonly string[];
  /** Key of the mask: voxels with a non-zero value are foreground. */
  readonly maskKey: string;
  /** Voxels added around the bounding box on each side (x, y, z), clipped to the image. Default 0. */
  readonly margin?: PerAxis;
}

const NAME = 'image.cropToMask';

/** Inclusive bounding box `[lo, hi]` per axis (x, y, z) of the non-zero voxels, or `null` when none. */
export function foregroundBox(mask: Image): { lo: number[]; hi: number[] } | null {
  const [nx, ny, nz] = size3(mask);
  const lo = [nx, ny, nz];
  const hi = [-1, -1, -1];
  const m = mask.data;
  let v = 0;
  for (let z = 0; z < nz; z++) {
    for (let y = 0; y < ny; y++) {
      for (let x = 0; x < nx; x++, v++) {
        if (m[v] === 0) continue;
        if (x < (lo[0] as number)) lo[0] = x;
        if (x > (hi[0] as number)) hi[0] = x;
        if (y < (lo[1] as number)) lo[1] = y;
        if (y > (hi[1] as number)) hi[1] = y;
        if (z < (lo[2] as number)) lo[2] = z;
        if (z > (hi[2] as number)) hi[2] = z;
      }
    }
  }
  if ((hi[0] as number) < 0) return null;
  const d = mask.dimension;
  return { lo: lo.slice(0, d), hi: hi.slice(0, d) };
}

/**
 * Crops images to the bounding box of a mask's foreground (non-zero voxels) plus a margin
 * (MONAI's `CropForeground`). An empty mask leaves the images whole. Reads `maskKey` and
 * `keys`, writes `keys`; records the box under the op id so `reverse` puts a prediction back in
 * the full grid (0 outside the box). Static.
 * @example
 * cropToMask({ keys: ['data.img', 'data.brain'], maskKey: 'data.brain', margin: 4 })
 * @throws {OptionsError} for missing keys or a negative margin.
 * @throws {TypeMismatchError} (as an OpError) when the mask's grid differs from an image's.
 */
export const cropToMask = defineOp<CropToMaskOptions>({
  name: NAME,
  version: 1,
  kind: 'static',
  validate: (o) => {
    checkKeyList(NAME, 'keys', o.keys);
    checkKeyPath(NAME, 'maskKey', o.maskKey);
    if (o.margin !== undefined) checkPerAxis(NAME, 'margin', o.margin, { min: 0, integer: true });
  },
  apply: (sample, ctx, o) => {
    const mask = imageAt(sample, o.maskKey);
    const box = foregroundBox(mask);
    const full = sizeOf(mask);
    const margin = perAxis(o.margin ?? 0, mask.dimension, 'margin');
    const start = box === null ? full.map(() => 0) : box.lo.map((l, i) => Math.max(0, l - (margin[i] as number)));
    const end = box === null ? full.map((n) => n - 1) : box.hi.map((h, i) => Math.min((full[i] as number) - 1, h + (margin[i] as number)));
    const size = end.map((e, i) => e - (start[i] as number) + 1);
    let out = sample;
    const entries: RegionEntry[] = [];
    for (const key of o.keys) {
      const img = imageAt(out, key);
      checkMask(img, mask, key, o.maskKey);
      entries.push({ start, size: full });
      out = setKey(out, key, copyRegion(img, start, size, 0));
    }
    return recordReverse(out, ctx.opId, { op: NAME, keys: o.keys, entries });
  },
  reverse: reverseRegion(NAME),
});
