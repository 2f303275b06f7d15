/**
 * Checks that the slices of a DICOM series folder form one evenly spaced stack before GDCM
 * stacks them: GDCM sorts by ImagePositionPatient and divides the stack's extent by the slice
 * count, so a missing slice gives a volume one slice short with a stretched z spacing (7.389 mm
 * for 7 mm slices) and no warning. ITK's ImageSeriesReader only warns ("Non uniform sampling or
 * missing slices detected"); dcm2niix warns when an inter-slice distance differs from the first
 * by more than 0.2 mm. Here each step along the slice normal is compared with the median step,
 * and any difference beyond the tolerance is an error.
 *
 * What this can and cannot detect: a missing slice inside the stack, a slice present twice (or
 * several volumes sharing positions), slices out of line, mixed orientations. A missing first or
 * last slice leaves an evenly spaced, consecutively numbered stack: nothing in the remaining
 * files says the series was longer (ImagesInAcquisition is per acquisition and often 1), so such
 * a volume reads as a shorter one, with the correct spacing and origin for the slices present.
 */
import { basename } from 'node:path';
import { InputError } from '../../../core/errors.js';
import type { DicomScan } from './dicom-file.js';

/** One file of a series and what {@link scanDicom} found in it. */
export interface SeriesSlice {
  readonly file: string;
  readonly scan: DicomScan;
}

/** Smallest step tolerance in mm (dcm2niix's: 0.2 mm), for positions rounded to 0.1 mm. */
const MIN_TOLERANCE_MM = 0.2;
/** Relative step tolerance for thick slices (1% of the step). */
const RELATIVE_TOLERANCE = 0.01;
/** Two slices closer than this (mm) along the normal are at the same position. */
const SAME_POSITION_MM = 1e-3;
/** Largest difference between the orientation cosines of two slices of one stack. */
const ORIENTATION_TOLERANCE = 1e-3;

interface Placed {
  readonly name: string;
  readonly z: number;
  readonly instance: number | undefined;
}

const mm = (v: number): string => `${v.toFixed(2)} mm`;

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}

/** Unit normal of the slice plane (row cosines × column cosines). */
function normalOf(orientation: readonly number[], where: () => InputError): [number, number, number] {
  const [rx = NaN, ry = NaN, rz = NaN, cx = NaN, cy = NaN, cz = NaN] = orientation;
  const n: [number, number, number] = [ry * cz - rz * cy, rz * cx - rx * cz, rx * cy - ry * cx];
  const length = Math.hypot(...n);
  if (orientation.length !== 6 || !Number.isFinite(length) || length < 0.5) throw where();
  return [n[0] / length, n[1] / length, n[2] / length];
}

/** The slices with their positions along the normal, sorted by position. */
function place(dir: string, slices: readonly SeriesSlice[]): Placed[] {
  const first = slices[0];
  if (first === undefined) return [];
  const missing = (s: SeriesSlice, what: string): InputError =>
    new InputError(`cannot check that the series' slices are evenly spaced: ${basename(s.file)} has no valid ${what}; read its files one by one`, { file: dir });
  const orientation = first.scan.imageOrientation ?? [];
  const normal = normalOf(orientation, () => missing(first, 'ImageOrientationPatient (0020,0037)'));
  return slices
    .map((s): Placed => {
      const o = s.scan.imageOrientation;
      if (o === undefined || o.length !== 6 || o.some((v, i) => !(Math.abs(v - (orientation[i] ?? NaN)) <= ORIENTATION_TOLERANCE))) {
        throw new InputError(
          `the slices are not one stack: ${basename(s.file)} has ImageOrientationPatient ${o?.join('\\') ?? '(none)'}, ${basename(first.file)} has ${orientation.join('\\')}`,
          { file: dir },
        );
      }
      const p = s.scan.imagePosition;
      if (p === undefined || p.length !== 3 || p.some((v) => !Number.isFinite(v))) throw missing(s, 'ImagePositionPatient (0020,0032)');
      const z = (p[0] ?? 0) * normal[0] + (p[1] ?? 0) * normal[1] + (p[2] ?? 0) * normal[2];
      return { name: basename(s.file), z, instance: s.scan.instanceNumber };
    })
    .sort((a, b) => a.z - b.z || a.name.localeCompare(b.name));
}

const at = (p: Placed): string => `${p.name} (z=${mm(p.z)})`;

