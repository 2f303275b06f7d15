/**
 * Where sliding windows go (MONAI's `_get_scan_interval` and `dense_patch_slices`): along each
 * axis the windows start every `interval = floor(roi · (1 − overlap))` voxels (at least 1; a
 * window exactly as long as the axis takes one step), and the last one is moved back so it ends
 * flush with the axis end. An axis shorter than the window is padded up to it (see
 * {@link windowGrid}).
 */
import { OptionsError } from '../../core/errors.js';

/** The scan interval along one axis of `size` voxels for a window of `roi` voxels. */
export function scanInterval(size: number, roi: number, overlap: number): number {
  if (roi === size) return roi;
  const interval = Math.floor(roi * (1 - overlap));
  return interval > 0 ? interval : 1;
}

/**
 * Window starts along one axis of `size ≥ roi` voxels: `d · interval` for d = 0, 1, … up to the
 * first window that reaches the end, each start pulled back so no window runs past the end.
 */
export function windowStarts(size: number, roi: number, overlap: number): number[] {
  const interval = scanInterval(size, roi, overlap);
  const starts: number[] = [];
  for (let d = 0; ; d++) {
    const s = d * interval;
    starts.push(s - Math.max(s + roi - size, 0));
    if (s + roi >= size) break;
  }
  return starts;
}

/** The windows over one volume, in (x, y, z) order per axis. */
export interface WindowGrid {
  /** Size of the padded volume the windows cover: `max(size, roi)` per axis. */
  readonly padded: readonly number[];
  /** Voxels of padding before the volume on each axis (`floor((roi − size) / 2)` when the volume is smaller, else 0), as MONAI pads. */
  readonly padBefore: readonly number[];
  /** Window starts in padded coordinates, x fastest, then y, then z. */
  readonly starts: readonly (readonly number[])[];
}

/**
 * The windows of size `roi` over a volume of `size` (both (x, y, z) order, 2 or 3 axes).
 * @throws {OptionsError} for a bad roi or overlap.
 */
export function windowGrid(size: readonly number[], roi: readonly number[], overlap: number): WindowGrid {
  if (roi.length !== size.length) throw new OptionsError(`sliding window: roi has ${roi.length} axes, the volume ${size.length}`);
  if (!roi.every((r) => Number.isInteger(r) && r >= 1)) throw new OptionsError(`sliding window: roi must be positive integers, got [${roi.join(', ')}]`);
  if (!(overlap >= 0 && overlap < 1)) throw new OptionsError(`sliding window: overlap must be in [0, 1), got ${overlap}`);
  const padded = size.map((n, a) => Math.max(n, roi[a] as number));
  const padBefore = size.map((n, a) => Math.max((roi[a] as number) - n, 0) >> 1);
  const axes = padded.map((n, a) => windowStarts(n, roi[a] as number, overlap));
  const starts: number[][] = [];
  const zs = size.length === 3 ? (axes[2] as number[]) : [0];
  for (const z of zs) for (const y of axes[1] as number[]) for (const x of axes[0] as number[]) starts.push(size.length === 3 ? [x, y, z] : [x, y]);
  return { padded, padBefore, starts };
}
