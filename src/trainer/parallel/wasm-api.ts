/**
 * The part of the WebAssembly JavaScript API the replica pool uses, typed here: the project's
 * TypeScript `lib` (ES2023, no DOM) declares none of it, though Node has it all.
 */

/** A shared `WebAssembly.Memory` (or a plain holder of a SharedArrayBuffer): posted to workers as is. */
export interface SharedWasmMemory {
  readonly buffer: SharedArrayBuffer;
}

/** The constructors and functions used. */
export interface WasmApi {
  readonly Memory: new (descriptor: { initial: number; maximum: number; shared: true }) => SharedWasmMemory;
  readonly Module: new (bytes: Uint8Array) => object;
  readonly Instance: new (module: object, imports: object) => { readonly exports: object };
  readonly validate: (bytes: Uint8Array) => boolean;
}

/** The runtime's WebAssembly API, or null where it has none. */
export function wasmApi(): WasmApi | null {
  return (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly ?? null;
}
