/**
 * fuseflow's kernels for tfjs's WebAssembly backend, which cannot train a CNN on its own: it has
 * no `Conv2DBackpropFilter`; its 3D convolution filter/input gradients, `MaxPoolGrad`,
 * `MaxPool3DGrad` and `ResizeNearestNeighborGrad` (2D upsampling) give wrong numbers; its
 * transposed matrix products (every dense layer's gradient), its 2D input gradient and its 3D
 * convolution are slow loops, and its sum over leading axes (every bias gradient) transposes first, and its identity and
 * same-dtype cast copy, and its bias addition is a generic broadcasting loop; and tfjs has no
 * gradient for `conv3dTranspose` on any backend.
 */
import '@tensorflow/tfjs-backend-wasm';
import { addConfig } from './add.js';
import { engine, getGradient, getKernel, registerGradient, registerKernel, unregisterKernel, type KernelConfig } from '@tensorflow/tfjs';
import { batchMatMulConfig } from './batch-mat-mul.js';
import { conv2dBackpropFilterConfig } from './conv2d-backprop-filter.js';
import { conv2dBackpropInputConfig } from './conv2d-backprop-input.js';
import { conv3dBackpropFilterV2Config } from './conv3d-backprop-filter-v2.js';
import { conv3dBackpropInputV2Config } from './conv3d-backprop-input-v2.js';
import { conv3dConfig } from './conv3d.js';
import { conv3dTransposeGradConfig } from './conv3d-transpose-gradient.js';
import { castConfig, identityConfig } from './identity.js';
import { maxPoolGradConfig } from './max-pool-grad.js';
import { maxPool3dGradConfig } from './max-pool3d-grad.js';
import { resizeNearestNeighborGradConfig } from './resize-nearest-neighbor-grad.js';
import { sumConfig } from './sum.js';
import { rememberStockBatchMatMul } from './wasm-heap.js';

export { MAX_COL_FLOATS } from './conv-backprop.js';
export { conv2dGeometry, conv3dGeometry, type ConvGeometry } from './conv-geometry.js';

/** What `registerFuseflowKernels()` did, kernel by kernel. */
export interface KernelRegistration {
  /** wasm kernels fuseflow put in place of the backend's own. */
  readonly replaced: readonly string[];
  /** wasm kernels the backend lacked. */
  readonly added: readonly string[];
  /** Gradients (all backends) tfjs lacked. */
  readonly gradients: readonly string[];
}

let done: KernelRegistration | undefined;

/**
 * Importing the wasm package registers it as tfjs's preferred backend (priority 2), so every
 * synchronous tf call made before `await tf.ready()` would throw "backend 'wasm' has not yet been
 * initialized". fuseflow selects wasm explicitly (`useBackend`), so importing fuseflow leaves
 * tfjs's default backend as it was.
 */
function keepDefaultBackend(): void {
  const registry = (engine() as unknown as { registryFactory?: Record<string, { priority: number }> }).registryFactory;
  const entry = registry?.['wasm'];
  if (entry !== undefined) entry.priority = 0; // (findBackend would start initialising it)
}
keepDefaultBackend();

function install(config: KernelConfig, replaced: string[], added: string[]): void {
  const existing = getKernel(config.kernelName, 'wasm');
  if (existing !== undefined) {
    unregisterKernel(config.kernelName, 'wasm');
    replaced.push(config.kernelName);
  } else {
    added.push(config.kernelName);
  }
  registerKernel(config);
}

/**
 * Registers fuseflow's wasm kernels (idempotent; later calls return the first call's result).
 * Call it before or after the wasm backend is initialised; `useBackend()` calls it for you.
 *
 * @example
 * registerFuseflowKernels();
 * await tf.setBackend('wasm');
 * const grads = tf.grads((x, w) => tf.conv2d(x, w, 2, 'same').sum())([x, w]); // now correct
 */
export function registerFuseflowKernels(): KernelRegistration {
  if (done !== undefined) return done;
  const replaced: string[] = [];
  const added: string[] = [];
  const gradients: string[] = [];
  const stockMatMul = getKernel('BatchMatMul', 'wasm');
  if (stockMatMul !== undefined) {
    rememberStockBatchMatMul(stockMatMul.kernelFunc);
    install(batchMatMulConfig(stockMatMul), replaced, added);
  }
  const stockAdd = getKernel('Add', 'wasm');
  if (stockAdd !== undefined) install(addConfig(stockAdd), replaced, added);
  const stockSum = getKernel('Sum', 'wasm');
  if (stockSum !== undefined) install(sumConfig(stockSum), replaced, added);
  const stockIdentity = getKernel('Identity', 'wasm');
  if (stockIdentity !== undefined) install(identityConfig(stockIdentity), replaced, added);
  const stockCast = getKernel('Cast', 'wasm');
  if (stockCast !== undefined) install(castConfig(stockCast), replaced, added);
  for (const config of [
    conv2dBackpropFilterConfig,
    conv2dBackpropInputConfig,
    conv3dConfig,
    conv3dBackpropFilterV2Config,
    conv3dBackpropInputV2Config,
    maxPoolGradConfig,
    maxPool3dGradConfig,
    resizeNearestNeighborGradConfig,
  ]) {
    install(config, replaced, added);
  }
  if (getGradient(conv3dTransposeGradConfig.kernelName) === undefined) {
    registerGradient(conv3dTransposeGradConfig);
    gradients.push(conv3dTransposeGradConfig.kernelName);
  }
  done = { replaced, added, gradients };
  return done;
}
