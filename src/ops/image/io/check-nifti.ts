/**
 * Integrity check for single-file NIfTI (.nii, .nii.gz) before it goes to itk-wasm, whose NIfTI
 * reader returns an image (zero-filled where data is missing) for a truncated file instead of
 * failing, and which would allocate whatever a damaged header declares.
 *
 * The header must be NIfTI-1 with the `n+1` magic, voxel data from byte 352 or later, and declare
 * no more than {@link checkDeclaredSize} allows; the content must hold exactly the bytes the
 * header declares (vox_offset + voxels × bytes per voxel). For .nii.gz the stream is inflated
 * once, only counted, and stopped one chunk past the declared size, so a gzip bomb costs neither
 * time nor memory; zlib checks the stream's CRC-32, so a damaged .nii.gz is refused.
 */
import { open } from 'node:fs/promises';
import { InputError } from '../../../core/errors.js';
import { checkDeclaredSize } from './declared-size.js';
import { niftiProblem, niftiVoxelEnd } from './diagnose-read.js';
import { gunzipBounded } from './gunzip-bounded.js';

/** Bytes of a NIfTI-1 header, with the 4-byte extension flag. */
const HEADER_BYTES = 352;

async function head(file: string, n: number): Promise<{ bytes: Uint8Array; size: number }> {
  const handle = await open(file, 'r');
  try {
    const { size } = await handle.stat();
    const bytes = new Uint8Array(Math.min(n, size));
    const { bytesRead } = await handle.read(bytes, 0, bytes.length, 0);
    return { bytes: bytes.subarray(0, bytesRead), size };
  } finally {
    await handle.close();
  }
}

/**
 * Where a single-file NIfTI-1's voxel data ends, from its header.
 * @throws {InputError} for a header that is not single-file NIfTI-1 or declares too much data.
 */
function declaredEnd(header: Uint8Array, file: string): number {
  const end = niftiVoxelEnd(header);
  if (typeof end === 'string') throw new InputError(end, { file });
  const magic = String.fromCharCode(...header.subarray(344, 348));
  if (magic !== 'n+1\0') throw new InputError(`not a single-file NIfTI-1 header (magic ${JSON.stringify(magic)}, expected "n+1")`, { file });
  const view = new DataView(header.buffer, header.byteOffset, header.byteLength);
  const little = view.getInt32(0, true) === 348;
  const offset = view.getFloat32(108, little);
  if (!(offset >= HEADER_BYTES)) throw new InputError(`vox_offset ${offset} is before the end of the 352-byte header`, { file });
  checkDeclaredSize(end, file);
  return end;
}

function exact(header: Uint8Array, end: number, size: number, file: string): void {
  const problem = niftiProblem(header, size);
  if (problem !== undefined) throw new InputError(problem, { file });
  if (size > end)
    throw new InputError(`holds ${size - end} bytes more than the header declares (its voxel data ends at byte ${end}): a damaged header, or not one image`, { file });
}

/**
 * Throws an {@link InputError} naming `label` when a .nii or .nii.gz is truncated, longer than
 * its header declares, a corrupt gzip stream, or not single-file NIfTI-1; resolves quietly otherwise.
 */
export async function checkNifti(file: string, label: string): Promise<void> {
  const { bytes, size } = await head(file, HEADER_BYTES);
  if (!(bytes[0] === 0x1f && bytes[1] === 0x8b)) {
    exact(bytes, declaredEnd(bytes, label), size, label);
    return;
  }
  const got = await gunzipBounded(file, { keep: HEADER_BYTES, limitFor: (header) => declaredEnd(header, label) });
  if (got.kind === 'corrupt') throw new InputError(`corrupt or truncated gzip stream (${got.message})`, { file: label });
  if (got.kind === 'longer') {
    throw new InputError(
      `the gzip stream holds more than the header declares: its voxel data ends at byte ${got.limit}, inflating stopped at ${got.inflated} bytes (a damaged header, or a gzip bomb)`,
      { file: label },
    );
  }
  exact(got.head, declaredEnd(got.head, label), got.total, label);
}
