/**
 * Class scores to a label map: per voxel the index of the largest score (the first on a tie, as
 * numpy's argmax); a one-channel score map is thresholded at `threshold` (1 above, else 0).
 * The labels keep the scores' grid (size, spacing, origin, direction).
 */
import { OptionsError } from '../../core/errors.js';
import type { Image } from '../../core/image.js';

/** Options of {@link toLabels}. */
export interface ToLabelsOptions {
  /** Threshold of a one-channel score map. Default 0.5. */
  readonly threshold?: number;
}

/**
 * The label map of a score image (`components` = classes), uint8 (uint16 past 255 classes).
 * @example const seg = toLabels(probabilities); // uint8, 0 … C−1
 * @throws {OptionsError} for a threshold that is not a finite number.
 */
export function toLabels(scores: Image, options: ToLabelsOptions = {}): Image<'uint8' | 'uint16'> {
  const threshold = options.threshold ?? 0.5;
  if (!Number.isFinite(threshold)) throw new OptionsError(`toLabels: threshold must be a finite number, got ${threshold}`);
  const C = scores.components;
  const n = scores.data.length / C;
  const wide = C > 256;
  const labels = wide ? new Uint16Array(n) : new Uint8Array(n);
  const src = scores.data;
  for (let v = 0; v < n; v++) {
    if (C === 1) {
      labels[v] = (src[v] as number) > threshold ? 1 : 0;
      continue;
    }
    let best = 0;
    let max = src[v * C] as number;
    for (let c = 1; c < C; c++) {
      const s = src[v * C + c] as number;
      if (s > max) {
        max = s;
        best = c;
      }
    }
    labels[v] = best;
  }
  const shape = C > 1 ? scores.shape.slice(0, -1) : [...scores.shape];
  const geometry = { dimension: scores.dimension, components: 1, spacing: [...scores.spacing], origin: [...scores.origin], direction: [...scores.direction] };
  return labels instanceof Uint16Array ? { dtype: 'uint16', shape, data: labels, ...geometry } : { dtype: 'uint8', shape, data: labels, ...geometry };
}
