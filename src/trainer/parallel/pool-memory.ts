/**
 * The replica pool's shared memory: one shared `WebAssembly.Memory` holding the weights, every
 * participant's gradient region and (with the sharded update) the optimizer's slots, at byte
 * offsets that are multiples of 16. One memory rather than a SharedArrayBuffer each, so that the
 * SIMD Adam (`adam-simd.ts`), which can address one memory only, reads and writes them all in place.
 */
import { OptionsError } from '../../core/errors.js';
import type { Optimizer, SharedOptimizer } from '../optim/optimizer.js';
import { CONTROL, type PoolMemory, type ShardedUpdateInit, type WeightLayout } from './replica-protocol.js';
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

/** The pool's shared state: its memory, the optimizer's shared slots and the sharded update's set-up (both absent without an optimizer). */
export interface PlacedPoolMemory {
  readonly mem: PoolMemory;
  readonly shared: SharedOptimizer | null;
  readonly update: ShardedUpdateInit | undefined;
  /** The control words (`CONTROL`) of the sharded update's barriers. */
  readonly control: Int32Array;
}

/**
 * The pool's memory for `layout` and `threads` participants, with `optimizer`'s slots moved into
 * it after the weights and regions (unless an earlier pool already shared them: they stay where
 * they are and the scalar update runs), and the sharded update's set-up the replicas receive.
 * @example const { mem, update, control } = placePoolMemory(layout, 2, optimizer, undefined);
 * @throws {OptionsError} for a `clipNorm` ≤ 0, or an optimizer over other variables than the layout's.
 */
export function placePoolMemory(layout: WeightLayout, threads: number, optimizer: Optimizer | undefined, clipNorm: number | undefined): PlacedPoolMemory {
  if (clipNorm !== undefined && !(clipNorm > 0)) throw new OptionsError(`replica pool: clipNorm must be > 0, got ${clipNorm}`);
  const placed: { mem: PoolMemory | null } = { mem: null };
  const shared =
    optimizer?.share((bytes) => {
      placed.mem = poolMemory(layout, threads, bytes);
      return { buffer: placed.mem.memory.buffer, byteOffset: placed.mem.slotsAt };
    }) ?? null;
  if (shared !== null && shared.floats !== layout.gradFloats) {
    throw new OptionsError(`replica pool: the optimizer holds ${shared.floats} elements, the model's trainable variables ${layout.gradFloats}`);
  }
  const mem = placed.mem ?? poolMemory(layout, threads, 0);
  const control = new Int32Array(new SharedArrayBuffer(CONTROL.words * 4));
  const update: ShardedUpdateInit | undefined =
    shared === null
      ? undefined
      : {
          threads,
          config: shared.config,
          lrScales: shared.lrScales,
          slots: shared.slots,
          slotsOffset: shared.slotsOffset,
          slotFloats: shared.floats * shared.slotNames.length,
          simd: placed.mem !== null,
          clipNorm: clipNorm ?? null,
          control: control.buffer,
          scratch: new SharedArrayBuffer(2 * threads * 8),
        };
  return { mem, shared, update, control };
}
