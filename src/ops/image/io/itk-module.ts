/**
 * Runs itk-wasm pipelines (the WebAssembly programs shipped by `@itk-wasm/image-io` and
 * `@itk-wasm/dicom`) on the calling thread, loading each pipeline's wasm module once per thread.
 *
 * itk-wasm's own Node entry points (`readImageNode`, `niftiReadImageNode`…) decompress and
 * instantiate the module on every call and copy outputs into SharedArrayBuffers. This runner
 * keeps one instance per pipeline per thread, copies each output array once out of the wasm heap
 * into a plain (transferable) ArrayBuffer, and discards an instance after a run that aborted (a
 * wasm exception, a failed mount) so a bad file cannot leave a broken module behind.
 *
 * The calls are synchronous once the module is loaded; they block the thread for the whole run,
 * which is why {@link readImage} sends them to worker threads from the main thread.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** The part of an itk-wasm Emscripten module this runner uses. */
interface PipelineModule {
  callMain(args: string[]): number;
  ccall(name: string, ret: 'number', argTypes: readonly string[], args: readonly number[]): number;
  stackSave(): number;
  stackRestore(ptr: number): void;
  resetModuleStdout(): void;
  resetModuleStderr(): void;
  getModuleStderr(): string;
  mountDir(dir: string): string;
  unmountDir(dir: string): void;
  fs_mkdirs(dir: string): void;
  fs_writeFile(path: string, data: Uint8Array): void;
  fs_unlink(path: string): void;
  lengthBytesUTF8(s: string): number;
  stringToUTF8(s: string, ptr: number, max: number): void;
  UTF8ToString(ptr: number): string;
  readonly HEAPU8: Uint8Array;
  _itk_wasm_free_all?: () => void;
}

/** The JSON half of an itk-wasm image (arrays travel separately). */
export interface ItkImageJson {
  readonly imageType: { readonly dimension: number; readonly componentType: string; readonly pixelType: string; readonly components: number };
  readonly name?: string;
  readonly origin: readonly number[];
  readonly spacing: readonly number[];
  readonly size: readonly number[];
  readonly metadata?: unknown;
}

/** An itk-wasm image with its arrays copied out of the wasm heap (plain ArrayBuffers). */
export interface ItkImage extends ItkImageJson {
  readonly data: Uint8Array;
  readonly direction: Float64Array;
}

/** What a pipeline run produces: JSON outputs and image outputs by output index. */
export interface PipelineOutputs {
  readonly returnValue: number;
  readonly stderr: string;
  readonly json: ReadonlyMap<number, unknown>;
  readonly images: ReadonlyMap<number, ItkImage>;
}

/** One pipeline run. */
export interface PipelineCall {
  /** Package (`image-io` or `dicom`) and pipeline name, e.g. `nifti-read-image`. */
  readonly pkg: 'image-io' | 'dicom';
  readonly pipeline: string;
  readonly args: readonly string[];
  /** Host directories to mount (NODEFS) at the same path inside the module. */
  readonly mounts?: readonly string[];
  /** Files to place in the module's in-memory file system for the run (removed afterwards). */
  readonly files?: ReadonlyMap<string, Uint8Array>;
  /** An input image (input index 0). */
  readonly inputImage?: { readonly json: ItkImageJson; readonly data: ArrayBufferView; readonly direction: Float64Array };
  /** Output indices holding JSON values and images. */
  readonly jsonOutputs?: readonly number[];
  readonly imageOutputs?: readonly number[];
}

const require = createRequire(import.meta.url);
const modules = new Map<string, Promise<PipelineModule>>();
let loader: Promise<(path: string) => Promise<PipelineModule>> | undefined;

function pipelinePath(pkg: PipelineCall['pkg'], pipeline: string): string {
  const entry = require.resolve(`@itk-wasm/${pkg}`);
  return join(dirname(entry), 'pipelines', pipeline);
}

/** itk-wasm's Node module loader (zstd-decompresses the wasm, instantiates it); not in its public exports. */
function emscriptenLoader(): Promise<(path: string) => Promise<PipelineModule>> {
  loader ??= (async () => {
    const base = dirname(require.resolve('itk-wasm'));
    const url = pathToFileURL(join(base, 'pipeline', 'internal', 'load-emscripten-module-node.js')).href;
    const mod = (await import(url)) as { default: (path: string) => Promise<PipelineModule> };
    return mod.default;
  })();
  return loader;
}

/** The thread's instance of a pipeline module, loaded on first use. */
function loadModule(pkg: PipelineCall['pkg'], pipeline: string): Promise<PipelineModule> {
  const key = `${pkg}/${pipeline}`;
  let m = modules.get(key);
  if (m === undefined) {
    m = emscriptenLoader().then((load) => load(pipelinePath(pkg, pipeline)));
    modules.set(key, m);
    m.catch(() => modules.delete(key));
  }
  return m;
}

