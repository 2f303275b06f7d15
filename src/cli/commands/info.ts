/**
 * `fuseflow info PATH`: prints one JSON object describing an image file or DICOM series folder:
 * `{ size, spacing, origin, direction, dtype, components, min, max }` (ITK geometry: LPS, (x, y, z)
 * order, row-major direction). Bad or truncated files exit 1 with the path and what is wrong.
 */
import { imageSize, type Image } from '../../core/image.js';
import { readImageLocal } from '../../ops/image/io/read-image-local.js';

const USAGE = `usage: fuseflow info PATH [--series UID]

Prints the geometry, pixel type and value range of an image file (NIfTI, NRRD, MetaImage, PNG,
JPEG, TIFF, DICOM) or of a folder holding one DICOM series, as one JSON object.

  --series UID   read this SeriesInstanceUID when the folder holds several series`;

/** Smallest and largest value (NaN ignored; null for an image with no finite value). */
function range(img: Image): { min: number | null; max: number | null } {
  let min = Infinity;
  let max = -Infinity;
  const data = img.data;
  for (let i = 0; i < data.length; i++) {
    const v = data[i] as number;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return min > max ? { min: null, max: null } : { min, max };
}

/** The info object for an image. */
export function imageInfo(img: Image): Record<string, unknown> {
  return {
    size: imageSize(img),
    spacing: [...img.spacing],
    origin: [...img.origin],
    direction: [...img.direction],
    dtype: img.dtype,
    components: img.components,
    ...range(img),
  };
}

/** Runs the command; returns the exit code (0 ok, 1 bad input, 2 usage). */
export async function run(args: readonly string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    console.log(USAGE);
    return 0;
  }
  const positional: string[] = [];
  let seriesUid: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (a === '--series') {
      seriesUid = args[++i];
      if (seriesUid === undefined) {
        console.error(`fuseflow info: --series needs a SeriesInstanceUID\n\n${USAGE}`);
        return 2;
      }
    } else if (a.startsWith('-')) {
      console.error(`fuseflow info: unknown option '${a}'\n\n${USAGE}`);
      return 2;
    } else {
      positional.push(a);
    }
  }
  const path = positional[0];
  if (path === undefined || positional.length > 1) {
    console.error(`fuseflow info: give exactly one PATH\n\n${USAGE}`);
    return 2;
  }
  const img = await readImageLocal(path, { pickSeriesHint: '--series UID', ...(seriesUid === undefined ? {} : { seriesUid }) });
  console.log(JSON.stringify(imageInfo(img)));
  return 0;
}
