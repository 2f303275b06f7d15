/**
 * The bound on the voxel bytes an image header may declare before any reader allocates them.
 * itk-wasm readers run in a 32-bit WebAssembly heap (4 GiB at most) that must hold the voxels
 * and the reader's own buffers, and the voxels are copied out once more; a header that declares
 * more (a damaged dim field, a gzip bomb) is refused up front instead of after gigabytes of
 * allocation.
 */
import { freemem } from 'node:os';
import { InputError } from '../../../core/errors.js';

/** Largest voxel data fuseflow reads from one image file: 2 GiB. */
export const MAX_IMAGE_BYTES = 2 ** 31;

const size = (n: number): string => (n >= 2 ** 30 ? `${(n / 2 ** 30).toFixed(1)} GiB` : `${(n / 2 ** 20).toFixed(1)} MiB`);

/**
 * Throws when a header declares more voxel bytes than fuseflow reads: beyond
 * {@link MAX_IMAGE_BYTES}, or beyond the memory free now (the read needs at least that much).
 * @throws {InputError} naming the file and the declared size.
 */
export function checkDeclaredSize(declared: number, file: string): void {
  if (!Number.isFinite(declared) || declared > MAX_IMAGE_BYTES) {
    throw new InputError(
      `the header declares ${Number.isFinite(declared) ? size(declared) : String(declared)} of voxel data, more than the ${size(MAX_IMAGE_BYTES)} fuseflow reads from one file (a damaged header?)`,
      { file },
    );
  }
  const free = freemem();
  if (declared > free) throw new InputError(`the header declares ${size(declared)} of voxel data, more than the ${size(free)} of memory free now`, { file });
}
