import { describe, expect, it } from 'vitest';
import { Observable, from, interval, map, take } from 'rxjs';
import { iterableSource, observableSource } from '../../../src/eval/sources/iterable-source.js';
import { arraySource } from '../../../src/eval/sources/array-source.js';
import { InputError } from '../../../src/core/errors.js';
import { asyncItems } from '../async-items.js';
import { collect } from './collect.js';

const batches = [
  { p: [0.1, 0.2, 0.3], t: [0, 1, 0] },
  { p: [0.4], t: [1] },
];

describe('arraySource', () => {
  it('cuts columns into batches, typed arrays as views', async () => {
    const p = Float64Array.from([1, 2, 3, 4, 5]);
    const { batches: out, columns } = await collect(arraySource({ p, t: [0, 1, 0, 1, 0] }), 2);
    expect(out.map((b) => b.length)).toEqual([2, 2, 1]);
    expect((out[1]?.columns.p as Float64Array).buffer).toBe(p.buffer);
    expect(columns.t).toEqual([0, 1, 0, 1, 0]);
    expect(out[2]?.where?.(0)).toEqual({ file: 'arrays', row: 4 });
  });

  it('rejects columns of different lengths', () => {
    expect(() => arraySource({ p: [1, 2], t: [1] })).toThrow(/column 't' has 1 rows but 'p' has 2/);
  });
});

describe('iterableSource', () => {
  it('reads an async iterable once and refuses a second pass', async () => {
    const src = iterableSource(asyncItems(batches));
    expect(src.reReadable).toBe(false);
    expect((await collect(src, 2)).batches.map((b) => b.length)).toEqual([2, 1, 1]);
    await expect(collect(src)).rejects.toThrow(/one-shot/);
  });

  it('is re-readable given a factory', async () => {
    const src = iterableSource(() => batches);
    expect(src.reReadable).toBe(true);
    expect((await collect(src)).columns).toEqual((await collect(src)).columns);
  });

  it('passes an upstream error through', async () => {
    function* bad(): Generator<(typeof batches)[number]> {
      yield batches[0] as (typeof batches)[number];
      throw new Error('upstream broke');
    }
    await expect(collect(iterableSource(asyncItems(bad())))).rejects.toThrow('upstream broke');
  });

  it('pulls the next batch only after the previous one is folded (no read-ahead)', async () => {
    let produced = 0;
    function* gen(): Generator<{ p: number[] }> {
      for (let i = 0; i < 5; i++) {
        produced++;
        yield { p: [i] };
      }
    }
    const seen: number[] = [];
    await iterableSource(asyncItems(gen())).scan(10, () => seen.push(produced));
    expect(seen).toEqual([1, 2, 3, 4, 5]);
  });
});

describe('observableSource', () => {
  it('folds batches as they are emitted, synchronous or not', async () => {
    expect((await collect(observableSource(from(batches)))).columns.p).toEqual([0.1, 0.2, 0.3, 0.4]);
    const timed = interval(1).pipe(
      take(3),
      map((i) => ({ p: [i] })),
    );
    expect((await collect(observableSource(timed))).columns.p).toEqual([0, 1, 2]);
  });

  it('unsubscribes when folding a batch fails, and passes Observable errors through', async () => {
    let unsubscribed = false;
    const endless = new Observable<{ p: number[]; t?: number[] }>((sub) => {
      const timer = setInterval(() => sub.next({ p: [1, 2], t: [1] }), 1);
      return () => {
        unsubscribed = true;
        clearInterval(timer);
      };
    });
    await expect(collect(observableSource(endless))).rejects.toThrow(InputError);
    expect(unsubscribed).toBe(true);
    const failing = new Observable<{ p: number[] }>((sub) => sub.error(new Error('source failed')));
    await expect(collect(observableSource(failing))).rejects.toThrow('source failed');
  });

  it('is one-shot unless marked re-readable', async () => {
    const once = observableSource(from(batches));
    await collect(once);
    await expect(collect(once)).rejects.toThrow(/one-shot/);
    const cold = observableSource(from(batches), { reReadable: true });
    await collect(cold);
    expect((await collect(cold)).columns.t).toEqual([0, 1, 0, 1]);
  });
});
