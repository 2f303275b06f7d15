/**
 * Stitching the outputs of `extractPatches` (one volume → many patches) back into one volume:
 * every patch image is placed at the start its op recorded, voxels covered by several patches
 * get the mean of their values, and the parts of patches that stuck out past the volume (the
 * padding of a volume smaller than a patch) are dropped. The result has the volume's grid from
 * before the cut: its size from the record, the patches' spacing and direction, and the origin
 * of voxel (0, 0, 0).
 */
import { TypeMismatchError } from '../../core/errors.js';
import { isImage, type Image } from '../../core/image.js';
import { getKey, getOr, initialSampleIdOf, sampleIdOf, type Sample } from '../../core/sample.js';
import type { RegionEntry } from '../../ops/image/crop-or-pad.js';
import type { PatchRecord } from '../../ops/image/extract-patches.js';

/** Options of {@link stitchPatches}. */
export interface StitchPatchesOptions {
  /** Key of the patch-grid image to stitch (a patch, or a prediction made on it). Required. */
  readonly key: string;
  /** Op id of the `image.extractPatches` op that cut the patches (`pipeline.opIds[i]`). Required. */
  readonly opId: string;
}

interface PatchOpRecord {
  readonly op: string;
  readonly entries: readonly (RegionEntry | null)[];
  readonly patch: PatchRecord;
}

/**
 * The volume of one source sample stitched from all its patch samples (any order), float32
 * (float64 stays float64), with the patches' components.
 * @example const seg = stitchPatches(patchPredictions, { key: 'model.output.seg', opId: staticPipeline.opIds[6] });
 * @throws {TypeMismatchError} for no samples, patches of different source volumes, a missing or
 *   repeated patch (naming the indices), a sample without the op's record, or patch images whose
 *   channels or geometry disagree.
 */
export function stitchPatches(samples: readonly Sample[], options: StitchPatchesOptions): Image<'float32' | 'float64'> {
  const first = samples[0];
  if (first === undefined) throw new TypeMismatchError('stitchPatches: no patch samples given');
  const source = initialSampleIdOf(first);
  const records = samples.map((s) => recordOf(s, options.opId));
  const firstRecord = records[0] as PatchOpRecord;
  const count = firstRecord.patch.count;
  const full = firstRecord.entries.find((e) => e !== null)?.size;
  if (full === undefined) throw new TypeMismatchError(`stitchPatches: the record at '${options.opId}' of '${sampleIdOf(first)}' has no region`);
  const seen = new Array<boolean>(count).fill(false);
  samples.forEach((s, i) => {
    const r = records[i] as PatchOpRecord;
    if (initialSampleIdOf(s) !== source) throw new TypeMismatchError(`stitchPatches: patch '${sampleIdOf(s)}' comes from '${initialSampleIdOf(s)}', the others from '${source}'`);
    if (r.patch.count !== count || !Number.isInteger(r.patch.index) || r.patch.index < 0 || r.patch.index >= count)
      throw new TypeMismatchError(`stitchPatches: patch '${sampleIdOf(s)}' has index ${r.patch.index} of ${r.patch.count}, expected one of ${count}`);
    if (seen[r.patch.index] === true) throw new TypeMismatchError(`stitchPatches: patch ${r.patch.index} of '${source}' is given twice`);
    seen[r.patch.index] = true;
  });
  const missing = seen.flatMap((v, i) => (v ? [] : [i]));
  if (missing.length > 0)
    throw new TypeMismatchError(
      `stitchPatches: ${missing.length} of the ${count} patches of '${source}' are missing (indices ${missing.slice(0, 10).join(', ')}${missing.length > 10 ? ', …' : ''})`,
    );

  const images = samples.map((s) => imageOf(s, options.key));
  const img0 = images[0] as Image;
  const d = img0.dimension;
  const C = img0.components;
  const [NX, NY, NZ] = [full[0] as number, full[1] as number, d === 3 ? (full[2] as number) : 1];
  const sum = new Float64Array(NX * NY * NZ * C);
  const hits = new Uint32Array(NX * NY * NZ);
  images.forEach((img, i) => {
    const s = samples[i] as Sample;
    if (img.dimension !== d || img.components !== C || img.spacing.some((v, a) => v !== img0.spacing[a]) || img.direction.some((v, a) => v !== img0.direction[a])) {
      throw new TypeMismatchError(`stitchPatches: patch '${sampleIdOf(s)}' at '${options.key}' differs from the first patch in dimension, channels, spacing or direction`);
    }
    const start = (records[i] as PatchOpRecord).patch.start;
    const size = img.components > 1 ? img.shape.slice(0, -1).reverse() : [...img.shape].reverse();
    const [mx, my, mz] = [size[0] as number, size[1] as number, d === 3 ? (size[2] as number) : 1];
    const [bx, by, bz] = [start[0] as number, start[1] as number, d === 3 ? (start[2] as number) : 0];
    const src = img.data;
    for (let z = 0; z < mz && z + bz < NZ; z++) {
      for (let y = 0; y < my && y + by < NY; y++) {
        for (let x = 0; x < mx && x + bx < NX; x++) {
          const v = ((z + bz) * NY + (y + by)) * NX + (x + bx);
          const p = ((z * my + y) * mx + x) * C;
          hits[v] = (hits[v] as number) + 1;
          for (let c = 0; c < C; c++) sum[v * C + c] = (sum[v * C + c] as number) + (src[p + c] as number);
        }
      }
    }
  });
  const wide = img0.dtype === 'float64';
  const out = wide ? new Float64Array(sum.length) : new Float32Array(sum.length);
  for (let v = 0; v < hits.length; v++) {
    const k = hits[v] as number;
    for (let c = 0; c < C; c++) out[v * C + c] = k === 0 ? 0 : (sum[v * C + c] as number) / k;
  }
  const start0 = (records[0] as PatchOpRecord).patch.start;
  const origin = worldOfIndex(
    img0,
    start0.map((v) => -v),
  );
  const shape = [...full].slice(0, d).reverse();
  if (C > 1) shape.push(C);
  const geometry = { dimension: d, components: C, spacing: [...img0.spacing], origin, direction: [...img0.direction] };
  return out instanceof Float64Array ? { dtype: 'float64', shape, data: out, ...geometry } : { dtype: 'float32', shape, data: out, ...geometry };
}

function recordOf(sample: Sample, opId: string): PatchOpRecord {
  const r = getOr<Partial<PatchOpRecord> | undefined>(sample, opId, undefined);
  if (r === undefined || r.op !== 'image.extractPatches' || r.patch === undefined || !Array.isArray(r.entries)) {
    throw new TypeMismatchError(`stitchPatches: sample '${sampleIdOf(sample)}' has no extractPatches record at '${opId}'`);
  }
  return r as PatchOpRecord;
}

function imageOf(sample: Sample, key: string): Image {
  const v = getKey(sample, key);
  if (!isImage(v)) throw new TypeMismatchError(`stitchPatches: key '${key}' of patch '${sampleIdOf(sample)}' holds no image`);
  return v;
}

/** World position of a (possibly negative) voxel index of `img`. */
function worldOfIndex(img: Image, index: readonly number[]): number[] {
  const d = img.dimension;
  return img.origin.map((o, r) => {
    let s = o;
    for (let c = 0; c < d; c++) s += (img.direction[r * d + c] as number) * (img.spacing[c] as number) * (index[c] as number);
    return s;
  });
}
