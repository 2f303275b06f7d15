/**
 * Copying an axis-aligned box out of an image (crop), with the part outside the image filled
 * with a constant (pad). The box may lie partly or wholly outside: crop and pad are one move.
 * Undone by {@link reverseRegion} from the {@link RegionEntry} the op recorded.
 */
import type { Image } from '../../../core/image.js';
import type { Sample } from '../../../core/sample.js';
import { allocate } from '../../../core/tensor.js';
import { size3, withData, worldOf } from './image-access.js';
import { reverseWith } from './reverse-info.js';

/** What a crop/pad did to one key: the box start in input voxels and the input size. */
export interface RegionEntry {
  readonly start: readonly number[];
  readonly size: readonly number[];
}

/**
 * The box of `size` voxels whose first voxel is input index `start` (both x, y, z order, one
 * entry per spatial axis), padded with `padValue`; the origin moves so world positions are kept.
 */
export function copyRegion(img: Image, start: readonly number[], size: readonly number[], padValue: number): Image {
  const d = img.dimension;
  const [nx, ny, nz] = size3(img);
  const C = img.components;
  const [bx, by, bz] = [start[0] as number, start[1] as number, d === 3 ? (start[2] as number) : 0];
  const [mx, my, mz] = [size[0] as number, size[1] as number, d === 3 ? (size[2] as number) : 1];
  const out = allocate(img.dtype, mx * my * mz * C);
  if (padValue !== 0) out.fill(padValue);
  // The overlap of the box with the image, in output coordinates.
  const [x0, x1] = [Math.max(0, -bx), Math.min(mx, nx - bx)];
  const [y0, y1] = [Math.max(0, -by), Math.min(my, ny - by)];
  const [z0, z1] = [Math.max(0, -bz), Math.min(mz, nz - bz)];
  const src = img.data;
  if (x1 > x0) {
    for (let z = z0; z < z1; z++) {
      for (let y = y0; y < y1; y++) {
        const from = (((z + bz) * ny + (y + by)) * nx + (x0 + bx)) * C;
        const to = ((z * my + y) * mx + x0) * C;
        out.set(src.subarray(from, from + (x1 - x0) * C), to);
      }
    }
  }
  return withData(img, img.dtype, out, {
    size: size.slice(0, d),
    spacing: img.spacing,
    origin: worldOf(img, start.slice(0, d)),
    direction: img.direction,
  });
}

/**
 * The reverse of an op `op` that recorded a {@link RegionEntry} per key: the input's box put back
 * where it was (`copyRegion` at minus the start, input size), the rest padded with 0.
 */
export function reverseRegion(op: string): (sample: Sample, info: { readonly keyToReverse: string; readonly keyToFollow: string; readonly opId: string }) => Sample {
  return (sample, info) =>
    reverseWith<RegionEntry>(sample, info, op, (img, e) =>
      copyRegion(
        img,
        e.start.map((s) => -s),
        e.size,
        0,
      ),
    );
}
