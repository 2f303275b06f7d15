/**
 * The Image type: a tensor plus its physical geometry, following itk-wasm's image model.
 *
 * Layout: `shape` lists axes slowest first, as every Tensor does, so a 3D scalar image of size
 * (x, y, z) has `shape = [z, y, x]` and a multi-component one `[z, y, x, c]`. `spacing`, `origin`
 * and `size` are in ITK's (x, y, z) order; `direction` is the row-major d×d cosine matrix whose
 * column j is the world direction of index axis j. The physical point of index (i, j, k) is
 * `origin + direction · (spacing ⊙ [i, j, k])` in LPS, as in ITK.
 */
import { isTensor, type DType, type Tensor, type TypedArrayByDType } from './tensor.js';

export interface Image<D extends DType = DType> extends Tensor<D> {
  /** Spatial dimension (2 or 3). */
  readonly dimension: number;
  /** Voxel size per axis in mm, (x, y, z) order. */
  readonly spacing: readonly number[];
  /** World position of the first voxel's centre, (x, y, z) order. */
  readonly origin: readonly number[];
  /** Row-major direction cosines, `dimension × dimension` numbers. */
  readonly direction: readonly number[];
  /** Components per voxel (1 for scalar images). */
  readonly components: number;
}

/** Identity direction matrix for `dimension` axes. */
export function identityDirection(dimension: number): number[] {
  const m: number[] = [];
  for (let r = 0; r < dimension; r++) for (let c = 0; c < dimension; c++) m.push(r === c ? 1 : 0);
  return m;
}

/** Size in (x, y, z) order, derived from `shape`. */
export function imageSize(img: Image): number[] {
  const spatial = img.components > 1 ? img.shape.slice(0, -1) : img.shape.slice();
  return spatial.reverse();
}

/** Builds an image from a size in (x, y, z) order; geometry defaults to unit spacing at the origin. */
export function createImage<D extends DType>(
  dtype: D,
  size: readonly number[],
  data: TypedArrayByDType[D],
  geometry: { spacing?: readonly number[]; origin?: readonly number[]; direction?: readonly number[]; components?: number } = {},
): Image<D> {
  const dimension = size.length;
  const components = geometry.components ?? 1;
  const shape = [...size].reverse();
  if (components > 1) shape.push(components);
  return {
    dtype,
    shape,
    data,
    dimension,
    components,
    spacing: [...(geometry.spacing ?? new Array<number>(dimension).fill(1))],
    origin: [...(geometry.origin ?? new Array<number>(dimension).fill(0))],
    direction: [...(geometry.direction ?? identityDirection(dimension))],
  };
}

/** True when `value` is an Image (a tensor with geometry). */
export function isImage(value: unknown): value is Image {
  if (!isTensor(value)) return false;
  const v = value as Partial<Image>;
  return typeof v.dimension === 'number' && Array.isArray(v.spacing) && Array.isArray(v.origin) && Array.isArray(v.direction);
}
