/** Input check shared by the fuseflow kernels: they compute in float32 only. */
import type { TensorInfo } from '@tensorflow/tfjs';
import { TypeMismatchError } from '../../core/errors.js';

/**
 * Throws unless every input is float32.
 *
 * @throws TypeMismatchError naming the kernel, the input and its dtype.
 */
export function requireFloat32(kernel: string, inputs: Readonly<Record<string, TensorInfo>>): void {
  for (const [name, info] of Object.entries(inputs)) {
    if (info.dtype !== 'float32') {
      throw new TypeMismatchError(`${kernel}: input '${name}' must be float32, got ${info.dtype} (shape [${info.shape.join(', ')}])`);
    }
  }
}
