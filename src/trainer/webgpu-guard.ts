/**
 * Guards for tfjs's WebGPU backend (4.22), found on an NVIDIA H200: its binary ops (Add, Mul, …)
 * take a "shared memory" shader when one side is a vector of 2–127 values and the other has more
 * dimensions, and that shader indexes the output coordinates with `coords[rank − 1]`, which WGSL
 * refuses for rank 5 and 6 (coordinates there are a struct, not a vector). The shader module is
 * invalid, Dawn reports a validation error, the command buffer is dropped and the op's output is
 * left unwritten, while tfjs goes on and the process exits 0. A 3D U-Net's sliding-window
 * prediction hit it (a `[B, D, H, W, C] + [C]` bias add after a transposed convolution).
 *
 * 1. {@link collapsedBinary} sends such an op through the same kernel on a `[N / C, C]` view (a
 *    reshape: no copy), which takes the rank-2 shader. Registered for every binary kernel of the
 *    webgpu backend by {@link guardWebgpuKernels}.
 * 2. {@link gpuErrorScope} / {@link withGpuErrorScope} wrap a step (fit's training step, a model's
 *    predict) in WebGPU error scopes, so that any validation or out-of-memory error of the GPU fails
 *    the step with that error instead of passing unnoticed.
 */
import {
  backend as currentBackend,
  getBackend,
  getKernel,
  registerKernel,
  unregisterKernel,
  util,
  type KernelBackend,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs';
import { FuseflowError } from '../core/errors.js';

/** The binary kernels built on tfjs-webgpu's BinaryOpProgram (inputs `a` and `b`). */
export const BINARY_KERNELS: readonly string[] = [
  'Add',
  'Sub',
  'Multiply',
  'RealDiv',
  'Maximum',
  'Minimum',
  'SquaredDifference',
  'Pow',
  'FloorDiv',
  'Mod',
  'Atan2',
  'Equal',
  'NotEqual',
  'Greater',
  'GreaterEqual',
  'Less',
  'LessEqual',
  'LogicalAnd',
  'LogicalOr',
];

/** Where the shared-memory shader would index coordinates it cannot: the vector and the other side, else null. */
function riskyBroadcast(a: TensorInfo, b: TensorInfo): { vector: TensorInfo; other: TensorInfo } | null {
  for (const [vector, other] of [
    [a, b],
    [b, a],
  ] as const) {
    const n = vector.shape[0] ?? 1;
    if (vector.shape.length === 1 && n > 1 && n < 128 && other.shape.length >= 5 && other.shape[other.shape.length - 1] === n) return { vector, other };
  }
  return null;
}

/**
 * A binary kernel that computes a rank-5/6 tensor against a vector of its last dimension on a
 * rank-2 view of the tensor (same values, same order), and every other case as `stock` does.
 * `backendName` names the backend whose Reshape kernel makes the views.
 */
export function collapsedBinary(stock: KernelFunc, backendName: string): KernelFunc {
  const reshape = getKernel('Reshape', backendName)?.kernelFunc;
  if (reshape === undefined) throw new FuseflowError(`collapsedBinary: the ${backendName} backend has no Reshape kernel`);
  const kernel = (args: { inputs: { a: TensorInfo; b: TensorInfo }; backend: KernelBackend; attrs?: Record<string, unknown> }): TensorInfo => {
    const { a, b } = args.inputs;
    const risky = riskyBroadcast(a, b);
    if (risky === null) return stock(args as never) as TensorInfo;
    const cols = risky.vector.shape[0] as number;
    const view = (x: TensorInfo, shape: number[]): TensorInfo => reshape({ inputs: { x }, attrs: { shape }, backend: args.backend }) as TensorInfo;
    const flat = view(risky.other, [util.sizeFromShape(risky.other.shape) / cols, cols]);
    try {
      const inputs = risky.other === a ? { a: flat, b } : { a, b: flat };
      const out2d = stock({ ...args, inputs } as never) as TensorInfo;
      const out = view(out2d, [...risky.other.shape]);
      args.backend.disposeData(out2d.dataId);
      return out;
    } finally {
      args.backend.disposeData(flat.dataId);
    }
  };
  return kernel as unknown as KernelFunc;
}

/** Re-registers the webgpu backend's binary kernels through {@link collapsedBinary}; idempotent. */
export function guardWebgpuKernels(): readonly string[] {
  const guarded: string[] = [];
  for (const name of BINARY_KERNELS) {
    const stock = getKernel(name, 'webgpu') as (KernelConfig & { fuseflowGuarded?: true }) | undefined;
    if (stock === undefined || stock.fuseflowGuarded === true) continue;
    unregisterKernel(name, 'webgpu');
    registerKernel({ ...stock, kernelFunc: collapsedBinary(stock.kernelFunc, 'webgpu'), fuseflowGuarded: true } as KernelConfig);
    guarded.push(name);
  }
  return guarded;
}

/** The part of a WebGPU device {@link gpuErrorScope} uses. */
interface ScopedDevice {
  pushErrorScope(filter: 'validation' | 'out-of-memory' | 'internal'): void;
  popErrorScope(): Promise<{ readonly message: string } | null>;
}

/** An open error scope: {@link close} rejects with the GPU's first error inside it. */
export interface GpuErrorScope {
  close(): Promise<void>;
}

const NO_SCOPE: GpuErrorScope = { close: async () => {} };

/**
 * Opens WebGPU error scopes (validation, out-of-memory) on the current backend's device when the
 * backend is webgpu; on any other backend it does nothing. Close it after the step's results have
 * been read back.
 *
 * @example
 * const scope = gpuErrorScope(what);
 * const loss = await cost.data();
 * await scope.close(); // throws FuseflowError naming the GPU error, if any
 */
export function gpuErrorScope(what: string): GpuErrorScope {
  if (getBackend() !== 'webgpu') return NO_SCOPE;
  const device = (currentBackend() as unknown as { device?: ScopedDevice }).device;
  if (device === undefined) return NO_SCOPE;
  device.pushErrorScope('validation');
  device.pushErrorScope('out-of-memory');
  return {
    close: async () => {
      const oom = await device.popErrorScope();
      const invalid = await device.popErrorScope();
      const error = oom ?? invalid;
      if (error !== null) {
        throw new FuseflowError(
          `${what}: the GPU reported ${oom !== null ? 'running out of memory' : 'a validation error'} (WebGPU), so its results are not valid: ${error.message.split('\n')[0] ?? error.message}`,
        );
      }
    },
  };
}

/**
 * Runs `step` inside {@link gpuErrorScope}: its result when the GPU reported nothing, else the
 * GPU's error (a FuseflowError); an error of `step` itself wins, the scopes are closed either way.
 */
export async function withGpuErrorScope<T>(what: string, step: () => Promise<T>): Promise<T> {
  const scope = gpuErrorScope(what);
  let result: T;
  try {
    result = await step();
  } catch (err) {
    await scope.close().catch(() => undefined);
    throw err;
  }
  await scope.close();
  return result;
}
