/**
 * Copying an axis-aligned box out of an image (crop), with the part outside the image filled
 * with a constant (pad). The box may lie partly or wholly outside: crop and pad are one move.
 */
import type { Image } from '../../../core/image.js';
import { allocate } from '../../../core/tensor.js';
import { size3, withData, worldOf } from './image-access.js';

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
  const x0 = Math.max(0, -bx), x1 = Math.min(mx, nx - bx);
  const y0 = Math.max(0, -by), y1 = Math.min(my, ny - by);
  const z0 = Math.max(0, -bz), z1 = Math.min(mz, nz - bz);
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
