import { OptionsError, TypeMismatchError } from '../../core/errors.js';
import type { Image } from '../../core/image.js';
import { allocate } from '../../core/tensor.js';
import { getOr, INITIAL_SAMPLE_ID_KEY, SAMPLE_ID_KEY, sampleIdOf, setKeys, type Sample } from '../../core/sample.js';
import { defineOp } from '../registry.js';
import { imageAt, shapeFor, size3, worldOf } from './internal/image-access.js';
import { checkKeyList, firstKey } from './internal/options.js';

/** Options of {@link extractSlices}. */
export interface ExtractSlicesOptions {
  /** 3D image keys on one grid, sliced together. */
  readonly keys: readonly string[];
  /** Index axis the slices are taken across. Default `'z'` (axial slices of an RAS/LPS volume). */
  readonly axis?: 'x' | 'y' | 'z';
}

/** What each child records under the op id: where its slice sat in the volume. */
export interface SliceRecord {
  readonly axis: 'x' | 'y' | 'z';
  readonly index: number;
  readonly count: number;
  /** The 3D geometry of the slice (world origin of its first voxel, spacing and direction of the volume). */
  readonly origin3: readonly number[];
  readonly spacing3: readonly number[];
  readonly direction3: readonly number[];
}

const NAME = 'image.extractSlices';
const AXES = { x: 0, y: 1, z: 2 } as const;

/** Slice `k` across index axis `axis` as a 2D image (in-plane axes kept in order). */
export function sliceOf(img: Image, axis: 0 | 1 | 2, k: number): Image {
  const [nx, ny, nz] = size3(img);
  const n = [nx, ny, nz];
  const C = img.components;
  const [a, b] = [0, 1, 2].filter((x) => x !== axis) as [number, number];
  const strides = [C, nx * C, nx * ny * C];
  const [ma, mb] = [n[a] as number, n[b] as number];
  const out = allocate(img.dtype, ma * mb * C);
  const base = k * (strides[axis] as number);
  let q = 0;
  for (let j = 0; j < mb; j++) {
    for (let i = 0; i < ma; i++) {
      const r = base + i * (strides[a] as number) + j * (strides[b] as number);
      for (let c = 0; c < C; c++) out[q++] = img.data[r + c] as number;
    }
  }
  const start = [0, 0, 0];
  start[axis] = k;
  const world = worldOf(img, start);
  const dir = img.direction;
  return {
    dtype: img.dtype,
    shape: shapeFor([ma, mb], C),
    data: out,
    dimension: 2,
    components: C,
    spacing: [img.spacing[a] as number, img.spacing[b] as number],
    origin: [world[a] as number, world[b] as number],
    direction: [dir[a * 3 + a] as number, dir[a * 3 + b] as number, dir[b * 3 + a] as number, dir[b * 3 + b] as number],
  };
}

/**
 * Splits a 3D sample into its 2D slices across one axis (one sample → many). Each child has every
 * key of `keys` replaced by the 2D slice (spacing, origin and the in-plane block of the direction
 * taken from the volume), the id `<id>/slice-<k>`, the parent's `data.initialSampleId`, and under
 * the op id `{ axis, index, count, origin3, spacing3, direction3 }` to place it back. Static.
 * @example
 * extractSlices({ keys: ['data.img', 'data.seg'], axis: 'z' })
 * @throws {OptionsError} for an unknown axis.
 * @throws {TypeMismatchError} (as an OpError) when a key holds no 3D image or the sizes differ.
 */
export const extractSlices = defineOp<ExtractSlicesOptions>({
  name: NAME,
  version: 1,
  kind: 'static',
  validate: (o) => {
    checkKeyList(NAME, 'keys', o.keys);
    if (o.axis !== undefined && !(o.axis in AXES)) throw new OptionsError(`op '${NAME}': option 'axis' must be 'x', 'y' or 'z', got ${JSON.stringify(o.axis)}`);
  },
  apply: (sample, ctx, o) => {
    const images = o.keys.map((key) => ({ key, img: imageAt(sample, key) }));
    const firstName = firstKey(NAME, o.keys);
    const first = imageAt(sample, firstName);
    const full = size3(first);
    for (const { key, img } of images) {
      if (img.dimension !== 3) throw new TypeMismatchError(`key '${key}' holds a ${img.dimension}D image; slices need 3D`);
      if (size3(img).some((n, a) => n !== full[a])) throw new TypeMismatchError(`key '${key}' differs in size from '${firstName}'`);
    }
    const axisName = o.axis ?? 'z';
    const axis = AXES[axisName];
    const count = full[axis];
    const id = sampleIdOf(sample);
    const initial = getOr(sample, INITIAL_SAMPLE_ID_KEY, id);
    const children: Sample[] = [];
    for (let k = 0; k < count; k++) {
      const values: Record<string, unknown> = { [SAMPLE_ID_KEY]: `${id}/slice-${k}`, [INITIAL_SAMPLE_ID_KEY]: initial };
      for (const { key, img } of images) values[key] = sliceOf(img, axis, k);
      const start = [0, 0, 0];
      start[axis] = k;
      const record: SliceRecord = { axis: axisName, index: k, count, origin3: worldOf(first, start), spacing3: [...first.spacing], direction3: [...first.direction] };
      values[ctx.opId] = record;
      children.push(setKeys(sample, values));
    }
    return children;
  },
});
