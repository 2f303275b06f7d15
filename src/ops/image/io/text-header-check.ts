/**
 * Checks for the text-header formats NRRD and MetaImage. Before a read: the voxel bytes the
 * header declares (sizes × element type), so a damaged or hostile header is refused before a
 * reader allocates it, and compressed data is never inflated past it (itk-wasm's readers inflate
 * up to the declared size). After a failed read of raw (uncompressed) data: compare the declared
 * count with what the file (or the detached data file) holds, to say why.
 */
import { stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';

const NRRD_TYPES: ReadonlyArray<readonly [RegExp, number]> = [
  [/^(signed char|int8|int8_t|uchar|unsigned char|uint8|uint8_t)$/, 1],
  [/^(short|short int|signed short|signed short int|int16|int16_t|ushort|unsigned short|unsigned short int|uint16|uint16_t)$/, 2],
  [/^(int|signed int|int32|int32_t|uint|unsigned int|uint32|uint32_t|float)$/, 4],
  [/^(longlong|long long|long long int|signed long long|signed long long int|int64|int64_t|ulonglong|unsigned long long|unsigned long long int|uint64|uint64_t|double)$/, 8],
];
const MET_BYTES: Readonly<Record<string, number>> = {
  MET_CHAR: 1,
  MET_UCHAR: 1,
  MET_SHORT: 2,
  MET_USHORT: 2,
  MET_INT: 4,
  MET_UINT: 4,
  MET_LONG: 4,
  MET_ULONG: 4,
  MET_LONG_LONG: 8,
  MET_ULONG_LONG: 8,
  MET_FLOAT: 4,
  MET_DOUBLE: 8,
};

const product = (s: string): number =>
  s
    .trim()
    .split(/\s+/)
    .reduce((a, v) => a * Number(v), 1);

function shortBy(need: number, have: number, where: string): string | undefined {
  return have < need ? `truncated: the header declares ${need} bytes of voxel data, ${where} holds ${have}` : undefined;
}

/** Why an NRRD file with raw encoding cannot be complete, or undefined. */
export async function nrrdProblem(file: string, bytes: Uint8Array): Promise<string | undefined> {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.length, 64 * 1024)).toString('latin1');
  if (!text.startsWith('NRRD')) return 'not an NRRD file (no NRRD magic)';
  const end = text.search(/\r?\n\r?\n/);
  if (end < 0) return 'truncated: the NRRD header does not end';
  const field = (name: string): string | undefined => new RegExp(`^${name}:\\s*(.*)$`, 'im').exec(text.slice(0, end))?.[1]?.trim();
  const sizes = field('sizes');
  const type = field('type');
  const perVoxel = NRRD_TYPES.find(([re]) => re.test(type ?? ''))?.[1];
  if (sizes === undefined || perVoxel === undefined || (field('encoding') ?? '') !== 'raw') return undefined;
  const need = product(sizes) * perVoxel;
  const detached = field('data ?file') ?? field('datafile');
  if (detached !== undefined) return shortBy(need, (await stat(join(dirname(file), detached)).catch(() => ({ size: 0 }))).size, detached);
  const headerBytes = end + (text[end] === '\r' ? 4 : 2);
  return shortBy(need, bytes.length - headerBytes, 'the file');
}

/** Why a MetaImage (.mha/.mhd) with uncompressed data cannot be complete, or undefined. */
export async function metaProblem(file: string, bytes: Uint8Array): Promise<string | undefined> {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.length, 64 * 1024)).toString('latin1');
  const line = /^ElementDataFile\s*=\s*(.*)$/m.exec(text);
  if (line === null) return 'not a MetaImage header (no ElementDataFile line)';
  const field = (name: string): string | undefined => new RegExp(`^${name}\\s*=\\s*(.*)$`, 'm').exec(text)?.[1]?.trim();
  const perVoxel = MET_BYTES[field('ElementType') ?? ''];
  const dims = field('DimSize');
  if (perVoxel === undefined || dims === undefined || /true/i.test(field('CompressedData') ?? 'False')) return undefined;
  const need = product(dims) * perVoxel * Number(field('ElementNumberOfChannels') ?? 1);
  const target = (line[1] ?? '').trim();
  if (target === 'LOCAL') return shortBy(need, bytes.length - (line.index + line[0].length + 1), 'the file');
  if (/^(LIST|.*%)/.test(target)) return undefined;
  return shortBy(need, (await stat(join(dirname(file), target)).catch(() => ({ size: 0 }))).size, target);
}

/**
 * Voxel bytes an NRRD (`io` 'nrrd') or MetaImage ('meta') header declares, from the file's first
 * bytes; undefined when the header does not say (the reader then decides).
 */
export function declaredVoxelBytes(io: 'nrrd' | 'meta', bytes: Uint8Array): number | undefined {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.length, 64 * 1024)).toString('latin1');
  if (io === 'nrrd') {
    const end = text.search(/\r?\n\r?\n/);
    const header = end < 0 ? text : text.slice(0, end);
    const field = (name: string): string | undefined => new RegExp(`^${name}:\\s*(.*)$`, 'im').exec(header)?.[1]?.trim();
    const sizes = field('sizes');
    const perVoxel = NRRD_TYPES.find(([re]) => re.test(field('type') ?? ''))?.[1];
    return sizes === undefined || perVoxel === undefined ? undefined : product(sizes) * perVoxel;
  }
  const field = (name: string): string | undefined => new RegExp(`^${name}\\s*=\\s*(.*)$`, 'm').exec(text)?.[1]?.trim();
  const perVoxel = MET_BYTES[field('ElementType') ?? ''];
  const dims = field('DimSize');
  return perVoxel === undefined || dims === undefined ? undefined : product(dims) * perVoxel * Number(field('ElementNumberOfChannels') ?? 1);
}
