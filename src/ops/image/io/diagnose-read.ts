/**
 * Says what is wrong with an image file that itk-wasm failed to read: empty, a broken or
 * truncated gzip stream, a NIfTI, NRRD or MetaImage header that promises more voxel bytes than
 * the file holds, or simply not an image of the expected format. Runs only after a failed read.
 */
import { readFile } from 'node:fs/promises';
import { MAX_IMAGE_BYTES } from './declared-size.js';
import { gunzipBounded } from './gunzip-bounded.js';
import type { ImageIoName } from './image-formats.js';
import { metaProblem, nrrdProblem } from './text-header-check.js';

const NIFTI_BYTES: Readonly<Record<number, number>> = { 2: 1, 4: 2, 8: 4, 16: 4, 64: 8, 128: 3, 256: 1, 512: 2, 768: 4, 1024: 8, 1280: 8, 2304: 4 };

/**
 * Where a NIfTI-1 file's voxel data ends (vox_offset + voxels × bytes per voxel), from its header
 * bytes; a string saying what is wrong when the header is not NIfTI-1.
 */
export function niftiVoxelEnd(bytes: Uint8Array): number | string {
  if (bytes.length < 348) return `too short for a NIfTI-1 header (${bytes.length} of 348 bytes)`;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const little = view.getInt32(0, true) === 348;
  if (!little && view.getInt32(0, false) !== 348) return 'not a NIfTI-1 file (sizeof_hdr is not 348)';
  const ndim = view.getInt16(40, little);
  let voxels = 1;
  for (let i = 1; i <= Math.min(Math.max(ndim, 0), 7); i++) voxels *= Math.max(view.getInt16(40 + 2 * i, little), 1);
  const perVoxel = NIFTI_BYTES[view.getInt16(70, little)];
  if (perVoxel === undefined) return `unsupported NIfTI datatype code ${view.getInt16(70, little)}`;
  return Math.max(Math.floor(view.getFloat32(108, little)), 352) + voxels * perVoxel;
}

/** What is wrong with a NIfTI-1 file of `size` bytes whose header is `bytes`, or undefined. */
export function niftiProblem(bytes: Uint8Array, size: number): string | undefined {
  const end = niftiVoxelEnd(bytes);
  if (typeof end === 'string') return end;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const little = view.getInt32(0, true) === 348;
  const offset = Math.max(Math.floor(view.getFloat32(108, little)), 352);
  if (size < end) return `truncated: the header declares ${end - offset} bytes of voxel data from offset ${offset}, the file holds ${Math.max(size - offset, 0)}`;
  return undefined;
}

/** A one-line reason why `file` could not be read by the `io` reader. */
export async function diagnoseRead(file: string, io: ImageIoName | undefined, fallback: string): Promise<string> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(file); // only after a failed read; bounded by the file's size on disk
  } catch (err) {
    return `cannot open the file (${(err as NodeJS.ErrnoException).code ?? String(err)})`;
  }
  if (bytes.length === 0) return 'the file is empty';
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    // inflated as a stream, counted, never held: a gzip bomb stops at the bound
    const got = await gunzipBounded(file, { keep: 64 * 1024, limitFor: () => MAX_IMAGE_BYTES + 64 * 1024 });
    if (got.kind === 'corrupt') return `corrupt or truncated gzip stream (${got.message})`;
    if (got.kind === 'longer') return `the gzip stream inflates to more than ${got.limit} bytes, beyond what fuseflow reads from one file`;
    return io === 'nifti' ? (niftiProblem(got.head, got.total) ?? fallback) : fallback;
  }
  if (io === 'nifti') return niftiProblem(bytes, bytes.length) ?? fallback;
  if (io === 'nrrd') return (await nrrdProblem(file, bytes)) ?? fallback;
  if (io === 'meta') return (await metaProblem(file, bytes)) ?? fallback;
  return fallback;
}