/** How many pipeline modules this thread holds (for tests: modules load once per thread). */
export function loadedPipelineCount(): number {
  return modules.size;
}

function copyOut(m: PipelineModule, index: number, sub: number): Uint8Array {
  const ptr = m.ccall('itk_wasm_output_array_address', 'number', ['number', 'number', 'number'], [0, index, sub]) >>> 0;
  const size = m.ccall('itk_wasm_output_array_size', 'number', ['number', 'number', 'number'], [0, index, sub]);
  const out = new Uint8Array(new ArrayBuffer(size));
  out.set(m.HEAPU8.subarray(ptr, ptr + size));
  return out;
}

function inputArray(m: PipelineModule, index: number, sub: number, bytes: Uint8Array): number {
  const ptr = m.ccall('itk_wasm_input_array_alloc', 'number', ['number', 'number', 'number', 'number'], [0, index, sub, bytes.byteLength]) >>> 0;
  m.HEAPU8.set(bytes, ptr);
  return ptr;
}

function inputJson(m: PipelineModule, index: number, value: unknown): void {
  const text = JSON.stringify(value);
  const length = m.lengthBytesUTF8(text) + 1;
  const ptr = m.ccall('itk_wasm_input_json_alloc', 'number', ['number', 'number', 'number'], [0, index, length]) >>> 0;
  m.stringToUTF8(text, ptr, length);
}

function bytesOf(view: ArrayBufferView): Uint8Array {
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

/**
 * Runs one pipeline on this thread. A non-zero return is reported in `returnValue`/`stderr`; a
 * wasm exception drops the thread's instance (the next call loads a fresh one) and is rethrown
 * as an Error naming the pipeline.
 */
export async function runPipeline(call: PipelineCall): Promise<PipelineOutputs> {
  const key = `${call.pkg}/${call.pipeline}`;
  const m = await loadModule(call.pkg, call.pipeline);
  const mounted: string[] = [];
  const written: string[] = [];
  let failed = true;
  try {
    for (const dir of call.mounts ?? []) mounted.push(m.mountDir(dir));
    for (const [path, bytes] of call.files ?? []) {
      m.fs_mkdirs(dirname(path));
      m.fs_writeFile(path, bytes);
      written.push(path);
    }
    if (call.inputImage !== undefined) {
      const img = call.inputImage;
      const dataPtr = inputArray(m, 0, 0, bytesOf(img.data));
      const dirPtr = inputArray(m, 0, 1, bytesOf(img.direction));
      inputJson(m, 0, {
        ...img.json,
        name: img.json.name ?? 'image',
        metadata: [],
        direction: `data:application/vnd.itk.address,0:${dirPtr}`,
        data: `data:application/vnd.itk.address,0:${dataPtr}`,
      });
    }
    m.resetModuleStdout();
    m.resetModuleStderr();
    const stack = m.stackSave();
    let returnValue: number;
    // the module echoes what it captures to the console; silence it for the (synchronous) run:
    // the captured text goes into the error fuseflow raises instead
    const { log, error } = console;
    console.log = console.error = () => undefined;
    try {
      returnValue = m.callMain([...call.args]);
    } catch (err) {
      const detail = typeof err === 'number' ? `wasm exception ${err}` : err instanceof Error ? err.message : String(err);
      throw new Error(`itk-wasm ${call.pipeline} aborted (${detail})${m.getModuleStderr() ? `: ${m.getModuleStderr().trim()}` : ''}`, { cause: err });
    } finally {
      console.log = log;
      console.error = error;
      m.stackRestore(stack);
    }
    const stderr = m.getModuleStderr();
    const json = new Map<number, unknown>();
    const images = new Map<number, ItkImage>();
    if (returnValue === 0) {
      for (const index of call.jsonOutputs ?? []) {
        json.set(index, JSON.parse(new TextDecoder().decode(copyOut(m, index, 0))));
      }
      for (const index of call.imageOutputs ?? []) {
        const ptr = m.ccall('itk_wasm_output_json_address', 'number', ['number', 'number'], [0, index]) >>> 0;
        const meta = JSON.parse(m.UTF8ToString(ptr)) as ItkImageJson;
        const data = copyOut(m, index, 0);
        const dir = copyOut(m, index, 1);
        images.set(index, { ...meta, data, direction: new Float64Array(dir.buffer, 0, dir.byteLength / 8) });
      }
    }
    m._itk_wasm_free_all?.();
    failed = false; // a non-zero return is a handled failure; the instance stays usable
    return { returnValue, stderr, json, images };
  } finally {
    for (const path of written) {
      try {
        m.fs_unlink(path);
      } catch {
        // the instance is discarded below when the run failed
      }
    }
    for (const dir of mounted) {
      try {
        m.unmountDir(dir);
      } catch {
        failed = true;
      }
    }
    if (failed) modules.delete(key);
  }
}
