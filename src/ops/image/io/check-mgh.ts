/**
 * Size check for FreeSurfer MGH (.mgh) and gzipped MGH (.mgz) before itk-wasm reads them: the
 * 284-byte big-endian header declares width × height × depth × frames voxels of a type; a header
 * declaring more than fuseflow reads is refused before the reader allocates it. A .mgz is
 * inflated once as a stream, only counted, and stopped once it passes the declared data plus
 * room for the optional tags that follow it, so a gzip bomb costs neither time nor memory; zlib
 * checks its CRC-32.
 */
import { open } from 'node:fs/promises';
import { InputError } from '../../../core/errors.js';
import { checkDeclaredSize } from './declared-size.js';
import { gunzipBounded } from './gunzip-bounded.js';

/** Bytes of the MGH header before the voxel data. */
const HEADER_BYTES = 284;
/** Room allowed after the voxel data for MGH tags (TR, flip angle, command lines…). */
const TAG_BYTES = 16 * 2 ** 20;
/** Bytes per voxel by MGH type code: uchar, int, long, float, short. */
const MGH_BYTES: Readonly<Record<number, number>> = { 0: 1, 1: 4, 2: 8, 3: 4, 4: 2 };

/**
 * Where an MGH file's voxel data ends, from its header.
 * @throws {InputError} for a header that is not MGH version 1 or declares too much data.
 */
function declaredEnd(header: Uint8Array, file: string): number {
  if (header.length < 28) throw new InputError(`too short for an MGH header (${header.length} of ${HEADER_BYTES} bytes)`, { file });
  const view = new DataView(header.buffer, header.byteOffset, header.byteLength);
  if (view.getInt32(0, false) !== 1) throw new InputError(`not an MGH file (version ${view.getInt32(0, false)}, expected 1)`, { file });
  const [width, height, depth, frames, type] = [4, 8, 12, 16, 20].map((at) => view.getInt32(at, false)) as [number, number, number, number, number];
  const perVoxel = MGH_BYTES[type];
  if (perVoxel === undefined) throw new InputError(`unsupported MGH data type ${type}`, { file });
  if ([width, height, depth, frames].some((n) => n < 1)) throw new InputError(`MGH dimensions ${width}×${height}×${depth}×${frames} are not positive`, { file });
  const bytes = width * height * depth * frames * perVoxel;
  checkDeclaredSize(bytes, file);
  return HEADER_BYTES + bytes;
}

/**
 * Throws an {@link InputError} naming `label` when an .mgh or .mgz declares more voxel data than
 * fuseflow reads or more than the file holds, or a .mgz is corrupt or longer than the declared
 * data plus 16 MiB of tags; resolves quietly otherwise.
 */
export async function checkMgh(file: string, label: string): Promise<void> {
  const handle = await open(file, 'r');
  const head = new Uint8Array(HEADER_BYTES);
  let read: number;
  let size: number;
  try {
    ({ size } = await handle.stat());
    ({ bytesRead: read } = await handle.read(head, 0, HEADER_BYTES, 0));
  } finally {
    await handle.close();
  }
  if (!(head[0] === 0x1f && head[1] === 0x8b)) {
    const end = declaredEnd(head.subarray(0, read), label);
    if (size < end)
      throw new InputError(`truncated: the header declares ${end - HEADER_BYTES} bytes of voxel data, the file holds ${Math.max(size - HEADER_BYTES, 0)}`, { file: label });
    return;
  }
  const got = await gunzipBounded(file, { keep: HEADER_BYTES, limitFor: (header) => declaredEnd(header, label) + TAG_BYTES });
  if (got.kind === 'corrupt') throw new InputError(`corrupt or truncated gzip stream (${got.message})`, { file: label });
  if (got.kind === 'longer') {
    throw new InputError(
      `the gzip stream holds more than the header declares: over ${got.limit} bytes with tags, inflating stopped at ${got.inflated} (a damaged header, or a gzip bomb)`,
      {
        file: label,
      },
    );
  }
  const end = declaredEnd(got.head, label);
  if (got.total < end)
    throw new InputError(`truncated: the header declares ${end - HEADER_BYTES} bytes of voxel data, the stream holds ${Math.max(got.total - HEADER_BYTES, 0)}`, { file: label });
}
