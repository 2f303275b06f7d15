import { TypeMismatchError } from '../../core/errors.js';
import { getOr, INITIAL_SAMPLE_ID_KEY, SAMPLE_ID_KEY, sampleIdOf, setKeys, type Sample } from '../../core/sample.js';
import { defineOp } from '../registry.js';
import { copyRegion, reverseRegion, type RegionEntry } from './internal/region.js';
import { imageAt, sizeOf, worldOf } from './internal/image-access.js';
import { checkKeyList, checkNum, checkPerAxis, firstKey, perAxis, type PerAxis } from './internal/options.js';
import { recordReverse } from './internal/reverse-info.js';

/** Options of {@link extractPatches}. */
export interface ExtractPatchesOptions {
  /** Image keys on one grid, cut into the same patches. */
  readonly keys: readonly string[];
  /** Patch size in voxels (x, y, z). */
  readonly patchSize: PerAxis;
  /** Step between patch starts (x, y, z). Default: `patchSize` (patches touch, no overlap). */
  readonly stride?: PerAxis;
  /** Value of voxels of a patch that lie outside a smaller image. Default 0. */
  readonly padValue?: number;
}

/** What each child sample records under the op id, besides the reverse entries. */
export interface PatchRecord {
  /** Patch number and how many the sample gave. */
  readonly index: number;
  readonly count: number;
  /** First voxel of the patch as an index (x, y, z) of the original image, and its world position. */
  readonly start: readonly number[];
  readonly worldOrigin: readonly number[];
}

const NAME = 'image.extractPatches';

/** Patch starts along one axis: every `stride`, plus a last one flush with the end so the whole axis is covered. */
export function patchStarts(n: number, size: number, stride: number): number[] {
  if (n <= size) return [0];
  const starts: number[] = [];
  for (let s = 0; s + size <= n; s += stride) starts.push(s);
  const last = starts[starts.length - 1] as number;
  if (last + size < n) starts.push(n - size);
  return starts;
}

/**
 * Splits a sample into patches on a regular grid (one sample → many; MONAI's `GridPatch`). Each
 * child has every key of `keys` replaced by its patch (origin moved so voxels keep their world
 * position), the id `<id>/patch-<i>` at `data.sampleId`, the parent's `data.initialSampleId`,
 * and under the op id the patch `{ index, count, start, worldOrigin }` plus reverse entries so
 * `reverse` puts a patch prediction back into the full grid (0 elsewhere). Patches run x fastest,
 * then y, then z. Static.
 * @example
 * extractPatches({ keys: ['data.img', 'data.seg'], patchSize: [64, 64, 32], stride: [48, 48, 24] })
 * @throws {OptionsError} for a bad size or stride.
 * @throws {TypeMismatchError} (as an OpError) when the keys' images differ in size.
 */
export const extractPatches = defineOp<ExtractPatchesOptions>({
  name: NAME,
  version: 1,
  kind: 'static',
  validate: (o) => {
    checkKeyList(NAME, 'keys', o.keys);
    checkPerAxis(NAME, 'patchSize', o.patchSize, { min: 1, integer: true });
    if (o.stride !== undefined) checkPerAxis(NAME, 'stride', o.stride, { min: 1, integer: true });
    if (o.padValue !== undefined) checkNum(NAME, 'padValue', o.padValue);
  },
  apply: (sample, ctx, o) => {
    const images = o.keys.map((key) => ({ key, img: imageAt(sample, key) }));
    const firstName = firstKey(NAME, o.keys);
    const first = imageAt(sample, firstName);
    const full = sizeOf(first);
    for (const { key, img } of images) {
      const s = sizeOf(img);
      if (s.some((n, a) => n !== full[a])) throw new TypeMismatchError(`key '${key}' has size [${s.join(', ')}] but '${firstName}' has [${full.join(', ')}]`);
    }
    const d = first.dimension;
    const size = perAxis(o.patchSize, d, 'patchSize');
    const stride = o.stride === undefined ? size : perAxis(o.stride, d, 'stride');
    const axes = full.map((n, a) => patchStarts(n, size[a] as number, stride[a] as number));
    const starts: number[][] = [];
    const zs = d === 3 ? (axes[2] as number[]) : [0];
    for (const z of zs) for (const y of axes[1] as number[]) for (const x of axes[0] as number[]) starts.push(d === 3 ? [x, y, z] : [x, y]);
    const id = sampleIdOf(sample);
    const initial = getOr(sample, INITIAL_SAMPLE_ID_KEY, id);
    return starts.map((start, index): Sample => {
      const values: Record<string, unknown> = { [SAMPLE_ID_KEY]: `${id}/patch-${index}`, [INITIAL_SAMPLE_ID_KEY]: initial };
      for (const { key, img } of images) values[key] = copyRegion(img, start, size, o.padValue ?? 0);
      const entries: RegionEntry[] = o.keys.map(() => ({ start, size: full }));
      const patch: PatchRecord = { index, count: starts.length, start, worldOrigin: worldOf(first, start) };
      return recordReverse(setKeys(sample, values), ctx.opId, { op: NAME, keys: o.keys, entries, patch });
    });
  },
  reverse: reverseRegion(NAME),
});
