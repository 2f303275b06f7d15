/**
 * The WebGPU backend in Node: `@tensorflow/tfjs-backend-webgpu` on Dawn through the `webgpu` npm
 * package (Dawn's Node binding, prebuilt; on Linux it drives the GPU through Vulkan). Both are
 * optional dependencies, like the native TensorFlow packages. It is only used when asked for
 * (`useBackend('webgpu')`, `FUSEFLOW_BACKEND=webgpu`, `--backend webgpu`): a WebGPU adapter can be
 * a software one, slower than the wasm backend, so the automatic choice does not take it.
 *
 * tfjs's WebGPU backend reads the WebGPU globals (`GPUBufferUsage`, `GPUMapMode`, …) and
 * `navigator.gpu`, which Node does not have; they are installed here, before the backend's module
 * is imported (it registers itself only when `navigator.gpu` exists at import time). An existing
 * `navigator.gpu` or WebGPU global is left as it is.
 */
import { FuseflowError } from '../core/errors.js';
import { importProblem } from './optional-package.js';
import { guardWebgpuKernels } from './webgpu-guard.js';

/** What {@link initWebgpu} found: the adapter in words. */
export interface WebgpuInit {
  /** Vendor, architecture, description as Dawn gives them, e.g. `nvidia, NVIDIA: 580.159.04 580.159.4.0` (an H200). */
  readonly detail: string;
}

/** The part of Dawn's binding fuseflow uses. */
interface DawnModule {
  readonly create: (flags: string[]) => WebgpuLike;
  readonly globals: Readonly<Record<string, unknown>>;
}

interface WebgpuLike {
  requestAdapter(options?: { powerPreference?: 'high-performance' | 'low-power' }): Promise<AdapterLike | null>;
}

interface AdapterLike {
  readonly info?: { readonly vendor?: string; readonly architecture?: string; readonly description?: string; readonly device?: string };
}

// Optional packages, imported by a name held in a variable so that compiling fuseflow never needs them.
const DAWN: string = 'webgpu';
const TFJS_WEBGPU: string = '@tensorflow/tfjs-backend-webgpu';
const INSTALL = `npm install ${DAWN} ${TFJS_WEBGPU}`;

/** Why an optional package could not be imported, in one line. */
function importFailure(pkg: string, err: unknown): string {
  const { missing, detail } = importProblem(pkg, err);
  return missing ? `${pkg} is not installed (${INSTALL})` : `${pkg} failed to load: ${detail}`;
}

async function importDawn(): Promise<DawnModule> {
  try {
    return (await import(DAWN)) as DawnModule;
  } catch (err) {
    throw new FuseflowError(`webgpu backend: ${importFailure(DAWN, err)}`, { cause: err });
  }
}

/** Installs `navigator.gpu` and the WebGPU globals Node lacks; leaves any already there. */
function installGlobals(dawn: DawnModule, gpu: WebgpuLike): void {
  const global = globalThis as Record<string, unknown>;
  for (const [name, value] of Object.entries(dawn.globals)) if (!(name in global)) global[name] = value;
  const nav = global['navigator'] as Record<string, unknown> | undefined;
  if (nav === undefined) Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  else if (nav['gpu'] === undefined) Object.defineProperty(nav, 'gpu', { value: gpu, configurable: true, writable: true });
}

/** The adapter in words: vendor, architecture, description. */
function describe(adapter: AdapterLike): string {
  const info = adapter.info ?? {};
  const parts = [info.vendor, info.architecture, info.description ?? info.device].filter((p): p is string => p !== undefined && p !== '');
  return parts.length > 0 ? parts.join(', ') : 'adapter without info';
}

/**
 * Loads Dawn, checks that it finds a GPU adapter, installs the globals tfjs's WebGPU backend reads
 * and imports that backend (which registers `'webgpu'` with tfjs). The caller then sets it.
 *
 * @throws FuseflowError naming the missing package and how to install it, or the missing adapter
 * and what to check (a Vulkan loader and a GPU driver).
 */
export async function initWebgpu(): Promise<WebgpuInit> {
  const dawn = await importDawn();
  const gpu = dawn.create([]);
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (adapter === null) {
    throw new FuseflowError(
      'webgpu backend: the webgpu package loaded but found no GPU adapter; on Linux Dawn needs a Vulkan loader (Debian: libvulkan1) and a GPU driver with a Vulkan ICD (NVIDIA: the driver; see VK_DRIVER_FILES)',
    );
  }
  installGlobals(dawn, gpu);
  try {
    await import(TFJS_WEBGPU);
  } catch (err) {
    throw new FuseflowError(`webgpu backend: ${importFailure(TFJS_WEBGPU, err)}`, { cause: err });
  }
  guardWebgpuKernels(); // rank-5/6 broadcasts avoid a shader WGSL refuses (webgpu-guard.ts)
  return { detail: describe(adapter) };
}
