/**
 * Integrity check for single-file NIfTI (.nii, .nii.gz) before it goes to itk-wasm, whose NIfTI
 * reader returns an image (zero-filled where data is missing) for a truncated file instead of
 * failing. Cheap: reads the 352-byte header, and for gzip the 4-byte size trailer; a full
 * decompression happens only when the trailer disagrees with the header.
 */
import { open, readFile } from 'node:fs/promises';
import { constants, gunzipSync, inflateRawSync } from 'node:zlib';
import { InputError } from '../../../core/errors.js';
import { niftiProblem, niftiVoxelEnd } from './diagnose-read.js';

async function head(file: string, n: number): Promise<{ bytes: Uint8Array; size: number }> {
  const handle = await open(file, 'r');
  try {
    const { size } = await handle.stat();
    const bytes = new Uint8Array(Math.min(n, size));
    await handle.read(bytes, 0, bytes.length, 0);
    const tail = new Uint8Array(4);
    if (size >= 4) await handle.read(tail, 0, 4, size - 4);
    const out = new Uint8Array(bytes.length + 4);
    out.set(bytes);
    out.set(tail, bytes.length);
    return { bytes: out, size };
  } finally {
    await handle.close();
  }
}

/** The first bytes of a gzip stream's content (enough for the header), without reading it all. */
function gunzipPrefix(gz: Uint8Array): Uint8Array {
  const flags = gz[3] ?? 0;
  let at = 10;
  if (flags & 4) at += 2 + ((gz[10] ?? 0) | ((gz[11] ?? 0) << 8));
  if (flags & 8) while (at < gz.length && gz[at++] !== 0);
  if (flags & 16) while (at < gz.length && gz[at++] !== 0);
  if (flags & 2) at += 2;
  return inflateRawSync(gz.subarray(at), { finishFlush: constants.Z_SYNC_FLUSH });
}

/**
 * Throws an {@link InputError} naming `file` when a .nii or .nii.gz is truncated or its header
 * is not NIfTI-1; resolves quietly otherwise.
 */
export async function checkNifti(file: string, label: string): Promise<void> {
  const { bytes: raw, size } = await head(file, 64 * 1024);
  const prefix = raw.subarray(0, raw.length - 4);
  const gz = prefix[0] === 0x1f && prefix[1] === 0x8b;
  let headerBytes: Uint8Array;
  try {
    headerBytes = gz ? gunzipPrefix(prefix) : prefix;
  } catch (err) {
    throw new InputError(`corrupt gzip stream (${(err as Error).message})`, { file: label });
  }
  const end = niftiVoxelEnd(headerBytes);
  if (typeof end === 'string') throw new InputError(end, { file: label });
  if (!gz) {
    const problem = niftiProblem(headerBytes, size);
    if (problem !== undefined) throw new InputError(problem, { file: label });
    return;
  }
  const tail = raw.subarray(raw.length - 4);
  const isize = ((tail[0] ?? 0) | ((tail[1] ?? 0) << 8) | ((tail[2] ?? 0) << 16) | ((tail[3] ?? 0) << 24)) >>> 0;
  if (isize === end % 2 ** 32) return;
  let full: Uint8Array;
  try {
    full = gunzipSync(await readFile(file));
  } catch (err) {
    throw new InputError(`corrupt or truncated gzip stream (${(err as Error).message})`, { file: label });
  }
  const problem = niftiProblem(full, full.length);
  if (problem !== undefined) throw new InputError(problem, { file: label });
}
