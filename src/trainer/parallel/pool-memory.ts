/**
 * The replica pool's shared memory: one shared `WebAssembly.Memory` holding the weights, every
 * participant's gradient region and (with the sharded update) the optimizer's slots, at byte
 * offsets that are multiples of 16. One memory rather than a SharedArrayBuffer each, so that the
 * SIMD Adam (`adam-simd.ts`), which can address one memory only, reads and writes them all in place.
 */
import type { PoolMemory, WeightLayout } from './replica-protocol.js';
import { wasmApi } from './wasm-api.js';

const PAGE = 65536;
const MAX_PAGES = 65536; // wasm32: 4 GiB
const at16 = (bytes: number): number => Math.ceil(bytes / 16) * 16;

/**
 * A zeroed memory for `layout` and `threads` regions, with `slotBytes` bytes of slots after them:
 * a shared WebAssembly memory, or, past wasm32's 4 GiB (or without WebAssembly), a plain
 * SharedArrayBuffer (the scalar update then runs: `adamSimd` takes WebAssembly memories only).
 * @example const mem = poolMemory(layout, 2, 0);
 */
export function poolMemory(layout: WeightLayout, threads: number, slotBytes: number): PoolMemory {
  const regionBytes = at16(layout.regionFloats * 4);
  const regionsAt = at16(layout.weightFloats * 4);
  const slotsAt = regionsAt + threads * regionBytes;
  const bytes = slotsAt + slotBytes;
  const pages = Math.max(1, Math.ceil(bytes / PAGE));
  const api = wasmApi();
  const memory = api !== null && pages <= MAX_PAGES ? new api.Memory({ initial: pages, maximum: pages, shared: true }) : { buffer: new SharedArrayBuffer(bytes) };
  return { memory, weightsAt: 0, regionsAt, regionBytes, slotsAt };
}

/** The weights and each participant's region, as views on `mem`. */
export function poolViews(mem: PoolMemory, layout: WeightLayout, threads: number): { readonly weights: Float32Array; readonly regions: Float32Array[] } {
  const buffer = mem.memory.buffer;
  return {
    weights: new Float32Array(buffer, mem.weightsAt, layout.weightFloats),
    regions: Array.from({ length: threads }, (_, k) => new Float32Array(buffer, mem.regionsAt + k * mem.regionBytes, layout.regionFloats)),
  };
}