function instances(a: Placed, b: Placed): string {
  return a.instance !== undefined && b.instance !== undefined ? `; InstanceNumber ${a.instance} → ${b.instance}` : '';
}

/** Throws when two neighbouring slices are not one median step apart. */
function checkSteps(dir: string, placed: readonly Placed[]): void {
  const steps = placed.slice(1).map((p, i) => p.z - (placed[i] as Placed).z);
  steps.forEach((d, i) => {
    const a = placed[i] as Placed;
    const b = placed[i + 1] as Placed;
    if (d < SAME_POSITION_MM) {
      throw new InputError(
        `${a.name} and ${b.name} are at the same position (z=${mm(a.z)}): a slice present twice, or several volumes (time points, echoes) in one series; remove the extra files or split the series`,
        { file: dir },
      );
    }
  });
  // the regular step: the median of the steps near the smallest one (gaps of 2+ steps left out)
  const smallest = Math.min(...steps);
  const step = median(steps.filter((d) => d <= 1.5 * smallest));
  const tolerance = Math.min(Math.max(MIN_TOLERANCE_MM, RELATIVE_TOLERANCE * step), step / 2);
  steps.forEach((d, i) => {
    const a = placed[i] as Placed;
    const b = placed[i + 1] as Placed;
    if (Math.abs(d - step) <= tolerance) return;
    const usual = `the other slices are ${mm(step)} apart`;
    const missing = Math.round(d / step) - 1;
    if (missing >= 1 && Math.abs(d - (missing + 1) * step) <= tolerance * (missing + 1)) {
      throw new InputError(
        `missing slice between ${at(a)} and ${at(b)}: they are ${mm(d)} apart where ${usual} (${missing} slice${missing === 1 ? '' : 's'} missing${instances(a, b)}); the volume would have a wrong slice count and z spacing`,
        { file: dir },
      );
    }
    throw new InputError(`uneven slice spacing between ${at(a)} and ${at(b)}: ${mm(d)} where ${usual}${instances(a, b)}; a duplicate, misplaced or foreign slice?`, { file: dir });
  });
}

/**
 * Throws when InstanceNumber, counted along the slice positions, skips where it otherwise steps
 * evenly (checked only when every slice has one and they run in one direction).
 */
function checkInstances(dir: string, placed: readonly Placed[]): void {
  const numbers = placed.map((p) => p.instance);
  if (numbers.some((n) => n === undefined)) return;
  const deltas = placed.slice(1).map((p, i) => (p.instance ?? 0) - ((placed[i] as Placed).instance ?? 0));
  if (!(deltas.every((d) => d > 0) || deltas.every((d) => d < 0))) return;
  const usual = median(deltas.map(Math.abs));
  deltas.forEach((d, i) => {
    if (Math.abs(d) === usual) return;
    const a = placed[i] as Placed;
    const b = placed[i + 1] as Placed;
    throw new InputError(
      `InstanceNumber jumps from ${a.instance} (${a.name}) to ${b.instance} (${b.name}) where it otherwise steps by ${usual}, although the positions are evenly spaced: is a slice missing?`,
      { file: dir },
    );
  });
}

/**
 * Checks that the slices of one series (two or more files) are one evenly spaced stack: same
 * orientation, ImagePositionPatient present, no two at one position, each step along the normal
 * equal to the regular step (the median of the steps up to 1.5× the smallest) within
 * max(0.2 mm, 1% of the step), at most half a step; InstanceNumber without skips.
 * @throws {InputError} naming the folder and the slices around the problem, e.g. "missing slice
 *   between brain_007.dcm (z=…) and brain_009.dcm (z=…)".
 */
export function checkSlicePositions(dir: string, slices: readonly SeriesSlice[]): void {
  if (slices.length < 2) return;
  const placed = place(dir, slices);
  checkSteps(dir, placed);
  checkInstances(dir, placed);
}

/**
 * The slice of a series that becomes index 0 of the volume: the lowest position along the slice
 * normal (GDCM stacks a series in that order; ties by file name). The only slice of a series of one.
 * @throws {InputError} naming the folder when positions or orientations are missing or differ.
 */
export function firstSlice(dir: string, slices: readonly SeriesSlice[]): SeriesSlice | undefined {
  if (slices.length < 2) return slices[0];
  const first = place(dir, slices)[0];
  return slices.find((s) => basename(s.file) === first?.name);
}
