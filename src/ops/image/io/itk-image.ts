/**
 * Conversion between itk-wasm images and fuseflow's {@link Image}.
 *
 * Both keep pixels with x fastest and components interleaved, so the pixel buffer is shared as
 * is: itk's `size` (x, y, z) becomes `shape` [z, y, x] (plus a trailing component axis). itk-wasm's
 * `direction` is row-major (element [r][c] at r·d + c; column c is the world direction of index
 * axis c), the same layout as fuseflow's; this was checked against nibabel's affine on a file with
 * a negative step and permuted axes (test/ops/image/io/read-image.test.ts).
 */
import { InputError } from '../../../core/errors.js';
import type { Image } from '../../../core/image.js';
import { viewOf, type DType } from '../../../core/tensor.js';
import type { ItkImage, ItkImageJson } from './itk-module.js';

const FROM_ITK: Readonly<Record<string, DType>> = {
  int8: 'int8',
  uint8: 'uint8',
  int16: 'int16',
  uint16: 'uint16',
  int32: 'int32',
  uint32: 'uint32',
  float32: 'float32',
  float64: 'float64',
};

const TO_ITK: Readonly<Record<DType, string>> = {
  int8: 'int8',
  uint8: 'uint8',
  bool: 'uint8',
  int16: 'int16',
  uint16: 'uint16',
  int32: 'int32',
  uint32: 'uint32',
  float32: 'float32',
  float64: 'float64',
};

const clean = (v: number): number => (v === 0 ? 0 : v);

/**
 * An itk-wasm image as a fuseflow Image, sharing the pixel buffer (no copy).
 * @throws {InputError} for component types fuseflow has no dtype for (64-bit integers).
 */
export function fromItkImage(itk: ItkImage, file: string): Image {
  const { dimension, componentType, components } = itk.imageType;
  const dtype = FROM_ITK[componentType];
  if (dtype === undefined) {
    throw new InputError(`pixel component type '${componentType}' is not supported (supported: ${Object.keys(FROM_ITK).join(', ')})`, { file });
  }
  const size = itk.size.slice(0, dimension);
  const shape = [...size].reverse();
  if (components > 1) shape.push(components);
  const length = shape.reduce((a, b) => a * b, 1);
  const data = viewOf(dtype, itk.data.buffer, itk.data.byteOffset, length);
  return {
    dtype,
    shape,
    data,
    dimension,
    components,
    spacing: itk.spacing.slice(0, dimension).map(clean),
    origin: itk.origin.slice(0, dimension).map(clean),
    direction: Array.from(itk.direction.subarray(0, dimension * dimension), clean),
  };
}

/** The pixel type name itk-wasm expects for `components` per voxel. */
function pixelTypeOf(components: number): string {
  return components === 1 ? 'Scalar' : 'VariableLengthVector';
}

/** A fuseflow Image in itk-wasm's shape (JSON part, pixel view and direction), for writers. */
export function toItkImage(img: Image): { json: ItkImageJson; data: ArrayBufferView; direction: Float64Array } {
  const spatial = img.components > 1 ? img.shape.slice(0, -1) : img.shape.slice();
  const size = [...spatial].reverse();
  return {
    json: {
      imageType: { dimension: img.dimension, componentType: TO_ITK[img.dtype], pixelType: pixelTypeOf(img.components), components: img.components },
      name: 'image',
      origin: [...img.origin],
      spacing: [...img.spacing],
      size,
    },
    data: img.data,
    direction: Float64Array.from(img.direction),
  };
}
