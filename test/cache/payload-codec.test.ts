import { describe, expect, it } from 'vitest';
import { decodePayload, encodePayload } from '../../src/cache/payload-codec.js';
import { TypeMismatchError } from '../../src/core/errors.js';

const bytesOf = (v: ArrayBufferView): number[] => [...new Uint8Array(v.buffer, v.byteOffset, v.byteLength)];

describe('payload codec', () => {
  it('round-trips float32/float64/int16/uint8 (and every other typed array) bit for bit', () => {
    const f32 = new Float32Array([1.5, -0, NaN, Infinity, -Infinity, 1e-45, 3.4028234663852886e38]);
    new Uint32Array(f32.buffer)[2] = 0x7fc00123; // a NaN with a payload
    const f64 = new Float64Array([Math.PI, -0, NaN, Number.MIN_VALUE, -Number.MAX_VALUE]);
    const i16 = new Int16Array([-32768, -1, 0, 1, 32767]);
    const u8 = new Uint8Array([0, 1, 127, 128, 255]);
    const others = {
      i8: new Int8Array([-128, 127]),
      i32: new Int32Array([-(2 ** 31), 2 ** 31 - 1]),
      u16: new Uint16Array([65535]),
      u32: new Uint32Array([2 ** 32 - 1]),
      c8: new Uint8ClampedArray([0, 255]),
      b64: new BigInt64Array([-(2n ** 63n)]),
      bu64: new BigUint64Array([2n ** 64n - 1n]),
    };
    const sample = { data: { sampleId: 'a' }, img: { dtype: 'float32', shape: [7], data: f32 }, f64, i16, u8, others };
    const back = decodePayload(encodePayload(sample)) as typeof sample;
    expect(back.img.data).toBeInstanceOf(Float32Array);
    expect(bytesOf(back.img.data)).toEqual(bytesOf(f32));
    expect(bytesOf(back.f64)).toEqual(bytesOf(f64));
    expect(back.i16).toBeInstanceOf(Int16Array);
    expect([...back.i16]).toEqual([...i16]);
    expect(back.u8).toBeInstanceOf(Uint8Array);
    expect([...back.u8]).toEqual([...u8]);
    for (const [k, v] of Object.entries(others)) {
      const got = (back.others as Record<string, ArrayBufferView>)[k] as ArrayBufferView;
      expect(got.constructor).toBe(v.constructor);
      expect(bytesOf(got)).toEqual(bytesOf(v));
    }
  });

  it('keeps scalars JSON cannot say, and keys that start with $', () => {
    const s = { a: NaN, b: -0, c: Infinity, d: 12n, e: undefined, f: null, g: [1, 'x', true], $weird: { $t: 'no' }, 'ü nicode/..': 'ok' };
    const back = decodePayload(encodePayload(s));
    expect(Number.isNaN(back.a)).toBe(true);
    expect(Object.is(back.b, -0)).toBe(true);
    expect(back.c).toBe(Infinity);
    expect(back.d).toBe(12n);
    expect('e' in back && back.e === undefined).toBe(true);
    expect(back.f).toBeNull();
    expect(back.g).toEqual([1, 'x', true]);
    expect(back.$weird).toEqual({ $t: 'no' });
    expect(back['ü nicode/..']).toBe('ok');
  });

  it('returns frozen objects and arrays, and copies when the bytes are unaligned', () => {
    const enc = encodePayload({ x: { y: [1, 2] }, t: new Float64Array([1, 2]) });
    const shifted = new Uint8Array(enc.length + 1).subarray(1);
    shifted.set(enc);
    const back = decodePayload(shifted) as { x: { y: number[] }; t: Float64Array };
    expect(Object.isFrozen(back)).toBe(true);
    expect(Object.isFrozen(back.x)).toBe(true);
    expect(Object.isFrozen(back.x.y)).toBe(true);
    expect([...back.t]).toEqual([1, 2]);
  });

  it('rejects values that are not plain data, naming the key', () => {
    expect(() => encodePayload({ a: { b: new Map() } })).toThrow(TypeMismatchError);
    expect(() => encodePayload({ a: { b: new Map() } })).toThrow(/'a\.b'/);
    expect(() => encodePayload({ f: () => 1 })).toThrow(/'f'/);
    expect(() => decodePayload(new Uint8Array(16))).toThrow(/magic/);
  });
});
