/** Hand-built images and a one-op runner shared by the image op tests. */
import { createImage, type Image } from '../../../src/core/image.js';
import { createSample, type Sample } from '../../../src/core/sample.js';
import type { DType } from '../../../src/core/tensor.js';
import { allocate } from '../../../src/core/tensor.js';
import type { Op } from '../../../src/ops/op.js';
import { pipeline, runPipeline } from '../../../src/ops/pipeline.js';

/** A 3D (or 2D when size has 2 entries) image whose voxel (x, y, z) holds `fn(x, y, z)`. */
export function imageFrom<D extends DType>(
  dtype: D,
  size: readonly number[],
  fn: (x: number, y: number, z: number) => number,
  geometry: { spacing?: readonly number[]; origin?: readonly number[]; direction?: readonly number[] } = {},
): Image<D> {
  const [nx, ny, nz] = [size[0] as number, size[1] as number, size[2] ?? 1];
  const data = allocate<D>(dtype, nx * ny * nz);
  let i = 0;
  for (let z = 0; z < nz; z++) for (let y = 0; y < ny; y++) for (let x = 0; x < nx; x++) data[i++] = fn(x, y, z);
  return createImage(dtype, size, data, geometry);
}

/** Value of voxel (x, y, z) of a scalar image. */
export function voxel(img: Image, x: number, y: number, z = 0): number {
  const nx = img.shape[img.shape.length - 1] as number;
  const ny = img.shape[img.shape.length - 2] as number;
  return img.data[(z * ny + y) * nx + x] as number;
}

/** A sample with the given id holding `values` at top-level keys. */
export function sampleWith(id: string, values: Readonly<Record<string, unknown>>): Sample {
  return { ...createSample(id), ...values };
}

/** Runs one op (or several) on a sample and returns the outputs. */
export async function run(ops: Op<object> | readonly Op<object>[], sample: Sample, key: { seed?: number; epoch?: number } = {}): Promise<Sample[]> {
  const p = pipeline(Array.isArray(ops) ? (ops as readonly Op<object>[]) : [ops as Op<object>], { name: 'test' });
  return runPipeline(p, sample, { seed: key.seed ?? 1, epoch: key.epoch ?? 0 });
}

/** Runs ops on a sample and returns the single output. */
export async function runOne(ops: Op<object> | readonly Op<object>[], sample: Sample, key: { seed?: number; epoch?: number } = {}): Promise<Sample> {
  const out = await run(ops, sample, key);
  if (out.length !== 1) throw new Error(`expected one output sample, got ${out.length}`);
  return out[0] as Sample;
}

/** The distinct values of an image, sorted. */
export function distinct(img: Image): number[] {
  return [...new Set(Array.from(img.data as ArrayLike<number>))].sort((a, b) => a - b);
}

/** Fixture path under test/fixtures. */
export function fixture(path: string): string {
  return new URL(`../../fixtures/${path}`, import.meta.url).pathname;
}
