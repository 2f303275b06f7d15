import { describe, expect, it } from 'vitest';
import { encodeModule, F32, I32, op } from '../../../src/trainer/kernels/wasm-encode.js';

interface Api {
  readonly Memory: new (d: { initial: number; maximum?: number; shared?: boolean }) => { readonly buffer: ArrayBufferLike };
  readonly Module: new (bytes: Uint8Array) => object;
  readonly Instance: new (m: object, imports: object) => { readonly exports: Record<string, (...args: number[]) => void> };
  readonly validate: (bytes: Uint8Array) => boolean;
}
const api = (globalThis as unknown as { WebAssembly: Api }).WebAssembly;

/** `*(f32*)at = x * y`: an i32 address and two f32 parameters. */
const storeProduct = {
  name: 'storeProduct',
  params: [I32, F32, F32],
  locals: [],
  body: [...op.get(0), ...op.get(1), ...op.get(2), 0x94 /* f32.mul */, ...op.f32Store],
} as const;

describe('encodeModule (wasm-encode)', () => {
  it('f32 parameters and a shared memory of exactly `sharedPages` pages: runs on a SharedArrayBuffer, float32 product as Math.fround', () => {
    const bytes = encodeModule([storeProduct], { sharedPages: 2 });
    expect(api.validate(bytes)).toBe(true);
    const memory = new api.Memory({ initial: 2, maximum: 2, shared: true });
    expect(memory.buffer).toBeInstanceOf(SharedArrayBuffer);
    const { exports } = new api.Instance(new api.Module(bytes), { env: { memory } });
    exports['storeProduct']?.(8, 1.1, 3.3);
    expect(new Float32Array(memory.buffer)[2]).toBe(Math.fround(Math.fround(1.1) * Math.fround(3.3)));
  });

  it('the default import (unshared, no maximum) refuses a shared memory, and the shared one refuses another page count', () => {
    const plain = new api.Module(encodeModule([storeProduct]));
    const shared = new api.Memory({ initial: 1, maximum: 1, shared: true });
    expect(() => new api.Instance(plain, { env: { memory: shared } })).toThrow();
    const twoPages = new api.Module(encodeModule([storeProduct], { sharedPages: 2 }));
    expect(() => new api.Instance(twoPages, { env: { memory: shared } })).toThrow();
    expect(() => new api.Instance(plain, { env: { memory: new api.Memory({ initial: 1 }) } })).not.toThrow();
  });
});
