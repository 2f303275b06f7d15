/**
 * Picks and initialises the TensorFlow.js backend fuseflow trains on: `@tensorflow/tfjs-node-gpu`
 * (CUDA) if it is installed and loads, else `@tensorflow/tfjs-node` (libtensorflow on the CPU),
 * else the WebAssembly backend with fuseflow's kernels, else the pure-JS backend. The two native
 * packages are optional dependencies; their install fails (and is skipped) where libtensorflow
 * cannot be downloaded. WebGPU (`@tensorflow/tfjs-backend-webgpu` on Dawn, webgpu-backend.ts) is
 * used only when asked for by name.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { env, getBackend, ready, setBackend } from '@tensorflow/tfjs';
import { getThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { FuseflowError, OptionsError } from '../core/errors.js';
import { registerFuseflowKernels, type KernelRegistration } from './kernels/index.js';
import { importProblem } from './optional-package.js';
import { initWebgpu } from './webgpu-backend.js';

/** A backend fuseflow can be asked for: native TensorFlow (GPU or CPU), WebGPU, WebAssembly, pure JS. */
export type BackendName = 'tensorflow' | 'webgpu' | 'wasm' | 'cpu';

/** Options of {@link useBackend}. */
export interface UseBackendOptions {
  /** Where the chosen backend and the reason are printed; `null` prints nothing. Default: stderr. */
  readonly log?: ((line: string) => void) | null;
  /** Environment read for `FUSEFLOW_BACKEND`. Default: `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** The backend in use and why it was chosen. */
export interface BackendChoice {
  readonly name: BackendName;
  /** The npm package providing it (`@tensorflow/tfjs-node-gpu`, `@tensorflow/tfjs-backend-wasm`…). */
  readonly package: string;
  /** Why: the request, or what the automatic choice skipped. */
  readonly reason: string;
  /** One line, e.g. `wasm (tfjs-node-gpu not installed; tfjs-node not installed)`. */
  readonly summary: string;
  /** For wasm: SIMD and threads in use; for webgpu: the GPU adapter. */
  readonly detail?: string;
  /** For wasm: what fuseflow's kernel registration replaced and added. */
  readonly kernels?: KernelRegistration;
}

const NAMES: readonly BackendName[] = ['tensorflow', 'webgpu', 'wasm', 'cpu'];
const NATIVE = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'] as const;
const require = createRequire(import.meta.url);

/** A native package that could not be used: not installed, or installed but failed to load. */
function failure(pkg: string, err: unknown): string {
  const short = pkg.replace('@tensorflow/', '');
  const { missing, detail } = importProblem(pkg, err);
  return missing ? `${short} not installed` : `${short} failed to load: ${detail}`;
}

/** Loads the first native package that works; returns it, or the reasons none did. */
async function loadNative(): Promise<{ readonly pkg: string | undefined; readonly reasons: readonly string[] }> {
  const reasons: string[] = [];
  for (const pkg of NATIVE) {
    try {
      await import(pkg);
      if (!(await setBackend('tensorflow'))) {
        reasons.push(`${pkg.replace('@tensorflow/', '')} loaded but registered no 'tensorflow' backend`);
        continue;
      }
      return { pkg, reasons };
    } catch (err) {
      reasons.push(failure(pkg, err));
    }
  }
  return { pkg: undefined, reasons };
}

/** The folder holding the wasm binaries, resolved in node_modules (no network). */
export function wasmBinaryFolder(): string {
  return join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + '/';
}

async function initWasm(): Promise<{ readonly detail: string; readonly kernels: KernelRegistration }> {
  const kernels = registerFuseflowKernels();
  setWasmPaths(wasmBinaryFolder()); // before the first setBackend('wasm'); harmless after
  if (!(await setBackend('wasm'))) throw new FuseflowError('the wasm backend failed to initialise');
  await ready();
  const simd = (await env().getAsync('WASM_HAS_SIMD_SUPPORT')) === true;
  const threads = getThreadsCount();
  return { detail: `${simd ? 'SIMD' : 'no SIMD'}, ${threads} thread${threads === 1 ? '' : 's'}`, kernels };
}

function requested(name: BackendName | undefined, vars: Readonly<Record<string, string | undefined>>): BackendName | undefined {
  if (name !== undefined) {
    if (!NAMES.includes(name)) throw new OptionsError(`useBackend: unknown backend '${String(name)}'; expected one of ${NAMES.join(', ')}`);
    return name;
  }
  const fromEnv = vars['FUSEFLOW_BACKEND']?.trim();
  if (fromEnv === undefined || fromEnv === '' || fromEnv === 'auto') return undefined;
  if (!(NAMES as readonly string[]).includes(fromEnv)) {
    throw new OptionsError(`FUSEFLOW_BACKEND='${fromEnv}' is not a backend; expected one of ${NAMES.join(', ')} or auto`);
  }
  return fromEnv as BackendName;
}

/**
 * Selects the backend: `name` if given, else `FUSEFLOW_BACKEND` (`tensorflow`, `webgpu`, `wasm`,
 * `cpu` or `auto`), else automatic (tfjs-node-gpu → tfjs-node → wasm → cpu; never webgpu, whose
 * adapter may be a software one). Registers fuseflow's wasm
 * kernels, sets the backend, prints one line saying which and why, and returns it.
 *
 * Not a sample op: no keys; deterministic given what is installed.
 *
 * @example
 * const choice = await useBackend();        // 'wasm (tfjs-node-gpu not installed; tfjs-node not installed)'
 * await useBackend('cpu', { log: null });    // pure JS, silently
 *
 * @throws OptionsError for an unknown name or `FUSEFLOW_BACKEND` value.
 * @throws FuseflowError when an explicitly requested backend cannot be loaded (with the reason).
 */
export async function useBackend(name?: BackendName, options: UseBackendOptions = {}): Promise<BackendChoice> {
  const log = options.log === undefined ? (line: string): void => void process.stderr.write(`${line}\n`) : options.log;
  const vars = options.env ?? process.env;
  const want = requested(name, vars);
  const why = name !== undefined ? 'requested' : want !== undefined ? `FUSEFLOW_BACKEND=${want}` : undefined;
  const skipped: string[] = [];
  let choice: BackendChoice | undefined;

  if (want === 'tensorflow' || want === undefined) {
    const native = await loadNative();
    if (native.pkg !== undefined) {
      if (!(await setBackend('tensorflow'))) throw new FuseflowError(`${native.pkg} loaded but the 'tensorflow' backend did not initialise`);
      const reason = why ?? (native.reasons.length > 0 ? native.reasons.join('; ') : 'tfjs-node-gpu loads');
      choice = { name: 'tensorflow', package: native.pkg, reason, summary: `tensorflow via ${native.pkg.replace('@tensorflow/', '')} (${reason})` };
    } else if (want === 'tensorflow') {
      throw new FuseflowError(`backend 'tensorflow' was requested but cannot be used: ${native.reasons.join('; ')}`);
    } else {
      skipped.push(...native.reasons);
    }
  }
  if (want === 'webgpu') {
    const { detail } = await initWebgpu();
    if (!(await setBackend('webgpu'))) throw new FuseflowError(`backend 'webgpu' was requested but tfjs's WebGPU backend did not initialise on ${detail}`);
    choice = { name: 'webgpu', package: '@tensorflow/tfjs-backend-webgpu', reason: why ?? 'requested', detail, summary: `webgpu [${detail}] (${why ?? 'requested'})` };
  }
  if (choice === undefined && (want === 'wasm' || want === undefined)) {
    try {
      const { detail, kernels } = await initWasm();
      const reason = why ?? skipped.join('; ');
      choice = { name: 'wasm', package: '@tensorflow/tfjs-backend-wasm', reason, detail, kernels, summary: `wasm [${detail}, fuseflow kernels] (${reason})` };
    } catch (err) {
      if (want === 'wasm') throw new FuseflowError(`backend 'wasm' was requested but failed to initialise: ${(err as Error).message}`, { cause: err });
      skipped.push(`wasm failed: ${(err as Error).message}`);
    }
  }
  if (choice === undefined) {
    registerFuseflowKernels();
    if (!(await setBackend('cpu'))) throw new FuseflowError('the pure-JS cpu backend failed to initialise');
    const reason = why ?? skipped.join('; ');
    choice = { name: 'cpu', package: '@tensorflow/tfjs-backend-cpu', reason, summary: `cpu, pure JS (${reason})` };
  }
  if (getBackend() !== (choice.name === 'tensorflow' ? 'tensorflow' : choice.name)) {
    throw new FuseflowError(`backend '${choice.name}' was chosen but tfjs reports '${getBackend()}'`);
  }
  log?.(`fuseflow backend: ${choice.summary}`);
  return choice;
}
