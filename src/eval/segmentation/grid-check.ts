/**
 * Checks that a prediction and its ground truth share one voxel grid (size, spacing, origin,
 * direction) before they are compared voxel by voxel: scoring on differing grids would compare
 * unrelated voxels without a word.
 */
import type { Image } from '../../core/image.js';
import { imageSize } from '../../core/image.js';
import { InputError } from '../../core/errors.js';

/**
 * Relative tolerance of spacing and origin (of max(1, |value|)) and absolute tolerance of the
 * direction cosines: float32 precision with margin, as NIfTI stores geometry in float32.
 */
export const GRID_TOLERANCE = 1e-5;

/**
 * Throws unless `pred` and `truth` have the same size and component count, and the same
 * spacing, origin and direction within {@link GRID_TOLERANCE}.
 *
 * @example
 * checkSameGrid(await readImage('p.nii.gz'), await readImage('t.nii.gz'), 'p.nii.gz', 't.nii.gz');
 * @throws InputError naming both files, the first differing property and both values.
 */
export function checkSameGrid(pred: Image, truth: Image, predFile: string, truthFile: string): void {
  const differ = (what: string, a: readonly number[], b: readonly number[]): InputError =>
    new InputError(
      `prediction '${predFile}' and ground truth '${truthFile}' are on different grids: ${what} [${a.join(', ')}] vs [${b.join(', ')}] (resample the prediction onto the ground truth's grid first)`,
    );
  const sp = imageSize(pred);
  const st = imageSize(truth);
  if (sp.length !== st.length || sp.some((s, i) => s !== st[i])) throw differ('size', sp, st);
  if (pred.components !== truth.components) throw differ('components', [pred.components], [truth.components]);
  const close = (a: readonly number[], b: readonly number[], relative: boolean): boolean =>
    a.length === b.length && a.every((x, i) => Math.abs(x - (b[i] as number)) <= GRID_TOLERANCE * (relative ? Math.max(1, Math.abs(x), Math.abs(b[i] as number)) : 1));
  if (!close(pred.spacing, truth.spacing, true)) throw differ('spacing', pred.spacing, truth.spacing);
  if (!close(pred.origin, truth.origin, true)) throw differ('origin', pred.origin, truth.origin);
  if (!close(pred.direction, truth.direction, false)) throw differ('direction', pred.direction, truth.direction);
}
